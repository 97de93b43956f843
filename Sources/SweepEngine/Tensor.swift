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

    public init(shape: [Int]) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.capacity = max(count, 1)
        self.data = .allocate(capacity: capacity)
        data.initialize(repeating: 0, count: capacity)
    }

    public convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "values do not match shape \(shape)")
        self.init(shape: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit { data.deallocate() }

    /// Changes the shape; contents are unspecified afterwards unless the count is unchanged.
    public func reshape(_ newShape: [Int]) {
        if newShape == shape { return }
        let n = newShape.reduce(1, *)
        if n > capacity {
            data.deallocate()
            capacity = n
            data = .allocate(capacity: n)
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
