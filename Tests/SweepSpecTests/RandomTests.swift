import SweepRandom
import Foundation
import Testing
@testable import SweepSpec

@Suite struct RandomTests {
    static func random(seed: Int, method: String = "random") -> String {
        """
        method: \(method)
        run_cap: 25
        seed: \(seed)
        parameters:
          cell: {values: [rnn, lstm, gru]}
          hidden: {min: 8, max: 256}
          learning_rate: {distribution: log_uniform_values, min: 1e-4, max: 1e-1}
          dropout: {distribution: uniform, min: 0, max: 0.5}
        """
    }

    @Test func runCapSeededDraws() throws {
        let a = try tasks(Self.random(seed: 1))
        #expect(a.count == 25)
        #expect(a.map(\.index) == Array(0..<25))
        #expect(Set(a.map(\.id)).count == 25)
        // Same seed, same tasks; another seed, other tasks.
        #expect(try tasks(Self.random(seed: 1)).map(\.id) == a.map(\.id))
        let b = try tasks(Self.random(seed: 2))
        #expect(Set(b.map(\.id)).isDisjoint(with: a.map(\.id)))
        // Until TPE lands, bayes draws like random.
        #expect(try tasks(Self.random(seed: 1, method: "bayes")).map(\.id) == a.map(\.id))
        for task in a {
            #expect([.rnn, .lstm, .gru].contains(task.config.cell))
            #expect((8...256).contains(task.config.hidden))
            #expect((1e-4...1e-1).contains(task.config.learningRate))
            #expect((0...0.5).contains(task.config.dropout!))
        }
    }

    @Test func drawsArePinned() throws {
        // The generator is SplitMix64 seeded by `seed`: these draws must not change
        // across platforms or Swift versions (they would change every task id).
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
        let t = try tasks("method: random\nrun_cap: 3\nparameters:\n  hidden: {min: 1, max: 1000}\n")
        let again = try tasks("method: random\nrun_cap: 3\nparameters:\n  hidden: {min: 1, max: 1000}\n")
        #expect(t.map(\.config.hidden) == again.map(\.config.hidden))
    }

    @Test func aSmallSpaceYieldsFewerTasksThanRunCap() throws {
        let t = try tasks("""
            method: random
            run_cap: 50
            parameters:
              cell: {values: [rnn, lstm, gru]}
              batchnorm: {values: [true, false]}
            """)
        #expect(t.count == 6)
        #expect(Set(t.map(\.id)).count == 6)
    }

    @Test func probabilitiesWeightTheValues() throws {
        let t = try tasks("""
            method: random
            run_cap: 400
            parameters:
              seed: {min: 1, max: 1000000}
              cell: {values: [rnn, lstm, gru], probabilities: [0.8, 0.2, 0.0]}
            """)
        let rnn = t.filter { $0.config.cell == .rnn }.count
        #expect(!t.contains { $0.config.cell == .gru })
        #expect((280...360).contains(rnn), "\(rnn) of 400 draws were rnn")
    }

    /// Every distribution, drawn many times, stays in its range.
    @Test func everyDistributionDrawsInRange() throws {
        let e = M_E
        let cases: [(String, (Double) -> Bool)] = [
            ("{distribution: constant, value: 0.25}", { $0 == 0.25 }),
            ("{distribution: categorical, values: [0.5, 0.75]}", { $0 == 0.5 || $0 == 0.75 }),
            ("{distribution: int_uniform, min: 2, max: 5}", { (2...5).contains($0) && $0 == $0.rounded() }),
            ("{distribution: uniform, min: 0.5, max: 1.5}", { (0.5...1.5).contains($0) }),
            ("{distribution: q_uniform, min: 0.5, max: 1.5, q: 0.25}",
             { (0.5...1.5).contains($0) && ($0 / 0.25) == ($0 / 0.25).rounded() }),
            ("{distribution: log_uniform, min: -3, max: 0}", { (pow(e, -3) * 0.999999...1.000001).contains($0) }),
            ("{distribution: log_uniform_values, min: 0.001, max: 0.1}", { (0.001...0.1).contains($0) }),
            ("{distribution: q_log_uniform, min: 0, max: 3, q: 0.5}",
             { (1...pow(e, 3) + 0.25).contains($0) && ($0 / 0.5) == ($0 / 0.5).rounded() }),
            ("{distribution: q_log_uniform_values, min: 1, max: 16, q: 1}", { (1...16).contains($0) && $0 == $0.rounded() }),
            ("{distribution: inv_log_uniform, min: 0, max: 3}", { (pow(e, -3) * 0.999999...1.000001).contains($0) }),
            ("{distribution: inv_log_uniform_values, min: 0.01, max: 0.5}", { (0.01 * 0.999999...0.5 * 1.000001).contains($0) }),
            ("{distribution: normal, mu: 5, sigma: 0.5}", { (2...8).contains($0) }),
            ("{distribution: q_normal, mu: 5, sigma: 1, q: 0.5}", { (0...10).contains($0) && ($0 / 0.5) == ($0 / 0.5).rounded() }),
            ("{distribution: log_normal, mu: 0, sigma: 0.5}", { (0.01...100).contains($0) }),
            ("{distribution: q_log_normal, mu: 2, sigma: 0.5, q: 1}", { (0...1000).contains($0) && $0 == $0.rounded() }),
        ]
        for (distribution, inRange) in cases {
            // clip_norm takes any number > 0; the values are checked against it as they are drawn.
            let t = try tasks("method: random\nrun_cap: 300\nseed: 3\nparameters:\n  clip_norm: \(distribution)\n")
            #expect(!t.isEmpty)
            for task in t {
                let x = try #require(task.config.clipNorm)
                #expect(inRange(x), "\(distribution) drew \(x)")
            }
        }
        // A W&B log_uniform spans orders of magnitude: both ends are reached.
        let t = try tasks("method: random\nrun_cap: 200\nparameters:\n  learning_rate: {distribution: log_uniform_values, min: 1e-5, max: 1}\n")
        #expect(t.contains { $0.config.learningRate < 1e-4 } && t.contains { $0.config.learningRate > 0.1 })
    }

    @Test func quantizedDrawsHaveNoBinaryNoise() throws {
        let t = try tasks("method: random\nrun_cap: 100\nparameters:\n  dropout: {distribution: q_uniform, min: 0, max: 0.9, q: 0.1}\n")
        let texts = Set(t.map { value($0, "dropout") })
        #expect(texts.isSubset(of: ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"]))
        // An integer q gives integers, as W&B's does.
        let b = try spec("method: random\nrun_cap: 1\nparameters:\n  batch_size: {distribution: q_log_uniform_values, min: 32, max: 256, q: 8}\n")
        var rng = SplitMix64(seed: 9)
        for _ in 0..<100 {
            let text = b.parameters[0].domain.sample(&rng)
            #expect(Int(text) != nil && Int(text)! % 8 == 0, "\(text)")
        }
    }

    @Test func invalidDrawsAreRedrawnWithinBounds() throws {
        // A normal centred on a valid learning rate sometimes crosses 0: those draws are redrawn.
        let t = try tasks("method: random\nrun_cap: 200\nparameters:\n  learning_rate: {distribution: normal, mu: 0.01, sigma: 0.01}\n")
        #expect(t.count == 200)
        #expect(t.allSatisfy { $0.config.learningRate > 0 })
    }
}
