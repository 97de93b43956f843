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
        // Eight outputs at a time, branch-free: a window's four values are the even and odd
        // lanes of its two input rows. (The scalar loop's data-dependent branches cost
        // ~8 ns an output on random-signed activations.)
        for p in 0..<planes {
            let plane = UnsafePointer(x.data + p * h * w)
            let y = output.data + p * oh * ow, sw = switches + p * oh * ow
            for r in 0..<oh {
                let top = plane + 2 * r * w, bottom = top + w
                let yr = y + r * ow, swr = sw + r * ow
                var c = 0
                while c < ow {
                    let n = min(8, ow - c), lo = min(8, 2 * n), hi = 2 * n - lo
                    let t0 = top.lanes(2 * c, lo), t1 = top.lanes(2 * c + 8, hi)
                    let b0 = bottom.lanes(2 * c, lo), b1 = bottom.lanes(2 * c + 8, hi)
                    var m = Lanes(lowHalf: t0.evenHalf, highHalf: t1.evenHalf), at = SIMD8<Int32>()
                    // a later value wins when greater or NaN, so ties keep the first and NaN wins
                    @inline(__always) func visit(_ v: Lanes, _ k: Int32) {
                        let wins = (v .> m) .| (v .!= v)
                        m.replace(with: v, where: wins)
                        at.replace(with: k, where: wins)
                    }
                    visit(Lanes(lowHalf: t0.oddHalf, highHalf: t1.oddHalf), 1)
                    visit(Lanes(lowHalf: b0.evenHalf, highHalf: b1.evenHalf), 2)
                    visit(Lanes(lowHalf: b0.oddHalf, highHalf: b1.oddHalf), 3)
                    yr.setLanes(c, n, m)
                    let bytes = SIMD8<UInt8>(truncatingIfNeeded: at)
                    if n == 8 {
                        UnsafeMutableRawPointer(swr + c).storeBytes(of: bytes, as: SIMD8<UInt8>.self)
                    } else {
                        for k in 0..<n { swr[c + k] = bytes[k] }
                    }
                    c += 8
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dy (B, C, H/2, W/2) -> dx (B, C, H, W): each dy goes to its window's argmax, the
        // window's other three places get zero; rows and columns no window covers (odd sizes) too
        guard needsInputGradient else { return dInput }
        let h = inputShape[1], w = inputShape[2], oh = outputShape[1], ow = outputShape[2]
        let planes = dy.batch * inputShape[0]
        dInput.reshape([dy.batch] + inputShape)
        // Every element written once, without branches, instead of a zeroing pass and a scatter
        // after it (LeNet5's first pool at batch 50: 0.51 -> 0.45 ms).
        for p in 0..<planes {
            let dx = dInput.data + p * h * w
            let g = UnsafePointer(dy.data + p * oh * ow), sw = UnsafePointer(switches + p * oh * ow)
            for r in 0..<oh {
                let top = dx + 2 * r * w, bottom = top + w
                let gr = g + r * ow, swr = sw + r * ow
                for c in 0..<ow {
                    let at = swr[c], v = gr[c]
                    top[2 * c] = at == 0 ? v : 0
                    top[2 * c + 1] = at == 1 ? v : 0
                    bottom[2 * c] = at == 2 ? v : 0
                    bottom[2 * c + 1] = at == 3 ? v : 0
                }
                if w > 2 * ow {
                    top[w - 1] = 0
                    bottom[w - 1] = 0
                }
            }
            if h > 2 * oh { (dx + (h - 1) * w).update(repeating: 0, count: w) }
        }
        return dInput
    }
}
