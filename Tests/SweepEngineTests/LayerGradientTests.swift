import Testing
@testable import SweepEngine
import TestSupport

/// Finite-difference checks of every layer's input and parameter gradients,
/// and the mode-dependent behaviour of batchnorm and dropout.
@Suite struct LayerGradientTests {
    struct ConvCase: CustomStringConvertible, Sendable {
        var shape: [Int], out: Int, kernel: Int, stride: Int, padding: Padding
        var description: String { "\(shape) -> \(out), k\(kernel) s\(stride) \(padding)" }
    }

    static let convCases = [
        ConvCase(shape: [2, 5, 6], out: 3, kernel: 3, stride: 1, padding: .same),
        ConvCase(shape: [2, 5, 6], out: 3, kernel: 3, stride: 1, padding: .valid),
        // H: out 4, padding 1 + 1; W: out 3, padding 0 + 1
        ConvCase(shape: [3, 7, 6], out: 2, kernel: 3, stride: 2, padding: .same),
        ConvCase(shape: [2, 8, 7], out: 4, kernel: 5, stride: 2, padding: .valid),
        // even kernel: padding 1 + 2
        ConvCase(shape: [2, 5, 5], out: 2, kernel: 4, stride: 1, padding: .same),
        // kernel wider than the padded border reaches: some kernel rows never see the image
        ConvCase(shape: [1, 3, 4], out: 2, kernel: 7, stride: 1, padding: .same),
    ]

    func makeConv(_ c: ConvCase, seed: UInt64 = 3) -> (Conv2D, ParameterStore) {
        let params = ParameterStore()
        let conv = Conv2D(inputShape: c.shape, outChannels: c.out, kernel: c.kernel, stride: c.stride,
                          padding: c.padding, params: params, name: "conv")
        params.finalize()
        var rng = RNG(seed: seed)
        params.initialize(.xavier, rng: &rng)
        params.set(conv.bias, testValues(c.out, seed: 9))
        return (conv, params)
    }

    @Test(arguments: convCases)
    func conv2D(_ c: ConvCase) {
        let (conv, params) = makeConv(c)
        let x = Tensor(shape: [2] + c.shape, values: testValues(2 * c.shape.reduce(1, *)))
        let r = checkGradients(layer: conv, params: params, input: x)
        #expect(conv.outputShape == expectedConvShape(c))
        #expect(r.input < 1e-2, "\(r)")
        #expect(r.parameters < 1e-2, "\(r)")
    }

    func expectedConvShape(_ c: ConvCase) -> [Int] {
        func out(_ n: Int) -> Int {
            c.padding == .same ? (n + c.stride - 1) / c.stride : (n - c.kernel) / c.stride + 1
        }
        return [c.out, out(c.shape[1]), out(c.shape[2])]
    }

    /// Splitting the batch into chunks, or skipping the input gradient, changes nothing else.
    @Test func convChunksAndFirstLayerAgree() {
        let c = ConvCase(shape: [3, 7, 6], out: 4, kernel: 3, stride: 1, padding: .same)
        let x = Tensor(shape: [5] + c.shape, values: testValues(5 * c.shape.reduce(1, *)))
        let dy = Tensor(shape: [5] + expectedConvShape(c), values: testValues(5 * expectedConvShape(c).reduce(1, *), seed: 5))
        func run(budget: Int, inputGradient: Bool) -> (y: [Float], dx: [Float], grads: [Float]) {
            let (conv, params) = makeConv(c)
            conv.colBudget = budget
            conv.needsInputGradient = inputGradient
            params.zeroGrads()
            let y = conv.forward(x, mode: .train).array
            let dx = conv.backward(dy).array
            return (y, dx, Array(params.gradBuffer))
        }
        let whole = run(budget: 1 << 30, inputGradient: true)
        let colPerImage = 3 * 9 * 42
        for budget in [colPerImage, 2 * colPerImage, 3 * colPerImage] {
            let chunked = run(budget: budget, inputGradient: true)
            #expect(maxAbsDiff(chunked.y, whole.y) < 1e-5)
            #expect(maxAbsDiff(chunked.dx, whole.dx) < 1e-5)
            #expect(maxAbsDiff(chunked.grads, whole.grads) < 1e-4)
        }
        let first = run(budget: 2 * colPerImage, inputGradient: false)
        #expect(maxAbsDiff(first.y, whole.y) < 1e-5)
        #expect(maxAbsDiff(first.grads, whole.grads) < 1e-4)
    }

