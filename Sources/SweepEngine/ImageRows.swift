/// (B, C, H, W) -> (B, H, C·W): the image's rows as time steps, each step the row
/// of every channel. Only needed when C > 1 (for C == 1 the memory is already (B, H, W)).
public final class ImageRows: Layer {
    public let outputShape: [Int]
    public var needsInputGradient = true
    private let inputShape: [Int]
    private let output = Tensor(shape: [0])
    private let dInput = Tensor(shape: [0])

    public init(inputShape: [Int]) {
        precondition(inputShape.count == 3, "ImageRows expects [C, H, W], got \(inputShape)")
        self.inputShape = inputShape
        self.outputShape = [inputShape[1], inputShape[0] * inputShape[2]]
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        // input (B, C, H, W) -> output (B, H, C·W)
        output.reshape([x.batch] + outputShape)
        let b = x.batch, image = inputShape.reduce(1, *)
        for i in 0..<b {
            swapLeadingAxes(x.data + i * image, inputShape[0], inputShape[1], width: inputShape[2],
                            into: output.data + i * image)
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dy (B, H, C·W) -> dx (B, C, H, W)
        dInput.reshape([dy.batch] + inputShape)
        guard needsInputGradient else { return dInput }
        let b = dy.batch, image = inputShape.reduce(1, *)
        for i in 0..<b {
            swapLeadingAxes(dy.data + i * image, inputShape[1], inputShape[0], width: inputShape[2],
                            into: dInput.data + i * image)
        }
        return dInput
    }
}
