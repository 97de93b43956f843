import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// The engine's own kernels (CKernels: the GEMM in its packed and panel forms, the implicit
/// convolutions, the LSTM step and Adam) for one instruction set, or none: `openblas` runs
/// OpenBLAS's GEMM and the Swift loops. One set is chosen once at start (`Kernels.selected`)
/// and Swift code asks `Kernels.current` for it; within a set results are deterministic,
/// and the LSTM step and Adam give the same bits in every set.
public struct KernelSet: Sendable, Hashable, CustomStringConvertible {
    /// "avx512", "avx2", "neon", "portable" or "openblas".
    public let name: String
    /// The C table, nil for `openblas`. A pointer to a static const table: safe to share.
    nonisolated(unsafe) let table: UnsafePointer<sweep_kernels>?

    public var description: String { name }
    public static func == (a: KernelSet, b: KernelSet) -> Bool { a.name == b.name }
    public func hash(into h: inout Hasher) { h.combine(name) }

    /// Whether the engine's own kernels run (any set but `openblas`).
    public var own: Bool { table != nil }
    /// Columns per panel of a packed op(B) (and of the A panels the LSTM's backward reads).
    public var panelWidth: Int { table.map { Int($0.pointee.panelWidth) } ?? 0 }
    /// Rows of op(B) in one block of a packing: the most a packed B keeps in one pass.
    public var blockRows: Int { table.map { Int($0.pointee.blockRows) } ?? 256 }
    /// The LSTM's backward writes the weight gradient's packed B itself for a hidden size
    /// that is a multiple of this (0: never).
    public var lstmPackedMultiple: Int { table.map { Int($0.pointee.lstmPackedMultiple) } ?? 0 }

    /// The table for the loops that OpenBLAS has no form of (max pooling): the set's own, the
    /// portable set's for `openblas`.
    var loops: UnsafePointer<sweep_kernels> { table ?? KernelSet.portableTable }
    nonisolated(unsafe) private static let portableTable = sweep_kernels_named("portable")!

    /// OpenBLAS's GEMM and the Swift loops.
    public static let openblas = KernelSet(name: "openblas", table: nil)

    /// Every name, fastest first.
    public static let names = ["avx512", "avx2", "neon", "portable", "openblas"]

    /// The set called `name`, or nil when the name is unknown or this CPU cannot run it.
    public static func named(_ name: String) -> KernelSet? {
        if name == "openblas" { return .openblas }
        guard names.contains(name), let table = sweep_kernels_named(name) else { return nil }
        return KernelSet(name: String(cString: table.pointee.name), table: table)
    }

    /// The sets this CPU runs, fastest first (`openblas` last).
    public static let available: [KernelSet] = names.compactMap(named)

    /// The fastest set this CPU runs.
    public static let best: KernelSet = {
        let table = sweep_kernels_best()!
        return KernelSet(name: String(cString: table.pointee.name), table: table)
    }()
}

extension Kernels {
    /// The set chosen at start: `SWEEP_KERNELS` when set (`SWEEP_GEMM=openblas`, its older
    /// form, still means `openblas`), else the fastest this CPU runs. `environmentError`
    /// says when the variable names a set this CPU cannot run; the best set runs then.
    public static let selected: KernelSet = {
        if let name = requested, let set = KernelSet.named(name) { return set }
        return KernelSet.best
    }()

    /// What `SWEEP_KERNELS` (or `SWEEP_GEMM=openblas`) asks for, if anything.
    private static var requested: String? {
        if let value = getenv("SWEEP_KERNELS").map({ String(cString: $0) }), !value.isEmpty { return value }
        return getenv("SWEEP_GEMM").map { String(cString: $0) } == "openblas" ? "openblas" : nil
    }

    /// The one-line error for a `SWEEP_KERNELS` this CPU cannot run or that names no set; nil when fine.
    public static var environmentError: String? {
        guard let name = requested, KernelSet.named(name) == nil else { return nil }
        let runs = KernelSet.available.map(\.name).joined(separator: ", ")
        return KernelSet.names.contains(name)
            ? "SWEEP_KERNELS=\(name): this CPU cannot run the \(name) kernels (it runs \(runs))"
            : "SWEEP_KERNELS=\(name): no such kernel set (expected one of \(KernelSet.names.joined(separator: ", ")); this CPU runs \(runs))"
    }

    /// Set for a scope by `Kernels.$forced.withValue(set) { … }`: a training run with several
    /// threads runs `openblas` (OpenBLAS's threaded GEMM), and tests run each set on purpose.
    /// Task-local, so parallel tests do not see each other's.
    @TaskLocal public static var forced: KernelSet?

    /// The set to run now.
    @inline(__always)
    public static var current: KernelSet { forced ?? selected }
}
