import Testing
@testable import SweepEngine
import TestSupport

/// The eight-lane max-pool against the window rule written out, on rows that end in
/// full and partial blocks of eight outputs, with ties and NaNs.
@Suite struct MaxPoolTests {
    @Test(arguments: [[2, 6, 36], [3, 5, 17], [1, 28, 28], [2, 14, 14]])
    func matchesWindowRule(_ shape: [Int]) {
        let (c, h, w) = (shape[0], shape[1], shape[2])
        let n = 2 * c * h * w
        // values on a coarse grid make ties common; every 13th is NaN
        var values = testValues(n, seed: 5).map { ($0 * 4).rounded() }
        for i in stride(from: 3, to: n, by: 13) { values[i] = .nan }
        let x = Tensor(shape: [2] + shape, values: values)
        let pool = MaxPool2D(inputShape: shape)
        let y = pool.forward(x, mode: .train)
        let (oh, ow) = (h / 2, w / 2)
        let dy = Tensor(shape: [2, c, oh, ow], values: (0..<(2 * c * oh * ow)).map { Float($0 + 1) })
        let dx = pool.backward(dy)
        var expectedDx = [Float](repeating: 0, count: n)
        for p in 0..<(2 * c) {
            for r in 0..<oh {
                for q in 0..<ow {
                    let base = p * h * w + 2 * r * w + 2 * q
                    let window = [base, base + 1, base + w, base + w + 1]
                    var best = window[0]
                    for i in window.dropFirst() where values[i] > values[best] || values[i].isNaN { best = i }
                    let o = (p * oh + r) * ow + q
                    let got = y[o], want = values[best]
                    #expect(got == want || (got.isNaN && want.isNaN), "\(shape) output \(o)")
                    expectedDx[best] = dy[o]
                }
            }
        }
        #expect(dx.array == expectedDx, "\(shape) input gradient")
        // the layer's dx buffer is reused: a second backward over what the first left there
        // (here: garbage) writes every element, the rows and columns no window covers too
        for i in 0..<dx.count { dx[i] = 7 }
        #expect(pool.backward(dy).array == expectedDx, "\(shape) input gradient over a used buffer")
    }
}
