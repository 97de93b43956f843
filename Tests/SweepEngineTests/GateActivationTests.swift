import Testing
@testable import SweepEngine
import TestSupport

/// `Recurrent.forEachGateActivationRow`: the gate activations of the last forward, as
/// PyTorch's equations give them, on every forward path of the cells.
@Suite struct GateActivationTests {
    struct Case: CustomStringConvertible, Sendable {
        var cell: CellKind
        var hidden: Int
        var description: String { "\(cell.rawValue)-\(hidden)" }
    }

    /// Hidden 6 ends in a partial block of lanes.
    static let cases = [
        Case(cell: .lstm, hidden: 16), Case(cell: .lstm, hidden: 6), Case(cell: .gru, hidden: 16),
        Case(cell: .gru, hidden: 6),
    ]

    @Test(arguments: cases)
    func rowsAreEveryStepsGateActivations(_ c: Case) {
        BLAS.setThreads(1)  // as training runs
        let steps = 4, inputs = 5, n = c.hidden, g = c.cell.gateCount
        let params = ParameterStore()
        let layer = Recurrent(inputShape: [steps, inputs], cell: c.cell, hidden: n, returnSequences: false,
                              params: params, name: "rnn", layerIndex: 0)
        params.finalize()
        for (i, r) in params.refs.enumerated() { params.set(r, testValues(r.count, seed: 30 + UInt64(i), scale: 0.8)) }
        var before = 0
        layer.forEachGateActivationRow { _, _ in before += 1 }
        #expect(before == 0, "no forward yet")
        // a larger batch first: the rows must be the last forward's, not the buffers' capacity
        for batch in [5, 3] {
            let x = testValues(batch * steps * inputs, seed: 5 + UInt64(batch), scale: 2)
            _ = layer.forward(Tensor(shape: [batch, steps, inputs], values: x), mode: .eval)
            var got = [[Float]](repeating: [], count: g), order: [Int] = []
            layer.forEachGateActivationRow { gate, values in
                order.append(gate)
                got[gate] += values
            }
            #expect(order == (0..<(steps * batch)).flatMap { _ in 0..<g })
            let reference = ReferenceRecurrent(
                cell: c.cell, x: x, batch: batch, steps: steps, inputs: inputs, hidden: n,
                weightIH: params.values(of: layer.weightIH), weightHH: params.values(of: layer.weightHH),
                biasIH: params.values(of: layer.biasIH), biasHH: params.values(of: layer.biasHH))
            for k in 0..<g {
                #expect(got[k].count == steps * batch * n)
                guard got[k].count == reference.gates[k].count else { continue }
                let worst = zip(got[k], reference.gates[k]).map { abs(Double($0) - $1) }.max() ?? 0
                #expect(worst <= 1e-5, "\(c) batch \(batch) gate \(k): worst difference \(worst)")
            }
        }
    }

    /// The RNN's cache keeps x W_ihᵀ, not an activation: it has no gate rows to give.
    @Test func rnnGivesNoRows() {
        let params = ParameterStore()
        let layer = Recurrent(inputShape: [3, 2], cell: .rnn, hidden: 4, returnSequences: true, params: params,
                              name: "rnn", layerIndex: 0)
        params.finalize()
        _ = layer.forward(Tensor(shape: [2, 3, 2], values: testValues(12)), mode: .eval)
        var rows = 0
        layer.forEachGateActivationRow { _, _ in rows += 1 }
        #expect(rows == 0)
    }
}
