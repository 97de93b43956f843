import Foundation
import Testing
import SweepConfig
import SweepEngine
@testable import SweepTrain

let fashionDirectory = "/usr/share/datasets/fashion-mnist"
let haveFashionMNIST = FileManager.default.fileExists(atPath: fashionDirectory + "/train-images-idx3-ubyte.gz")

@Suite struct TrainerTests {
    /// The seeds' LeNet5 on real Fashion-MNIST at the seeds' sizes.
    @Test(.enabled(if: haveFashionMNIST, "Fashion-MNIST is not installed (make deps)"))
    func lenet5LearnsFashionMNIST() throws {
        let config = try TrainConfig(arguments: [
            "model=lenet5", "train_per_class=500", "test_per_class=88", "epochs=2",
            "optimizer=adam", "learning_rate=1e-3", "batch_size=50",
        ])
        let result = try Trainer(config: config).run()
        let m = try #require(result.final)
        print("lenet5 fashion-mnist 500/88, 2 epochs: test_accuracy \(m.testAccuracy), \(Int(m.samplesPerSecond)) samples/s")
        #expect(result.status == .completed)
        #expect(m.testAccuracy > 0.75)
        #expect(m.parameters == 3_274_634)
    }

    /// Parameter counts equal those of the PyTorch models of the reference script.
    @Test func parameterCountsMatchPyTorch() throws {
        let lenet = try Models.make(TrainConfig(arguments: ["model=lenet5"]), inputShape: [3, 28, 28], classes: 10)
        #expect(lenet.parameterCount == 3_276_234)
        let cifar32 = try Models.make(TrainConfig(arguments: ["model=lenet5"]), inputShape: [3, 32, 32], classes: 10)
        #expect(cifar32.parameterCount == 4_259_274)
        let mlp = try Models.make(TrainConfig(arguments: ["model=mlp", "hidden=100", "layers=2"]), inputShape: [1, 28, 28], classes: 10)
        #expect(mlp.parameterCount == 784 * 100 + 100 + 100 * 100 + 100 + 100 * 10 + 10)
        #expect(mlp.params.refs.map(\.name) == ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.4.weight", "net.4.bias"])
    }

    /// The seeds' row RNN: lstm-64 on a Fashion-MNIST subset, well above chance (0.1).
    @Test(.enabled(if: haveFashionMNIST, "Fashion-MNIST is not installed (make deps)"))
    func lstmLearnsFashionMNISTRows() throws {
        let config = try TrainConfig(arguments: [
            "model=rnn", "cell=lstm", "hidden=64", "train_per_class=300", "test_per_class=100", "epochs=2",
            "validation_fraction=0",
        ])
        let result = try Trainer(config: config).run()
        let m = try #require(result.final)
        print("lstm-64 fashion-mnist 300/100, 2 epochs: test_accuracy \(m.testAccuracy), \(Int(m.samplesPerSecond)) samples/s")
        #expect(m.testAccuracy > 0.6)
    }

    /// Every cell, stacked, with batchnorm and dropout, on 3-channel images (ImageRows).
    @Test(arguments: ["rnn", "lstm", "gru"])
    func stackedCellsTrainOnSyntheticAndColourImages(cell: String) throws {
        let config = try TrainConfig(arguments: [
            "dataset=synthetic", "model=rnn", "cell=\(cell)", "hidden=24", "layers=2", "batchnorm=true",
            "dropout=0.2", "clip_norm=1", "train_per_class=100", "test_per_class=20", "epochs=3", "learning_rate=0.01",
        ])
        let result = try Trainer(config: config).run()
        #expect(result.status == .completed)
        // the plain tanh RNN learns these 28-step sequences slowly; the gated cells well
        let floor = ["rnn": 0.15, "lstm": 0.5, "gru": 0.5][cell]!
        #expect((result.final?.testAccuracy ?? 0) > floor, "\(cell): \(String(describing: result.final))")
        #expect(result.epochs.last!.trainLoss < result.epochs.first!.trainLoss)
        let colour = try Models.make(TrainConfig(arguments: ["model=rnn", "cell=\(cell)", "hidden=8"]), inputShape: [3, 32, 32], classes: 10)
        let gates = ["rnn": 1, "lstm": 4, "gru": 3][cell]!
        #expect(colour.parameterCount == gates * 8 * (96 + 8) + 2 * gates * 8 + 8 * 10 + 10)
    }

