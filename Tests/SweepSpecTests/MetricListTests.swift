import Testing
@testable import SweepSpec

/// `metric:` as a list of objectives.
@Suite struct MetricListTests {
    static func withMetric(_ metric: String) -> String {
        "method: random\nrun_cap: 4\n\(metric)\nparameters:\n  learning_rate: {distribution: log_uniform_values, min: 1e-4, max: 1e-1}\n"
    }

    @Test func aListOfObjectives() throws {
        let s = try spec(Self.withMetric("""
            metric:
              - {name: test_accuracy, goal: maximize}
              - {name: wall_seconds}
              - {name: samples_per_second}
              - {name: parameters, goal: maximize}
              - {name: val_loss}
            """))
        #expect(s.metrics.map(\.name) == ["test_accuracy", "wall_seconds", "samples_per_second", "parameters", "val_loss"])
        // Without goal: time, size and losses minimised, throughput and accuracies maximised.
        #expect(s.metrics.map(\.maximize) == [true, false, true, true, false])
        #expect(s.metric == MetricGoal(name: "test_accuracy", maximize: true))
        #expect(s.isMultiObjective)
    }

    @Test func theSingleFormIsAListOfOne() throws {
        let single = try spec(Self.withMetric("metric: {name: test_loss}"))
        #expect(single.metrics == [MetricGoal(name: "test_loss", maximize: false)] && !single.isMultiObjective)
        let one = try spec(Self.withMetric("metric: [{name: test_loss}]"))
        #expect(one.metrics == single.metrics)
        #expect(try spec(Self.withMetric("")).metrics == [MetricGoal()])
        // The objectives do not change the tasks.
        let two = try spec(Self.withMetric("metric: [{name: test_loss}, {name: wall_seconds}]"))
        #expect(try two.expand().map(\.id) == single.expand().map(\.id))
    }

    @Test func badListsNameTheCulprit() {
        let cases: [(String, String)] = [
            ("metric: []", "t.yaml:3: metric: empty list: expected one or more metrics such as {name: test_accuracy, goal: maximize}"),
            ("metric: [{name: test_loss}, {name: wall_seconds}, {name: test_loss, goal: minimize}]",
             "t.yaml:3: metric[2].name: 'test_loss' is listed twice (also metric[0])"),
            ("metric: [{name: test_loss}, {name: wal_seconds}]",
             "t.yaml:3: metric[1].name: unknown metric 'wal_seconds' (expected one of train_loss, train_accuracy, val_loss, "
                + "val_accuracy, test_loss, test_accuracy, wall_seconds, samples_per_second, parameters, epoch)"),
            ("metric: [{name: wall_seconds}, {name: test_loss}]",
             "t.yaml:3: metric[0].name: 'wall_seconds' cannot be the first metric, which early stopping and pbt judge (one of "
                + "train_loss, train_accuracy, val_loss, val_accuracy, test_loss, test_accuracy); list it after one, "
                + "e.g. metric: [{name: test_accuracy}, {name: wall_seconds}]"),
            ("metric: {name: parameters}",
             "t.yaml:3: metric.name: 'parameters' cannot be the first metric, which early stopping and pbt judge (one of "
                + "train_loss, train_accuracy, val_loss, val_accuracy, test_loss, test_accuracy); list it after one, "
                + "e.g. metric: [{name: test_accuracy}, {name: parameters}]"),
            ("metric: [{name: test_loss}, wall_seconds]",
             "t.yaml:3: metric[1]: expected a mapping such as {name: test_accuracy, goal: maximize}, got 'wall_seconds'"),
            ("metric: test_loss",
             "t.yaml:3: metric: expected a mapping such as {name: test_accuracy, goal: maximize} (or a list of them), got 'test_loss'"),
            ("metric: [{name: test_loss}, {name: wall_seconds, goal: less}]",
             "t.yaml:3: metric[1].goal: expected maximize or minimize, got 'less'"),
            ("metric: [{name: test_loss}, {goal: minimize}]",
             "t.yaml:3: metric[1].name: missing: expected one of train_loss, train_accuracy, val_loss, val_accuracy, test_loss, "
                + "test_accuracy, wall_seconds, samples_per_second, parameters, epoch"),
        ]
        for (metric, message) in cases {
            #expect(failure(Self.withMetric(metric)) == message, "\(metric)")
        }
        // W&B's target is noted and ignored in a list too.
        let noted = try? spec(Self.withMetric("metric: [{name: test_loss}, {name: epoch, target: 3}]"))
        #expect(noted?.notes == ["note: t.yaml:3: metric[1].target is not supported; ignored"])
    }
}
