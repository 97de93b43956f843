import CKernels

/// LSTM cell as torch.nn.LSTM, gate rows i, f, g, o:
///   i = σ(·), f = σ(·), g = tanh(·), o = σ(·)   of x W_ihᵀ + b_ih + h W_hhᵀ + b_hh
///   c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')
/// Its cache is the four activations and tanh(c').
enum LSTMCell: RecurrentCell {
    struct State: RecurrentState {
        let h: UnsafeMutablePointer<Float>
        let c: UnsafeMutablePointer<Float>
    }

    static let gateCount = 4

    static let hiddenBypassesWeights = false

    static func state(_ m: RecurrentMemory, after t: Int) -> State {
        State(h: m.step(m.h, t + 1, width: m.hidden), c: m.step(m.c, t + 1, width: m.hidden))
    }

    static func stateGradient(_ m: RecurrentMemory) -> State { State(h: m.dh, c: m.dc) }

    static func forward(_ m: RecurrentMemory, step t: Int, from s: State, to next: State) {
        if let kernels = Kernels.current.table {
            // the loop below in the kernel set's lanes (CKernels), bit for bit
            kernels.pointee.lstmForward(Int32(m.batch), Int32(m.hidden), m.step(m.gates, t, width: 4 * m.hidden),
                               m.recurrent, m.bias, s.c, next.c, next.h, m.step(m.tanhC, t, width: m.hidden),
                               t + 1 < m.steps ? 1 : 0)
            return
        }
        forwardLanes(m, step: t, from: s, to: next)
    }

    static func forwardLanes(_ m: RecurrentMemory, step t: Int, from s: State, to next: State) {
        // gates, recurrent (B, 4H) as [i | f | g | o], bias (4H), s.c (B, H)
        //   -> gates activated, next.h, next.c, tanh(next.c) (B, H)
        let n = m.hidden, gates = m.step(m.gates, t, width: 4 * n), tanhC = m.step(m.tanhC, t, width: n)
        let bi = m.bias, bf = bi + n, bg = bi + 2 * n, bo = bi + 3 * n
        for b in 0..<m.batch {
            let gi = gates + b * 4 * n, gf = gi + n, gg = gi + 2 * n, go = gi + 3 * n
            let ri = m.recurrent + b * 4 * n, rf = ri + n, rg = ri + 2 * n, ro = ri + 3 * n
            let c = s.c + b * n, cNext = next.c + b * n, hNext = next.h + b * n, tc = tanhC + b * n
            forEachLanes(n) { j, w in
                let input = fastSigmoid(gi.lanes(j, w) + ri.lanes(j, w) + bi.lanes(j, w))
                let forget = fastSigmoid(gf.lanes(j, w) + rf.lanes(j, w) + bf.lanes(j, w))
                let cell = fastTanh(gg.lanes(j, w) + rg.lanes(j, w) + bg.lanes(j, w))
                let out = fastSigmoid(go.lanes(j, w) + ro.lanes(j, w) + bo.lanes(j, w))
                let cj = forget * c.lanes(j, w) + input * cell
                gi.setLanes(j, w, input)
                gf.setLanes(j, w, forget)
                gg.setLanes(j, w, cell)
                go.setLanes(j, w, out)
                let tanhCj = fastTanh(cj)
                cNext.setLanes(j, w, cj)
                tc.setLanes(j, w, tanhCj)
                hNext.setLanes(j, w, out * tanhCj)
            }
        }
    }

    static func backward(_ m: RecurrentMemory, step t: Int, from s: State, to next: State, d: State,
                         dOutput: UnsafePointer<Float>, ldOutput: Int) {
        if let kernels = Kernels.current.table {
            let n = m.hidden
            kernels.pointee.lstmBackward(Int32(m.batch), Int32(n), m.step(m.gates, t, width: 4 * n), s.c,
                                m.step(m.tanhC, t, width: n), d.h, d.c, dOutput, Int32(ldOutput),
                                m.dGatesPackedOnly ? nil : m.dGates + t * m.dGatesStepRows * 4 * n,
                                m.dBias, m.packedGates,
                                Int32(m.packedRows), Int32((t - m.packedFirstStep) * m.batch), t >= 1 ? 1 : 0)
            return
        }
        backwardLanes(m, step: t, from: s, to: next, d: d, dOutput: dOutput, ldOutput: ldOutput)
    }

    static func backwardLanes(_ m: RecurrentMemory, step t: Int, from s: State, to next: State, d: State,
                              dOutput: UnsafePointer<Float>, ldOutput: Int) {
        // gates (B, 4H), s.c, tanh(next.c) (B, H), d.h + dOutput, d.c (B, H) -> dGates (B, 4H) as
        // [di | df | dg | do], dBias (4H) += Σ_B dGates; d.c ← ∂L/∂c; d.h is left as read (h reaches
        // the step only through W_hh)
        let n = m.hidden, gates = m.step(m.gates, t, width: 4 * n), dGates = m.dGates + t * m.dGatesStepRows * 4 * n
        let tanhC = m.step(m.tanhC, t, width: n)
        let dbi = m.dBias, dbf = dbi + n, dbg = dbi + 2 * n, dbo = dbi + 3 * n
        for b in 0..<m.batch {
            let gi = gates + b * 4 * n, gf = gi + n, gg = gi + 2 * n, go = gi + 3 * n
            let di = dGates + b * 4 * n, df = di + n, dg = di + 2 * n, dOut = di + 3 * n
            let c = s.c + b * n, tanhCNext = tanhC + b * n
            let dh = d.h + b * n, dc = d.c + b * n, dy = dOutput + b * ldOutput
            forEachLanes(n) { j, w in
                let input = gi.lanes(j, w), forget = gf.lanes(j, w), cell = gg.lanes(j, w), out = go.lanes(j, w)
                let tc = tanhCNext.lanes(j, w)
                let dhTotal = dh.lanes(j, w) + dy.lanes(j, w)
                let dcTotal = dc.lanes(j, w) + dhTotal * out * (1 - tc * tc)
                let dInput = dcTotal * cell * input * (1 - input)
                let dForget = dcTotal * c.lanes(j, w) * forget * (1 - forget)
                let dCell = dcTotal * input * (1 - cell * cell)
                let dOutGate = dhTotal * tc * out * (1 - out)
                di.setLanes(j, w, dInput)
                df.setLanes(j, w, dForget)
                dg.setLanes(j, w, dCell)
                dOut.setLanes(j, w, dOutGate)
                dbi.setLanes(j, w, dbi.lanes(j, w) + dInput)
                dbf.setLanes(j, w, dbf.lanes(j, w) + dForget)
                dbg.setLanes(j, w, dbg.lanes(j, w) + dCell)
                dbo.setLanes(j, w, dbo.lanes(j, w) + dOutGate)
                dc.setLanes(j, w, dcTotal * forget)
            }
        }
    }
}
