/// The sum of several inputs of one shape: the join of a residual block, input + F(input).
/// Each input's gradient is the output's, unchanged.
public final class Add: MergeLayer {
    public let outputShape: [Int]
    private let arity: Int
    private let output = Tensor(shape: [0])
    private var dInputs: [Tensor] = []

    /// `shapes`: the per-sample shapes of the inputs, which must be equal.
    public init(shapes: [[Int]]) {
        precondition(shapes.count >= 2 && shapes.allSatisfy { $0 == shapes[0] }, "Add needs equal shapes, got \(shapes)")
        outputShape = shapes[0]
        arity = shapes.count
    }

    public func forward(_ inputs: [Tensor], mode: Mode) -> Tensor {
        // inputs k × (B, shape...) -> output (B, shape...) = Σ inputs
        output.reshape(inputs[0].shape)
        let y = output.data, n = output.count
        y.update(from: inputs[0].data, count: n)
        for x in inputs.dropFirst() {
            precondition(x.count == n, "Add expects \(inputs[0].shape), got \(x.shape)")
            let a = x.data
            for i in 0..<n { y[i] += a[i] }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> [Tensor] {
        if dInputs.count != arity { dInputs = Array(repeating: dy, count: arity) }
        for k in 0..<arity { dInputs[k] = dy }
        return dInputs
    }
}

/// Inputs joined on their first per-sample dimension (channels of (C, H, W), features of
/// (N)): the join of an inception block's branches, as torch.cat(dim=1). The other
/// dimensions must agree.
public final class Concat: MergeLayer {
    public let outputShape: [Int]
    private let shapes: [[Int]]
    /// Floats of each input per sample.
    private let sizes: [Int]
    private let output = Tensor(shape: [0])
    private let dInputs: [Tensor]

    public init(shapes: [[Int]]) {
        precondition(shapes.count >= 2 && shapes.allSatisfy { !$0.isEmpty && $0.dropFirst() == shapes[0].dropFirst() },
                     "Concat needs inputs that differ only in their first dimension, got \(shapes)")
        outputShape = [shapes.reduce(0) { $0 + $1[0] }] + shapes[0].dropFirst()
        self.shapes = shapes
        sizes = shapes.map { $0.reduce(1, *) }
        dInputs = shapes.map { _ in Tensor(shape: [0]) }
    }

    public func forward(_ inputs: [Tensor], mode: Mode) -> Tensor {
        // inputs k × (B, C_k, H, W) -> output (B, Σ C_k, H, W): per sample, each input's block in turn
        let b = inputs[0].batch, total = sizes.reduce(0, +)
        output.reshape([b] + outputShape)
        var offset = 0
        for (k, x) in inputs.enumerated() {
            precondition(x.sampleCount == sizes[k], "Concat input \(k) has \(x.shape)")
            for s in 0..<b { (output.data + s * total + offset).update(from: x.data + s * sizes[k], count: sizes[k]) }
            offset += sizes[k]
        }
        return output
    }

    public func backward(_ dy: Tensor) -> [Tensor] {
        // dy (B, Σ C_k, H, W) -> each input's slice of it, (B, C_k, H, W)
        let b = dy.batch, total = sizes.reduce(0, +)
        var offset = 0
        for (k, dx) in dInputs.enumerated() {
            dx.reshape([b] + shapes[k])
            for s in 0..<b { (dx.data + s * sizes[k]).update(from: dy.data + s * total + offset, count: sizes[k]) }
            offset += sizes[k]
        }
        return dInputs
    }
}
