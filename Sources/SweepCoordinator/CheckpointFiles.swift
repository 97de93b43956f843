import Foundation

/// Method pbt's checkpoints on the coordinator's disk, beside the sweep's weights:
/// `<db dir>/weights/<sweep>/checkpoints/<task id>/epoch-<n>.safetensors`, one per member
/// and boundary (a `Checkpoint` file: network and optimizer state). Written as
/// `WeightsFiles` writes (temporary name, fsync, rename, directory fsync) before the
/// round's commit, so an interval acknowledged has its checkpoint on disk. Those no member
/// can need any more are removed after a later commit (`CoordinatorCore.pruneCheckpoints`),
/// and the rest when the sweep ends, unless `--save-weights` keeps them all: then a
/// member's weights after an exploit can be compared with its source's.
public enum CheckpointFiles {
    public static func directory(weights: String, taskID: String) -> String { weights + "/checkpoints/" + taskID }

    public static func path(weights: String, taskID: String, epoch: Int) -> String {
        directory(weights: weights, taskID: taskID) + "/epoch-\(epoch).safetensors"
    }

    public static func write(_ file: [UInt8], taskID: String, epoch: Int, weights: String) throws {
        let directory = directory(weights: weights, taskID: taskID)
        _ = try WeightsFiles.makeDirectories(directory)
        try WeightsFiles.writeDurably(file, to: path(weights: weights, taskID: taskID, epoch: epoch))
        try WeightsFiles.syncDirectory(directory)
    }

    /// The checkpoint of `taskID` after `epoch`, nil when there is none.
    public static func read(weights: String, taskID: String, epoch: Int) -> [UInt8]? {
        FileManager.default.contents(atPath: path(weights: weights, taskID: taskID, epoch: epoch)).map { [UInt8]($0) }
    }

    /// Removes the checkpoints of `taskID` after these epochs (a missing file is no error), and
    /// its directory once empty.
    public static func remove(taskID: String, epochs: [Int], weights: String) {
        for epoch in epochs { try? FileManager.default.removeItem(atPath: path(weights: weights, taskID: taskID, epoch: epoch)) }
        let directory = directory(weights: weights, taskID: taskID)
        if (try? FileManager.default.contentsOfDirectory(atPath: directory))?.isEmpty == true {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Removes every checkpoint of the sweep (it ended).
    public static func removeAll(weights: String) {
        try? FileManager.default.removeItem(atPath: weights + "/checkpoints")
    }
}
