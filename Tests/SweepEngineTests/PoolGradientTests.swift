import Testing
@testable import SweepEngine
import TestSupport

/// Finite-difference checks of the general pooling layers: max and average at any window
/// and stride (stride 1 keeps the size), and global average pooling.
@Suite struct PoolGradientTests {
    struct Case: CustomStringConvertible, Sendable {
        var kind: Pool2D.Kind, shape: [Int], kernel: Int, stride: Int?, out: [Int]
        var description: String { "\(kind) \(shape) k\(kernel) s\(stride ?? kernel) -> \(out)" }
    }

    static let cases = [
        Case(kind: .max, shape: [3, 5, 7], kernel: 3, stride: 1, out: [3, 5, 7]),     // inception's third branch
        Case(kind: .max, shape: [2, 7, 6], kernel: 3, stride: 2, out: [2, 3, 2]),
        Case(kind: .max, shape: [2, 5, 5], kernel: 2, stride: 1, out: [2, 5, 5]),     // even window: padding 0 + 1
        Case(kind: .max, shape: [2, 6, 6], kernel: 2, stride: nil, out: [2, 3, 3]),
        Case(kind: .average, shape: [3, 5, 7], kernel: 3, stride: 1, out: [3, 5, 7]),
        Case(kind: .average, shape: [2, 7, 6], kernel: 3, stride: 2, out: [2, 3, 2]),
        Case(kind: .average, shape: [2, 5, 5], kernel: 4, stride: 1, out: [2, 5, 5]),
        Case(kind: .average, shape: [1, 4, 4], kernel: 4, stride: nil, out: [1, 1, 1]),
    ]

    /// Distinct values 0.1 apart, so the ±eps probes never change a maximum.
    static func distinct(_ shape: [Int], batch: Int = 2) -> Tensor {
        let n = batch * shape.reduce(1, *)
        var order = Array(0..<n)
        var rng = RNG(seed: 11)
        rng.shuffle(&order)
        return Tensor(shape: [batch] + shape, values: order.map { Float($0) * 0.1 - Float(n) * 0.05 })
    }

    @Test(arguments: cases) func pool(_ c: Case) {
        let params = ParameterStore()
        params.finalize()
        let pool = Pool2D(c.kind, inputShape: c.shape, kernel: c.kernel, stride: c.stride)
        #expect(pool.outputShape == c.out)
        let r = checkGradients(layer: pool, params: params, input: Self.distinct(c.shape))
        #expect(r.input < 1e-2, "\(r)")
    }

    /// Values by hand: a 3×3 window at stride 1 over a 3×3 plane, padding 1.
    @Test func paddedWindowsByHand() {
        let x = Tensor(shape: [1, 1, 3, 3], values: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let maxPool = Pool2D(.max, inputShape: [1, 3, 3], kernel: 3, stride: 1)
        #expect(maxPool.forward(x, mode: .train).array == [5, 6, 6, 8, 9, 9, 8, 9, 9])
        let avgPool = Pool2D(.average, inputShape: [1, 3, 3], kernel: 3, stride: 1)
        // count_include_pad: the corner's window holds 4 values and 5 zeros, divided by 9
        let sums: [Float] = [12, 21, 16, 27, 45, 33, 24, 39, 28]
        #expect(avgPool.forward(x, mode: .train).array == sums.map { $0 / 9 })
        // the gradient of the max goes to the first maximum; a NaN wins its windows
        let dx = maxPool.backward(Tensor(shape: [1, 1, 3, 3], values: [Float](repeating: 1, count: 9)))
        #expect(dx.array == [0, 0, 0, 0, 1, 2, 0, 2, 4])
        let withNaN = Tensor(shape: [1, 1, 3, 3], values: [1, .nan, 3, 4, 5, 6, 7, 8, 9])
        let y = maxPool.forward(withNaN, mode: .train).array
        #expect(y[0].isNaN && y[1].isNaN && y[2].isNaN && y[3].isNaN && y[8] == 9)
    }

    /// The stride-1 max's eight-lane loop against the element loop, bit for bit in outputs and
    /// in where the gradient goes: few distinct values (ties), NaNs, ±infinity and a plane of
    /// -infinity only, windows of 1 to 5, rows narrower and wider than eight lanes.
    @Test(arguments: [(3, [2, 8, 8]), (2, [3, 5, 5]), (5, [2, 7, 11]), (1, [1, 3, 9]), (4, [2, 9, 17])])
    func maxStride1Lanes(_ kernel: Int, _ shape: [Int]) {
        var rng = RNG(seed: UInt64(kernel))
        let area = shape[1] * shape[2], n = 3 * shape.reduce(1, *)
        let special: [Float] = [.nan, -.infinity, .infinity]
        var values = (0..<n).map { _ in Float(rng.below(4)) - 1 }
        for i in values.indices where rng.below(10) == 0 { values[i] = special[rng.below(3)] }
        for i in 0..<area { values[i] = -.infinity }  // the first plane: nothing beats the start
        values[area + 1] = .nan
        let x = Tensor(shape: [3] + shape, values: values)
        let lanes = Pool2D(.max, inputShape: shape, kernel: kernel, stride: 1)
        let elements = Pool2D(.max, inputShape: shape, kernel: kernel, stride: 1)
        elements.lanesAtStride1 = false
        let y = lanes.forward(x, mode: .train).array, expected = elements.forward(x, mode: .train).array
        #expect(y.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(y.contains { $0.isNaN } && y.contains { $0 == -.infinity })
        let dy = Tensor(shape: [3] + shape, values: (0..<n).map { Float($0 % 13) + 1 })
        #expect(lanes.backward(dy).array == elements.backward(dy).array)
    }

    @Test func globalAveragePool() {
        let shape = [3, 4, 5]
        let params = ParameterStore()
        params.finalize()
        let pool = GlobalAvgPool(inputShape: shape)
        #expect(pool.outputShape == [3, 1, 1])
        let x = Tensor(shape: [2] + shape, values: testValues(2 * shape.reduce(1, *)))
        let y = pool.forward(x, mode: .train).array
        let first = (0..<20).reduce(Float(0)) { $0 + x[$1] } / 20
        #expect(abs(y[0] - first) < 1e-6)
        let r = checkGradients(layer: pool, params: params, input: x)
        #expect(r.input < 1e-2, "\(r)")
    }
}
