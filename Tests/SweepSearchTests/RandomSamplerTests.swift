import Testing
import SweepConfig
import SweepSpec
@testable import SweepSearch

@Suite struct RandomSamplerTests {
    static let conditional = """
        method: random
        run_cap: 30
        seed: 7
        parameters:
          optimizer: {values: [sgd, momentum, nesterov, adam]}
          momentum: {distribution: uniform, min: 0.5, max: 0.99, when: {optimizer: [momentum, nesterov]}}
          learning_rate: {distribution: log_uniform_values, min: 1e-4, max: 1e-1}
          hidden: {distribution: q_log_uniform_values, min: 16, max: 256, q: 16}
        """

    @Test func proposesWhatExpandLists() throws {
        let s = try spec(Self.conditional)
        var sampler = RandomSampler(spec: s)
        let proposed = try sampler.propose(count: 100)
        #expect(proposed.map(\.id) == (try s.expand()).map(\.id))
        #expect(proposed.count == 30 && proposed.map(\.index) == Array(0..<30))
        #expect(try sampler.propose() == nil)   // run_cap
        // `when:` holds: momentum is set only for momentum and nesterov (elsewhere its default, 0.9 or none).
        #expect(proposed.contains { $0.config.momentum != nil })
        #expect(proposed.allSatisfy { [.momentum, .nesterov].contains($0.config.optimizer) == ($0.config.momentum != nil) })
    }

    @Test func aRestartedSamplerGoesOnWhereItStopped() throws {
        let s = try spec(Self.conditional)
        var original = RandomSampler(spec: s)
        let all = try original.propose(count: 12)
        var restarted = RandomSampler(spec: s)
        for task in all.prefix(8) { restarted.add(task.config, outcome: .completed(1)) }
        #expect(try restarted.propose(count: 4).map(\.id) == all.suffix(4).map(\.id))
    }

    @Test func aSmallSpaceRunsOut() throws {
        var sampler = RandomSampler(spec: try spec("""
            method: random
            run_cap: 50
            parameters:
              cell: {values: [rnn, lstm, gru]}
              batchnorm: {values: [true, false]}
            """))
        let tasks = try sampler.propose(count: 50)
        #expect(tasks.count == 6 && Set(tasks.map(\.id)).count == 6)
        #expect(try sampler.propose() == nil)
    }

    @Test func specChoosesTheSampler() throws {
        #expect(try spec(Self.conditional).sampler() is RandomSampler)
        #expect(try spec(Self.conditional.replacingOccurrences(of: "method: random", with: "method: bayes")).sampler() is TPESampler)
        #expect(try spec("method: grid\nparameters: {hidden: {values: [1, 2]}}\n").sampler() is GridSampler)
    }

    @Test func gridSamplerWalksTheGridOnce() throws {
        let s = try spec("method: grid\nparameters:\n  hidden: {values: [1, 2, 3]}\n  cell: {values: [rnn, gru]}\n")
        var original = try GridSampler(spec: s)
        let all = try original.propose(count: 10)
        #expect(all.map(\.id) == (try s.expand()).map(\.id) && all.count == 6)
        var restarted = try GridSampler(spec: s)
        restarted.add(all[3].config, outcome: .completed(0.5))
        restarted.add(all[0].config)
        #expect(try restarted.propose(count: 10).map(\.id) == [1, 2, 4, 5].map { all[$0].id })
    }
}
