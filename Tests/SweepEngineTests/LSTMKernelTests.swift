import Foundation
import Testing
import CKernels
@testable import SweepEngine
import TestSupport

/// The LSTM step on AVX-512 (CKernels) gives the Swift loops' bits, on hidden sizes
/// with full and partial blocks of sixteen lanes, extreme gate inputs and both
/// output-gradient strides.
@Suite struct LSTMKernelTests {
    @Test(arguments: ownKernelSets, [1, 20, 128])
    func kernelMatchesSwiftLoops(kernels: KernelSet, hidden n: Int) throws {
        try Kernels.$forced.withValue(kernels) { try kernelMatchesSwiftLoops(hidden: n) }
    }

    private func kernelMatchesSwiftLoops(hidden n: Int) throws {
        let b = 3, u = StepBuffers(batch: b, hidden: n)
        // gate inputs up to ±12 reach the clamp of fastTanh
        let gates = u.make(b * 4 * n, seed: 1, scale: 6), recurrent = u.make(b * 4 * n, seed: 2, scale: 6)
        let bias = u.make(4 * n, seed: 3), c = u.make(b * n, seed: 4, scale: 2)
        let (gates2, cNext, hNext) = (u.copy(gates, b * 4 * n), u.make(b * n, seed: 5), u.make(b * n, seed: 6))
        let (cNext2, hNext2) = (u.make(b * n, seed: 5), u.make(b * n, seed: 6))
        let dGates = u.make(b * 4 * n, seed: 7), dGates2 = u.make(b * 4 * n, seed: 7)
        let dh = u.make(b * n, seed: 8), dc = u.make(b * n, seed: 9), dy = u.make(b * n, seed: 10)
        let (dh2, dc2) = (u.copy(dh, b * n), u.copy(dc, b * n))
        let (tanhC, tanhC2) = (u.make(b * n, seed: 11), u.make(b * n, seed: 11))
        let (dBias, dBias2) = (u.make(4 * n, seed: 12), u.make(4 * n, seed: 12))
        let m = u.memory(gates: gates, recurrent: recurrent, bias: bias, dGates: dGates, dh: dh, dc: dc,
                         tanhC: tanhC, dBias: dBias)
        let m2 = u.memory(gates: gates2, recurrent: recurrent, bias: bias, dGates: dGates2, dh: dh2, dc: dc2,
                          tanhC: tanhC2, dBias: dBias2)
        func same(_ p: UnsafeMutablePointer<Float>, _ q: UnsafeMutablePointer<Float>, _ count: Int, _ what: String) {
            let differing = (0..<count).filter { p[$0].bitPattern != q[$0].bitPattern }.count
            #expect(differing == 0, "hidden \(n): \(differing) of \(count) \(what) differ")
        }

        LSTMCell.forward(m, step: 0, from: .init(h: dh, c: c), to: .init(h: hNext, c: cNext))
        LSTMCell.forwardLanes(m2, step: 0, from: .init(h: dh2, c: c), to: .init(h: hNext2, c: cNext2))
        same(gates, gates2, b * 4 * n, "gate activations")
        same(cNext, cNext2, b * n, "cell states")
        same(hNext, hNext2, b * n, "hidden states")
        same(tanhC, tanhC2, b * n, "tanh of the cell states")
        #expect((0..<b * n).allSatisfy { abs(tanhC[$0] - tanh(cNext[$0])) < 1e-6 }, "tanh(c) cached for backward")

        for ld in [n, 0] {
            LSTMCell.backward(m, step: 0, from: .init(h: dh, c: c), to: .init(h: hNext, c: cNext),
                              d: .init(h: dh, c: dc), dOutput: dy, ldOutput: ld)
            LSTMCell.backwardLanes(m2, step: 0, from: .init(h: dh2, c: c), to: .init(h: hNext2, c: cNext2),
                                   d: .init(h: dh2, c: dc2), dOutput: dy, ldOutput: ld)
            same(dGates, dGates2, b * 4 * n, "gate gradients (ld \(ld))")
            same(dc, dc2, b * n, "cell gradients (ld \(ld))")
            same(dh, dh2, b * n, "hidden gradients (ld \(ld))")
            same(dBias, dBias2, 4 * n, "bias gradient sums (ld \(ld))")
        }
    }

    /// The packed copy of dGates that the backward step writes is what packing dGates gives,
    /// for steps at any row of a packing of several blocks (rows 0, 253: across a block edge).
    @Test(arguments: ownKernelSets, [16, 48])
    func packedGatesMatchPacking(kernels: KernelSet, hidden n: Int) throws {
        let table = try #require(kernels.table).pointee
        try #require(table.lstmPackedMultiple > 0 && n % Int(table.lstmPackedMultiple) == 0)
        let b = 5, rows = 300, g = 4 * n, u = StepBuffers(batch: b, hidden: n)
        let gates = u.make(b * g, seed: 1), c = u.make(b * n, seed: 2), tanhC = u.make(b * n, seed: 3)
        let dy = u.make(b * n, seed: 4), dBias = u.make(g, seed: 5)
        let plain = u.make(rows * g, seed: 6)
        plain.update(repeating: 0, count: rows * g)  // the rows no step writes stay 0 on both sides
        let size = table.packedSize(Int32(rows), Int32(g))
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: size), expected = UnsafeMutablePointer<Float>.allocate(capacity: size)
        defer { packed.deallocate(); expected.deallocate() }
        packed.update(repeating: 0, count: size)
        for row in [0, 100, 253, rows - b] {
            let dh = u.make(b * n, seed: 7 + UInt64(row)), dc = u.make(b * n, seed: 8 + UInt64(row))
            table.lstmBackward(Int32(b), Int32(n), gates, c, tanhC, dh, dc, dy, Int32(n), plain + row * g, dBias,
                                packed, Int32(rows), Int32(row), 0)
        }
        table.packB(false, Int32(rows), Int32(g), plain, Int32(g), expected)
        let differing = (0..<size).filter { packed[$0].bitPattern != expected[$0].bitPattern }.count
        #expect(differing == 0, "hidden \(n): \(differing) of \(size) packed floats differ")
    }
}

extension StepBuffers {
    /// A memory of one LSTM step over these buffers.
    func memory(gates: UnsafeMutablePointer<Float>, recurrent: UnsafeMutablePointer<Float>,
                bias: UnsafeMutablePointer<Float>, dGates: UnsafeMutablePointer<Float>,
                dh: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>,
                tanhC: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>) -> RecurrentMemory {
        RecurrentMemory(batch: batch, steps: 1, hidden: hidden, gates: gates, recurrent: recurrent, bias: bias,
                        biasHN: bias, h: dh, c: dc, hn: dh, dGates: dGates, dGatesHidden: dGates, dh: dh, dc: dc,
                        tanhC: tanhC, dBias: dBias, dBiasHN: dBias, dGatesStepRows: batch)
    }
}
