import Foundation
import SweepConfig
import Testing
@testable import SweepSpec

/// The examples of W&B's documentation (Fixtures/README.md): verbatim copies fail
/// on their first W&B-only name; copies mapped onto our keys parse and expand.
@Suite struct WandBExampleTests {
    static func load(_ name: String) throws -> SweepSpec { try SweepSpec.load(path: fixturePath(name)) }

    static func loadError(_ name: String) -> String? {
        do {
            _ = try load(name).expand()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func verbatimExamplesFailOnTheirFirstW_BOnlyName() {
        #expect(Self.loadError("wandb-sweepdemo.original.yaml")
                == "\(fixturePath("wandb-sweepdemo.original.yaml")):6: metric.name: unknown metric 'validation_loss' "
                + "(expected one of train_loss, train_accuracy, val_loss, val_accuracy, test_loss, test_accuracy)")
        #expect(Self.loadError("wandb-random.original.yaml")?.hasSuffix(":5: metric.name: unknown metric 'loss' "
                + "(expected one of train_loss, train_accuracy, val_loss, val_accuracy, test_loss, test_accuracy)") == true)
        #expect(Self.loadError("spec-example.original.yaml")?.hasSuffix(":9: parameters.learning_rate.distribution: "
                + "method grid needs a finite set of values (value, values, int_uniform or q_uniform), not log_uniform_values") == true)
    }

    @Test func sweepdemo() throws {
        let s = try Self.load("wandb-sweepdemo.yaml")
        #expect(s.name == "sweepdemo")
        #expect(s.method == .bayes)
        #expect(s.metric == MetricGoal(name: "val_loss", maximize: false))
        #expect(s.parameters.map(\.name) == ["learning_rate", "batch_size", "epochs", "optimizer"])
        // min/max given as floats: W&B infers uniform.
        #expect(s.parameters[0].domain == .uniform(min: 0.0001, max: 0.1))
        #expect(s.parameters[3].domain == .categorical(["adam", "sgd"], probabilities: nil))
        #expect(s.notes == ["note: \(s.path):3: key 'program' is a W&B launch key; ignored"])
        let t = try s.expand()
        #expect(t.count == 20)
        #expect(t.allSatisfy { (0.0001...0.1).contains($0.config.learningRate) && [16, 32, 64].contains($0.config.batchSize) })
    }

    @Test func randomExample() throws {
        let s = try Self.load("wandb-random.yaml")
        #expect(s.method == .random)
        #expect(s.parameters[0].domain == .qLogUniformValues(min: 32, max: 256, q: 8))
        #expect(s.parameters[2].domain == .constant("1"))
        #expect(s.parameters[4].domain == .uniform(min: 0, max: 0.1))
        let t = try s.expand()
        #expect(t.count == 200)
        for task in t {
            #expect(task.config.batchSize % 8 == 0 && (32...256).contains(task.config.batchSize))
            #expect([128, 256, 512].contains(task.config.hidden))
            #expect(task.config.epochs == 1)
        }
    }

    @Test func bayesHyperbandExample() throws {
        let s = try Self.load("wandb-bayes-hyperband.yaml")
        // max_iter 27, s 2, eta 3: brackets 9 and 3.
        #expect(s.earlyTerminate == EarlyTerminate(type: "hyperband", minIter: 3, eta: 3, s: 2, maxIter: 27))
        // 1e-5 (no dot) is a YAML float here and reaches the config as 0.00001.
        #expect(s.parameters.first { $0.name == "weight_decay" }?.gridValues == ["1e-05", "1e-06", "1e-07"])
        #expect(try s.expand().count == 30)
        // Every parameter is a finite set, so the same example also runs as a grid.
        var grid = s
        grid.method = .grid
        grid.runCap = nil
        #expect(try grid.expand().count == 5 * 3 * 6 * 6 * 3 * 3 * 3)
    }

    @Test func hyperbandBracketsBothWays() throws {
        let min = try Self.load("wandb-hyperband-min-iter.yaml")
        #expect(min.earlyTerminate == EarlyTerminate(type: "hyperband", minIter: 3, eta: 3))
        let max = try Self.load("wandb-hyperband-max-iter.yaml")
        #expect(max.earlyTerminate == EarlyTerminate(type: "hyperband", minIter: 3, eta: 3, s: 2, maxIter: 27))
        #expect(try min.expand().count == 1 && max.expand().count == 1)
    }

    @Test func commandMacrosExample() throws {
        let s = try Self.load("wandb-command-macros.yaml")
        #expect(s.notes.map { $0.components(separatedBy: ": ").last! } == [
            "key 'program' is a W&B launch key; ignored", "key 'command' is a W&B launch key; ignored",
        ])
        // No goal: a loss is minimized, as W&B's default.
        #expect(s.metric == MetricGoal(name: "val_loss", maximize: false))
        #expect(try s.expand().count == 5)
    }

    @Test func specExample() throws {
        let s = try Self.load("spec-example.yaml")
        #expect(s.name == "fashion-rnn-cells")
        #expect(s.earlyTerminate == EarlyTerminate(type: "hyperband", minIter: 1, eta: 3))
        let t = try s.expand()
        #expect(t.count == 50)
        #expect(t.allSatisfy { $0.config.model == .rnn && (1e-4...1e-1).contains($0.config.learningRate) })
    }
}
