import Foundation
import Testing
import SweepConfig
import SweepEngine
@testable import SweepTrain

/// The homework-4 cnn on real Fashion-MNIST: it learns, and a run with augmentation and
/// dropout is the same run every time.
@Suite struct RealDataTests {
    /// Every metric of an epoch but its timing, which no two runs share.
    static func untimed(_ m: EpochMetrics) -> EpochMetrics {
        var m = m
        m.samplesPerSecond = 0
        m.wallSeconds = 0
        return m
    }

    /// A 1,000-image slice, one epoch: well above chance (0.1) within seconds.
    @Test(.enabled(if: haveFashionMNIST, "Fashion-MNIST is not installed (make deps)"), .timeLimit(.minutes(2)))
    func cnnLearnsAFashionMNISTSlice() throws {
        let config = try TrainConfig(arguments: [
            "dataset=fashion-mnist", "data_dir=\(fashionDirectory)", "model=cnn", "train_per_class=100", "test_per_class=50",
            "validation_fraction=0", "epochs=1", "batch_size=32", "optimizer=adam", "learning_rate=1e-3",
        ])
        let start = Date()
        let result = try Trainer(config: config).run()
        let m = try #require(result.final)
        print("cnn fashion-mnist 100/50, 1 epoch: test_accuracy \(m.testAccuracy), \(Int(m.samplesPerSecond)) samples/s, "
              + "\(Date().timeIntervalSince(start)) s")
        #expect(result.status == .completed)
        #expect(m.parameters == 1_676_266)
        #expect(m.testAccuracy > 0.55, "chance is 0.1")
        #expect(m.testLoss < 1.5, "chance is ln 10 = 2.30")
    }

    /// Two runs of one configuration with augmentation (flips and crops) and dropout give the
    /// same metrics, step losses, activation statistics and weights, bit for bit; another
    /// seed gives others.
    @Test(.enabled(if: haveFashionMNIST, "Fashion-MNIST is not installed (make deps)"), .timeLimit(.minutes(2)))
    func augmentedRunsAreIdentical() throws {
        func run(seed: Int) throws -> RunResult {
            let config = try TrainConfig(arguments: [
                "dataset=fashion-mnist", "data_dir=\(fashionDirectory)", "model=cnn", "augment=flip+crop",
                "train_per_class=12", "test_per_class=4", "validation_fraction=0.2", "epochs=2", "batch_size=16",
                "seed=\(seed)",
            ])
            let result = try Trainer(config: config).run()
            #expect(result.status == .completed)
            return result
        }
        let a = try run(seed: 3), b = try run(seed: 3), c = try run(seed: 4)
        #expect(a.epochs.count == 2)
        #expect(a.epochs.map(Self.untimed) == b.epochs.map(Self.untimed))
        #expect(a.insights != nil && a.insights == b.insights)
        #expect(a.weights != nil && a.weights == b.weights)
        #expect(a.epochs.map(Self.untimed) != c.epochs.map(Self.untimed))
        #expect(a.weights != c.weights)
    }
}
