import CKernels

/// 2×2 max pooling with stride 2. Odd sizes are floored like PyTorch's
/// nn.MaxPool2d(2): the last row/column then never reaches the output.
/// Ties go to the first maximum in row-major window order, NaN wins, as in PyTorch.
/// The loops are the kernel set's (`maxPoolForward`, `maxPoolBackward`; the portable set's
/// under `openblas`), which give the same bits in every set.
public final class MaxPool2D: Layer {
    public let outputShape: [Int]
    public var needsInputGradient = true
    private let inputShape: [Int]
    private let output = Tensor(shape: [0])
    private let dInput = Tensor(shape: [0])
    /// Cache: argmax switches, the position (0…3, row-major) of each output's maximum in its window.
    private var switches = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    private var switchCapacity = 1

    public init(inputShape: [Int]) {
        precondition(inputShape.count == 3, "MaxPool2D expects [C, H, W], got \(inputShape)")
        precondition(inputShape[1] >= 2 && inputShape[2] >= 2, "MaxPool2D input \(inputShape) smaller than 2×2")
        self.inputShape = inputShape
        self.outputShape = [inputShape[0], inputShape[1] / 2, inputShape[2] / 2]
    }

    deinit { switches.deallocate() }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        // input (B, C, H, W) -> output (B, C, H/2, W/2), switches (B, C, H/2, W/2)
        let h = inputShape[1], w = inputShape[2]
        precondition(x.sampleCount == inputShape.reduce(1, *), "MaxPool2D expects \(inputShape), got \(x.shape)")
        let planes = x.batch * inputShape[0]
        output.reshape([x.batch] + outputShape)
        if output.count > switchCapacity {
            switches.deallocate()
            switchCapacity = output.count
            switches = .allocate(capacity: switchCapacity)
        }
        Kernels.current.loops.pointee.maxPoolForward(Int32(planes), Int32(h), Int32(w), x.data, output.data, switches)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor { backward(dy, through: nil) }

    /// The backward of the pool and, given `activation`, of the Activation layer of that kind
    /// whose output the pool read, in one pass: the gradient of that layer's input, where
    /// each dy is multiplied by the activation's derivative at its window's maximum (the
    /// pool's own output) exactly as Activation.backward multiplies it. Every other place gets
    /// zero, which Activation.backward gives it too unless the activation's output there is
    /// NaN (training has diverged by then). Model.backward takes this path for an activation
    /// that feeds the pool only.
    func backward(_ dy: Tensor, through activation: ActivationKind?) -> Tensor {
        // dy (B, C, H/2, W/2) -> dx (B, C, H, W): each dy goes to its window's argmax, the
        // window's other three places get zero; rows and columns no window covers (odd sizes) too
        guard needsInputGradient else { return dInput }
        let h = inputShape[1], w = inputShape[2]
        let planes = dy.batch * inputShape[0]
        dInput.reshape([dy.batch] + inputShape)
        let code: Int32 = switch activation {
        case nil: Int32(SWEEP_ACTIVATION_NONE)
        case .relu: Int32(SWEEP_ACTIVATION_RELU)
        case .tanh: Int32(SWEEP_ACTIVATION_TANH)
        case .sigmoid: Int32(SWEEP_ACTIVATION_SIGMOID)
        }
        Kernels.current.loops.pointee.maxPoolBackward(Int32(planes), Int32(h), Int32(w), dy.data, switches,
                                                      output.data, code, dInput.data)
        return dInput
    }
}
