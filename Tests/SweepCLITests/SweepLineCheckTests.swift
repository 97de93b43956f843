import Foundation
import Testing
import TestSupport

/// A sweep whose line cannot build for a dataset stops before it starts (exit 2, one
/// line naming the layer, both shapes, the line and the dataset), as `sweep describe` and
/// `sweep train` do, instead of failing every task of it on every attempt.
@Suite struct SweepLineCheckTests {
    static func spec(_ lines: [String], datasets: [String]) -> String {
        """
        name: lines
        method: grid
        metric: {name: test_accuracy, goal: maximize}
        parameters:
          dataset: {values: [\(datasets.joined(separator: ", "))]}
          train_per_class: {value: 2}
          test_per_class: {value: 1}
          architecture:
            values:
        \(lines.map { "      - \"\($0)\"" }.joined(separator: "\n"))
        """
    }

    /// A 29×29 window without padding fits CIFAR-10's 32×32 images, not the 28×28 ones.
    @Test func aLineThatDoesNotFitADatasetStopsExpandAndRun() throws {
        let dir = makeTemporaryDirectory("sweep-lines")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let line = "conv(4, 29, 1, valid) flatten dense(classes)"
        let spec = DistributedRunTests.writeSpec(dir, Self.spec(["conv(4, 3) relu flatten dense(classes)", line],
                                                                datasets: ["cifar10", "synthetic"]))
        let message = "sweep: \(spec): architecture: conv at position 1 has a 29×29 window larger than its input [1, 28, 28] "
            + "without padding (architecture=\(line), dataset=synthetic)\n"
        let expand = try runSweep(["expand", spec])
        #expect(expand.status == 2)
        #expect(expand.stderr == message)
        #expect(expand.stdout.isEmpty)
        let run = try runSweep(["run", spec, "--workers", "1", "--db", dir + "/sweep.db"])
        #expect(run.status == 2)
        #expect(run.stderr == message)
        #expect(!FileManager.default.fileExists(atPath: dir + "/sweep.db"), "nothing is stored for a sweep that cannot run")
    }

    @Test func mismatchedShapesInAResidualOrAConcatStopTheSweep() throws {
        let dir = makeTemporaryDirectory("sweep-lines")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (line, error) in [
            ("conv(8, 3) residual[conv(4, 3)] flatten dense(classes)",
             "residual at position 12: its block gives [4, 28, 28] but its input is [8, 28, 28]; they must agree"),
            ("conv(8, 3) concat[relu | maxpool(2)] flatten dense(classes)",
             "concat at position 12: its branches give [8, 28, 28], [8, 14, 14]; all but the channels must agree"),
            ("conv(8, 3) flatten dense(12)",
             "the network ends with shape [12], not the 10 outputs of its classes; end it with dense(classes)"),
        ] {
            let spec = DistributedRunTests.writeSpec(dir, Self.spec([line], datasets: ["fashion-mnist"]))
            let r = try runSweep(["expand", spec])
            #expect(r.status == 2)
            #expect(r.stderr == "sweep: \(spec): architecture: \(error) (architecture=\(line), dataset=fashion-mnist)\n")
        }
    }

    /// Lines that fit every dataset they meet expand as before.
    @Test func linesThatFitExpand() throws {
        let dir = makeTemporaryDirectory("sweep-lines")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, Self.spec(
            ["conv(4, 3) relu residual[conv(4, 3) relu] concat[maxpool(3, 1) | avgpool(3, 1)] globalavgpool flatten dense(classes)",
             "conv(4, 5, 1, valid) maxpool(2) flatten dense(hidden) act dense(classes)"],
            datasets: ["cifar10", "synthetic"]))
        let r = try runSweep(["expand", "--format", "json", spec])
        #expect(r.status == 0, "\(r.stderr)")
        let tasks = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]
        #expect(tasks?.count == 4)
    }
}
