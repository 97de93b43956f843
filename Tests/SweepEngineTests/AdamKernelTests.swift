import Testing
@testable import SweepEngine
import TestSupport
import CKernels

/// The Adam/AdamW update of every kernel set (CKernels) gives the Swift loop's bits, on
/// counts with full and partial blocks of lanes.
@Suite struct AdamKernelTests {
    @Test(arguments: ownKernelSets, [1, 37, 1000])
    func kernelMatchesSwiftLoop(kernels: KernelSet, count n: Int) throws {
        let table = try #require(kernels.table).pointee
        for (decay, l2): (Float, Float) in [(1, 0.01), (0.99999, 0)] {
            // p, g, m, v; v ≥ 0
            func buffers() -> [Tensor] {
                (0..<4).map { k in Tensor(shape: [n], values: testValues(n, seed: 20 + UInt64(k)).map { k == 3 ? $0 * $0 : $0 }) }
            }
            let a = buffers(), b = buffers()
            let (w1, beta2, w2, bc2Sqrt, eps, negStep): (Float, Float, Float, Float, Float, Float) =
                (0.1, 0.999, 0.001, 0.0447, 1e-8, -0.00526)
            table.adamUpdate(Int32(n), a[0].data, a[1].data, a[2].data, a[3].data, decay, l2, w1, beta2, w2, bc2Sqrt,
                              eps, negStep)
            Optimizer.adamLanes(n, b[0].data, b[1].data, b[2].data, b[3].data, decay, l2, w1, beta2, w2, bc2Sqrt,
                                eps, negStep)
            for k in [0, 2, 3] {
                let differing = (0..<n).filter { a[k][$0].bitPattern != b[k][$0].bitPattern }.count
                #expect(differing == 0, "\(n) parameters, buffer \(k): \(differing) differ")
            }
        }
    }
}
