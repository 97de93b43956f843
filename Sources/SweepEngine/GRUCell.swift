import CKernels

/// GRU cell as torch.nn.GRU, gate rows r, z, n:
///   r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr),   z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)
///   n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn)),   h' = (1 − z) ⊙ n + z ⊙ h
/// Its cache is r, z, n and hn = h W_hnᵀ + b_hn.
enum GRUCell: RecurrentCell {
    typealias State = HiddenState

    static let gateCount = 3

    static let hiddenBypassesWeights = true

    static func forward(_ m: RecurrentMemory, step t: Int, from s: State, to next: State) {
        if let kernels = Kernels.current.table {
            // the loop below in the kernel set's lanes (CKernels), bit for bit
            let n = m.hidden
            kernels.pointee.gruForward(Int32(m.batch), Int32(n), m.step(m.gates, t, width: 3 * n), m.recurrent, m.bias,
                                       m.biasHN, s.h, m.step(m.hn, t, width: n), next.h)
            return
        }
        forwardLanes(m, step: t, from: s, to: next)
    }

    static func forwardLanes(_ m: RecurrentMemory, step t: Int, from s: State, to next: State) {
        // gates, recurrent (B, 3H) as [r | z | n], bias (3H), biasHN (H), s.h (B, H)
        //   -> gates activated, hn (B, H), next.h (B, H)
        let n = m.hidden, gates = m.step(m.gates, t, width: 3 * n), hnStep = m.step(m.hn, t, width: n)
        let br = m.bias, bz = br + n, bn = br + 2 * n, bhn = m.biasHN
        for b in 0..<m.batch {
            let gr = gates + b * 3 * n, gz = gr + n, gn = gr + 2 * n
            let rr = m.recurrent + b * 3 * n, rz = rr + n, rn = rr + 2 * n
            let h = s.h + b * n, hn = hnStep + b * n, hNext = next.h + b * n
            forEachLanes(n) { j, w in
                let reset = fastSigmoid(gr.lanes(j, w) + rr.lanes(j, w) + br.lanes(j, w))
                let update = fastSigmoid(gz.lanes(j, w) + rz.lanes(j, w) + bz.lanes(j, w))
                let hnj = rn.lanes(j, w) + bhn.lanes(j, w)
                let candidate = fastTanh(gn.lanes(j, w) + bn.lanes(j, w) + reset * hnj)
                gr.setLanes(j, w, reset)
                gz.setLanes(j, w, update)
                gn.setLanes(j, w, candidate)
                hn.setLanes(j, w, hnj)
                hNext.setLanes(j, w, candidate + update * (h.lanes(j, w) - candidate))
            }
        }
    }

    static func backward(_ m: RecurrentMemory, step t: Int, from s: State, to next: State, d: State,
                         dOutput: UnsafePointer<Float>, ldOutput: Int) {
        if let kernels = Kernels.current.table {
            let n = m.hidden
            // in the chunked backward (packedGates set) the step also sums the bias gradients and packs
            let plain = m.dGatesPackedOnly ? nil : t * m.dGatesStepRows * 3 * n, chunked = m.packedGates != nil
            kernels.pointee.gruBackward(Int32(m.batch), Int32(n), m.step(m.gates, t, width: 3 * n),
                                        m.step(m.hn, t, width: n), s.h, d.h, dOutput, Int32(ldOutput),
                                        plain.map { m.dGates + $0 }, plain.map { m.dGatesHidden + $0 },
                                        chunked ? m.dBias : nil, chunked ? m.dBiasHN : nil, m.packedGates,
                                        m.packedGatesHidden, Int32(m.packedRows),
                                        Int32((t - m.packedFirstStep) * m.batch))
            return
        }
        backwardLanes(m, step: t, from: s, to: next, d: d, dOutput: dOutput, ldOutput: ldOutput)
    }

    static func backwardLanes(_ m: RecurrentMemory, step t: Int, from s: State, to next: State, d: State,
                              dOutput: UnsafePointer<Float>, ldOutput: Int) {
        // gates (B, 3H), hn, s.h (B, H), d.h + dOutput (B, H)
        //   -> dGates (B, 3H) = [dr | dz | dn_pre], dGatesHidden (B, 3H) = [dr | dz | dn_pre ⊙ r], d.h ← dh' ⊙ z
        let n = m.hidden, gates = m.step(m.gates, t, width: 3 * n), hnStep = m.step(m.hn, t, width: n)
        let dGates = m.step(m.dGates, t, width: 3 * n), dGatesHidden = m.step(m.dGatesHidden, t, width: 3 * n)
        for b in 0..<m.batch {
            let gr = gates + b * 3 * n, gz = gr + n, gn = gr + 2 * n
            let dr = dGates + b * 3 * n, dz = dr + n, dn = dr + 2 * n
            let dhr = dGatesHidden + b * 3 * n, dhz = dhr + n, dhn = dhr + 2 * n
            let h = s.h + b * n, hn = hnStep + b * n, dh = d.h + b * n, dy = dOutput + b * ldOutput
            forEachLanes(n) { j, w in
                let reset = gr.lanes(j, w), update = gz.lanes(j, w), candidate = gn.lanes(j, w)
                let dhTotal = dh.lanes(j, w) + dy.lanes(j, w)
                let dnPre = dhTotal * (1 - update) * (1 - candidate * candidate)
                let dzPre = dhTotal * (h.lanes(j, w) - candidate) * update * (1 - update)
                let drPre = dnPre * hn.lanes(j, w) * reset * (1 - reset)
                dr.setLanes(j, w, drPre)
                dz.setLanes(j, w, dzPre)
                dn.setLanes(j, w, dnPre)
                dhr.setLanes(j, w, drPre)
                dhz.setLanes(j, w, dzPre)
                dhn.setLanes(j, w, dnPre * reset)
                dh.setLanes(j, w, dhTotal * update)
            }
        }
    }
}
