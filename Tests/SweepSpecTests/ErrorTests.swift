import Foundation
import Testing
@testable import SweepSpec

/// Every promised error, on one line: `<path>:<line>: <key path>: <problem>`.
@Suite struct ErrorTests {
    @Test func exactMessages() {
        let cases: [(String, String)] = [
            ("""
            method: grid
            parameters:
              learning_rate:
                min: abc
                max: 0.1
            """, "sweeps/x.yaml:4: parameters.learning_rate.min: expected a number, got 'abc'"),
            ("""
            method: grid
            parameters:
              learning_rate: {values: [0.1, -1]}
            """, "sweeps/x.yaml:3: parameters.learning_rate.values[1]: invalid value '-1' for learning_rate: expected a number > 0"),
            ("""
            method: grid
            parameters:
              hidden: {values: [16]}
              lerning_rate: {values: [0.1]}
            """, "sweeps/x.yaml:4: parameters.lerning_rate: unknown key 'lerning_rate' (did you mean learning_rate?)"),
            ("""
            method: grid
            parameters:
              cell:
                values: []
            """, "sweeps/x.yaml:4: parameters.cell.values: empty list: expected at least one value"),
            ("""
            method: random
            run_cap: 3
            parameters:
              learning_rate:
                distribution: uniform
                min: 0.5
                max: 0.1
            """, "sweeps/x.yaml:6: parameters.learning_rate.min: min 0.5 is greater than max 0.1"),
            ("""
            method: random
            run_cap: 3
            parameters:
              learning_rate:
                distribution: log_uniformish
                min: 0.5
                max: 0.1
            """, "sweeps/x.yaml:5: parameters.learning_rate.distribution: unknown distribution 'log_uniformish' (expected one of "
                + "constant, categorical, int_uniform, uniform, q_uniform, log_uniform, log_uniform_values, q_log_uniform, "
                + "q_log_uniform_values, inv_log_uniform, inv_log_uniform_values, normal, q_normal, log_normal, q_log_normal)"),
            ("""
            method: grid
            parameters:
              cell: {values: [rnn]}
              learning_rate:
                distribution: log_uniform_values
                min: 1e-4
                max: 1e-1
            """, "sweeps/x.yaml:5: parameters.learning_rate.distribution: method grid needs a finite set of values "
                + "(value, values, int_uniform or q_uniform), not log_uniform_values"),
            ("""
            method: grid
            parameters:
              dropout: {min: 0.0, max: 0.5}
            """, "sweeps/x.yaml:3: parameters.dropout: method grid needs a finite set of values "
                + "(value, values, int_uniform or q_uniform), not uniform"),
            ("""
            method: random
            parameters:
              cell: {values: [rnn]}
            """, "sweeps/x.yaml:1: run_cap: method random needs run_cap, the number of tasks to draw"),
            ("""
            method: grid
            metric: {name: accuracy, goal: maximize}
            parameters:
              cell: {values: [rnn]}
            """, "sweeps/x.yaml:2: metric.name: unknown metric 'accuracy' (expected one of train_loss, train_accuracy, "
                + "val_loss, val_accuracy, test_loss, test_accuracy)"),
            ("""
            method: grid
            metric: {name: test_loss, goal: lower}
            parameters:
              cell: {values: [rnn]}
            """, "sweeps/x.yaml:2: metric.goal: expected maximize or minimize, got 'lower'"),
            ("""
            method: grid
            parameters:
              cell: {values: [rnn]}
            workers: 4
            """, "sweeps/x.yaml:4: workers: unknown key (expected one of name, method, metric, run_cap, seed, max_attempts, "
                + "early_terminate, pbt, enqueue, parameters; W&B's command, controller, description, entity, image_uri, job, program, "
                + "project are accepted and ignored)"),
            ("method: grid\n", "sweeps/x.yaml:1: parameters: missing: expected a mapping from training keys to their values"),
            ("parameters:\n  cell: {values: [rnn]}\n", "sweeps/x.yaml:1: method: missing: expected grid, random, bayes or pbt"),
            ("method: hyperopt\nparameters:\n  cell: {values: [rnn]}\n",
             "sweeps/x.yaml:1: method: expected grid, random, bayes or pbt, got 'hyperopt'"),
            ("method: grid\nparameters: {}\n", "sweeps/x.yaml:2: parameters: no parameters given"),
            ("", "sweeps/x.yaml:1: empty spec: expected a mapping with method and parameters"),
            ("# only a comment\n", "sweeps/x.yaml:1: empty spec: expected a mapping with method and parameters"),
            ("- method\n- grid\n", "sweeps/x.yaml:1: top level: expected a mapping of sweep keys (method, parameters, …), got a list"),
            ("""
            method: grid
            parameters:
              cell: {values: [rnn}
            """, "sweeps/x.yaml:3: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 3)"),
            ("""
            method: grid
            parameters:
              cell: {values: [rnn]}
              cell: {values: [gru]}
            """, "sweeps/x.yaml:3: cell: key given twice"),
            ("""
            method: grid
            parameters:
              hidden: 64
            """, "sweeps/x.yaml:3: parameters.hidden: expected a mapping such as {value: X}, {values: [X, Y]} or {min: X, max: Y}, got '64'"),
            ("""
            method: grid
            parameters:
              hidden: {value: 64, step: 2}
            """, "sweeps/x.yaml:3: parameters.hidden.step: unknown field (expected one of value, values, distribution, "
                + "probabilities, min, max, mu, sigma, q, when)"),
            ("""
            method: grid
            parameters:
              hidden: {values: [16, 32], min: 1}
            """, "sweeps/x.yaml:3: parameters.hidden.min: does not apply to distribution categorical"),
            ("""
            method: random
            run_cap: 2
            parameters:
              hidden: {distribution: uniform, min: 16, max: 128}
            """, "sweeps/x.yaml:4: parameters.hidden.distribution: hidden takes integers: use values, int_uniform, "
                + "or a q_ distribution with an integer q (uniform draws fractions)"),
            ("""
            method: random
            run_cap: 2
            parameters:
              learning_rate: {distribution: log_uniform_values, min: 0, max: 0.1}
            """, "sweeps/x.yaml:4: parameters.learning_rate.min: must be > 0 on a log scale, got 0.0"),
            ("""
            method: random
            run_cap: 2
            parameters:
              dropout:
                min: -0.5
                max: 0.5
            """, "sweeps/x.yaml:5: parameters.dropout.min: uniform draws values such as '-0.49': "
                + "invalid value '-0.49' for dropout: expected a probability with 0 <= p < 1"),
            ("""
            method: random
            run_cap: 2
            parameters:
              learning_rate: {distribution: normal, mu: -1, sigma: 0.1}
            """, "sweeps/x.yaml:4: parameters.learning_rate.mu: normal draws values such as '-1.0': "
                + "invalid value '-1.0' for learning_rate: expected a number > 0"),
            ("""
            method: grid
            parameters:
              epochs: {min: 0, max: 3}
            """, "sweeps/x.yaml:3: parameters.epochs.min: the grid takes '0': invalid value '0' for epochs: expected an integer >= 1"),
            ("""
            method: grid
            parameters:
              hidden:
                parameters:
                  a: {value: 1}
            """, "sweeps/x.yaml:4: parameters.hidden.parameters: nested parameters are not supported: training keys are flat"),
            ("""
            method: random
            run_cap: 2
            parameters:
              cell: {values: [rnn, gru], probabilities: [0.5, 0.6]}
            """, "sweeps/x.yaml:4: parameters.cell.probabilities: must sum to 1, got 1.1"),
            ("""
            method: grid
            parameters:
              cell: {values: [rnn, gru], probabilities: [0.5, 0.5]}
            """, "sweeps/x.yaml:3: parameters.cell: method grid needs a finite set of values "
                + "(value, values, int_uniform or q_uniform), not categorical with probabilities"),
            ("""
            method: grid
            run_cap: 0
            parameters:
              cell: {values: [rnn]}
            """, "sweeps/x.yaml:2: run_cap: expected an integer >= 1, got 0"),
            ("""
            method: grid
            parameters:
              cell: {values: [rnn]}
            early_terminate: {type: hyperband}
            """, "sweeps/x.yaml:4: early_terminate.min_iter: missing: hyperband needs min_iter (or max_iter and s)"),
            ("""
            method: grid
            parameters:
              cell: {values: [rnn]}
            early_terminate: {type: median, eta: 3}
            """, "sweeps/x.yaml:4: early_terminate.min_iter: missing: median needs min_iter"),
            ("""
            method: grid
            parameters:
              cell: {values: [rnn]}
            early_terminate:
              type: hyperband
              min_iter: 1
              eta: 1
            """, "sweeps/x.yaml:7: early_terminate.eta: expected an integer >= 2, got 1"),
            ("""
            method: grid
            parameters:
              cell: {values: [rnn]}
            early_terminate: {type: envelope, min_iter: 1}
            """, "sweeps/x.yaml:4: early_terminate.type: expected hyperband or median, got 'envelope'"),
            ("""
            method: grid
            parameters:
              cell: {values: [rnn]}
            early_terminate: {type: hyperband, max_iter: 27}
            """, "sweeps/x.yaml:4: early_terminate.s: missing: max_iter needs s, the number of brackets"),
            ("""
            method: grid
            parameters:
              hidden: {min: 1, max: 100000}
              learning_rate: {min: 1, max: 1000}
            """, "sweeps/x.yaml:2: parameters: the grid has more than 10000000 combinations; set run_cap or use method random"),
        ]
        for (yaml, expected) in cases {
            #expect(failure(yaml, path: "sweeps/x.yaml") == expected, "\(yaml)")
        }
    }

