import SweepConfig
import SweepSpec
@testable import SweepSearch

func spec(_ yaml: String) throws -> SweepSpec { try SweepSpec.parse(yaml, path: "t.yaml") }

/// Runs a sampler against an objective with `inFlight` tasks running at once,
/// finishing them oldest first, until `budget` tasks have finished; returns the values in finishing order.
func run(_ sampler: inout some Sampler, budget: Int, inFlight: Int, _ objective: (TrainConfig) -> Double) throws -> [Double] {
    var running = try sampler.propose(count: inFlight)
    var values: [Double] = []
    while !running.isEmpty, values.count < budget {
        let task = running.removeFirst()
        let value = objective(task.config)
        sampler.update(taskID: task.id, outcome: .completed(value))
        values.append(value)
        if sampler.history.count < budget, let next = try sampler.propose() { running.append(next) }
    }
    return values
}

/// `run` for several metrics: each finished task reports all of the objective's values
/// (the first as its outcome); returns the values in finishing order.
func run(_ sampler: inout some Sampler, budget: Int, inFlight: Int, objectives: (TrainConfig) -> [Double]) throws -> [[Double]] {
    var running = try sampler.propose(count: inFlight)
    var points: [[Double]] = []
    while !running.isEmpty, points.count < budget {
        let task = running.removeFirst()
        let values = objectives(task.config)
        sampler.update(taskID: task.id, outcome: .completed(values[0]), values: values)
        points.append(values)
        if sampler.history.count < budget, let next = try sampler.propose() { running.append(next) }
    }
    return points
}
