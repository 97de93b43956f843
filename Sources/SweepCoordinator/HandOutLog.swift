import Foundation
import SweepStore
#if canImport(Glibc)
import Glibc
#endif

/// Who was handed which task, written (not fsynced) before the task goes out:
/// `<store>.handouts`, one line per hand-out. A task leaves before its hand-out is
/// committed, and the commit can wait behind another (`Committer`); a coordinator
/// killed in between restarts with the task pending in the store and no record of
/// its holder, so it would drop the holder's result as a stranger's and run the task
/// again. The line survives the process (the OS has it), so the restarted coordinator
/// reads the last holder of each task from here and lets that worker claim it back.
/// Best effort: a line that cannot be written (disk full) leaves the window as before.
final class HandOutLog {
    let path: String
    private let fd: Int32

    /// Reads what the previous coordinator wrote, then starts the file anew.
    init(store: String) {
        path = store + ".handouts"
        holders = Self.read(path)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// The last holder ("worker@host") of each task the previous coordinator handed out, by sweep and task id.
    let holders: [Int64: [String: String]]

    /// The records with each task's last holder from the previous coordinator, where the
    /// store has not got its hand-out (the task is not finished).
    /// They are written again: should this coordinator die before it stores them too, the next one reads them here.
    func withLastHolders(_ records: [TaskRecord]) -> [TaskRecord] {
        var kept: [StoreUpdate] = []
        let records = records.map { r in
            guard !r.status.isFinished, let holder = holders[r.sweepID]?[r.taskID] else { return r }
            var r = r
            r.worker = holder
            kept.append(.handedOut(sweepID: r.sweepID, taskID: r.taskID, worker: holder, at: 0))
            return r
        }
        write(kept)
        return records
    }

    /// The sweep ended: every hand-out is stored, and the file goes.
    func remove() { unlink(path) }

    /// Appends the round's hand-outs, before its tasks go out.
    func write(_ updates: [StoreUpdate]) {
        var text = ""
        for case .handedOut(let sweepID, let taskID, let worker, _) in updates {
            text += "\(sweepID)\t\(taskID)\t\(worker)\n"
        }
        guard fd >= 0, !text.isEmpty else { return }
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress!, $0.count - 1) }
    }

    private static func read(_ path: String) -> [Int64: [String: String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var holders: [Int64: [String: String]] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3, let sweep = Int64(fields[0]) else { continue }   // a torn last line
            holders[sweep, default: [:]][String(fields[1])] = String(fields[2])
        }
        return holders
    }
}
