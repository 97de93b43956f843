/// Batch normalisation with PyTorch semantics: per channel for [C, H, W] inputs
/// (BatchNorm2d), per feature for [F] inputs (BatchNorm1d).
///
/// `.train` normalises with the batch mean and biased variance and moves the running
/// statistics towards the batch ones (the variance unbiased) by `momentum`:
/// running = (1 − momentum) · running + momentum · batch. `.eval` normalises with the
/// running statistics.
public final class BatchNorm: Layer {
    public let outputShape: [Int]
    public var needsInputGradient = true
    public let momentum: Float
    public let eps: Float
    public let weight: ParameterRef
    public let bias: ParameterRef
    public var runningMean: [Float]
    public var runningVar: [Float]

    private let channels: Int
    /// Elements per channel per sample: H·W, or 1 for [F] inputs.
    private let spatial: Int
    private unowned let params: ParameterStore
    private let output = Tensor(shape: [0])
    private let dInput = Tensor(shape: [0])
    /// Cache: the input of the last forward and the statistics it was normalised
    /// with, xhat = (x − mean) · rstd; `batchStatistics` is false after `.eval`.
    private var input: Tensor?
    private let mean: Tensor
    private let rstd: Tensor
    private var batchStatistics = true

    public init(inputShape: [Int], params: ParameterStore, name: String, momentum: Float = 0.1, eps: Float = 1e-5) {
        precondition(inputShape.count == 1 || inputShape.count == 3, "BatchNorm expects [F] or [C, H, W], got \(inputShape)")
        self.outputShape = inputShape
        self.channels = inputShape[0]
        self.spatial = inputShape.dropFirst().reduce(1, *)
        self.params = params
        self.momentum = momentum
        self.eps = eps
        runningMean = Array(repeating: 0, count: channels)
        runningVar = Array(repeating: 1, count: channels)
        mean = Tensor(shape: [channels])
        rstd = Tensor(shape: [channels])
        weight = params.declare(name + ".weight", shape: [channels], role: .scale, fanIn: channels, fanOut: channels)
        bias = params.declare(name + ".bias", shape: [channels], role: .shift, fanIn: channels, fanOut: channels)
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        // input (B, C, S) with S = H·W or 1 -> output (B, C, S); mean, rstd (C)
        let b = x.batch, cs = channels, s = spatial
        precondition(x.sampleCount == cs * s, "BatchNorm expects \(outputShape), got \(x.shape)")
        input = x
        output.reshape(x.shape)
        batchStatistics = mode == .train
        if batchStatistics {
            let n = b * s
            precondition(n > 1, "BatchNorm in training needs more than one value per channel")
            for c in 0..<cs {
                var sum = 0.0
                for i in 0..<b {
                    let p = x.data + (i * cs + c) * s
                    var part: Float = 0
                    for j in 0..<s { part += p[j] }
                    sum += Double(part)
                }
                let m = Float(sum / Double(n))
                var squares = 0.0
                for i in 0..<b {
                    let p = x.data + (i * cs + c) * s
                    var part: Float = 0
                    for j in 0..<s { part += (p[j] - m) * (p[j] - m) }
                    squares += Double(part)
                }
                let variance = squares / Double(n)
                mean[c] = m
                rstd[c] = Float(1 / (variance + Double(eps)).squareRoot())
                runningMean[c] = (1 - momentum) * runningMean[c] + momentum * m
                runningVar[c] = (1 - momentum) * runningVar[c] + momentum * Float(variance * Double(n) / Double(n - 1))
            }
        } else {
            for c in 0..<cs {
                mean[c] = runningMean[c]
                rstd[c] = 1 / (runningVar[c] + eps).squareRoot()
            }
        }
        // y = gamma · (x − mean) · rstd + beta = x · a + (beta − mean · a)
        let gamma = params.value(weight), beta = params.value(bias)
        for c in 0..<cs {
            let a = gamma[c] * rstd[c], shift = beta[c] - mean[c] * a
            for i in 0..<b {
                let p = x.data + (i * cs + c) * s, q = output.data + (i * cs + c) * s
                for j in 0..<s { q[j] = p[j] * a + shift }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dy (B, C, S) -> dgamma += Σ dy · xhat, dbeta += Σ dy,
        // dx = gamma · rstd · (dy − Σdy / N − xhat · Σ(dy · xhat) / N) with batch statistics,
        // dx = gamma · rstd · dy with running ones
        guard let x = input else { preconditionFailure("BatchNorm.backward before forward") }
        let b = x.batch, cs = channels, s = spatial, n = Float(b * s)
        let gamma = params.value(weight), dGamma = params.grad(weight), dBeta = params.grad(bias)
        if needsInputGradient { dInput.reshape(x.shape) }
        for c in 0..<cs {
            let m = mean[c], r = rstd[c]
            var sumDy: Float = 0, sumDyXhat: Float = 0
            for i in 0..<b {
                let p = x.data + (i * cs + c) * s, g = dy.data + (i * cs + c) * s
                for j in 0..<s {
                    sumDy += g[j]
                    sumDyXhat += g[j] * (p[j] - m) * r
                }
            }
            dGamma[c] += sumDyXhat
            dBeta[c] += sumDy
            guard needsInputGradient else { continue }
            let a = gamma[c] * r
            let meanDy = batchStatistics ? sumDy / n : 0
            let meanDyXhat = batchStatistics ? sumDyXhat / n : 0
            for i in 0..<b {
                let p = x.data + (i * cs + c) * s, g = dy.data + (i * cs + c) * s
                let dx = dInput.data + (i * cs + c) * s
                for j in 0..<s { dx[j] = a * (g[j] - meanDy - (p[j] - m) * r * meanDyXhat) }
            }
        }
        return dInput
    }
}
