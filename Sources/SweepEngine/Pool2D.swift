/// Max or average pooling over K×K windows at stride S, as PyTorch's nn.MaxPool2d and
/// nn.AvgPool2d compute them. Stride 1 keeps the size: the input is padded by K − 1 in
/// all, the smaller half at the top/left ((K − 1) / 2 on each side for an odd K, as
/// PyTorch's `padding`); a larger stride pads nothing and floors the output size.
/// Max: ties go to the first maximum in row-major window order, NaN wins, padding never
/// wins. Average: padded positions count as zeros and the divisor is always K·K
/// (PyTorch's count_include_pad=True). The 2×2 stride-2 max pool of LeNet5 has its own
/// faster kernel (`MaxPool2D`).
public final class Pool2D: Layer {
    public enum Kind: String, Sendable { case max, average }

    public let kind: Kind
    public let kernel: Int
    public let stride: Int
    public let outputShape: [Int]
    public var needsInputGradient = true
    private let inputShape: [Int]
    /// Padding above and left of the input.
    private let padTop: Int, padLeft: Int
    private let output = Tensor(shape: [0])
    private let dInput = Tensor(shape: [0])
    /// Cache (max): each output's maximum, as an offset into its input plane.
    private var switches = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private var switchCapacity = 1
    /// Max at stride 1: one input plane inside a border of -infinity (`maxStride1`).
    private var bordered = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var borderedCapacity = 1
    /// Max at stride 1 eight outputs at a time (`maxStride1`); off, the element loop, which the
    /// tests hold it to.
    var lanesAtStride1 = true

    public init(_ kind: Kind, inputShape: [Int], kernel: Int, stride: Int? = nil) {
        precondition(inputShape.count == 3, "Pool2D expects [C, H, W], got \(inputShape)")
        let s = stride ?? kernel
        precondition(kernel >= 1 && s >= 1)
        self.kind = kind
        self.kernel = kernel
        self.stride = s
        self.inputShape = inputShape
        let (h, w) = (inputShape[1], inputShape[2])
        if s == 1 {
            padTop = (kernel - 1) / 2
            padLeft = (kernel - 1) / 2
            outputShape = [inputShape[0], h, w]
        } else {
            precondition(h >= kernel && w >= kernel, "Pool2D window \(kernel) larger than input \(inputShape)")
            padTop = 0
            padLeft = 0
            outputShape = [inputShape[0], (h - kernel) / s + 1, (w - kernel) / s + 1]
        }
    }

    deinit {
        switches.deallocate()
        bordered.deallocate()
    }

    /// The window of output (r, c): its first input row and column (may be negative: padding).
    @inline(__always) private func origin(_ r: Int, _ c: Int) -> (Int, Int) {
        (r * stride - padTop, c * stride - padLeft)
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        // input (B, C, H, W) -> output (B, C, OH, OW)
        let h = inputShape[1], w = inputShape[2], oh = outputShape[1], ow = outputShape[2], k = kernel
        precondition(x.sampleCount == inputShape.reduce(1, *), "Pool2D expects \(inputShape), got \(x.shape)")
        let planes = x.batch * inputShape[0]
        output.reshape([x.batch] + outputShape)
        if kind == .max && output.count > switchCapacity {
            switches.deallocate()
            switchCapacity = output.count
            switches = .allocate(capacity: switchCapacity)
        }
        if kind == .max && stride == 1 && lanesAtStride1 {
            maxStride1(x.data, planes: planes)
            return output
        }
        for p in 0..<planes {
            let plane = x.data + p * h * w
            let y = output.data + p * oh * ow, sw = switches + (kind == .max ? p * oh * ow : 0)
            for r in 0..<oh {
                for c in 0..<ow {
                    let (top, left) = origin(r, c)
                    let r0 = max(top, 0), r1 = min(top + k, h), c0 = max(left, 0), c1 = min(left + k, w)
                    switch kind {
                    case .max:
                        var best = -Float.infinity, at = r0 * w + c0
                        for i in r0..<r1 {
                            for j in c0..<c1 {
                                let v = plane[i * w + j]
                                if v > best || v != v {
                                    best = v
                                    at = i * w + j
                                    if v != v { break }
                                }
                            }
                            if best != best { break }
                        }
                        y[r * ow + c] = best
                        sw[r * ow + c] = Int32(at)
                    case .average:
                        var sum: Float = 0
                        for i in r0..<r1 {
                            for j in c0..<c1 { sum += plane[i * w + j] }
                        }
                        y[r * ow + c] = sum / Float(k * k)
                    }
                }
            }
        }
        return output
    }