    @Test func maxPool2D() {
        let shape = [3, 5, 7]
        let n = 2 * shape.reduce(1, *)
        // distinct values 0.1 apart, so the ±eps probes never change an argmax
        var order = Array(0..<n)
        var rng = RNG(seed: 11)
        rng.shuffle(&order)
        let x = Tensor(shape: [2] + shape, values: order.map { Float($0) * 0.1 - Float(n) * 0.05 })
        let params = ParameterStore()
        params.finalize()
        let pool = MaxPool2D(inputShape: shape)
        #expect(pool.outputShape == [3, 2, 3])
        let r = checkGradients(layer: pool, params: params, input: x)
        #expect(r.input < 1e-2, "\(r)")
    }

    func makeBatchNorm(_ shape: [Int]) -> (BatchNorm, ParameterStore) {
        let params = ParameterStore()
        let bn = BatchNorm(inputShape: shape, params: params, name: "bn")
        params.finalize()
        params.set(bn.weight, testValues(shape[0], seed: 4).map { 1 + 0.5 * $0 })
        params.set(bn.bias, testValues(shape[0], seed: 5))
        return (bn, params)
    }

    @Test(arguments: [[3, 4, 5], [6]])
    func batchNormTrain(_ shape: [Int]) {
        let (bn, params) = makeBatchNorm(shape)
        let b = shape.count == 1 ? 5 : 2
        let x = Tensor(shape: [b] + shape, values: testValues(b * shape.reduce(1, *), scale: 2))
        let r = checkGradients(layer: bn, params: params, input: x, mode: .train)
        #expect(r.input < 1e-2, "\(r)")
        #expect(r.parameters < 1e-2, "\(r)")
    }

    @Test(arguments: [[3, 4, 5], [6]])
    func batchNormEvalUsesRunningStatistics(_ shape: [Int]) {
        let (bn, params) = makeBatchNorm(shape)
        let c = shape[0], s = shape.dropFirst().reduce(1, *), b = 3
        bn.runningMean = testValues(c, seed: 6)
        bn.runningVar = testValues(c, seed: 8).map { 1 + 0.9 * $0 }
        let (mean, variance) = (bn.runningMean, bn.runningVar)
        let x = Tensor(shape: [b] + shape, values: testValues(b * c * s, scale: 2))
        let y = bn.forward(x, mode: .eval)
        let gamma = params.values(of: bn.weight), beta = params.values(of: bn.bias)
        var worst: Float = 0
        for i in 0..<b {
            for ch in 0..<c {
                for j in 0..<s {
                    let k = (i * c + ch) * s + j
                    let expected = gamma[ch] * (x[k] - mean[ch]) / (variance[ch] + bn.eps).squareRoot() + beta[ch]
                    worst = max(worst, abs(y[k] - expected))
                }
            }
        }
        #expect(worst < 1e-5)
        #expect(bn.runningMean == mean && bn.runningVar == variance, "eval must not move the running statistics")
        let r = checkGradients(layer: bn, params: params, input: x, mode: .eval)
        #expect(r.input < 1e-2, "\(r)")
        #expect(r.parameters < 1e-2, "\(r)")
    }

    @Test func dropoutWithFixedMask() {
        let params = ParameterStore()
        params.finalize()
        let dropout = Dropout(p: 0.3, inputShape: [4, 5], rng: RNG(seed: 1))
        let x = Tensor(shape: [3, 4, 5], values: testValues(60))
        _ = dropout.forward(x, mode: .train)
        dropout.reusesMask = true
        let r = checkGradients(layer: dropout, params: params, input: x)
        #expect(r.input < 1e-2, "\(r)")
    }

    @Test func dropoutTrainKeepsAndScales() {
        let p: Float = 0.25, n = 100_000
        let dropout = Dropout(p: p, inputShape: [n], rng: RNG(seed: 2))
        let x = Tensor(shape: [1, n], values: Array(repeating: 1, count: n))
        let y = dropout.forward(x, mode: .train).array
        let kept = y.filter { $0 != 0 }
        #expect(abs(Float(kept.count) / Float(n) - (1 - p)) < 0.01)
        #expect(kept.allSatisfy { $0 == 1 / (1 - p) })
        // backward routes through the same mask
        let dx = dropout.backward(x).array
        #expect(dx == y)
        // a new forward draws a new mask
        #expect(dropout.forward(x, mode: .train).array != y)
    }

    @Test func dropoutEvalIsIdentity() {
        let dropout = Dropout(p: 0.5, inputShape: [10], rng: RNG(seed: 3))
        let x = Tensor(shape: [4, 10], values: testValues(40))
        #expect(dropout.forward(x, mode: .eval).array == x.array)
        let dy = Tensor(shape: [4, 10], values: testValues(40, seed: 8))
        #expect(dropout.backward(dy).array == dy.array)
    }
}
