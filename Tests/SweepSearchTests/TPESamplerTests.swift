import Foundation
import Testing
import SweepConfig
import SweepSpec
import SweepTrain
@testable import SweepSearch

@Suite struct TPESamplerTests {
    static func bayes(seed: Int = 1, runCap: Int = 40) -> String {
        """
        method: bayes
        metric: {name: test_loss, goal: minimize}
        run_cap: \(runCap)
        seed: \(seed)
        parameters:
          model: {value: noop}
          optimizer: {values: [sgd, momentum, nesterov, adam]}
          momentum: {distribution: uniform, min: 0.5, max: 0.99, when: {optimizer: [momentum, nesterov]}}
          learning_rate: {distribution: log_uniform_values, min: 1e-5, max: 1}
          hidden: {distribution: q_log_uniform_values, min: 16, max: 256, q: 16}
          layers: {distribution: int_uniform, min: 1, max: 4}
          dropout: {distribution: normal, mu: 0.2, sigma: 0.1}
        """
    }

    @Test func startsWithTheRandomDraws() throws {
        let s = try spec(Self.bayes())
        var sampler = TPESampler(spec: s)
        let objective = SyntheticObjective()
        let values = try run(&sampler, budget: 10, inFlight: 1) { objective.value($0) }
        #expect(values.count == 10)
        #expect(sampler.tasks.map(\.id) == Array(try s.expand().prefix(10)).map(\.id))
    }

    @Test func proposalsAreValidReproducibleAndNew() throws {
        let objective = SyntheticObjective()
        var a = TPESampler(spec: try spec(Self.bayes(seed: 3)))
        var b = TPESampler(spec: try spec(Self.bayes(seed: 3)))
        _ = try run(&a, budget: 40, inFlight: 4) { objective.value($0) }
        _ = try run(&b, budget: 40, inFlight: 4) { objective.value($0) }
        #expect(a.tasks.count == 40 && a.tasks.map(\.id) == b.tasks.map(\.id))
        #expect(Set(a.tasks.map(\.id)).count == 40)
        for task in a.tasks {
            let c = task.config
            #expect((1e-5...1).contains(c.learningRate) && (1...4).contains(c.layers))
            #expect(c.hidden % 16 == 0 && (16...256).contains(c.hidden))
            #expect([.momentum, .nesterov].contains(c.optimizer) == (c.momentum != nil))
            #expect(c.momentum.map { (0.5...0.99).contains($0) } ?? true)
            #expect(c.dropout.map { (0..<1).contains($0) } ?? false)
        }
        var other = TPESampler(spec: try spec(Self.bayes(seed: 4)))
        _ = try run(&other, budget: 40, inFlight: 4) { objective.value($0) }
        #expect(other.tasks.map(\.id) != a.tasks.map(\.id))
    }

    @Test func aRestartedSamplerProposesTheSame() throws {
        let s = try spec(Self.bayes(seed: 5))
        let objective = SyntheticObjective()
        var original = TPESampler(spec: s)
        _ = try run(&original, budget: 20, inFlight: 4)  { objective.value($0) }   // 20 done, some pending
        var restarted = TPESampler(spec: s)
        for (task, outcome) in zip(original.history.tasks, original.history.outcomes) {
            restarted.add(task.config, outcome: outcome)
        }
        #expect(try restarted.propose(count: 3).map(\.id) == original.propose(count: 3).map(\.id))
    }

    @Test func neverRepeatsAKnownConfiguration() throws {
        var sampler = TPESampler(spec: try spec("""
            method: bayes
            run_cap: 20
            parameters:
              cell: {values: [rnn, lstm, gru]}
              batchnorm: {values: [true, false]}
            """))
        sampler.options.startupTasks = 2
        let values = try run(&sampler, budget: 20, inFlight: 2) { $0.cell == .gru ? 0.9 : 0.1 }
        #expect(values.count == 6 && Set(sampler.tasks.map(\.id)).count == 6)
        #expect(try sampler.propose() == nil)
    }

