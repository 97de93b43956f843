/// The nonlinearities of docs/keys.md (`activation`).
public enum ActivationKind: String, Sendable, CaseIterable {
    case relu, tanh, sigmoid
}

/// Elementwise activation. Backward uses the saved output y:
/// relu' = [y > 0], tanh' = 1 − y², sigmoid' = y (1 − y).
public final class Activation: Layer {
    public let kind: ActivationKind
    public let outputShape: [Int]
    public var needsInputGradient = true
    private let output = Tensor(shape: [0])
    private let dInput = Tensor(shape: [0])

    public init(_ kind: ActivationKind, inputShape: [Int]) {
        self.kind = kind
        self.outputShape = inputShape
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        output.reshape(x.shape)
        switch kind {
        case .relu: Kernels.relu(x.data, output.data, count: x.count)
        case .tanh: Kernels.tanh(x.data, output.data, count: x.count)
        case .sigmoid: Kernels.sigmoid(x.data, output.data, count: x.count)
        }
        return output
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        dInput.reshape(dOut.shape)
        guard needsInputGradient else { return dInput }
        let y = output.data, dy = dOut.data, dx = dInput.data, n = dOut.count
        switch kind {
        case .relu: for i in 0..<n { dx[i] = y[i] > 0 ? dy[i] : 0 }
        case .tanh: for i in 0..<n { dx[i] = dy[i] * (1 - y[i] * y[i]) }
        case .sigmoid: for i in 0..<n { dx[i] = dy[i] * y[i] * (1 - y[i]) }
        }
        return dInput
    }
}
