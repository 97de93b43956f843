import Foundation
import Testing
import TestSupport

/// Determinism with augmentation, end to end: the same sweep of line-built networks with
/// flips, crops and dropout, run twice on local workers (tasks land on other slots in
/// another order), gives the same metrics and the same best weights, byte for byte.
@Suite struct AugmentedSweepTests {
    static let spec = """
        name: augmented
        method: grid
        metric: {name: test_accuracy, goal: maximize}
        parameters:
          dataset: {value: synthetic}
          train_per_class: {value: 6}
          test_per_class: {value: 2}
          validation_fraction: {value: 0.2}
          epochs: {value: 2}
          batch_size: {value: 8}
          augment: {value: flip+crop}
          architecture:
            values:
              - "conv(4, 3) relu residual[conv(4, 3) relu conv(4, 1)] relu maxpool(2) dropout(0.25) flatten dense(classes)"
              - "conv(4, 3, 2) relu concat[conv(2, 1) relu | maxpool(3, 1) | avgpool(3, 1)] globalavgpool flatten dense(classes)"
          seed: {values: [1, 2]}
        """

    @Test func twoRunsOfOneSweepGiveTheSameMetricsAndWeights() throws {
        let dir = makeTemporaryDirectory("sweep-augmented")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, Self.spec)
        var boards: [[String: String]] = []
        var best: [Data] = []
        for run in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(run)", withIntermediateDirectories: true)
            let db = "\(dir)/\(run)/sweep.db"
            let r = try runSweep(["run", spec, "--workers", "2", "--db", db])
            #expect(r.status == 0, "\(r.stderr)")
            let board = try DistributedRunTests.leaderboard(db)
            #expect(board.count == 4 && board.allSatisfy { $0["status"] as? String == "completed" }, "\(board)")
            boards.append(Dictionary(uniqueKeysWithValues: board.map { ($0["task_id"] as? String ?? "?", ChaosTests.deterministic($0)) }))
            best.append(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(run)/weights/augmented/best.safetensors")))
        }
        #expect(boards[0] == boards[1])
        #expect(Set(boards[0].values).count == 4, "each task has metrics of its own")
        #expect(best[0] == best[1] && best[0].count > 1000)
    }
}
