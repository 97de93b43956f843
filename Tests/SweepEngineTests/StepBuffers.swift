import TestSupport

/// One recurrent step's test arrays, filled with seeded test values and freed together. The
/// cells' kernel tests (LSTMKernelTests, CellKernelTests) make each array twice, one for the
/// kernel and one for the Swift loops, and build each cell's step memory over them.
final class StepBuffers {
    let batch: Int, hidden: Int
    private var arrays: [UnsafeMutablePointer<Float>] = []

    init(batch: Int, hidden: Int) { (self.batch, self.hidden) = (batch, hidden) }
    deinit { arrays.forEach { $0.deallocate() } }

    func make(_ count: Int, seed: UInt64, scale: Float = 1) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
        for (i, v) in testValues(count, seed: seed, scale: scale).enumerated() { p[i] = v }
        arrays.append(p)
        return p
    }

    func copy(_ p: UnsafeMutablePointer<Float>, _ count: Int) -> UnsafeMutablePointer<Float> {
        let q = make(count, seed: 0)
        q.update(from: p, count: count)
        return q
    }
}
