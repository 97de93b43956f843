/// 2×2 max pooling with stride 2. Odd sizes are floored like PyTorch's
/// nn.MaxPool2d(2): the last row/column then never reaches the output.
/// Ties go to the first maximum in row-major window order, NaN wins, as in PyTorch.
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
        let h = inputShape[1], w = inputShape[2], oh = outputShape[1], ow = outputShape[2]
        precondition(x.sampleCount == inputShape.reduce(1, *), "MaxPool2D expects \(inputShape), got \(x.shape)")
        let planes = x.batch * inputShape[0]
        output.reshape([x.batch] + outputShape)
        if output.count > switchCapacity {
            switches.deallocate()
            switchCapacity = output.count
            switches = .allocate(capacity: switchCapacity)
        }
        for p in 0..<planes {
            let plane = x.data + p * h * w
            let y = output.data + p * oh * ow, sw = switches + p * oh * ow
            for r in 0..<oh {
                let top = plane + 2 * r * w, bottom = top + w
                for c in 0..<ow {
                    var m = top[2 * c], at: UInt8 = 0
                    let v1 = top[2 * c + 1], v2 = bottom[2 * c], v3 = bottom[2 * c + 1]
                    if v1 > m || v1.isNaN { m = v1; at = 1 }
                    if v2 > m || v2.isNaN { m = v2; at = 2 }
                    if v3 > m || v3.isNaN { m = v3; at = 3 }
                    y[r * ow + c] = m
                    sw[r * ow + c] = at
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dy (B, C, H/2, W/2) -> dx (B, C, H, W): each dy goes to its window's argmax
        guard needsInputGradient else { return dInput }
        let h = inputShape[1], w = inputShape[2], oh = outputShape[1], ow = outputShape[2]
        let planes = dy.batch * inputShape[0]
        dInput.reshape([dy.batch] + inputShape)
        dInput.zero()
        for p in 0..<planes {
            let dx = dInput.data + p * h * w
            let g = dy.data + p * oh * ow, sw = switches + p * oh * ow
            for r in 0..<oh {
                for c in 0..<ow {
                    let at = Int(sw[r * ow + c])
                    dx[(2 * r + (at >> 1)) * w + 2 * c + (at & 1)] = g[r * ow + c]
                }
            }
        }
        return dInput
    }
}
