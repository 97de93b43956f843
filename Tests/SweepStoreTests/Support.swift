import Foundation
import SweepConfig
import SweepStore

/// A fresh directory under the system temporary directory, removed by `body`'s end.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-store-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try body(dir)
}

/// The canonical params JSON of a training configuration given as key/value pairs.
func params(_ pairs: [(String, String)]) -> String {
    (try! TrainConfig(pairs: pairs)).canonical.encoded
}

/// Final metrics JSON with the names of docs/metrics.md.
func metrics(testAccuracy: Double, testLoss: Double, trainLoss: Double = 0.5, epoch: Int = 1) -> String {
    JSON.object([
        ("epoch", .int(epoch)),
        ("train_loss", .double(trainLoss)),
        ("train_accuracy", .double(0.75)),
        ("val_loss", .null),
        ("val_accuracy", .null),
        ("test_loss", .double(testLoss)),
        ("test_accuracy", .double(testAccuracy)),
        ("parameters", .int(1234)),
        ("samples_per_second", .double(1000)),
        ("wall_seconds", .double(2.5)),
    ]).encoded
}

func newTasks(_ count: Int, prefix: String = "t") -> [NewTask] {
    (0..<count).map { NewTask(id: "\(prefix)\($0)", index: $0, params: params([("seed", String($0))])) }
}
