import Testing
@testable import SweepEngine
import TestSupport

/// Forward and backward of the recurrent layer against PyTorch's nn.RNN, nn.LSTM
/// and nn.GRU. Fixtures/recurrent.json is written by Fixtures/make_recurrent.py.
@Suite struct RecurrentGoldenTests {
    /// Max |diff| allowed; fastTanh is within a few ulp of tanhf, and the error stays
    /// near 1e-6 over the five steps.
    static let tolerance: Float = 1e-5

    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var returnSequences: Bool
        var description: String { "\(name) \(returnSequences ? "sequence" : "last")" }
    }

    /// Hidden 6 runs the cells' eight-lane loops as one partial block, hidden 11 as a full and a partial one.
    static let cases = ["rnn", "lstm", "gru", "rnn_h11", "lstm_h11", "gru_h11", "lstm_2layers"].flatMap { name in
        [false, true].map { Case(name: name, returnSequences: $0) }
    }

    /// The fixture's stack as layers named like PyTorch's state_dict ("rnn.weight_ih_l0", ...).
    func build(_ g: Fixture, returnSequences: Bool, params: ParameterStore) -> [Recurrent] {
        let c = g["config"], x = g.shape("input")
        var shape = [x[1], x[2]], layers: [Recurrent] = []
        for k in 0..<c.int("layers") {
            let last = k == c.int("layers") - 1
            let layer = Recurrent(inputShape: shape, cell: CellKind(rawValue: c.string("cell"))!,
                                  hidden: c.int("hidden"), returnSequences: returnSequences || !last,
                                  params: params, name: "rnn", layerIndex: k)
            layers.append(layer)
            shape = [x[1], layer.hidden]
        }
        return layers
    }

    func expectClose(_ actual: [Float], _ expected: [Float], _ what: String) -> Float {
        #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)")
        guard actual.count == expected.count else { return .infinity }
        let diff = maxAbsDiff(actual, expected)
        #expect(diff <= Self.tolerance, "\(what): max |diff| \(diff)")
        return diff
    }

    @Test(arguments: cases)
    func matchesPyTorch(_ c: Case) throws {
        let g = try Fixture(named: "recurrent.json")["cases"][c.name]
        let params = ParameterStore()
        let layers = build(g, returnSequences: c.returnSequences, params: params)
        params.finalize()
        // every parameter, in PyTorch's order, under its state_dict name
        let names = g["params"].keys
        #expect(params.refs.map(\.name).sorted() == names.map { "rnn." + $0 })
        for key in names {
            let ref = try #require(params.ref(named: "rnn." + key))
            #expect(ref.shape == g["params"].shape(key), "\(key) shape")
            params.set(ref, g["params"].floats(key))
        }
        #expect(params.refs.map(\.name) == (0..<layers.count).flatMap { k in
            ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map { "rnn.\($0)_l\(k)" }
        })

        let x = g.tensor("input")
        var y = x
        for layer in layers { y = layer.forward(y, mode: .train) }
        let expected = c.returnSequences ? "output_sequence" : "output_last"
        #expect(y.shape == g.shape(expected))
        var worst = expectClose(y.array, g.floats(expected), "\(c) output")

        let back = g[c.returnSequences ? "sequence" : "last"]
        params.zeroGrads()
        var d = back.tensor("grad_output")
        for layer in layers.reversed() { d = layer.backward(d) }
        #expect(d.shape == x.shape)
        worst = max(worst, expectClose(d.array, back.floats("grad_input"), "\(c) input gradient"))
        for key in names {
            let ref = params.ref(named: "rnn." + key)!
            worst = max(worst, expectClose(params.grads(of: ref), back["grads"].floats(key), "\(c) \(key) gradient"))
        }
        print("RecurrentGolden \(c): max |diff| \(worst)")
    }
}
