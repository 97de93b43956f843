#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Fused softmax + cross-entropy, mean over the batch (PyTorch's CrossEntropyLoss).
/// logits (B, K), labels (B) in 0..<K. Stable: logits are shifted by their row max,
/// and the loss is computed as logsumexp − logit[label] in Double.
public final class SoftmaxCrossEntropy {
    /// Cache: the softmax probabilities of the last forward.
    private let probs = Tensor(shape: [0])
    private let dLogits = Tensor(shape: [0])
    private var labels: UnsafePointer<Int32>?

    public init() {}

    /// Returns the mean loss and the number of correct arg-max predictions.
    public func forward(logits: Tensor, labels: UnsafePointer<Int32>) -> (loss: Double, correct: Int) {
        let b = logits.batch, k = logits.sampleCount
        probs.reshape(logits.shape)
        self.labels = labels
        var total = 0.0
        var correct = 0
        for i in 0..<b {
            let z = logits.data + i * k, p = probs.data + i * k
            var zmax = z[0], arg = 0
            for j in 1..<k where z[j] > zmax { zmax = z[j]; arg = j }
            var sum: Float = 0
            for j in 0..<k { p[j] = expf(z[j] - zmax); sum += p[j] }
            let inv = 1 / sum
            for j in 0..<k { p[j] *= inv }
            let y = Int(labels[i])
            total += Double(logf(sum)) - Double(z[y] - zmax)
            if arg == y { correct += 1 }
        }
        return (total / Double(b), correct)
    }

    /// d(mean loss)/d logits = (softmax − onehot) / B.
    public func backward() -> Tensor {
        guard let labels else { preconditionFailure("SoftmaxCrossEntropy.backward before forward") }
        let b = probs.batch, k = probs.sampleCount
        dLogits.reshape(probs.shape)
        let scale = 1 / Float(b)
        for i in 0..<b {
            let p = probs.data + i * k, d = dLogits.data + i * k
            for j in 0..<k { d[j] = p[j] * scale }
            d[Int(labels[i])] -= scale
        }
        return dLogits
    }
}
