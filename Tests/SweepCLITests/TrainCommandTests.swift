import Foundation
import Testing
import TestSupport

/// End-to-end runs of the real `sweep train` binary.
@Suite struct TrainCommandTests {
    static let small = ["dataset=synthetic", "model=mlp", "hidden=32", "train_per_class=60", "test_per_class=20"]

    @Test(arguments: [
        (["lerning_rate=0.1"], "sweep: unknown key 'lerning_rate' (did you mean learning_rate?)"),
        (["learning_rate=-1"], "sweep: invalid value '-1' for learning_rate: expected a number > 0"),
        (["optimizer=adamax"], "sweep: invalid value 'adamax' for optimizer: expected one of sgd, momentum, nesterov, adagrad, rmsprop, adam, nadam, adamw"),
        (["epochs"], "sweep: expected KEY=VALUE, got 'epochs'"),
        (["--bogus"], "sweep: Unknown option '--bogus'. Did you mean '--out'?"),
    ])
    func badInputExitsTwoWithOneLine(args: [String], message: String) throws {
        let r = try runSweep(["train"] + args)
        #expect(r.status == 2)
        #expect(r.stderr == message + "\n")
        #expect(r.stdout.isEmpty)
    }

    @Test func missingDataDirectoryNamesIt() throws {
        let r = try runSweep(["train", "model=mlp", "dataset=mnist", "data_dir=/nonexistent/mnist"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("/nonexistent/mnist"))
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }

    @Test func corruptDataFileNamesIt() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
            try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        let r = try runSweep(["train", "model=mlp", "dataset=mnist", "data_dir=\(dir)"])
        #expect(r.status == 2)
        #expect(r.stderr.contains(dir + "/t"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }

    /// docs/metrics.md § sweep train --json: one JSON object per epoch, then the result with every metric.
    @Test func jsonOutputHasEpochsThenResult() throws {
        let r = try runSweep(["train", "--json", "epochs=2"] + Self.small)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(lines.count == 3)
        #expect(lines.map { $0["event"] as? String } == ["epoch", "epoch", "result"])
        let result = lines[2]
        #expect(result["status"] as? String == "completed")
        for key in ["train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy",
                    "epoch", "samples_per_second", "wall_seconds", "parameters", "config"] {
            #expect(result[key] != nil, "result lacks \(key)")
        }
        let config = result["config"] as! [String: Any]
        #expect(config["model"] as? String == "mlp" && config["hidden"] as? Int == 32)
        #expect((result["test_accuracy"] as! Double) > 0.5, "synthetic data should be learnable: \(result)")
    }

    /// Same config and seed: byte-identical output apart from timing fields.
    @Test func identicalRunsGiveIdenticalOutput() throws {
        let args = ["train", "--json", "epochs=2", "dropout=0.3", "batchnorm=true", "optimizer=nadam"] + Self.small
        let a = try runSweep(args), b = try runSweep(args)
        #expect(a.status == 0 && b.status == 0)
        #expect(withoutTiming(a.stdout) == withoutTiming(b.stdout))
        #expect(!withoutTiming(a.stdout).isEmpty)
        let c = try runSweep(args + ["seed=2"])
        #expect(withoutTiming(a.stdout) != withoutTiming(c.stdout), "a different seed must change the metrics")
    }

    @Test func hugeLearningRateDivergesWithoutCrashing() throws {
        let r = try runSweep(["train", "--json", "optimizer=sgd", "learning_rate=1e6", "epochs=3"] + Self.small)
        #expect(r.status == 0, "\(r.stderr)")
        let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.contains(#""status":"diverged""#), "\(last)")
        #expect(last.contains(#""train_loss":null"#))
    }

    @Test func outDirectoryReceivesTheResult() throws {
        let parent = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let dir = parent + "/run"   // made by --out
        let r = try runSweep(["train", "--out", dir] + Self.small)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("completed: test_accuracy"))
        let result = try String(contentsOfFile: dir + "/result.json", encoding: .utf8)
        #expect(result.hasPrefix(#"{"event":"result","status":"completed","#))
        let epochs = try String(contentsOfFile: dir + "/epochs.jsonl", encoding: .utf8)
        #expect(epochs.split(separator: "\n").count == 1)
    }
}

/// The output with the timing fields' values removed.
func withoutTiming(_ s: String) -> String {
    s.replacingOccurrences(of: #""(samples_per_second|wall_seconds)":[0-9.e+-]+"#, with: "", options: .regularExpression)
}
