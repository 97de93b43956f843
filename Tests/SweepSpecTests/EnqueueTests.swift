import Testing
import SweepConfig
@testable import SweepSpec

/// `enqueue:` — configurations run before the method's own tasks (Optuna's enqueue_trial).
@Suite struct EnqueueTests {
    static func random(_ enqueue: String, method: String = "random", runCap: Int = 6) -> String {
        """
        method: \(method)
        run_cap: \(runCap)
        seed: 5
        parameters:
          optimizer: {values: [sgd, momentum, adam]}
          momentum: {distribution: uniform, min: 0.5, max: 0.99, when: {optimizer: momentum}}
          learning_rate: {distribution: log_uniform_values, min: 1e-4, max: 1e-1}
          hidden: {distribution: q_uniform, min: 16, max: 128, q: 16}
        \(enqueue)
        """
    }

    static let two = """
        enqueue:
          - {optimizer: momentum, momentum: 0.9, learning_rate: 0.01, hidden: 64}
          - {learning_rate: 0.001, epochs: 3}
        """

    @Test func enqueuedTasksComeFirstAndCount() throws {
        let plain = try tasks(Self.random(""))
        let s = try spec(Self.random(Self.two))
        let t = try s.expand()
        #expect(t.count == 6)
        let first = t[0].config
        #expect(first.optimizer == .momentum && first.momentum == 0.9 && first.learningRate == 0.01 && first.hidden == 64)
        // Left out: drawn from the spec's distributions; a training key that is no parameter: set.
        let second = t[1].config
        #expect(second.learningRate == 0.001 && second.epochs == 3)
        #expect([.sgd, .momentum, .adam].contains(second.optimizer) && (16...128).contains(second.hidden) && second.hidden % 16 == 0)
        #expect((second.momentum != nil) == (second.optimizer == .momentum))
        // The method's own draws are those of the spec without enqueue, run_cap counting both.
        #expect(t.dropFirst(2).map(\.id) == plain.prefix(4).map(\.id))
        #expect(try s.enqueuedConfigurations() == [first, second])
        // Reproducible: the same values drawn again.
        #expect(try tasks(Self.random(Self.two)).map(\.id) == t.map(\.id))
    }

    @Test func everyMethodRunsThemFirst() throws {
        let grid = try tasks("""
            method: grid
            parameters:
              cell: {values: [rnn, lstm]}
              hidden: {values: [16, 32]}
            enqueue:
              - {cell: lstm, hidden: 32}
              - {cell: rnn, hidden: 16, epochs: 2}
            """)
        // The grid passes over the point run first; the second entry is another task (epochs 2).
        #expect(grid.map { "\($0.config.cell.rawValue)-\($0.config.hidden)-\($0.config.epochs)" }
                == ["lstm-32-1", "rnn-16-2", "rnn-16-1", "rnn-32-1", "lstm-16-1"])
        #expect(failure("method: grid\nparameters:\n  cell: {values: [rnn, lstm]}\nenqueue: [{cell: gru}]\n")
                == "t.yaml:4: enqueue[0].cell: expected one of the parameter's values (rnn, lstm)")
        let bayes = try tasks(Self.random(Self.two, method: "bayes"))
        #expect(bayes.prefix(2).map(\.id) == (try tasks(Self.random(Self.two))).prefix(2).map(\.id))
        let pbt = try spec("""
            method: pbt
            pbt: {population: 3}
            parameters:
              epochs: {value: 4}
              learning_rate: {distribution: log_uniform_values, min: 1e-4, max: 1e-1}
            enqueue:
              - {learning_rate: 0.05}
            """)
        let members = try pbt.expand()
        #expect(members.count == 3 && members[0].config.learningRate == 0.05)
    }

    @Test func badEntriesNameTheCulprit() {
        let cases: [(String, String)] = [
            ("enqueue: {learning_rate: 0.01}",
             "t.yaml:9: enqueue: expected a list of configurations such as [{learning_rate: 0.01}], got a mapping"),
            ("enqueue: []", "t.yaml:9: enqueue: empty list: expected configurations such as [{learning_rate: 0.01}]"),
            ("enqueue: [0.01]",
             "t.yaml:9: enqueue[0]: expected a mapping from parameters to values such as {learning_rate: 0.01}, got '0.01'"),
            ("enqueue: [{lerning_rate: 0.01}]", "t.yaml:9: enqueue[0].lerning_rate: unknown key 'lerning_rate' (did you mean learning_rate?)"),
            ("enqueue: [{learning_rate: -1}]", "t.yaml:9: enqueue[0].learning_rate: invalid value '-1' for learning_rate: expected a number > 0"),
            ("enqueue: [{learning_rate: 0.5}]",
             "t.yaml:9: enqueue[0].learning_rate: 0.5 is outside the parameter's range [0.0001, 0.1] (distribution log_uniform_values)"),
            ("enqueue: [{optimizer: rmsprop}]",
             "t.yaml:9: enqueue[0].optimizer: expected one of the parameter's values (sgd, momentum, adam)"),
            ("enqueue: [{hidden: 40}]", "t.yaml:9: enqueue[0].hidden: expected a multiple of q = 16.0 (distribution q_uniform)"),
            ("enqueue:\n  - {learning_rate: 0.01}\n  - {optimizer: adam, momentum: 0.9}",
             "t.yaml:11: enqueue[1].momentum: given, but its condition (when: {optimizer: [momentum]}) does not hold for this configuration"),
            ("enqueue:\n  - {optimizer: sgd, learning_rate: 0.01, hidden: 16}\n  - {learning_rate: 0.01, optimizer: sgd, hidden: 16}",
             "t.yaml:11: enqueue[1]: the same configuration as enqueue[0]"),
            ("enqueue: [{hidden: 16}, {hidden: 32}, {hidden: 48}, {hidden: 64}, {hidden: 80}, {hidden: 96}, {hidden: 112}]",
             "t.yaml:9: enqueue: 7 configurations, but run_cap is 6"),
        ]
        for (enqueue, message) in cases {
            #expect(failure(Self.random(enqueue)) == message, "\(enqueue)")
        }
        #expect(failure("method: pbt\npbt: {population: 2}\nparameters:\n  epochs: {value: 4}\n  learning_rate: {min: 0.001, max: 0.1}\n"
                        + "enqueue: [{learning_rate: 0.01}, {learning_rate: 0.02}, {learning_rate: 0.03}]")
                == "t.yaml:6: enqueue: 3 configurations, but the population (pbt.population) is 2")
    }
}