    /// The max at stride 1 (size kept), eight outputs of a row at a time. Each plane is copied
    /// into a border of -infinity, which never wins, and the window's K·K places are visited in
    /// row-major order with the element loop's rule (greater, or the first NaN), so outputs and
    /// switches are the element loop's bit for bit. Inception's 3×3 pool over 32×64×8×8 at
    /// batch 32: 1.20 -> 0.38 ms.
    private func maxStride1(_ x: UnsafePointer<Float>, planes: Int) {
        let h = inputShape[1], w = inputShape[2], k = kernel
        // rows and columns of the bordered plane; 8 spare columns for a row's last lanes
        let hp = h + k - 1, wp = w + k - 1 + 8
        if hp * wp > borderedCapacity {
            bordered.deallocate()
            borderedCapacity = hp * wp
            bordered = .allocate(capacity: borderedCapacity)
        }
        bordered.update(repeating: -.infinity, count: hp * wp)
        let lane = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        for p in 0..<planes {
            let plane = x + p * h * w
            for i in 0..<h { (bordered + (padTop + i) * wp + padLeft).update(from: plane + i * w, count: w) }
            let y = output.data + p * h * w, sw = switches + p * h * w
            for r in 0..<h {
                forEachLanes(w) { c, n in
                    // what the element loop keeps when nothing beats -infinity: the window's first input
                    let left = SIMD8<Int32>(repeating: Int32(c - padLeft)) &+ lane
                    // (max(left, 0) as left & ~sign: an Int32 lane compare is built lane by lane)
                    var at = (left & ~(left &>> 31)) &+ Int32(max(r - padTop, 0) * w)
                    var m = Lanes(repeating: -.infinity)
                    for di in 0..<k {
                        let row = UnsafePointer(bordered + (r + di) * wp + c)
                        let first = left &+ Int32((r + di - padTop) * w)
                        for dj in 0..<k {
                            let v = row.lanes(dj, 8)
                            let wins = (v .> m) .| ((v .!= v) .& (m .== m))
                            m.replace(with: v, where: wins)
                            at.replace(with: first &+ Int32(dj), where: wins)
                        }
                    }
                    y.setLanes(r * w + c, n, m)
                    if n == 8 {
                        UnsafeMutableRawPointer(sw + r * w + c).storeBytes(of: at, as: SIMD8<Int32>.self)
                    } else {
                        for l in 0..<n { sw[r * w + c + l] = at[l] }
                    }
                }
            }
        }
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dy (B, C, OH, OW) -> dx (B, C, H, W): max sends each gradient to its window's maximum,
        // average spreads it evenly over the window's inputs (padding takes its share and drops it)
        guard needsInputGradient else { return dInput }
        let h = inputShape[1], w = inputShape[2], oh = outputShape[1], ow = outputShape[2], k = kernel
        let planes = dy.batch * inputShape[0]
        dInput.reshape([dy.batch] + inputShape)
        dInput.zero()
        let scale = 1 / Float(k * k)
        for p in 0..<planes {
            let dx = dInput.data + p * h * w, g = dy.data + p * oh * ow
            switch kind {
            case .max:
                let sw = switches + p * oh * ow
                for o in 0..<(oh * ow) { dx[Int(sw[o])] += g[o] }
            case .average:
                for r in 0..<oh {
                    for c in 0..<ow {
                        let (top, left) = origin(r, c)
                        let share = g[r * ow + c] * scale
                        for i in max(top, 0)..<min(top + k, h) {
                            for j in max(left, 0)..<min(left + k, w) { dx[i * w + j] += share }
                        }
                    }
                }
            }
        }
        return dInput
    }
}

/// The mean of each channel: (B, C, H, W) -> (B, C, 1, 1), as nn.AdaptiveAvgPool2d(1).
public final class GlobalAvgPool: Layer {
    public let outputShape: [Int]
    public var needsInputGradient = true
    private let inputShape: [Int]
    private let output = Tensor(shape: [0])
    private let dInput = Tensor(shape: [0])

    public init(inputShape: [Int]) {
        precondition(inputShape.count == 3, "GlobalAvgPool expects [C, H, W], got \(inputShape)")
        self.inputShape = inputShape
        outputShape = [inputShape[0], 1, 1]
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        // input (B, C, H, W) -> output (B, C, 1, 1)
        let area = inputShape[1] * inputShape[2], planes = x.batch * inputShape[0]
        precondition(x.sampleCount == inputShape.reduce(1, *), "GlobalAvgPool expects \(inputShape), got \(x.shape)")
        output.reshape([x.batch] + outputShape)
        for p in 0..<planes {
            let plane = x.data + p * area
            var sum: Float = 0
            for i in 0..<area { sum += plane[i] }
            output.data[p] = sum / Float(area)
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dy (B, C, 1, 1) -> dx (B, C, H, W): each input gets its plane's gradient / H·W
        guard needsInputGradient else { return dInput }
        let area = inputShape[1] * inputShape[2], planes = dy.batch * inputShape[0]
        dInput.reshape([dy.batch] + inputShape)
        for p in 0..<planes {
            let share = dy.data[p] / Float(area)
            (dInput.data + p * area).update(repeating: share, count: area)
        }
        return dInput
    }
}
