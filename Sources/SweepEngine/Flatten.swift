/// Flattens (B, C, H, W) to (B, C·H·W). Data is already contiguous, so this copies
/// only to give the next layer a tensor of the right shape.
public final class Flatten: Layer {
    public let outputShape: [Int]
    public var needsInputGradient = true
    private let inputShape: [Int]
    private let output = Tensor(shape: [0])
    private let dInput = Tensor(shape: [0])

    public init(inputShape: [Int]) {
        self.inputShape = inputShape
        self.outputShape = [inputShape.reduce(1, *)]
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        output.reshape([x.batch] + outputShape)
        output.data.update(from: x.data, count: x.count)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        dInput.reshape([dy.batch] + inputShape)
        if needsInputGradient { dInput.data.update(from: dy.data, count: dy.count) }
        return dInput
    }
}