    /// Names and sizes of PyTorch's RowRNN (nn.LSTM(28, 128) + nn.Linear(128, 10)).
    @Test func rnnParametersMapOntoPyTorch() throws {
        let lstm = try Models.make(TrainConfig(arguments: ["model=rnn", "cell=lstm", "hidden=128"]), inputShape: [1, 28, 28], classes: 10)
        #expect(lstm.parameterCount == 82_186)
        #expect(lstm.params.refs.map(\.name) == ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "fc.weight", "fc.bias"])
        let two = try Models.make(TrainConfig(arguments: ["model=rnn", "cell=gru", "hidden=16", "layers=2", "batchnorm=true"]), inputShape: [1, 28, 28], classes: 10)
        #expect(two.params.refs.map(\.name) == ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                                                 "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
                                                 "bn.weight", "bn.bias", "fc.weight", "fc.bias"])
    }

    @Test func everyOptimizerAndInitTrainsAnMLP() throws {
        for opt in ConfigKeys.optimizers {
            for initScheme in ConfigKeys.inits {
                let lr = ["sgd": "0.1", "momentum": "0.05", "nesterov": "0.05", "adagrad": "0.05"][opt] ?? "0.003"
                let config = try TrainConfig(arguments: [
                    "dataset=synthetic", "model=mlp", "hidden=32", "train_per_class=100", "test_per_class=30",
                    "optimizer=\(opt)", "learning_rate=\(lr)", "init=\(initScheme)", "epochs=2",
                ])
                let m = try #require(try Trainer(config: config).run().final)
                #expect(m.testAccuracy > 0.5, "\(opt) \(initScheme): \(m.testAccuracy)")
            }
        }
    }

    /// Early termination part-way through epoch 2: status stopped, the metrics of
    /// epoch 1 (the ones the decision was made on), and activation statistics still taken.
    @Test func stoppedPartWayReportsTheLastWholeEpochWithItsActivations() throws {
        let config = try TrainConfig(arguments: [
            "dataset=synthetic", "model=mlp", "hidden=16", "train_per_class=40", "test_per_class=10",
            "batch_size=10", "epochs=3", "validation_fraction=0",
        ])
        var steps = 0
        var reported: [Int] = []
        let result = try Trainer(config: config).run(onEpoch: { reported.append($0.epoch) }, shouldStop: {
            steps += 1
            return steps > 40 + 5   // 40 steps an epoch: stop 5 steps into epoch 2
        })
        #expect(result.status == .stopped)
        #expect(result.epochs.map(\.epoch) == [1] && reported == [1])
        #expect(result.final?.testAccuracy.isFinite == true)
        #expect(result.insights?.activations.isEmpty == false)
    }

    @Test func lenet5WithBatchnormAndReluRunsOnSynthetic() throws {
        let config = try TrainConfig(arguments: [
            "dataset=synthetic", "model=lenet5", "batchnorm=true", "activation=relu", "train_per_class=20",
            "test_per_class=5", "epochs=1", "weight_decay=1e-4", "clip_norm=1", "init=he",
        ])
        let result = try Trainer(config: config).run()
        #expect(result.status == .completed)
        #expect(result.final?.testLoss.isFinite == true)
    }

    @Test func stopRequestEndsTheRunAsStopped() throws {
        let config = try TrainConfig(arguments: ["dataset=synthetic", "model=mlp", "train_per_class=100", "epochs=3"])
        var steps = 0
        let result = try Trainer(config: config).run(shouldStop: { steps += 1; return steps >= 5 })
        #expect(result.status == .stopped)
        #expect(result.epochs.count == 1)
        #expect(steps == 5)
    }

    @Test func noopWaitsAndReportsDeterministicMetrics() throws {
        let config = try TrainConfig(arguments: ["model=noop", "duration_ms=60", "epochs=2"])
        let t0 = Date()
        let a = try Trainer(config: config).run()
        #expect(Date().timeIntervalSince(t0) >= 0.06)
        let b = try Trainer(config: config).run()
        #expect(a.epochs.count == 2 && a.status == .completed)
        #expect(a.final?.testAccuracy == b.final?.testAccuracy)
    }
}
