import Foundation
import SweepConfig
import Testing
@testable import SweepSpec

@Suite struct GridTests {
    static let grid = """
        method: grid
        parameters:
          cell: {values: [rnn, lstm, gru]}
          hidden: {values: [16, 32]}
          learning_rate: {values: [0.1, 1e-2]}
          epochs: {value: 2}
        """

    @Test func countsAndOrderFollowItertoolsProduct() throws {
        let t = try tasks(Self.grid)
        #expect(t.count == 12)
        #expect(t.map(\.index) == Array(0..<12))
        // The first parameter varies slowest, the last fastest.
        let rows = t.map { "\(value($0, "cell")) \(value($0, "hidden")) \(value($0, "learning_rate"))" }
        #expect(rows == [
            "rnn 16 0.1", "rnn 16 0.01", "rnn 32 0.1", "rnn 32 0.01",
            "lstm 16 0.1", "lstm 16 0.01", "lstm 32 0.1", "lstm 32 0.01",
            "gru 16 0.1", "gru 16 0.01", "gru 32 0.1", "gru 32 0.01",
        ])
        #expect(t.allSatisfy { $0.config.epochs == 2 })
        // Keys that are not parameters keep their defaults.
        #expect(t.allSatisfy { $0.config.optimizer == .adam && $0.config.batchSize == 32 })
    }

    @Test func idsAreFNV1aOfTheCanonicalConfiguration() throws {
        let t = try tasks(Self.grid)
        for task in t {
            #expect(task.id.count == 16)
            #expect(task.id.allSatisfy { "0123456789abcdef".contains($0) })
            #expect(task.id == SweepTask.id(of: task.config))
            #expect(task.params == task.config.canonical)
        }
        #expect(Set(t.map(\.id)).count == t.count)
        // The streaming hash agrees with hashing `canonical.encoded`.
        #expect(SweepTask.streamingAgrees)
        for task in t { #expect(task.id == SweepTask.id(ofCanonical: task.config.canonical.encoded)) }
        // FNV-1a 64 test vectors (Fowler/Noll/Vo).
        #expect(SweepTask.id(ofCanonical: "") == "cbf29ce484222325")
        #expect(SweepTask.id(ofCanonical: "a") == "af63dc4c8601ec8c")
        #expect(SweepTask.id(ofCanonical: "foobar") == "85944171f73967e8")
    }

    @Test func idsAreStableAcrossRunsAndSpellings() throws {
        let a = try tasks(Self.grid)
        let b = try tasks(Self.grid)
        #expect(a.map(\.id) == b.map(\.id))
        // Same configuration, written differently: same id.
        let other = try tasks("""
            method: grid
            parameters:
              epochs: {values: [2.0]}
              hidden: {value: 16}
              learning_rate: {value: 1.0e-1}
              cell: {value: rnn}
            """)
        #expect(other.count == 1)
        #expect(other[0].id == a[0].id)
        // Pinned: the id of the default configuration never changes silently.
        #expect(SweepTask(index: 0, config: TrainConfig()).id == SweepTask.id(ofCanonical: TrainConfig().canonical.encoded))
        let defaults = try tasks("method: grid\nparameters:\n  model: {value: rnn}\n")
        #expect(defaults[0].id == SweepTask(index: 0, config: TrainConfig()).id)
    }

    @Test func equalConfigurationsAreKeptOnce() throws {
        // 0.1 and 1e-1 are the same learning rate; momentum 0.9 is adam's default.
        let t = try tasks("""
            method: grid
            parameters:
              learning_rate: {values: [0.1, 1e-1, 0.01]}
              momentum: {values: [0.9]}
            """)
        #expect(t.map { value($0, "learning_rate") } == ["0.1", "0.01"])
        #expect(t.map(\.index) == [0, 1])
    }

    @Test func gridTakesIntUniformAndQUniformAsW_BDoes() throws {
        let t = try tasks("""
            method: grid
            parameters:
              epochs: {min: 1, max: 3}
              dropout: {distribution: q_uniform, min: 0, max: 0.3, q: 0.1}
            """)
        // int_uniform: min…max; q_uniform: numpy's arange(min, max, q), without noise.
        #expect(t.count == 9)
        #expect(Set(t.map { value($0, "epochs") }) == ["1", "2", "3"])
        #expect(t.prefix(3).map { value($0, "dropout") } == ["0.0", "0.1", "0.2"])
        let p = try spec("""
            method: grid
            parameters:
              learning_rate: {distribution: q_uniform, min: 0.1, max: 0.7, q: 0.2}
            """).parameters[0]
        #expect(p.gridValues == ["0.1", "0.3", "0.5"])
        let integral = try spec("method: grid\nparameters:\n  epochs: {distribution: q_uniform, min: 2, max: 9, q: 3}\n")
        #expect(integral.parameters[0].gridValues == ["2", "5", "8"])
    }

    @Test func runCapTruncatesAGrid() throws {
        let t = try tasks(Self.grid + "\nrun_cap: 5\n")
        #expect(t.count == 5)
        #expect(t.map(\.id) == Array(try tasks(Self.grid).prefix(5)).map(\.id))
        // A capped grid over a huge range builds only what it reaches.
        let huge = try tasks("method: grid\nrun_cap: 3\nparameters:\n  seed: {min: -9223372036854775808, max: 9223372036854775807}\n")
        #expect(huge.map(\.config.seed) == [Int.min, Int.min + 1, Int.min + 2])
    }

    @Test func yamlScalarsBecomeTheTextTrainConfigParses() throws {
        let s = try spec("""
            method: grid
            parameters:
              learning_rate: {values: [1e-3, 1.0e-4, 0.5, 3]}
              hidden: {values: [0x10, 1_000, 32.0]}
              batchnorm: {values: [true, False, yes]}
              clip_norm: {values: [null, 1, "2.5"]}
              cell: {values: ['gru']}
            """)
        #expect(s.parameters.map(\.gridValues) == [
            ["0.001", "0.0001", "0.5", "3"],
            ["16", "1000", "32.0"],
            ["true", "false", "true"],
            ["none", "1", "2.5"],
            ["gru"],
        ])
        let t = try s.expand()
        // batchnorm true twice: the duplicate configurations are kept once.
        #expect(t.count == 4 * 3 * 2 * 3)
    }

    @Test func specKeysAndDefaults() throws {
        let s = try spec("method: grid\nparameters:\n  epochs: {value: 1}\n", path: "sweeps/my-sweep.yaml")
        #expect(s.name == "my-sweep")
        #expect(s.method == .grid)
        #expect(s.metric == MetricGoal(name: "test_accuracy", maximize: true))
        #expect(s.runCap == nil && s.seed == 0 && s.maxAttempts == 3 && s.earlyTerminate == nil)
        #expect(s.notes.isEmpty)
        #expect(s.path == "sweeps/my-sweep.yaml")
        #expect(s.source.hasPrefix("method: grid"))

        let t = try spec("""
            name: named
            method: random
            run_cap: 4
            seed: 7
            max_attempts: 5
            metric: {name: val_loss}
            parameters:
              epochs: {value: 1}
            early_terminate: {type: median, min_iter: 2}
            """)
        #expect(t.name == "named" && t.runCap == 4 && t.seed == 7 && t.maxAttempts == 5)
        // Without a goal, losses are minimized and accuracies maximized.
        #expect(t.metric == MetricGoal(name: "val_loss", maximize: false))
        #expect(try spec("method: grid\nmetric: {name: val_accuracy}\nparameters: {epochs: {value: 1}}").metric.maximize)
        #expect(t.earlyTerminate == EarlyTerminate(type: "median", minIter: 2, eta: 3))
        #expect(t.parameters.map(\.name) == ["epochs"])
    }

    @Test func aHundredThousandTaskGridExpandsQuickly() throws {
        let yaml = """
            method: grid
            parameters:
              hidden: {min: 1, max: 100}
              learning_rate: {min: 1, max: 100}
              epochs: {values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}
              model: {value: mlp}
            """
        let start = Date()
        let t = try tasks(yaml)
        let seconds = Date().timeIntervalSince(start)
        #expect(t.count == 100_000)
        #expect(Set(t.map(\.id)).count == 100_000)
        #expect(seconds < 2, "expanding 100,000 tasks took \(seconds) s")
        print("100,000-task grid expanded in \(String(format: "%.3f", seconds)) s")
    }
}
