import Testing
import SweepConfig
import SweepSpec
import SweepTrain
@testable import SweepSearch

/// Samplers propose the tasks of `enqueue:` first, once each, also after a restart.
@Suite struct EnqueueSamplerTests {
    static func yaml(method: String) -> String {
        """
        method: \(method)
        metric: {name: test_loss}
        run_cap: 14
        seed: 2
        parameters:
          model: {value: noop}
          optimizer: {values: [sgd, momentum, adam]}
          learning_rate: {distribution: log_uniform_values, min: 1e-5, max: 1}
        enqueue:
          - {optimizer: adam, learning_rate: 0.003}
          - {optimizer: sgd}
        """
    }

    @Test func randomProposesWhatExpandLists() throws {
        let s = try spec(Self.yaml(method: "random"))
        var sampler = RandomSampler(spec: s)
        #expect(try sampler.propose(count: 20).map(\.id) == s.expand().map(\.id))
    }

    @Test func tpeRunsThemBeforeItsStartupAndSearch() throws {
        let s = try spec(Self.yaml(method: "bayes"))
        var sampler = TPESampler(spec: s)
        let objective = SyntheticObjective()
        _ = try run(&sampler, budget: 14, inFlight: 2) { objective.value($0) }
        let enqueued = try s.enqueuedConfigurations()
        #expect(sampler.tasks.prefix(2).map(\.config) == enqueued)
        #expect(sampler.tasks.count == 14 && Set(sampler.tasks.map(\.id)).count == 14)
        // The startup draws after them are those of the spec's random stream.
        #expect(sampler.tasks[2].id == (try s.expand())[2].id)
    }

    @Test func aRestartedSamplerDoesNotProposeThemAgain() throws {
        let s = try spec(Self.yaml(method: "bayes"))
        var first = TPESampler(spec: s)
        let one = try #require(try first.propose())
        var restarted = TPESampler(spec: s)
        restarted.add(one.config, outcome: .completed(0.5))
        let next = try restarted.propose(count: 2)
        #expect(next.map(\.id) == [try first.propose()!.id, try first.propose()!.id])
        #expect(next[0].config == (try s.enqueuedConfigurations())[1])
    }

    @Test func objectiveValuesFromAMetricsObject() throws {
        let s = try spec("method: random\nrun_cap: 1\nmetric: [{name: test_accuracy}, {name: wall_seconds}, {name: val_loss}]\n"
                         + "parameters: {learning_rate: {min: 0.001, max: 0.1}}\n")
        let metrics = try JSON.parse(#"{"epoch": 3, "test_accuracy": 0.8, "wall_seconds": 12, "val_loss": null}"#)
        let values = s.objectiveValues(in: metrics)
        #expect(values[0] == 0.8 && values[1] == 12 && values[2].isNaN)
    }
}
