/// Inverted dropout: in `.train` each entry is kept with probability 1 − p and
/// scaled by 1 / (1 − p), so `.eval` is the identity.
public final class Dropout: Layer {
    public let p: Float
    public let outputShape: [Int]
    public var needsInputGradient = true
    private var rng: RNG
    private let output = Tensor(shape: [0])
    private let dInput = Tensor(shape: [0])
    /// Cache: the mask of the last `.train` forward, 0 or 1 / (1 − p) per entry.
    private let mask = Tensor(shape: [0])
    /// Whether the last forward was in `.train` (backward multiplies by the mask).
    private var masked = false
    /// Tests only: `.train` forwards reuse the last mask instead of drawing a new one,
    /// so finite differences probe one fixed function.
    var reusesMask = false

    public init(p: Float, inputShape: [Int], rng: RNG) {
        precondition(p >= 0 && p <= 1, "dropout p must be in [0, 1], got \(p)")
        self.p = p
        self.outputShape = inputShape
        self.rng = rng
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        // input (B, ...) -> output (B, ...), mask (B, ...)
        output.reshape(x.shape)
        masked = mode == .train
        guard masked else {
            output.data.update(from: x.data, count: x.count)
            return output
        }
        if !reusesMask || mask.shape != x.shape {
            mask.reshape(x.shape)
            let keep: Float = p < 1 ? 1 / (1 - p) : 0
            let m = mask.data
            for i in 0..<x.count { m[i] = rng.uniform() < p ? 0 : keep }
        }
        let m = mask.data, y = output.data, v = x.data
        for i in 0..<x.count { y[i] = v[i] * m[i] }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dx = dy · mask in training, dy otherwise
        guard needsInputGradient else { return dInput }
        dInput.reshape(dy.shape)
        if masked {
            let m = mask.data, d = dy.data, dx = dInput.data
            for i in 0..<dy.count { dx[i] = d[i] * m[i] }
        } else {
            dInput.data.update(from: dy.data, count: dy.count)
        }
        return dInput
    }
}
