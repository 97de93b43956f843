/// A contiguous Float32 buffer with a shape. Images are NCHW.
///
/// Tensors are owned by layers and reused from step to step: `reshape` keeps the
/// allocation when it is large enough, so the training loop allocates nothing
/// once the batch shape is known.
public final class Tensor {
    public private(set) var shape: [Int]
    public private(set) var count: Int
    public private(set) var data: UnsafeMutablePointer<Float>
    private var capacity: Int
    private let pageOffset: Int?

    /// A tensor of zeros; with a `pageOffset` its data starts that many bytes into a page (see
    /// `PageOffsetBuffer`).
    public init(shape: [Int], pageOffset: Int? = nil) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.capacity = max(count, 1)
        self.pageOffset = pageOffset
        self.data = PageOffsetBuffer.allocate(capacity, pageOffset: pageOffset)
        data.initialize(repeating: 0, count: capacity)
    }

    public convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "values do not match shape \(shape)")
        self.init(shape: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit { PageOffsetBuffer.deallocate(data, pageOffset: pageOffset) }

    /// Changes the shape; contents are unspecified afterwards unless the count is unchanged.
    public func reshape(_ newShape: [Int]) {
        if newShape == shape { return }
        let n = newShape.reduce(1, *)
        if n > capacity {
            PageOffsetBuffer.deallocate(data, pageOffset: pageOffset)
            capacity = n
            data = PageOffsetBuffer.allocate(n, pageOffset: pageOffset)
            data.initialize(repeating: 0, count: n)
        }
        shape = newShape
        count = n
    }

    public var batch: Int { shape.first ?? 0 }
    /// Elements per sample (all dimensions but the first).
    public var sampleCount: Int { shape.count > 1 ? count / shape[0] : 1 }

    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: data, count: count) }
    public var array: [Float] { Array(buffer) }

    public func zero() { data.update(repeating: 0, count: count) }

    public func copy(from other: Tensor) {
        reshape(other.shape)
        data.update(from: other.data, count: count)
    }

    @inline(__always) public subscript(i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }
}

/// Floats that start at a chosen offset into a page. A loop that walks several buffers at the same
/// index stalls where their addresses agree in the low 12 bits: a load waits on an earlier store to
/// another buffer at the same page offset (4K aliasing). mmap, which serves large allocations,
/// puts them all at one page offset; so placed, the GRU's and LSTM's backward steps ran 1.6–2.4×
/// slower than with their buffers 256 bytes apart (Zen 4, AVX2 and AVX-512 alike).
enum PageOffsetBuffer {
    /// `count` floats (uninitialised) starting `pageOffset` bytes (a multiple of 64 below 4096) into
    /// a page, or on a 64-byte line anywhere (nil).
    static func allocate(_ count: Int, pageOffset: Int?) -> UnsafeMutablePointer<Float> {
        guard let offset = pageOffset else {
            return UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: count)
        }
        precondition(offset >= 0 && offset < 4096 && offset % 64 == 0, "page offset \(offset)")
        let base = UnsafeMutableRawPointer.allocate(byteCount: offset + count * MemoryLayout<Float>.stride, alignment: 4096)
        return (base + offset).bindMemory(to: Float.self, capacity: count)
    }

    /// Frees what `allocate` gave with the same `pageOffset`.
    static func deallocate(_ data: UnsafeMutablePointer<Float>, pageOffset: Int?) {
        (UnsafeMutableRawPointer(data) - (pageOffset ?? 0)).deallocate()
    }
}
