import Testing
import CKernels
@testable import SweepEngine
import TestSupport

/// sgemm of every kernel set this CPU runs against a Double reference, on shapes that cross
/// every edge of the kernels' blockings (AVX-512: 8-row slabs, 32-column panels; AVX2: 6×16;
/// K blocks of 256, N blocks of 1024), with padded leading dimensions, both transposes and
/// beta 0 and 1, A read in place (blocks of up to 64×256) or packed (130×256); B packed once
/// (PackedMatrix) agrees.
@Suite struct GEMMTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (7, 33, 5), (8, 32, 256), (13, 70, 300), (65, 1030, 17), (32, 512, 128), (50, 10, 1024),
        (9, 17, 513), (3, 47, 0), (130, 45, 260),
    ]

    @Test(arguments: kernelSets, [(false, false), (false, true), (true, false), (true, true)])
    func matchesReference(kernels: KernelSet, transposes: (Bool, Bool)) {
        let (transA, transB) = transposes
        if !kernels.own { BLAS.setThreads(1) }   // OpenBLAS on one thread, as a slot trains
        Kernels.$forced.withValue(kernels) { matchesReference(transA: transA, transB: transB) }
    }

    private func matchesReference(transA: Bool, transB: Bool) {
        for (m, n, k) in Self.shapes {
            for beta: Float in [0, 1] {
                // stored A is m×k (or k×m when transposed), with 3 columns of padding; likewise B and C
                let (aRows, aCols) = transA ? (k, m) : (m, k), (bRows, bCols) = transB ? (n, k) : (k, n)
                let lda = aCols + 3, ldb = bCols + 3, ldc = n + 3
                let a = testValues(max(aRows * lda, 1), seed: 1), b = testValues(max(bRows * ldb, 1), seed: 2)
                var c = testValues(m * ldc, seed: 3)
                var expected = c
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0
                        for p in 0..<k {
                            let x = transA ? a[p * lda + i] : a[i * lda + p]
                            let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                            sum += Double(x) * Double(y)
                        }
                        expected[i * ldc + j] = Float(sum + Double(beta) * Double(c[i * ldc + j]))
                    }
                }
                let cBefore = c
                c.withUnsafeMutableBufferPointer { c in
                    sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                          beta: beta, c: c.baseAddress!, ldc: ldc)
                }
                // a packing anywhere, and one at a set offset into its page (as a recurrent layer's)
                for packed in [PackedMatrix(), PackedMatrix(pageOffset: 1984)] {
                    packed.pack(trans: transB, k: k, n: n, b, ld: ldb)
                    var cPacked = cBefore
                    cPacked.withUnsafeMutableBufferPointer { c in
                        sgemm(transA: transA, m: m, a: a, lda: lda, packedB: packed, beta: beta, c: c.baseAddress!, ldc: ldc)
                    }
                    #expect(maxAbsDiff(cPacked, c) < 1e-4 * Float(max(k, 1)).squareRoot(), "\(m)×\(n)×\(k): packed B")
                }
                var worst: Float = 0
                for i in 0..<m {
                    for j in 0..<n { worst = max(worst, abs(c[i * ldc + j] - expected[i * ldc + j])) }
                    // the padding of C is untouched
                    for j in n..<ldc { #expect(c[i * ldc + j] == expected[i * ldc + j]) }
                }
                #expect(worst < 1e-4 * Float(max(k, 1)).squareRoot(), "\(m)×\(n)×\(k) beta \(beta): \(worst)")
            }
        }
    }
    /// op(A) read in place from the panels of a packing (rows of one block of it, as an LSTM
    /// step reads its dGates for the dh GEMM) gives what the same rows give unpacked.
    @Test(arguments: ownKernelSets, [(32, 128, 512, 200, 64), (5, 40, 70, 13, 3), (9, 33, 256, 256, 0), (8, 16, 300, 40, 31)])
    func panelsOfAPackingAsA(kernels: KernelSet, shape: (Int, Int, Int, Int, Int)) throws {
        try Kernels.$forced.withValue(kernels) { try panelsOfAPackingAsA(shape) }
    }

    private func panelsOfAPackingAsA(_ shape: (Int, Int, Int, Int, Int)) throws {
        let (m, n, k, packedRows, row0) = shape
        let table = try #require(Kernels.current.table).pointee
        // `packedRows` rows of width k packed as a B; A = rows [row0, row0 + m) of them, all in one block
        let rows = testValues(packedRows * k, seed: 1), b = testValues(k * n, seed: 2)
        var aPacked = [Float](repeating: 0, count: Int(table.packedSize(Int32(packedRows), Int32(k))))
        table.packB(false, Int32(packedRows), Int32(k), rows, Int32(k), &aPacked)
        var panelStride: Int32 = 0
        let start = Int(table.packedRow(Int32(packedRows), Int32(k), Int32(row0), &panelStride))
        let packedB = PackedMatrix()
        packedB.pack(k: k, n: n, b)
        for beta: Float in [0, 1] {
            var expected = testValues(m * n, seed: 3), got = expected
            Array(rows[(row0 * k)...]).withUnsafeBufferPointer { a in
                sgemm(m: m, a: a.baseAddress!, packedB: packedB, beta: beta, c: &expected)
            }
            aPacked.withUnsafeBufferPointer { a in
                sgemm(m: m, aPanels: a.baseAddress! + start, aPanelStride: Int(panelStride), packedB: packedB, beta: beta,
                      c: &got)
            }
            #expect(got == expected, "\(m)×\(n)×\(k) rows from \(row0) of \(packedRows), beta \(beta)")
        }
    }
}
