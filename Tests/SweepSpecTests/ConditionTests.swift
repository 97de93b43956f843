import SweepConfig
import Testing
@testable import SweepSpec

@Suite struct ConditionTests {
    @Test func aConditionalParameterIsSetOnlyWhereItsConditionHolds() throws {
        let t = try tasks("""
            method: grid
            parameters:
              optimizer: {values: [sgd, momentum, nesterov, adam]}
              momentum: {values: [0.5, 0.99], when: {optimizer: [momentum, nesterov]}}
            """)
        // 4 × 2 = 8 combinations; sgd and adam ignore momentum, so each appears once.
        #expect(t.map { "\(value($0, "optimizer")) \(value($0, "momentum"))" } == [
            "sgd 0.9", "momentum 0.5", "momentum 0.99", "nesterov 0.5", "nesterov 0.99", "adam 0.9",
        ])
        #expect(t.map(\.index) == Array(0..<6))
        #expect(t[0].config.momentum == nil)   // the default, not set
        #expect(t[1].config.momentum == 0.5)
    }

    @Test func aSingleValueConditionAndSeveralKeys() throws {
        let s = try spec("""
            method: grid
            parameters:
              model: {values: [mlp, rnn]}
              optimizer: {values: [sgd, momentum]}
              momentum: {value: 0.5, when: {optimizer: momentum, model: rnn}}
            """)
        #expect(s.parameters[2].conditions.map(\.key) == ["optimizer", "model"])
        #expect(s.parameters[2].conditions[0].values == ["momentum"])
        let t = try s.expand()
        #expect(t.count == 4)
        #expect(t.map { $0.config.momentum } == [nil, nil, nil, 0.5])
    }

    @Test func conditionsCompareValuesNotSpellings() throws {
        let t = try tasks("""
            method: grid
            parameters:
              learning_rate: {values: [0.1, 0.01]}
              batch_size: {value: 64, when: {learning_rate: 1e-1}}
            """)
        #expect(t.map(\.config.batchSize) == [64, 32])
    }

    @Test func aConditionMaySeeTrainingKeysThatAreNotParameters() throws {
        // model defaults to rnn, so the condition holds on every task.
        let t = try tasks("""
            method: grid
            parameters:
              hidden: {values: [8, 16]}
              cell: {value: gru, when: {model: rnn}}
              layers: {value: 2, when: {model: mlp}}
            """)
        #expect(t.map(\.config.cell) == [.gru, .gru])
        #expect(t.map(\.config.layers) == [1, 1])
    }

    @Test func conditionsMayChainInAnyFileOrder() throws {
        // clip_norm depends on momentum, which depends on optimizer; written in reverse.
        let t = try tasks("""
            method: grid
            parameters:
              clip_norm: {value: 5, when: {momentum: 0.5}}
              momentum: {value: 0.5, when: {optimizer: momentum}}
              optimizer: {values: [adam, momentum]}
            """)
        #expect(t.count == 2)
        #expect(t[0].config.clipNorm == nil && t[0].config.momentum == nil)
        #expect(t[1].config.clipNorm == 5 && t[1].config.momentum == 0.5)
    }

    @Test func conditionsInRandomSweeps() throws {
        let t = try tasks("""
            method: random
            run_cap: 40
            parameters:
              optimizer: {values: [sgd, momentum]}
              momentum: {distribution: uniform, min: 0.5, max: 0.99, when: {optimizer: momentum}}
              learning_rate: {distribution: log_uniform_values, min: 1e-4, max: 1e-1}
            """)
        #expect(t.count == 40)
        for task in t {
            if task.config.optimizer == .sgd { #expect(task.config.momentum == nil) }
            else { #expect((0.5...0.99).contains(task.config.momentum!)) }
        }
    }

    @Test func badConditions() {
        #expect(failure("""
            method: grid
            parameters:
              momentum: {value: 0.5, when: {optimiser: momentum}}
            """) == "t.yaml:3: parameters.momentum.when.optimiser: unknown key 'optimiser' (did you mean optimizer?)")
        #expect(failure("""
            method: grid
            parameters:
              momentum:
                value: 0.5
                when:
                  optimizer: [momentum, adamax]
            """) == "t.yaml:6: parameters.momentum.when.optimizer[1]: invalid value 'adamax' for optimizer: "
                + "expected one of sgd, momentum, nesterov, adagrad, rmsprop, adam, nadam, adamw")
        #expect(failure("""
            method: grid
            parameters:
              momentum: {value: 0.5, when: {momentum: 0.5}}
            """) == "t.yaml:3: parameters.momentum.when.momentum: a parameter cannot depend on itself")
        #expect(failure("""
            method: grid
            parameters:
              momentum: {value: 0.5, when: [optimizer]}
            """) == "t.yaml:3: parameters.momentum.when: expected a mapping such as {optimizer: [momentum, nesterov]}, got a list")
        #expect(failure("""
            method: grid
            parameters:
              momentum: {value: 0.5, when: {optimizer: []}}
            """) == "t.yaml:3: parameters.momentum.when.optimizer: empty list: expected at least one value")
        #expect(failure("""
            method: grid
            parameters:
              momentum: {value: 0.5, when: {clip_norm: 1}}
              clip_norm: {value: 1, when: {momentum: 0.5}}
            """) == "t.yaml:3: parameters.momentum.when: conditions form a cycle (momentum -> clip_norm -> momentum)")
    }
}
