import CKernels
import COpenBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Every cblas_* / openblas_* call of the project lives in this file.

/// Row-major single-precision GEMM: `C = alpha * op(A) * op(B) + beta * C`,
/// where op(A) is m×k, op(B) is k×n and C is m×n. Leading dimensions default
/// to the packed row-major ones.
///
/// With alpha 1 and beta 0 or 1 (every call in the engine) the current kernel set's GEMM
/// runs (`Kernels.current`); with the `openblas` set, or other alpha and beta, OpenBLAS does.
@inline(__always)
public func sgemm(
    transA: Bool = false, transB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil
) {
    let lda = lda ?? (transA ? m : k)
    let ldb = ldb ?? (transB ? k : n)
    let ldc = ldc ?? n
    if alpha == 1 && (beta == 0 || beta == 1), let kernels = Kernels.current.table {
        kernels.pointee.sgemm(transA, transB, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        return
    }
    cblas_sgemm(
        CblasRowMajor,
        transA ? CblasTrans : CblasNoTrans,
        transB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k),
        alpha, a, Int32(lda), b, Int32(ldb),
        beta, c, Int32(ldc))
}

/// op(B) of k×n packed once for several `sgemm(…, packedB:)` calls with the same B, as
/// a recurrent layer's W_hh in every step of a batch: the kernel set's GEMM then skips
/// repacking it on each call. With `openblas` it only remembers B.
public final class PackedMatrix {
    private let pageOffset: Int?
    private var start: UnsafeMutablePointer<Float>
    private var capacity = 16
    fileprivate private(set) var source: UnsafePointer<Float>?
    fileprivate private(set) var trans = false, k = 0, n = 0, ld = 0
    /// The set whose layout the packing is in (nil: not packed).
    public fileprivate(set) var kernels: KernelSet?

    /// A packing that starts `pageOffset` bytes into a page, or on a 64-byte line anywhere (nil):
    /// see `PageOffsetBuffer`.
    public init(pageOffset: Int? = nil) {
        self.pageOffset = pageOffset
        start = PageOffsetBuffer.allocate(capacity, pageOffset: pageOffset)
    }

    deinit { PageOffsetBuffer.deallocate(start, pageOffset: pageOffset) }

    fileprivate var packed: UnsafePointer<Float> { UnsafePointer(start) }

    /// Packs op(B) (k×n) of `b`, which must stay unchanged while the packing is used, in the
    /// current kernel set's layout.
    public func pack(trans: Bool = false, k: Int, n: Int, _ b: UnsafePointer<Float>, ld: Int? = nil) {
        (source, self.trans, self.k, self.n, self.ld) = (b, trans, k, n, ld ?? (trans ? k : n))
        let set = Kernels.current
        kernels = set.own ? set : nil
        guard let table = set.table else { return }
        table.pointee.packB(trans, Int32(k), Int32(n), b, Int32(self.ld), reserve(k: k, n: n, table))
    }

    /// Sizes the packing of a row-major B (k×n) that the caller writes itself as it produces
    /// B (`packedRow` places each row; the LSTM's backward steps do), in the current set's
    /// layout, and returns where to write. Only with an own set: there is no unpacked B to
    /// fall back on.
    public func declare(k: Int, n: Int) -> UnsafeMutablePointer<Float> {
        let set = Kernels.current
        guard let table = set.table else { preconditionFailure("PackedMatrix.declare with the openblas kernels") }
        (source, self.trans, self.k, self.n, self.ld, kernels) = (nil, false, k, n, n, set)
        return reserve(k: k, n: n, table)
    }

    /// Where row `row` of the packing starts, and the stride between its panels of
    /// `kernels.panelWidth` columns: element (row, j) is at
    /// start + (j / panelWidth)·panelStride + j % panelWidth.
    public func row(_ row: Int) -> (offset: Int, panelStride: Int) {
        guard let table = kernels?.table else { preconditionFailure("PackedMatrix.row of a matrix not packed") }
        var stride: Int32 = 0
        let offset = table.pointee.packedRow(Int32(k), Int32(n), Int32(row), &stride)
        return (Int(offset), Int(stride))
    }

    /// The buffer, grown (only ever grown) to hold the packing of a k×n op(B).
    private func reserve(k: Int, n: Int, _ table: UnsafePointer<sweep_kernels>) -> UnsafeMutablePointer<Float> {
        let size = table.pointee.packedSize(Int32(k), Int32(n))
        if size > capacity {
            PageOffsetBuffer.deallocate(start, pageOffset: pageOffset)
            start = PageOffsetBuffer.allocate(size, pageOffset: pageOffset)
            capacity = size
        }
        return start
    }
}

