/// Fully connected layer, y = x Wᵀ + b, with PyTorch's nn.Linear layout.
/// input (B, IN) — any per-sample shape is read flat —, weight (OUT, IN), bias (OUT).
public final class Dense: Layer {
    public let inputs: Int
    public let outputs: Int
    public let weight: ParameterRef
    public let bias: ParameterRef
    public var needsInputGradient = true
    public var outputShape: [Int] { [outputs] }

    private unowned let params: ParameterStore
    private let output = Tensor(shape: [0])
    private let dInput = Tensor(shape: [0])
    /// Cache: the input of the last forward (owned by the previous layer).
    private var input: Tensor?

    public init(inputShape: [Int], outputs: Int, params: ParameterStore, name: String) {
        self.inputs = inputShape.reduce(1, *)
        self.outputs = outputs
        self.params = params
        weight = params.declare(name + ".weight", shape: [outputs, inputs], role: .weight, fanIn: inputs, fanOut: outputs)
        bias = params.declare(name + ".bias", shape: [outputs], role: .bias, fanIn: inputs, fanOut: outputs)
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let b = x.batch
        precondition(x.sampleCount == inputs, "Dense expects \(inputs) inputs, got \(x.shape)")
        input = x
        output.reshape([b, outputs])
        let y = output.data, bias = params.value(bias)
        for i in 0..<b { (y + i * outputs).update(from: bias, count: outputs) }
        sgemm(transB: true, m: b, n: outputs, k: inputs, a: x.data, b: params.value(weight), beta: 1, c: y)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Dense.backward before forward") }
        let b = x.batch
        // dW (OUT, IN) += dyᵀ (OUT, B) · x (B, IN), or = where nothing has been added to it since
        // the gradients were zeroed (ParameterStore)
        let (dW, beta) = params.gradToOverwrite(weight)
        sgemm(transA: true, m: outputs, n: inputs, k: b, a: dy.data, b: x.data, beta: beta, c: dW)
        // db (OUT) += Σ_batch dy
        let db = params.grad(bias)
        for i in 0..<b {
            let row = dy.data + i * outputs
            for j in 0..<outputs { db[j] += row[j] }
        }
        guard needsInputGradient else { return dInput }
        // dx (B, IN) = dy (B, OUT) · W (OUT, IN)
        dInput.reshape(x.shape)
        sgemm(m: b, n: inputs, k: outputs, a: dy.data, b: params.value(weight), c: dInput.data)
        return dInput
    }
}
