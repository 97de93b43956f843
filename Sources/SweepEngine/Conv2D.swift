import CKernels

/// How a convolution treats the border.
public enum Padding: String, Sendable, CaseIterable {
    /// TensorFlow's SAME: out = ⌈in / stride⌉, the total padding split with the
    /// smaller half at the top/left (PyTorch's padding = k/2 for stride 1, odd k).
    case same
    /// No padding: out = ⌊(in − k) / stride⌋ + 1.
    case valid
}

/// 2-D convolution by im2col + GEMM, with PyTorch's nn.Conv2d weight layout.
/// input (B, C, H, W), weight (OC, C, KH, KW), bias (OC), output (B, OC, OH, OW).
///
/// The batch is processed in chunks of a few images whose im2col matrix stays in
/// the L2 cache; backward recomputes it rather than keeping one per image, so the
/// layer's memory does not grow with the batch size. (On LeNet5's second conv at
/// batch 50 this is ~25% faster than one im2col matrix for the whole batch.)
public final class Conv2D: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Padding
    public let weight: ParameterRef
    public let bias: ParameterRef
    public var needsInputGradient = true
    public let outputShape: [Int]

    private let geometry: ConvGeometry
    private unowned let params: ParameterStore
    private let output = Tensor(shape: [0])
    private let dInput = Tensor(shape: [0])
    /// Cache: the input of the last forward (owned by the previous layer).
    private var input: Tensor?
    /// Scratch: im2col of one chunk (C·KH·KW, G·OH·OW); backward overwrites it with dcol.
    private let col = Tensor(shape: [0])
    /// Scratch: one chunk of output or output gradient as (OC, G·OH·OW).
    private let chunkOut = Tensor(shape: [0])

    /// Floats of im2col per chunk: 256 Ki floats (1 MiB) fit in L2 with room for the
    /// GEMM panels. Internal so that tests can force several chunks per batch.
    var colBudget = 1 << 18

    /// With an own kernel set (`Kernels.current`), the forward pass, the weight gradient
    /// and (at stride 1) the input gradient run as implicit GEMMs in CKernels
    /// (sweep_conv_forward, sweep_conv_weight_grad), which never write the im2col out: at
    /// stride 1 they read it from a zero-bordered copy of the image, otherwise they build
    /// each 32-position panel of it in L1. On the homework-4 CNNs the im2col and the GEMM's
    /// repacking of it took a fifth of a step. Internal so that tests can compare both paths.
    var implicitGEMM = true
    /// Scratch: dWᵀ (C·KH·KW, OC) of the implicit weight gradient, added to dW transposed.
    private let dWt = Tensor(shape: [0])
    /// Scratch: W flipped and transposed (C, OC, KH, KW), the weights of dx's convolution.
    private let flipped = Tensor(shape: [0])

    public init(inputShape: [Int], outChannels: Int, kernel: Int, stride: Int = 1, padding: Padding = .same,
                params: ParameterStore, name: String) {
        precondition(inputShape.count == 3, "Conv2D expects [C, H, W], got \(inputShape)")
        precondition(kernel > 0 && stride > 0 && outChannels > 0)
        let g = ConvGeometry(channels: inputShape[0], height: inputShape[1], width: inputShape[2],
                             kernel: kernel, stride: stride, padding: padding)
        precondition(g.outHeight > 0 && g.outWidth > 0, "Conv2D kernel \(kernel) larger than input \(inputShape)")
        self.geometry = g
        self.inChannels = inputShape[0]
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.params = params
        self.outputShape = [outChannels, g.outHeight, g.outWidth]
        let area = kernel * kernel
        weight = params.declare(name + ".weight", shape: [outChannels, inChannels, kernel, kernel], role: .weight,
                                fanIn: inChannels * area, fanOut: outChannels * area)
        bias = params.declare(name + ".bias", shape: [outChannels], role: .bias,
                              fanIn: inChannels * area, fanOut: outChannels * area)
    }

    /// Images per chunk for a batch of `b`.
    private func chunkSize(batch b: Int) -> Int {
        max(1, min(b, colBudget / (geometry.colRows * geometry.colColumns)))
    }

    /// The kernels of this pass's implicit GEMMs: the current set's, unless it is `openblas`
    /// (or a test turned them off).
    private var implicitNow: UnsafePointer<sweep_kernels>? { implicitGEMM ? Kernels.current.table : nil }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        // input (B, C, H, W) -> output (B, OC, OH, OW); per chunk of G images:
        // out (OC, G·OH·OW) = W (OC, C·KH·KW) · col (C·KH·KW, G·OH·OW)
        let g = geometry, b = x.batch
        precondition(x.sampleCount == g.inputCount, "Conv2D expects \(g.inputShape), got \(x.shape)")
        input = x
        output.reshape([b, outChannels, g.outHeight, g.outWidth])
        if let kernels = implicitNow {
            var shape = g.cShape
            kernels.pointee.convForward(&shape, Int32(b), x.data, Int32(outChannels), params.value(weight),
                                        params.value(bias), output.data)
            return output
        }
        let chunk = chunkSize(batch: b)
        col.reshape([g.colRows * chunk * g.colColumns])
        chunkOut.reshape([outChannels * chunk * g.colColumns])
        let w = params.value(weight), bias = params.value(bias)
        let spatial = g.colColumns, oc = outChannels
        var b0 = 0
        while b0 < b {
            let n = min(chunk, b - b0), ld = n * spatial
            for i in 0..<n {
                g.im2col(x.data + (b0 + i) * g.inputCount, col.data + i * spatial, ld: ld)
            }
            if n == 1 {
                // one image: (OC, OH·OW) is already its output layout
                let out = output.data + b0 * oc * spatial
                sgemm(m: oc, n: ld, k: g.colRows, a: w, b: col.data, c: out)
                for o in 0..<oc { addBias(bias[o], out + o * spatial, count: spatial) }
                b0 += 1
                continue
            }
            sgemm(m: oc, n: ld, k: g.colRows, a: w, b: col.data, c: chunkOut.data)
            // (OC, G, OH·OW) -> (G, OC, OH·OW), adding the bias
            for i in 0..<n {
                for o in 0..<oc {
                    let src = chunkOut.data + o * ld + i * spatial
                    let dst = output.data + ((b0 + i) * oc + o) * spatial
                    let bo = bias[o]
                    for s in 0..<spatial { dst[s] = src[s] + bo }
                }
            }
            b0 += n
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dy (B, OC, OH, OW); per chunk of G images, with dyc = dy as (OC, G·OH·OW):
        // dW (OC, C·KH·KW) += dyc · colᵀ, db (OC) += Σ dyc, dcol = Wᵀ · dyc -> col2im -> dx
        guard let x = input else { preconditionFailure("Conv2D.backward before forward") }
        let g = geometry, b = x.batch, oc = outChannels, spatial = g.colColumns
        let w = params.value(weight), dW = params.grad(weight), db = params.grad(bias)
        let kernels = implicitNow
        if needsInputGradient {
            dInput.reshape(x.shape)
            if kernels == nil { dInput.zero() }
        }
        if let kernels {
            // dWᵀ (C·KH·KW, OC) over the batch, then dW += its transpose; db += Σ dy; then dx
            dWt.reshape([g.colRows * oc])
            dWt.zero()
            var shape = g.cShape
            kernels.pointee.convWeightGrad(&shape, Int32(b), x.data, Int32(oc), dy.data, dWt.data)
            addTransposed(dWt.data, rows: g.colRows, columns: oc, into: dW)
            for i in 0..<b {
                for o in 0..<oc { db[o] += sum(dy.data + (i * oc + o) * spatial, count: spatial) }
            }
            guard needsInputGradient else { return dInput }
            if stride == 1 {
                // dx is the convolution of dy with W flipped and transposed (C, OC, KH, KW), padded
                // K − 1 − pad: a full implicit GEMM again, instead of dcol = Wᵀ · dy and col2im
                let k = kernel, area = k * k, c = inChannels
                flipped.reshape([c * oc * area])
                for o in 0..<oc {
                    for ci in 0..<c {
                        let src = w + (o * c + ci) * area, dst = flipped.data + (ci * oc + o) * area
                        for t in 0..<area { dst[area - 1 - t] = src[t] }
                    }
                }
                var shape = sweep_conv_shape(
                    channels: Int32(oc), height: Int32(g.outHeight), width: Int32(g.outWidth), kernel: Int32(k),
                    stride: 1, padTop: Int32(k - 1 - g.padTop), padLeft: Int32(k - 1 - g.padLeft),
                    outHeight: Int32(g.height), outWidth: Int32(g.width))
                kernels.pointee.convForward(&shape, Int32(b), dy.data, Int32(c), flipped.data, nil, dInput.data)
                return dInput
            }
            // other strides: dcol = Wᵀ · dy and col2im, one image at a time
            dInput.zero()
            col.reshape([g.colRows * spatial])
            for i in 0..<b {
                sgemm(transA: true, m: g.colRows, n: spatial, k: oc, a: w, b: dy.data + i * oc * spatial, c: col.data)
                g.col2im(col.data, ld: spatial, dInput.data + i * g.inputCount)
            }
            return dInput
        }
        let chunk = chunkSize(batch: b)
        var b0 = 0
        while b0 < b {
            let n = min(chunk, b - b0), ld = n * spatial
            // dyc: one image's dy is already (OC, OH·OW); several are gathered into chunkOut
            let dyc = n == 1 ? dy.data + b0 * oc * spatial : chunkOut.data
            if n == 1 {
                g.im2col(x.data + b0 * g.inputCount, col.data, ld: ld)
                for o in 0..<oc { db[o] += sum(dyc + o * spatial, count: spatial) }
            }
            for i in 0..<n where n > 1 {
                g.im2col(x.data + (b0 + i) * g.inputCount, col.data + i * spatial, ld: ld)
                for o in 0..<oc {
                    let src = dy.data + ((b0 + i) * oc + o) * spatial
                    let dst = chunkOut.data + o * ld + i * spatial
                    var sum: Float = 0
                    for s in 0..<spatial {
                        dst[s] = src[s]
                        sum += src[s]
                    }
                    db[o] += sum
                }
            }
            sgemm(transB: true, m: oc, n: g.colRows, k: ld, a: dyc, b: col.data, beta: 1, c: dW)
            if needsInputGradient {
                // col is spent: reuse it for dcol (C·KH·KW, G·OH·OW)
                sgemm(transA: true, m: g.colRows, n: ld, k: oc, a: w, b: dyc, c: col.data)
                for i in 0..<n {
                    g.col2im(col.data + i * spatial, ld: ld, dInput.data + (b0 + i) * g.inputCount)
                }
            }
            b0 += n
        }
        return dInput
    }
}

