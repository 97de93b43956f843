import Foundation
import Testing
import SweepInsights
import SweepConfig
import SweepEngine
import TestSupport
@testable import SweepTrain

/// The activation statistics of LSTM and GRU gates, recorded by the eval pass.
@Suite struct GateStatisticsTests {
    /// Mean, population std and saturation share of reference values, computed apart from
    /// `StatisticsAccumulator`.
    static func statistics(_ values: [Double], bounds: (Double, Double)) -> (mean: Double, std: Double, saturation: Double) {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let saturated = values.filter { $0 - bounds.0 <= 0.02 || bounds.1 - $0 <= 0.02 }.count
        return (mean, variance.squareRoot(), Double(saturated) / n)
    }

    /// A two-layer model of each cell in eval mode, two batches through the recorder: one
    /// entry per gate after each recurrent layer's own, with the mean, std and saturation of
    /// the gates PyTorch's equations give (scalar, in Double) over both batches.
    @Test(arguments: [CellKind.lstm, .gru])
    func gatesMatchAScalarReimplementation(cell: CellKind) throws {
        BLAS.setThreads(1)  // as training runs
        let steps = 6, inputs = 5, hidden = 16
        let config = try TrainConfig(arguments: ["model=rnn", "cell=\(cell.rawValue)", "hidden=\(hidden)", "layers=2"])
        let model = try Models.make(config, inputShape: [1, steps, inputs], classes: 3)
        // weights large enough that a good share of the gates saturates
        for (i, r) in model.params.refs.enumerated() {
            model.params.set(r, testValues(r.count, seed: 40 + UInt64(i), scale: 2))
        }
        let recurrent = model.layers.compactMap { $0 as? Recurrent }
        #expect(recurrent.count == 2)

        let recorder = ActivationRecorder(model: model)
        let gateCount = cell.gateCount
        var reference = [[[Double]]](repeating: [[Double]](repeating: [], count: gateCount), count: 2)
        for (batch, seed) in [(4, UInt64(1)), (3, 2)] {
            let x = testValues(batch * steps * inputs, seed: seed, scale: 2)
            _ = recorder.forward(Tensor(shape: [batch, 1, steps, inputs], values: x))
            var input = x
            for (k, layer) in recurrent.enumerated() {
                let p = model.params
                let r = ReferenceRecurrent(cell: cell, x: input, batch: batch, steps: steps, inputs: layer.inputs,
                                           hidden: hidden, weightIH: p.values(of: layer.weightIH),
                                           weightHH: p.values(of: layer.weightHH), biasIH: p.values(of: layer.biasIH),
                                           biasHH: p.values(of: layer.biasHH))
                for g in 0..<gateCount { reference[k][g] += r.gates[g] }
                input = r.sequence
            }
        }

        let activations = recorder.activations
        let gates = cell == .lstm
            ? [("input_gate", "sigmoid"), ("forget_gate", "sigmoid"), ("cell_gate", "tanh"), ("output_gate", "sigmoid")]
            : [("reset_gate", "sigmoid"), ("update_gate", "sigmoid"), ("new_gate", "tanh")]
        let layerNames = ["rnn.l0", "rnn.l1"].flatMap { l in [l] + gates.map { l + "." + $0.0 } } + ["fc"]
        #expect(activations.map(\.layer) == layerNames)
        #expect(activations.map(\.kind) == [cell.rawValue] + gates.map(\.1) + [cell.rawValue] + gates.map(\.1) + ["dense"])
        // only the gates measure saturation
        #expect(activations.map { $0.statistics.saturation != nil } == activations.map { $0.layer.hasSuffix("_gate") })

        var saturations: [Double] = []
        for k in 0..<2 {
            for (g, gate) in gates.enumerated() {
                let a = try #require(activations.first { $0.layer == "rnn.l\(k).\(gate.0)" })
                #expect(a.stage == .afterNonlinearity)
                #expect(a.shape == [steps, hidden])
                #expect(a.statistics.count == 7 * steps * hidden)
                let expected = Self.statistics(reference[k][g], bounds: gate.1 == "tanh" ? (-1, 1) : (0, 1))
                let s = a.statistics
                #expect(abs(s.mean - expected.mean) < 1e-5, "\(a.layer) mean \(s.mean), expected \(expected.mean)")
                #expect(abs(s.std - expected.std) < 1e-5, "\(a.layer) std \(s.std), expected \(expected.std)")
                // a value within 1e-6 of a margin may fall on either side of it: allow one
                let saturation = try #require(s.saturation)
                #expect(abs(saturation - expected.saturation) <= 1.5 / Double(s.count),
                        "\(a.layer) saturation \(saturation), expected \(expected.saturation)")
                saturations.append(saturation)
            }
        }
        // the weights make the measure discriminate: neither nothing nor everything saturates
        #expect(saturations.contains { $0 > 0.1 } && saturations.allSatisfy { $0 < 0.95 }, "\(saturations)")
    }

    /// A training run of each cell records its gates; the RNN has none to add.
    @Test(arguments: ["rnn", "lstm", "gru"])
    func runsRecordGatesThatSurviveTheirJSON(cell: String) throws {
        let config = try TrainConfig(arguments: [
            "dataset=synthetic", "model=rnn", "cell=\(cell)", "hidden=8", "train_per_class=5", "test_per_class=3",
            "epochs=1", "batch_size=16", "validation_fraction=0",
        ])
        let insights = try #require(try Trainer(config: config).run().insights)
        let gates = insights.activations.filter { $0.layer.hasPrefix("rnn.l0.") }
        #expect(gates.count == ["rnn": 0, "lstm": 4, "gru": 3][cell]!)
        for g in gates {
            let saturation = try #require(g.statistics.saturation)
            #expect(saturation >= 0 && saturation <= 1)
            #expect(g.statistics.count == 30 * g.shape.reduce(1, *))
        }
        let back = try #require(RunInsights(json: JSON.parse(insights.json.encoded)))
        #expect(back.activations.map(\.statistics.saturation) == insights.activations.map(\.statistics.saturation))
        #expect(back.activations.map(\.layer) == insights.activations.map(\.layer))
    }

    /// Insights stored before gates were recorded have no "saturated": they read as before,
    /// without a saturation, and write back to the same text.
    @Test func insightsWithoutSaturationStillDecode() throws {
        let old = #"{"loss_every":1,"steps_per_epoch":2,"steps":[[1,0.5],[2,0.25]],"activations":["#
            + #"{"layer":"rnn.l0","kind":"lstm","shape":[16],"stage":"post","mean":0.125,"std":0.5,"zeros":0.0,"count":96},"#
            + #"{"layer":"fc","kind":"dense","shape":[10],"stage":"","mean":-0.5,"std":2.0,"zeros":0.0,"count":60}],"#
            + #""filters":null}"#
        let insights = try #require(RunInsights(json: JSON.parse(old)))
        #expect(insights.activations.map(\.layer) == ["rnn.l0", "fc"])
        #expect(insights.activations.allSatisfy { $0.statistics.saturation == nil })
        #expect(insights.activations[0].statistics == ValueStatistics(mean: 0.125, std: 0.5, zeroFraction: 0, count: 96))
        #expect(insights.json.encoded == old)

        // a gate's saturation goes out as "saturated" and comes back; NaN (no values) as null
        var gated = insights
        gated.activations.append(LayerActivations(
            layer: "rnn.l0.forget_gate", kind: "sigmoid", shape: [28, 16], stage: .afterNonlinearity,
            statistics: ValueStatistics(mean: 0.75, std: 0.25, zeroFraction: 0, count: 2688, saturation: 0.375)))
        gated.activations.append(LayerActivations(
            layer: "rnn.l0.cell_gate", kind: "tanh", shape: [28, 16], stage: .afterNonlinearity,
            statistics: StatisticsAccumulator(bounds: -1...1).statistics))
        let text = gated.json.encoded
        #expect(text.contains(#""count":2688,"saturated":0.375}"#))
        let back = try #require(RunInsights(json: JSON.parse(text)))
        #expect(back.activations[2].statistics.saturation == 0.375)
        #expect(back.activations[3].statistics.saturation?.isNaN == true)
        #expect(back.activations[0].statistics.saturation == nil)
    }

    /// The accumulator counts values within the margin of either bound, the bounds included.
    @Test func saturationCountsBothEndsOfTheRange() {
        var sigmoid = StatisticsAccumulator(bounds: StatisticsAccumulator.bounds(of: .sigmoid))
        sigmoid.add([0, 0.01, 0.03, 0.5, 0.97, 0.99, 1])
        #expect(sigmoid.statistics.saturation == 4.0 / 7)
        var tanh = StatisticsAccumulator(bounds: StatisticsAccumulator.bounds(of: .tanh))
        tanh.add([-1, -0.99, -0.5, 0, 0.01, 0.5])
        tanh.add([0.97, 0.995])
        #expect(tanh.statistics.saturation == 3.0 / 8)
        #expect(StatisticsAccumulator.bounds(of: .relu) == nil)
        var plain = StatisticsAccumulator()
        plain.add([0, 1])
        #expect(plain.statistics.saturation == nil)
    }
}