    @Test func everyMessageIsOneLineWithPathAndLine() throws {
        let bad = ["method: [", "method: grid\nparameters: [1]\n", "\tmethod: grid", "method: grid\nparameters:\n  x: {value: 1}\n"]
        for yaml in bad {
            let message = try #require(failure(yaml, path: "s.yaml"))
            #expect(!message.contains("\n"), "\(message)")
            #expect(message.range(of: #"^s\.yaml:\d+: "#, options: .regularExpression) != nil, "\(message)")
        }
    }

    @Test func loadReportsUnreadableFiles() {
        #expect(throws: SpecError("/nonexistent/spec.yaml: no such file")) {
            try SweepSpec.load(path: "/nonexistent/spec.yaml")
        }
    }

    @Test func launchKeysAreNoted() throws {
        let s = try spec("""
            program: train.py
            project: p
            entity: e
            description: d
            command: [python, train.py]
            method: grid
            metric: {name: test_loss, goal: minimize, target: 0.1}
            parameters:
              cell: {values: [rnn]}
            """, path: "sweeps/x.yaml")
        #expect(s.notes == [
            "note: sweeps/x.yaml:1: key 'program' is a W&B launch key; ignored",
            "note: sweeps/x.yaml:2: key 'project' is a W&B launch key; ignored",
            "note: sweeps/x.yaml:3: key 'entity' is a W&B launch key; ignored",
            "note: sweeps/x.yaml:4: key 'description' is a W&B launch key; ignored",
            "note: sweeps/x.yaml:5: key 'command' is a W&B launch key; ignored",
            "note: sweeps/x.yaml:7: metric.target is not supported; ignored",
        ])
        #expect(s.metric == MetricGoal(name: "test_loss", maximize: false))
    }
}
