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
/// On one thread, with alpha 1 and beta 0 or 1 (every call in the engine), CPUs with
/// AVX-512 run CKernels' sgemm; otherwise OpenBLAS does (see `BLAS.ownKernel`).
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
    if alpha == 1 && (beta == 0 || beta == 1) && BLAS.ownKernel && openblas_get_num_threads() == 1 {
        sweep_sgemm_avx512(transA, transB, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb),
                           beta, c, Int32(ldc))
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

public enum BLAS {
    /// Sets the number of OpenBLAS threads for this process (`threads` key).
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }

    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// OpenBLAS's kernel set, e.g. "Cooperlake", or "Haswell" (AVX2) when
    /// OPENBLAS_CORETYPE forces it.
    public static var core: String { String(cString: openblas_get_corename()) }

    /// Whether single-threaded sgemm runs CKernels' AVX-512 kernel: on CPUs with
    /// AVX-512, unless SWEEP_GEMM=openblas (for comparisons).
    public static let ownKernel: Bool = sweep_has_avx512() && getenv("SWEEP_GEMM").map { String(cString: $0) } != "openblas"

    /// The GEMM that `sgemm` runs on one thread: "avx512" or "openblas-<core>".
    public static var gemm: String { ownKernel ? "avx512" : "openblas-" + core }
}
