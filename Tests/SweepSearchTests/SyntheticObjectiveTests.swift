import Testing
import SweepConfig
import SweepSpec
import SweepTrain
@testable import SweepSearch

@Suite struct SyntheticObjectiveTests {
    static func config(_ learningRate: Double, _ optimizer: OptimizerName, seed: Int = 1) -> TrainConfig {
        var c = TrainConfig()
        c.model = .noop
        c.learningRate = learningRate
        c.optimizer = optimizer
        c.seed = seed
        return c
    }

    @Test func aNoisyBowlOverLogLearningRate() {
        var objective = SyntheticObjective(seed: 3)
        #expect(objective.value(Self.config(3e-3, .adam)) == objective.value(Self.config(3e-3, .adam)))
        #expect(objective.value(Self.config(3e-3, .adam)) != SyntheticObjective(seed: 4).value(Self.config(3e-3, .adam)))
        objective.noise = 0
        #expect(objective.value(Self.config(3e-3, .adam)) == 0)
        #expect(abs(objective.value(Self.config(3e-2, .adam)) - 1) < 1e-12)     // one decade off: 1² = 1
        #expect(abs(objective.value(Self.config(3e-5, .sgd)) - 5) < 1e-12)      // two decades off and the penalty
        #expect(objective.value(Self.config(3e-3, .adam), epoch: 1) == 1 && objective.value(Self.config(3e-3, .adam), epoch: 4) == 0.25)
    }

    /// ASHA on the bowl, in-process: 27 random tasks of 27 epochs, 4 running at a
    /// time, each reporting its loss per epoch; min_iter 1, eta 3 (rungs 1, 3, 9,
    /// 27). The best task is never stopped (it leads every rung it reaches), and
    /// far fewer epochs are spent than the 27 × 27 of running every task to the end.
    /// (In an order where each task beats all before it — a grid walking up the
    /// bowl — nothing can be stopped: ASHA judges against what has arrived.)
    @Test func hyperbandStopsTheHopelessOnTheBowl() throws {
        let spec = try SweepSpec.parse("""
            method: random
            run_cap: 27
            metric: {name: test_loss, goal: minimize}
            parameters:
              model: {value: noop}
              epochs: {value: 27}
              learning_rate: {distribution: log_uniform_values, min: 1e-5, max: 1}
              optimizer: {values: [sgd, momentum, adam]}
            early_terminate: {type: hyperband, min_iter: 1, eta: 3}
            """, path: "bowl.yaml")
        var rule = try #require(spec.earlyStopping())
        let objective = SyntheticObjective(seed: 1)
        var queue = try spec.expand()
        var running: [(task: SweepTask, epoch: Int)] = []
        var epochs = 0
        var finished: [String] = []
        while !queue.isEmpty || !running.isEmpty {
            while running.count < 4, !queue.isEmpty { running.append((queue.removeFirst(), 0)) }
            var next: [(task: SweepTask, epoch: Int)] = []
            for (task, epoch) in running {
                let e = epoch + 1
                epochs += 1
                let decision = rule.report(taskID: task.id, epoch: e, value: objective.value(task.config, epoch: e))
                if decision != .continue { continue }
                if e == task.config.epochs { finished.append(task.id) } else { next.append((task, e)) }
            }
            running = next
        }
        let best = try spec.expand().min { objective.value($0.config) < objective.value($1.config) }!
        #expect(finished.contains(best.id))
        #expect(Double(epochs) < 0.4 * 27 * 27, "\(epochs) epochs of \(27 * 27)")
        print("hyperband on the bowl, 27 random tasks: \(epochs) of \(27 * 27) epochs (\(100 * epochs / (27 * 27))%), \(finished.count) tasks ran to the end, the best among them")
    }
}
