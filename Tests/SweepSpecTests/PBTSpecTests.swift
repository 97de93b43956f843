import Foundation
import Testing
import SweepConfig
@testable import SweepSpec

/// `method: pbt` and its `pbt:` block.
@Suite struct PBTSpecTests {
    static func pbt(_ block: String = "", parameters: String = "", extra: String = "") -> String {
        """
        method: pbt
        seed: 3
        \(block)\(extra)
        parameters:
          model: {value: rnn}
          cell: {value: lstm}
          epochs: {value: 8}
          learning_rate: {distribution: log_uniform_values, min: 1e-3, max: 1e-1}
          momentum: {distribution: uniform, min: 0.5, max: 0.99}
        \(parameters)
        """
    }

    @Test func defaultsAndPopulation() throws {
        let s = try spec(Self.pbt())
        #expect(s.method == .pbt && s.pbt == PBTSettings(population: 8, interval: 2, quantile: 0.25, resampleProbability: 0.25))
        #expect(s.runCap == 8 && s.fixedEpochs == 8)
        // The population: the first eight random draws of the same spec, ids and all.
        let members = try s.expand()
        #expect(members.count == 8 && members.map(\.index) == Array(0..<8))
        let random = try spec(Self.pbt().replacingOccurrences(of: "method: pbt", with: "method: random\nrun_cap: 8"))
        #expect(members.map(\.id) == (try random.expand()).map(\.id))
        #expect(try s.expand().map(\.id) == members.map(\.id))
    }

    @Test func theBlock() throws {
        let s = try spec(Self.pbt("pbt: {population: 4, interval: 3, quantile: 0.5, resample_probability: 0}"))
        #expect(s.pbt == PBTSettings(population: 4, interval: 3, quantile: 0.5, resampleProbability: 0))
        #expect(try s.expand().count == 4)
        #expect(try spec(Self.pbt("pbt: {population: 2, interval: 7, resample_probability: 1}")).pbt
                == PBTSettings(population: 2, interval: 7, quantile: 0.25, resampleProbability: 1))
    }

    @Test func whatItExplores() throws {
        let s = try spec("""
            method: random
            run_cap: 2
            parameters:
              learning_rate: {distribution: log_uniform_values, min: 1e-3, max: 1e-1}
              momentum: {distribution: normal, mu: 0.9, sigma: 0.02}
              dropout: {distribution: q_uniform, min: 0, max: 0.5, q: 0.05}
              weight_decay: {values: [0, 0.001]}
              clip_norm: {distribution: uniform, min: 1, max: 1}
              hidden: {distribution: q_log_uniform_values, min: 16, max: 256, q: 16}
              layers: {min: 1, max: 3}
              validation_fraction: {distribution: uniform, min: 0.1, max: 0.2}
            """)
        #expect(s.parameters.filter(\.isExplorable).map(\.name) == ["learning_rate", "momentum", "dropout"])
    }

    @Test func boundsAndNearestValues() throws {
        func domain(_ text: String) throws -> ParameterDomain {
            try spec("method: random\nrun_cap: 1\nparameters:\n  learning_rate: \(text)\n").parameters[0].domain
        }
        let log = try domain("{distribution: log_uniform_values, min: 0.001, max: 0.1}")
        #expect(log.bounds == 0.001...0.1)
        #expect(log.value(near: 0.12) == "0.1" && log.value(near: 0.0005) == "0.001" && log.value(near: 0.05) == "0.05")
        let q = try domain("{distribution: q_uniform, min: 0.1, max: 0.5, q: 0.1}")
        #expect(q.bounds == 0.1...0.5 && q.q == 0.1)
        #expect(q.value(near: 0.24) == "0.2" && q.value(near: 0.36) == "0.4" && q.value(near: 0.6) == "0.5" && q.value(near: 0.3) == "0.3")
        let natural = try domain("{distribution: log_uniform, min: -5, max: -1}")
        #expect(abs(natural.bounds!.lowerBound - exp(-5.0)) < 1e-15 && abs(natural.bounds!.upperBound - exp(-1.0)) < 1e-15)
        let normal = try domain("{distribution: normal, mu: 0.01, sigma: 0.001}")
        #expect(normal.bounds == nil && normal.value(near: 7) == "7.0")
        #expect(try domain("{values: [0.1, 0.2]}").bounds == nil)
    }

    @Test func badSpecsNameTheCulprit() {
        let lr = "  dropout: {values: [0.1, 0.2]}\n"
        let cases: [(String, String)] = [
            (Self.pbt("pbt: {population: 1}"), "t.yaml:3: pbt.population: expected an integer >= 2, got 1"),
            (Self.pbt("pbt: {interval: 0}"), "t.yaml:3: pbt.interval: expected an integer >= 1, got 0"),
            (Self.pbt("pbt: {quantile: 0}"), "t.yaml:3: pbt.quantile: expected a fraction with 0 < q <= 0.5, got 0.0"),
            (Self.pbt("pbt: {quantile: 0.75}"), "t.yaml:3: pbt.quantile: expected a fraction with 0 < q <= 0.5, got 0.75"),
            (Self.pbt("pbt: {resample_probability: 1.5}"),
             "t.yaml:3: pbt.resample_probability: expected a probability with 0 <= p <= 1, got 1.5"),
            (Self.pbt("pbt: {populaton: 4}"),
             "t.yaml:3: pbt.populaton: unknown key (expected population, interval, quantile, resample_probability)"),
            (Self.pbt("pbt: 8"), "t.yaml:3: pbt: expected a mapping such as {population: 8, interval: 2, quantile: 0.25, "
                + "resample_probability: 0.25}, got '8'"),
            (Self.pbt("pbt: {interval: 8}"), "t.yaml:3: pbt.interval: interval 8 is not below epochs 8: no member would ever exploit another"),
            (Self.pbt(extra: "run_cap: 10"), "t.yaml:3: run_cap: does not apply to method pbt: it runs pbt.population members (8)"),
            (Self.pbt(extra: "early_terminate: {type: hyperband, min_iter: 1}"),
             "t.yaml:3: early_terminate: does not apply to method pbt: its exploit step replaces the bottom members"),
            (Self.pbt().replacingOccurrences(of: "epochs: {value: 8}", with: "epochs: {values: [4, 8]}"),
             "t.yaml:7: parameters.epochs: method pbt trains every member for the same epochs: give epochs one value, unconditionally"),
            ("method: random\nrun_cap: 3\npbt: {population: 4}\nparameters:\n\(lr)",
             "t.yaml:3: pbt: applies to method pbt only (this spec's method is random)"),
            ("method: pbt\nparameters:\n\(lr)  hidden: {min: 8, max: 64}\n",
             "t.yaml:2: parameters: method pbt needs a parameter to explore: a distribution over real numbers on a key such as "
                + "learning_rate, momentum, weight_decay or dropout (docs/spec.md#population-based-training)"),
        ]
        for (yaml, message) in cases {
            #expect(failure(yaml) == message, "\(yaml)")
        }
        // Without an epochs parameter the key's default (1) leaves no boundary for the default interval.
        #expect(failure("method: pbt\nparameters:\n  learning_rate: {min: 0.001, max: 0.1}\n")
                == "t.yaml:1: pbt.interval: interval 2 is not below epochs 1: no member would ever exploit another")
    }
}