/// y (count) += bias, eight lanes at a time.
private func addBias(_ bias: Float, _ y: UnsafeMutablePointer<Float>, count: Int) {
    let b = Lanes(repeating: bias)
    forEachLanes(count) { j, w in y.setLanes(j, w, y.lanes(j, w) + b) }
}

/// Σ x (count), in eight lane sums added in a fixed order.
private func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var s = Lanes()
    forEachLanes(count) { j, w in s += x.lanes(j, w) }
    return s.sum()
}

/// Sizes and padding of one convolution, and its im2col / col2im kernels.
/// For each kernel offset the range of output positions that read inside the
/// image is computed once, so the inner loops run over contiguous output
/// columns without a branch per element.
struct ConvGeometry {
    let channels, height, width, kernel, stride: Int
    let outHeight, outWidth, padTop, padLeft: Int
    /// Per kernel row kh: output rows [lo, hi) whose input row is inside the image.
    let rowRange: [(lo: Int, hi: Int)]
    /// Per kernel column kw: output columns [lo, hi) whose input column is inside the image.
    let columnRange: [(lo: Int, hi: Int)]

    var inputShape: [Int] { [channels, height, width] }
    var inputCount: Int { channels * height * width }
    /// The sizes as CKernels' convolutions take them.
    var cShape: sweep_conv_shape {
        sweep_conv_shape(channels: Int32(channels), height: Int32(height), width: Int32(width), kernel: Int32(kernel),
                         stride: Int32(stride), padTop: Int32(padTop), padLeft: Int32(padLeft),
                         outHeight: Int32(outHeight), outWidth: Int32(outWidth))
    }

