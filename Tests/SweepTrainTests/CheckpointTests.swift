import Testing
import SweepConfig
import SweepEngine
@testable import SweepTrain

/// Training in intervals (method pbt): a run cut at a checkpoint and resumed ends bit for
/// bit where the uninterrupted run ends (network and optimizer state), for each
/// optimizer's state; a resume with another learning rate starts from the same state; the
/// file round-trips; the optimizer's state goes out and back in unchanged.
@Suite struct CheckpointTests {
    static func arguments(_ optimizer: String, lr: String = "0.01") -> [String] {
        ["dataset=synthetic", "model=mlp", "hidden=8", "batchnorm=true", "train_per_class=20", "test_per_class=5", "batch_size=16",
         "epochs=4", "seed=7", "optimizer=\(optimizer)", "learning_rate=\(lr)"]
    }

    @Test(arguments: ["sgd", "momentum", "adagrad", "rmsprop", "adam", "nadam"])
    func aResumedRunEndsWhereTheUninterruptedOneEnds(_ optimizer: String) throws {
        let config = try TrainConfig(arguments: Self.arguments(optimizer))
        let whole = try Trainer(config: config).run(interval: TrainingInterval(from: 0, to: 4, checkpoint: nil))
        let first = try Trainer(config: config).run(interval: TrainingInterval(from: 0, to: 2, checkpoint: nil))
        let second = try Trainer(config: config).run(interval: TrainingInterval(from: 2, to: 4, checkpoint: first.checkpoint))
        #expect(second.epochs.map(\.epoch) == [3, 4])
        let a = try Checkpoint(decoding: try #require(whole.checkpoint)), b = try Checkpoint(decoding: try #require(second.checkpoint))
        #expect(Checkpoint.stateDigest(a.tensors) == Checkpoint.stateDigest(b.tensors))
        #expect(a.optimizer == b.optimizer && a.steps == b.steps && a.epoch == 4)
        #expect(whole.epochs.last?.testLoss == second.epochs.last?.testLoss)
        // and the interval path changes nothing of a plain run
        let plain = try Trainer(config: config).run()
        #expect(plain.weights == whole.weights)
        // the second run names the state it started from
        #expect(b.metadata.first { $0.0 == "pbt.started_from" }?.1 == String(Checkpoint.stateDigest(try Checkpoint(decoding: first.checkpoint!).tensors), radix: 16))
    }

    /// A member's insights are stored with its result, which its last interval sends: an
    /// earlier interval records none (no activations, trace or step losses to throw away).
    @Test func onlyTheIntervalThatEndsTheRunRecordsInsights() throws {
        let config = try TrainConfig(arguments: Self.arguments("adam"))
        let first = try Trainer(config: config).run(interval: TrainingInterval(from: 0, to: 2, checkpoint: nil))
        let last = try Trainer(config: config).run(interval: TrainingInterval(from: 2, to: 4, checkpoint: first.checkpoint))
        #expect(first.insights == nil && first.status == .completed)
        let insights = try #require(last.insights)
        #expect(!insights.activations.isEmpty && insights.trace != nil)
    }

    @Test func aResumeWithANewLearningRateStartsFromTheSameState() throws {
        let first = try Trainer(config: TrainConfig(arguments: Self.arguments("adam"))).run(interval: TrainingInterval(from: 0, to: 2, checkpoint: nil))
        let file = try #require(first.checkpoint)
        let other = try Trainer(config: TrainConfig(arguments: Self.arguments("adam", lr: "0.002")))
            .run(interval: TrainingInterval(from: 2, to: 3, checkpoint: file))
        let started = try Checkpoint(decoding: try #require(other.checkpoint)).metadata.first { $0.0 == "pbt.started_from" }?.1
        #expect(started == String(Checkpoint.stateDigest(try Checkpoint(decoding: file).tensors), radix: 16))
        #expect(other.epochs.map(\.epoch) == [3])
    }

    @Test func aCheckpointOfAnotherEpochIsRefused() throws {
        let config = try TrainConfig(arguments: Self.arguments("adam"))
        let first = try Trainer(config: config).run(interval: TrainingInterval(from: 0, to: 1, checkpoint: nil))
        #expect(throws: ConfigError.self) { try Trainer(config: config).run(interval: TrainingInterval(from: 2, to: 3, checkpoint: first.checkpoint)) }
        #expect(throws: ConfigError.self) { try Trainer(config: config).run(interval: TrainingInterval(from: 3, to: 5, checkpoint: nil)) }
    }

    @Test func theFileRoundTrips() throws {
        let c = Checkpoint(epoch: 3, steps: 17, network: [.init(name: "fc.weight", shape: [2, 2], floats: [1, 2, 3, .nan])],
                           optimizer: .init(steps: 17, first: [0.5, 0.25, 0, 1], second: [1, 1, 1, 1], muProduct: 0.123),
                           metadata: [("pbt.started_from", "abc")])
        let d = try Checkpoint(decoding: c.encoded())
        #expect(d.epoch == 3 && d.steps == 17 && d.network == c.network)
        #expect(d.optimizer.first == c.optimizer.first && d.optimizer.second == c.optimizer.second)
        #expect(d.optimizer.muProduct.bitPattern == c.optimizer.muProduct.bitPattern && d.optimizer.steps == 17)
        #expect(d.metadata.map { $0.0 + "=" + $0.1 } == ["pbt.started_from=abc"])
    }

    @Test func theOptimizerStateGoesOutAndBackIn() throws {
        let o = Optimizer(OptimizerSettings(kind: .adam, learningRate: 0.01), parameterCount: 3)
        var values: [Float] = [1, 2, 3], grads: [Float] = [0.1, -0.2, 0.3]
        for _ in 0..<3 { o.step(values: &values, grads: &grads) }
        let state = o.exportState()
        let p = Optimizer(OptimizerSettings(kind: .adam, learningRate: 0.01), parameterCount: 3)
        try p.importState(state)
        #expect(p.exportState() == state && p.steps == 3)
        var v1 = values, g1 = grads, v2 = values, g2 = grads
        o.step(values: &v1, grads: &g1)
        p.step(values: &v2, grads: &g2)
        #expect(v1 == v2)
        #expect(throws: OptimizerStateError.self) {
            try Optimizer(OptimizerSettings(kind: .adam, learningRate: 0.01), parameterCount: 4).importState(state)
        }
    }
}
