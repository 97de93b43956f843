import Testing
import CKernels
@testable import SweepEngine
import TestSupport

/// The GRU and RNN steps of every own kernel set (CKernels) give the Swift loops' bits, on
/// hidden sizes with full and partial blocks of lanes, gate inputs that reach fastTanh's clamp
/// and both output-gradient strides.
@Suite struct CellKernelTests {
    static func same(_ p: UnsafeMutablePointer<Float>, _ q: UnsafeMutablePointer<Float>, _ count: Int, _ what: String) {
        let differing = (0..<count).filter { p[$0].bitPattern != q[$0].bitPattern }.count
        #expect(differing == 0, "\(differing) of \(count) \(what) differ")
    }

    @Test(arguments: ownKernelSets, [1, 20, 128])
    func gruKernelMatchesSwiftLoops(kernels: KernelSet, hidden n: Int) {
        Kernels.$forced.withValue(kernels) {
            let b = 3, g = 3 * n, u = StepBuffers(batch: b, hidden: n)
            let gates = u.make(b * g, seed: 1, scale: 6), gates2 = u.make(b * g, seed: 1, scale: 6)
            let recurrent = u.make(b * g, seed: 2, scale: 6), bias = u.make(g, seed: 3), biasHN = u.make(n, seed: 4)
            let h = u.make(b * n, seed: 5), (hn, hn2) = (u.make(b * n, seed: 6), u.make(b * n, seed: 6))
            let (hNext, hNext2) = (u.make(b * n, seed: 7), u.make(b * n, seed: 7))
            let (dGates, dGates2) = (u.make(b * g, seed: 8), u.make(b * g, seed: 8))
            let (dHidden, dHidden2) = (u.make(b * g, seed: 9), u.make(b * g, seed: 9))
            let (dh, dh2) = (u.make(b * n, seed: 10), u.make(b * n, seed: 10)), dy = u.make(b * n, seed: 11)
            let m = u.memory(gates: gates, recurrent: recurrent, bias: bias, biasHN: biasHN, hn: hn, dGates: dGates,
                             dGatesHidden: dHidden, dh: dh)
            let m2 = u.memory(gates: gates2, recurrent: recurrent, bias: bias, biasHN: biasHN, hn: hn2,
                              dGates: dGates2, dGatesHidden: dHidden2, dh: dh2)
            GRUCell.forward(m, step: 0, from: .init(h: h), to: .init(h: hNext))
            GRUCell.forwardLanes(m2, step: 0, from: .init(h: h), to: .init(h: hNext2))
            Self.same(gates, gates2, b * g, "\(kernels) hidden \(n): gate activations")
            Self.same(hn, hn2, b * n, "\(kernels) hidden \(n): hn")
            Self.same(hNext, hNext2, b * n, "\(kernels) hidden \(n): hidden states")
            for ld in [n, 0] {
                GRUCell.backward(m, step: 0, from: .init(h: h), to: .init(h: hNext), d: .init(h: dh), dOutput: dy,
                                 ldOutput: ld)
                GRUCell.backwardLanes(m2, step: 0, from: .init(h: h), to: .init(h: hNext2), d: .init(h: dh2),
                                      dOutput: dy, ldOutput: ld)
                Self.same(dGates, dGates2, b * g, "\(kernels) hidden \(n) ld \(ld): gate gradients")
                Self.same(dHidden, dHidden2, b * g, "\(kernels) hidden \(n) ld \(ld): recurrent gate gradients")
                Self.same(dh, dh2, b * n, "\(kernels) hidden \(n) ld \(ld): hidden gradients")
            }
        }
    }

    @Test(arguments: ownKernelSets, [1, 20, 128])
    func rnnKernelMatchesSwiftLoops(kernels: KernelSet, hidden n: Int) {
        Kernels.$forced.withValue(kernels) {
            let b = 3, u = StepBuffers(batch: b, hidden: n)
            let gates = u.make(b * n, seed: 1, scale: 6), recurrent = u.make(b * n, seed: 2, scale: 6)
            let bias = u.make(n, seed: 3), h = u.make(b * n, seed: 4)
            let (hNext, hNext2) = (u.make(b * n, seed: 5), u.make(b * n, seed: 5))
            let (dGates, dGates2) = (u.make(b * n, seed: 6), u.make(b * n, seed: 6))
            let dh = u.make(b * n, seed: 7), dy = u.make(b * n, seed: 8)
            let m = u.memory(gates: gates, recurrent: recurrent, bias: bias, biasHN: bias, hn: h, dGates: dGates,
                             dGatesHidden: dGates, dh: dh)
            let m2 = u.memory(gates: gates, recurrent: recurrent, bias: bias, biasHN: bias, hn: h, dGates: dGates2,
                              dGatesHidden: dGates2, dh: dh)
            RNNCell.forward(m, step: 0, from: .init(h: h), to: .init(h: hNext))
            RNNCell.forwardLanes(m2, step: 0, from: .init(h: h), to: .init(h: hNext2))
            Self.same(hNext, hNext2, b * n, "\(kernels) hidden \(n): hidden states")
            for ld in [n, 0] {
                RNNCell.backward(m, step: 0, from: .init(h: h), to: .init(h: hNext), d: .init(h: dh), dOutput: dy,
                                 ldOutput: ld)
                RNNCell.backwardLanes(m2, step: 0, from: .init(h: h), to: .init(h: hNext), d: .init(h: dh),
                                      dOutput: dy, ldOutput: ld)
                Self.same(dGates, dGates2, b * n, "\(kernels) hidden \(n) ld \(ld): gate gradients")
            }
        }
    }
}

extension StepBuffers {
    /// A memory of one GRU or RNN step over these buffers.
    func memory(gates: UnsafeMutablePointer<Float>, recurrent: UnsafeMutablePointer<Float>,
                bias: UnsafeMutablePointer<Float>, biasHN: UnsafeMutablePointer<Float>,
                hn: UnsafeMutablePointer<Float>, dGates: UnsafeMutablePointer<Float>,
                dGatesHidden: UnsafeMutablePointer<Float>, dh: UnsafeMutablePointer<Float>) -> RecurrentMemory {
        RecurrentMemory(batch: batch, steps: 1, hidden: hidden, gates: gates, recurrent: recurrent, bias: bias,
                        biasHN: biasHN, h: dh, c: dh, hn: hn, dGates: dGates, dGatesHidden: dGatesHidden, dh: dh,
                        dc: dh, tanhC: dh, dBias: bias, dBiasHN: bias, dGatesStepRows: batch)
    }
}