    /// Rows of the im2col matrix: C·KH·KW.
    var colRows: Int { channels * kernel * kernel }
    /// Columns of the im2col matrix per image: OH·OW.
    var colColumns: Int { outHeight * outWidth }

    init(channels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Padding) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.stride = stride
        func along(_ n: Int) -> (out: Int, padBefore: Int) {
            switch padding {
            case .valid:
                return (n >= kernel ? (n - kernel) / stride + 1 : 0, 0)
            case .same:
                let out = (n + stride - 1) / stride
                return (out, max((out - 1) * stride + kernel - n, 0) / 2)
            }
        }
        let (oh, top) = along(height), (ow, left) = along(width)
        (outHeight, padTop, outWidth, padLeft) = (oh, top, ow, left)
        // input index = out · stride + k − pad, inside [0, n) for out in [lo, hi)
        func range(_ k: Int, pad: Int, n: Int, out: Int) -> (lo: Int, hi: Int) {
            let first = pad - k                      // out · stride ≥ pad − k
            let lo = first <= 0 ? 0 : (first + stride - 1) / stride
            let last = n - 1 + pad - k               // out · stride ≤ n − 1 + pad − k
            let hi = last < 0 ? 0 : last / stride + 1
            let l = min(lo, out), h = min(max(hi, l), out)
            return (l, h)
        }
        rowRange = (0..<kernel).map { range($0, pad: top, n: height, out: oh) }
        columnRange = (0..<kernel).map { range($0, pad: left, n: width, out: ow) }
    }

    /// image (C, H, W) -> col (C·KH·KW, OH·OW) written at `col` with row stride `ld`.
    func im2col(_ image: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, ld: Int) {
        let (h, w, k, s, oh, ow) = (height, width, kernel, stride, outHeight, outWidth)
        for c in 0..<channels {
            let plane = image + c * h * w
            for kh in 0..<k {
                let (rLo, rHi) = rowRange[kh]
                for kw in 0..<k {
                    let row = col + ((c * k + kh) * k + kw) * ld
                    let (lo, hi) = columnRange[kw]
                    let n = hi - lo
                    // one memset for the padded border, then only the inside is copied
                    if rLo > 0 || rHi < oh || lo > 0 || hi < ow { row.update(repeating: 0, count: oh * ow) }
                    for y in rLo..<rHi {
                        let dst = row + y * ow + lo
                        let src = plane + (y * s + kh - padTop) * w + lo * s + kw - padLeft
                        if s == 1 {
                            for j in 0..<n { dst[j] = src[j] }
                        } else {
                            for j in 0..<n { dst[j] = src[j * s] }
                        }
                    }
                }
            }
        }
    }

    /// dcol (C·KH·KW, OH·OW) read at `col` with row stride `ld` -> dImage (C, H, W) += its scatter.
    func col2im(_ col: UnsafePointer<Float>, ld: Int, _ dImage: UnsafeMutablePointer<Float>) {
        let (h, w, k, s, ow) = (height, width, kernel, stride, outWidth)
        for c in 0..<channels {
            let plane = dImage + c * h * w
            for kh in 0..<k {
                let (rLo, rHi) = rowRange[kh]
                for kw in 0..<k {
                    let row = col + ((c * k + kh) * k + kw) * ld
                    let (lo, hi) = columnRange[kw]
                    let n = hi - lo
                    for y in rLo..<rHi {
                        let src = row + y * ow + lo
                        let dst = plane + (y * s + kh - padTop) * w + lo * s + kw - padLeft
                        if s == 1 {
                            for j in 0..<n { dst[j] += src[j] }
                        } else {
                            for j in 0..<n { dst[j * s] += src[j] }
                        }
                    }
                }
            }
        }
    }
}