/// `sgemm` with op(B) from `packedB` (k and n as packed).
@inline(__always)
public func sgemm(
    transA: Bool = false, m: Int,
    a: UnsafePointer<Float>, lda: Int? = nil,
    packedB: PackedMatrix,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil
) {
    let (n, k) = (packedB.n, packedB.k)
    let lda = lda ?? (transA ? m : k), ldc = ldc ?? n
    if beta == 0 || beta == 1, let set = packedB.kernels, let table = set.table, set == Kernels.current {
        table.pointee.sgemmPacked(transA, Int32(m), Int32(n), Int32(k), a, Int32(lda), packedB.packed, beta, c, Int32(ldc))
        return
    }
    guard let b = packedB.source else { preconditionFailure("sgemm with a PackedMatrix never packed, or declared") }
    sgemm(transA: transA, transB: packedB.trans, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: packedB.ld,
          beta: beta, c: c, ldc: ldc)
}

/// `sgemm` with op(A) (m × k) read in place from panels of the packing's panel width w,
/// op(A)(i, p) = aPanels[(p / w)·aPanelStride + i·w + p % w]: rows of a B packed by
/// `PackedMatrix` in the same set (`PackedMatrix.row` gives where a row starts and the stride).
@inline(__always)
public func sgemm(m: Int, aPanels: UnsafePointer<Float>, aPanelStride: Int, packedB: PackedMatrix, beta: Float = 0,
                  c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
    guard let table = packedB.kernels?.table, beta == 0 || beta == 1 else {
        preconditionFailure("sgemm from panels without an own kernel set")
    }
    table.pointee.sgemmPackedAPanels(Int32(m), Int32(packedB.n), Int32(packedB.k), aPanels, Int32(aPanelStride),
                                     packedB.packed, beta, c, Int32(ldc ?? packedB.n))
}

/// C (m × n) = Pᵀ · B + beta·C for the packing P of a k × m op(B) (`PackedMatrix`, own kernel set
/// only) and a row-major B (k × n): the weight gradient dW = dGatesᵀ · input straight from the
/// gate gradients that a recurrent layer's backward steps wrote packed, in dW's own layout.
@inline(__always)
public func sgemm(transposedPacked p: PackedMatrix, b: UnsafePointer<Float>, ldb: Int? = nil, n: Int, beta: Float = 0,
                  c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
    guard let table = p.kernels?.table, beta == 0 || beta == 1 else {
        preconditionFailure("sgemm from a transposed packing without an own kernel set")
    }
    table.pointee.sgemmPackedT(Int32(p.n), Int32(n), Int32(p.k), p.packed, b, Int32(ldb ?? n), beta, c,
                               Int32(ldc ?? n))
}

public enum BLAS {
    /// Sets the number of OpenBLAS threads for this process (`threads` key).
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }

    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Ends the thread pool that OpenBLAS starts as it loads (one thread per core but
    /// one); a threaded call later starts it again. For a process that trains nothing
    /// itself: a worker, whose slots then fork from a process of one thread.
    public static func endThreadPool() {
        _ = blas_thread_shutdown_()
    }

    /// OpenBLAS's kernel set, e.g. "Cooperlake", or "Haswell" (AVX2) when
    /// OPENBLAS_CORETYPE forces it.
    public static var core: String { String(cString: openblas_get_corename()) }

    /// What `sgemm` runs now: the current kernel set's name, or "openblas-<core>".
    public static var gemm: String { Kernels.current.own ? Kernels.current.name : "openblas-" + core }
}

/// y (C, R) += xᵀ for x (R, C), in blocks of 16 rows so that both sides stay in cache.
func addTransposed(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into y: UnsafeMutablePointer<Float>) {
    if let kernels = Kernels.current.table {
        // the same sums (one add per element), blocks transposed in registers
        kernels.pointee.addTransposed(Int32(rows), Int32(columns), x, y)
        return
    }
    var r0 = 0
    while r0 < rows {
        let r1 = min(r0 + 16, rows)
        for c in 0..<columns {
            let dst = y + c * rows
            for r in r0..<r1 { dst[r] += x[r * columns + c] }
        }
        r0 = r1
    }
}
