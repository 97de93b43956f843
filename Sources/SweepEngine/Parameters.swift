/// What a parameter is for; initialisers and names depend on it.
public enum ParameterRole: Sendable {
    case weight, bias
    /// Batchnorm scale (initialised to 1) and shift (initialised to 0).
    case scale, shift
}

/// A named slice of the flat parameter buffer.
public struct ParameterRef: Sendable {
    /// PyTorch state_dict style name, e.g. "features.0.weight".
    public let name: String
    public let shape: [Int]
    public let role: ParameterRole
    public let offset: Int
    public let count: Int
    /// Its place among the store's parameters, in declaration order.
    public let index: Int
    /// Fan-in and fan-out as PyTorch computes them (conv: channels × kernel area).
    public let fanIn: Int
    public let fanOut: Int
}

/// Parameters, gradients and (in the optimizer) its state are flat Float buffers
/// of equal length. Layers declare their slices while the model is built; the
/// buffers exist once `finalize()` has run.
///
/// Gradients are zeroed lazily. `zeroGrads()` marks every parameter's gradient unwritten; one
/// is zeroed when first asked for (`grad`), unless its layer writes it whole instead
/// (`gradToOverwrite`: a Dense layer's weight gradient, written by a GEMM with beta 0), and
/// `grads`, the whole buffer, zeroes those still unwritten. LeNet5's fc1 weight gradient is
/// 16 MB: zeroing it, then reading it back to add to it, was about 1.3% of a training step.
public final class ParameterStore {
    public private(set) var refs: [ParameterRef] = []
    public private(set) var count = 0
    /// The floats declared so far, counted in Double: a configuration too large for
    /// memory (or for Int) is measured before anything is allocated (`finalize`).
    public private(set) var declaredFloats = 0.0
    public private(set) var values: UnsafeMutablePointer<Float>
    private var gradStorage: UnsafeMutablePointer<Float>
    /// Per parameter: its gradient is still to be zeroed (zeroGrads).
    private var unwritten: [Bool] = []
    public private(set) var isFinal = false

    public init() {
        values = .allocate(capacity: 1)
        gradStorage = .allocate(capacity: 1)
    }

    deinit {
        values.deallocate()
        gradStorage.deallocate()
    }

    /// The whole gradient buffer, every parameter's gradient zeroed that no layer has written
    /// since `zeroGrads()`.
    public var grads: UnsafeMutablePointer<Float> {
        for r in refs where unwritten[r.index] { zeroGrad(r) }
        return gradStorage
    }

    public func declare(_ name: String, shape: [Int], role: ParameterRole, fanIn: Int = 0, fanOut: Int = 0) -> ParameterRef {
        precondition(!isFinal, "parameters declared after finalize()")
        declaredFloats += shape.reduce(1.0) { $0 * Double($1) }
        let n = shape.reduce(1, &*)
        let ref = ParameterRef(name: name, shape: shape, role: role, offset: count, count: n, index: refs.count,
                               fanIn: fanIn, fanOut: fanOut)
        refs.append(ref)
        unwritten.append(false)
        count += n
        return ref
    }

    /// Allocates the buffers (zeroed).
    public func finalize() {
        precondition(!isFinal)
        values.deallocate()
        gradStorage.deallocate()
        values = .allocate(capacity: max(count, 1))
        gradStorage = .allocate(capacity: max(count, 1))
        values.initialize(repeating: 0, count: max(count, 1))
        gradStorage.initialize(repeating: 0, count: max(count, 1))
        isFinal = true
    }

    @inline(__always) public func value(_ r: ParameterRef) -> UnsafeMutablePointer<Float> { values + r.offset }
    /// r's gradient, to add to: zeroed first if unwritten since `zeroGrads()`.
    @inline(__always) public func grad(_ r: ParameterRef) -> UnsafeMutablePointer<Float> {
        if unwritten[r.index] { zeroGrad(r) }
        return gradStorage + r.offset
    }

    /// r's gradient and the beta to write it with: 0 when it is unwritten since `zeroGrads()`
    /// (the caller then writes every element, and it counts as written), 1 otherwise (add).
    public func gradToOverwrite(_ r: ParameterRef) -> (gradient: UnsafeMutablePointer<Float>, beta: Float) {
        guard unwritten[r.index] else { return (gradStorage + r.offset, 1) }
        unwritten[r.index] = false
        return (gradStorage + r.offset, 0)
    }

    private func zeroGrad(_ r: ParameterRef) {
        (gradStorage + r.offset).update(repeating: 0, count: r.count)
        unwritten[r.index] = false
    }

    public var valueBuffer: UnsafeMutableBufferPointer<Float> { .init(start: values, count: count) }
    public var gradBuffer: UnsafeMutableBufferPointer<Float> { .init(start: grads, count: count) }

    public func zeroGrads() {
        for i in unwritten.indices { unwritten[i] = true }
    }

    public func ref(named name: String) -> ParameterRef? { refs.first { $0.name == name } }

    /// Copies values for one parameter (tests, checkpoints).
    public func set(_ r: ParameterRef, _ v: [Float]) {
        precondition(v.count == r.count)
        v.withUnsafeBufferPointer { value(r).update(from: $0.baseAddress!, count: r.count) }
    }

    public func values(of r: ParameterRef) -> [Float] { Array(UnsafeBufferPointer(start: value(r), count: r.count)) }
    public func grads(of r: ParameterRef) -> [Float] { Array(UnsafeBufferPointer(start: grad(r), count: r.count)) }
}
