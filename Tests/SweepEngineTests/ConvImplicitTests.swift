import Testing
@testable import SweepEngine
import TestSupport

/// Each kernel set's implicit-GEMM convolution (CKernels' convForward and convWeightGrad)
/// against the im2col + GEMM path of the same set, on the shapes where its panel
/// building has edges: runs of positions that cross output rows (widths 5, 7, 14, 28),
/// padding on either side, strides of 2, kernels of 1 to 7, more than one block of 256
/// im2col rows, and output channels that fill neither a slab of 8 nor a panel of 32. At
/// stride 1 both of its paths run: straight from a zero-bordered copy, and through panels
/// where the copy's junk columns would cost more (many channels on a small image).
@Suite struct ConvImplicitTests {
    typealias Case = LayerGradientTests.ConvCase

    static let cases = [
        Case(shape: [3, 32, 32], out: 32, kernel: 3, stride: 1, padding: .same),
        Case(shape: [32, 16, 16], out: 64, kernel: 3, stride: 1, padding: .same),
        Case(shape: [64, 8, 8], out: 40, kernel: 3, stride: 1, padding: .same),   // 576 rows: three blocks
        Case(shape: [64, 8, 8], out: 128, kernel: 3, stride: 1, padding: .same),  // stride 1 through panels (CKernels' directStride1)
        Case(shape: [16, 7, 7], out: 96, kernel: 3, stride: 1, padding: .same),
        Case(shape: [64, 8, 8], out: 13, kernel: 1, stride: 1, padding: .same),
        Case(shape: [1, 28, 28], out: 32, kernel: 3, stride: 1, padding: .same),
        Case(shape: [5, 14, 14], out: 9, kernel: 3, stride: 1, padding: .same),
        Case(shape: [7, 7, 7], out: 5, kernel: 3, stride: 1, padding: .same),
        Case(shape: [3, 28, 28], out: 6, kernel: 5, stride: 1, padding: .valid),
        Case(shape: [2, 5, 6], out: 3, kernel: 4, stride: 1, padding: .same),
        Case(shape: [2, 3, 4], out: 2, kernel: 7, stride: 1, padding: .same),
        Case(shape: [3, 15, 13], out: 11, kernel: 3, stride: 2, padding: .same),
        Case(shape: [4, 16, 16], out: 8, kernel: 5, stride: 2, padding: .valid),
    ]

    @Test(arguments: ownKernelSets, cases)
    func implicitMatchesIm2col(kernels: KernelSet, _ c: Case) {
        Kernels.$forced.withValue(kernels) { implicitMatchesIm2col(c) }
    }

    private func implicitMatchesIm2col(_ c: Case) {
        let batch = 3
        func run(implicit: Bool) -> (y: [Float], dx: [Float], grads: [Float]) {
            let params = ParameterStore()
            let conv = Conv2D(inputShape: c.shape, outChannels: c.out, kernel: c.kernel, stride: c.stride,
                              padding: c.padding, params: params, name: "conv")
            params.finalize()
            var rng = RNG(seed: 5)
            params.initialize(.xavier, rng: &rng)
            params.set(conv.bias, testValues(c.out, seed: 9))
            conv.implicitGEMM = implicit
            let x = Tensor(shape: [batch] + c.shape, values: testValues(batch * c.shape.reduce(1, *)))
            let y = conv.forward(x, mode: .train).array
            let dy = Tensor(shape: [batch] + conv.outputShape, values: testValues(y.count, seed: 7))
            params.zeroGrads()
            let dx = conv.backward(dy).array
            return (y, dx, Array(params.gradBuffer))
        }
        let implicit = run(implicit: true), reference = run(implicit: false)
        #expect(implicit.y.count == reference.y.count)
        // sums of up to 576 products, in another order: compare relative to the largest value
        func close(_ a: [Float], _ b: [Float]) -> Bool {
            let scale = max(b.map(abs).max() ?? 0, 1)
            return maxAbsDiff(a, b) <= 1e-5 * scale
        }
        #expect(close(implicit.y, reference.y), "forward differs by \(maxAbsDiff(implicit.y, reference.y))")
        #expect(close(implicit.dx, reference.dx), "dx differs by \(maxAbsDiff(implicit.dx, reference.dx))")
        #expect(close(implicit.grads, reference.grads),
                "gradients differ by \(maxAbsDiff(implicit.grads, reference.grads))")
    }
}