    /// Twelve completed tasks (losses 12, 11, …, 1 in index order), two stopped,
    /// one failed and one pending: n = 14 finished, γ(14) = 2, so the two lowest
    /// losses (tasks 11 and 10) are below; the rest above, with the pending one
    /// only under constant liar; the failed one nowhere.
    @Test func splitAsOptuna() throws {
        var sampler = TPESampler(spec: try spec("method: bayes\nmetric: {name: test_loss}\nrun_cap: 99\nparameters: {seed: {min: 1, max: 1000}}\n"))
        for i in 0..<16 {
            var config = TrainConfig()
            config.seed = i
            let outcome: TaskOutcome = switch i {
            case 0..<12: .completed(Double(12 - i))
            case 12: .stopped(epoch: 3, value: 0.5)
            case 13: .stopped(epoch: 5, value: 9)
            case 14: .failed
            default: .pending
            }
            sampler.add(config, outcome: outcome)
        }
        sampler.options.constantLiar = false
        var (below, above) = sampler.split()
        #expect(below == [10, 11] && above == Array(0..<10) + [12, 13])
        sampler.options.constantLiar = true
        (below, above) = sampler.split()
        #expect(below == [10, 11] && above == Array(0..<10) + [12, 13, 15])
        // With one completed task, the quota goes on to stopped ones, the latest epoch first.
        var stoppedFirst = TPESampler(spec: sampler.spec)
        for i in 0..<12 {
            var config = TrainConfig()
            config.seed = i
            stoppedFirst.add(config, outcome: i == 0 ? .completed(5) : .stopped(epoch: i == 7 ? 9 : 3, value: Double(i)))
        }
        #expect(stoppedFirst.split().below == [0, 7])
    }

    @Test func inactiveParametersAreAbsent() throws {
        var sampler = TPESampler(spec: try spec(Self.bayes()))
        var configs: [TrainConfig] = []
        for (i, optimizer) in [OptimizerName.sgd, .momentum, .adam, .nesterov, .sgd].enumerated() {
            var config = TrainConfig()
            config.model = .noop
            config.optimizer = optimizer
            config.seed = i
            if [.momentum, .nesterov].contains(optimizer) { config.momentum = 0.5 + 0.1 * Double(i) }
            configs.append(config)
            sampler.add(config, outcome: .completed(Double(i)))
        }
        let momentum = try #require(sampler.spec.parameters.firstIndex { $0.name == "momentum" })
        let seen = sampler.observations(momentum, Array(0..<5))
        #expect(seen.count == 2)
        #expect(abs(seen[0] - (0.6 - 0.5) / 0.49) < 1e-12 && abs(seen[1] - (0.8 - 0.5) / 0.49) < 1e-12)
    }

    /// Each distribution's value survives the trip to TPE's coordinate and back.
    @Test func coordinatesRoundTrip() throws {
        let cases = [
            "{distribution: uniform, min: 0.5, max: 1.5}", "{distribution: q_uniform, min: 0.5, max: 1.5, q: 0.25}",
            "{distribution: log_uniform, min: -3, max: 0}", "{distribution: log_uniform_values, min: 0.001, max: 0.1}",
            "{distribution: q_log_uniform_values, min: 1, max: 16, q: 1}", "{distribution: inv_log_uniform, min: 0, max: 3}",
            "{distribution: inv_log_uniform_values, min: 0.01, max: 0.5}", "{distribution: normal, mu: 5, sigma: 0.5}",
            "{distribution: log_normal, mu: 0, sigma: 0.5}", "{distribution: q_normal, mu: 5, sigma: 1, q: 0.5}",
        ]
        for distribution in cases {
            let s = try spec("method: random\nrun_cap: 20\nparameters:\n  clip_norm: \(distribution)\n")
            let dimension = SearchDimension(s.parameters[0])
            for task in try s.expand() {
                let value = try #require(task.params["clip_norm"])
                let u = try #require(dimension.coordinate(of: value))
                #expect((0...1).contains(u))
                let back = try TrainConfig(pairs: [("clip_norm", dimension.value(at: u))]).clipNorm!
                #expect(abs(back - task.config.clipNorm!) <= 1e-9 * max(1, back), "\(distribution): \(value.encoded) -> \(u) -> \(back)")
            }
        }
    }
}
