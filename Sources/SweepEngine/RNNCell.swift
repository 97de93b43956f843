import CKernels

/// Elman cell as torch.nn.RNN (tanh): h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).
/// Its cache is h' itself (tanh' = 1 − h'²).
enum RNNCell: RecurrentCell {
    typealias State = HiddenState

    static let gateCount = 1

    static let hiddenBypassesWeights = false

    static func forward(_ m: RecurrentMemory, step t: Int, from s: State, to next: State) {
        if let kernels = Kernels.current.table {
            // the loop below in the kernel set's lanes (CKernels), bit for bit
            kernels.pointee.rnnForward(Int32(m.batch), Int32(m.hidden), m.step(m.gates, t, width: m.hidden),
                                       m.recurrent, m.bias, next.h)
            return
        }
        forwardLanes(m, step: t, from: s, to: next)
    }

    static func forwardLanes(_ m: RecurrentMemory, step t: Int, from s: State, to next: State) {
        // gates, recurrent (B, H), bias (H) -> next.h (B, H)
        let n = m.hidden, gates = m.step(m.gates, t, width: n), bias = m.bias
        for b in 0..<m.batch {
            let x = gates + b * n, r = m.recurrent + b * n, h = next.h + b * n
            forEachLanes(n) { j, w in
                h.setLanes(j, w, fastTanh(x.lanes(j, w) + r.lanes(j, w) + bias.lanes(j, w)))
            }
        }
    }

    static func backward(_ m: RecurrentMemory, step t: Int, from s: State, to next: State, d: State,
                         dOutput: UnsafePointer<Float>, ldOutput: Int) {
        if let kernels = Kernels.current.table {
            // in the chunked backward (packedGates set) the step also sums the bias gradient and packs
            let n = m.hidden, chunked = m.packedGates != nil
            kernels.pointee.rnnBackward(Int32(m.batch), Int32(n), next.h, d.h, dOutput, Int32(ldOutput),
                                        m.dGatesPackedOnly ? nil : m.dGates + t * m.dGatesStepRows * n,
                                        chunked ? m.dBias : nil, m.packedGates, Int32(m.packedRows),
                                        Int32((t - m.packedFirstStep) * m.batch))
            return
        }
        backwardLanes(m, step: t, from: s, to: next, d: d, dOutput: dOutput, ldOutput: ldOutput)
    }

    static func backwardLanes(_ m: RecurrentMemory, step t: Int, from s: State, to next: State, d: State,
                              dOutput: UnsafePointer<Float>, ldOutput: Int) {
        // next.h (B, H), d.h (B, H) + dOutput (B, H) -> dGates (B, H); h reaches h' only through W_hh
        let n = m.hidden, dGates = m.step(m.dGates, t, width: n)
        for b in 0..<m.batch {
            let h = next.h + b * n, dh = d.h + b * n, dy = dOutput + b * ldOutput, dPre = dGates + b * n
            forEachLanes(n) { j, w in
                let hj = h.lanes(j, w)
                dPre.setLanes(j, w, (dh.lanes(j, w) + dy.lanes(j, w)) * (1 - hj * hj))
            }
        }
    }
}
