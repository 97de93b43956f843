import Foundation
import SweepConfig

/// `sweep status` for one sweep: counts per status, the best task so far, one
/// line per failed task with its error and one per task whose weights were not saved.
public enum StatusReport {
    /// `unsavedWeights`: task id → why its weights file is missing (`Store.unsavedWeights`).
    public static func render(sweep: SweepRecord, tasks: [TaskRecord], unsavedWeights: [String: String] = [:]) -> String {
        let board = try? Leaderboard(sweep: sweep, tasks: tasks)
        var counts = Dictionary(uniqueKeysWithValues: TaskStatus.allCases.map { ($0, 0) })
        for task in tasks { counts[task.status, default: 0] += 1 }

        let created = Date(timeIntervalSince1970: sweep.createdAt).formatted(.iso8601)
        var out = "\(sweep.name)  (metric \(sweep.metric), \(sweep.maximize ? "maximize" : "minimize"); created \(created))\n"
        out += "  \(tasks.count) tasks: " + TaskStatus.allCases.map { "\(counts[$0]!) \($0.rawValue)" }.joined(separator: ", ") + "\n"
        if let board, let best = board.best {
            let value = best.metric(sweep.metric).map { Leaderboard.text(metric: sweep.metric, $0) } ?? "-"
            let params = board.varyingParams.map { "\($0)=\(Leaderboard.text(param: best.param($0)))" }.joined(separator: " ")
            out += "  best \(sweep.metric) \(value)  task \(best.task.taskID)" + (params.isEmpty ? "" : "  \(params)") + "\n"
        } else {
            out += "  best \(sweep.metric): none yet\n"
        }
        for task in tasks where task.status == .failed {
            out += "  failed \(task.taskID) after \(task.attempts) attempt\(task.attempts == 1 ? "" : "s"): \(oneLine(task.error ?? "no error recorded"))\n"
        }
        for task in tasks {
            guard let error = unsavedWeights[task.taskID] else { continue }
            out += "  weights not saved for \(task.taskID): \(oneLine(error))\n"
        }
        return out
    }

    /// The error's text on one line, at most 200 characters.
    static func oneLine(_ text: String) -> String {
        let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return words.count > 200 ? String(words.prefix(199)) + "…" : words
    }
}
