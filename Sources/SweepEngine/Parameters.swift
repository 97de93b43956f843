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
    /// Fan-in and fan-out as PyTorch computes them (conv: channels × kernel area).
    public let fanIn: Int
    public let fanOut: Int
}

/// Parameters, gradients and (in the optimizer) its state are flat Float buffers
/// of equal length. Layers declare their slices while the model is built; the
/// buffers exist once `finalize()` has run.
public final class ParameterStore {
    public private(set) var refs: [ParameterRef] = []
    public private(set) var count = 0
    /// The floats declared so far, counted in Double: a configuration too large for
    /// memory (or for Int) is measured before anything is allocated (`finalize`).
    public private(set) var declaredFloats = 0.0
    public private(set) var values: UnsafeMutablePointer<Float>
    public private(set) var grads: UnsafeMutablePointer<Float>
    public private(set) var isFinal = false

    public init() {
        values = .allocate(capacity: 1)
        grads = .allocate(capacity: 1)
    }

    deinit {
        values.deallocate()
        grads.deallocate()
    }

    public func declare(_ name: String, shape: [Int], role: ParameterRole, fanIn: Int = 0, fanOut: Int = 0) -> ParameterRef {
        precondition(!isFinal, "parameters declared after finalize()")
        declaredFloats += shape.reduce(1.0) { $0 * Double($1) }
        let n = shape.reduce(1, &*)
        let ref = ParameterRef(name: name, shape: shape, role: role, offset: count, count: n, fanIn: fanIn, fanOut: fanOut)
        refs.append(ref)
        count += n
        return ref
    }

    /// Allocates the buffers (zeroed).
    public func finalize() {
        precondition(!isFinal)
        values.deallocate()
        grads.deallocate()
        values = .allocate(capacity: max(count, 1))
        grads = .allocate(capacity: max(count, 1))
        values.initialize(repeating: 0, count: max(count, 1))
        grads.initialize(repeating: 0, count: max(count, 1))
        isFinal = true
    }

    @inline(__always) public func value(_ r: ParameterRef) -> UnsafeMutablePointer<Float> { values + r.offset }
    @inline(__always) public func grad(_ r: ParameterRef) -> UnsafeMutablePointer<Float> { grads + r.offset }

    public var valueBuffer: UnsafeMutableBufferPointer<Float> { .init(start: values, count: count) }
    public var gradBuffer: UnsafeMutableBufferPointer<Float> { .init(start: grads, count: count) }

    public func zeroGrads() { grads.update(repeating: 0, count: count) }

    public func ref(named name: String) -> ParameterRef? { refs.first { $0.name == name } }

    /// Copies values for one parameter (tests, checkpoints).
    public func set(_ r: ParameterRef, _ v: [Float]) {
        precondition(v.count == r.count)
        v.withUnsafeBufferPointer { value(r).update(from: $0.baseAddress!, count: r.count) }
    }

    public func values(of r: ParameterRef) -> [Float] { Array(UnsafeBufferPointer(start: value(r), count: r.count)) }
    public func grads(of r: ParameterRef) -> [Float] { Array(UnsafeBufferPointer(start: grad(r), count: r.count)) }
}
