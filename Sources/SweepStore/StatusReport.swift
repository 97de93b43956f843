import Foundation
import SweepConfig

/// `sweep status` for one sweep: counts per status, the best task so far, one
/// line per failed task with its error and one per task whose weights were not saved.
public enum StatusReport {
    /// `unsavedWeights`: task id → why its weights file is missing (`Store.unsavedWeights`).
    /// `pareto`: the sweep's metrics when it has several (the best task is then the best by
    /// the first metric on the Pareto front, and the line before it counts that front).
    public static func render(sweep: SweepRecord, tasks: [TaskRecord], unsavedWeights: [String: String] = [:],
                              workers: [WorkerRecord] = [], pareto: Leaderboard.Pareto? = nil,
                              now: Double = Date().timeIntervalSince1970) -> String {
        let board = try? Leaderboard(sweep: sweep, tasks: tasks, pareto: pareto)
        var counts = Dictionary(uniqueKeysWithValues: TaskStatus.allCases.map { ($0, 0) })
        for task in tasks { counts[task.status, default: 0] += 1 }
        return render(sweep: sweep, counts: counts, best: board?.best, varyingParams: board?.varyingParams ?? [],
                      failed: tasks.filter { $0.status == .failed }, unsaved: tasks.filter { unsavedWeights[$0.taskID] != nil },
                      unsavedWeights: unsavedWeights, workers: workers, front: board.flatMap(Front.init), now: now)
    }

    /// The Pareto front of a sweep of several metrics, as the status shows it.
    public struct Front: Sendable {
        public let objectives: [Leaderboard.Objective]
        /// Tasks on front 1 (no task dominates them), of `ranked` that finished with metrics.
        public let size: Int
        public let ranked: Int

        /// The front of a board ranked by Pareto front; nil for another.
        public init?(_ board: Leaderboard) {
            guard let pareto = board.pareto else { return nil }
            objectives = pareto.objectives
            size = board.rows.count { $0.front == 1 }
            ranked = board.rows.count { $0.front != nil }
        }
    }

    /// The same from what SQL answers (a big sweep): `counts` per status, the `best` task
    /// and the parameters that vary, the `failed` tasks and those whose weights are
    /// `unsaved` (both in index order); for a sweep of several metrics, its Pareto `front`
    /// (`best` is then the best by the first metric on it).
    public static func render(sweep: SweepRecord, counts: [TaskStatus: Int], best: Leaderboard.Row?, varyingParams: [String],
                              failed: [TaskRecord], unsaved: [TaskRecord], unsavedWeights: [String: String],
                              workers: [WorkerRecord], front: Front? = nil, now: Double = Date().timeIntervalSince1970) -> String {
        let created = Date(timeIntervalSince1970: sweep.createdAt).formatted(.iso8601)
        let total = counts.values.reduce(0, +)
        let goals = front.map { $0.objectives.map { "\($0.name) \($0.maximize ? "maximize" : "minimize")" }.joined(separator: ", ") }
        var out = "\(sweep.name)  (" + (goals.map { "metrics \($0)" } ?? "metric \(sweep.metric), \(sweep.maximize ? "maximize" : "minimize")")
            + "; created \(created))\n"
        out += "  \(total) tasks: " + TaskStatus.allCases.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ") + "\n"
        if let front, front.ranked > 0 {
            out += "  Pareto front: \(front.size) of the \(front.ranked) task\(front.ranked == 1 ? "" : "s") with metrics (not dominated)\n"
        }
        if let best {
            let value = best.metric(sweep.metric).map { Leaderboard.text(metric: sweep.metric, $0) } ?? "-"
            let params = varyingParams.map { "\($0)=\(Leaderboard.text(param: best.param($0)))" }.joined(separator: " ")
            // on the front, the others of its metrics say what its best first metric costs
            let others = (front?.objectives.dropFirst() ?? []).map { o in
                "\(o.name) \(best.metric(o.name).map { Leaderboard.text(metric: o.name, $0) } ?? "-")"
            }
            out += "  best \(sweep.metric) \(value)" + (front == nil ? "" : " on the front") + "  task \(best.task.taskID)"
                + (params.isEmpty ? "" : "  \(params)") + (others.isEmpty ? "" : "  (\(others.joined(separator: ", ")))") + "\n"
        } else {
            out += "  best \(sweep.metric): none yet\n"
        }
        for task in failed {
            out += "  failed \(task.taskID) after \(task.attempts) attempt\(task.attempts == 1 ? "" : "s"): \(oneLine(task.error ?? "no error recorded"))\n"
        }
        for task in unsaved {
            guard let error = unsavedWeights[task.taskID] else { continue }
            out += "  weights not saved for \(task.taskID): \(oneLine(error))\n"
        }
        if !workers.isEmpty { out += workerTable(workers, now: now) }
        return out
    }

    /// The workers, one line each: name, host, slots, state, when last heard from, tasks
    /// running, done and lost.
    static func workerTable(_ workers: [WorkerRecord], now: Double) -> String {
        let connected = workers.filter { $0.state == .connected }
        var out = "  workers: \(connected.count) connected (\(connected.reduce(0) { $0 + $1.slots }) slots), \(workers.count) seen\n"
        let header = ["worker", "host", "slots", "state", "last seen", "running", "done", "lost"]
        let rows = workers.map { w in
            [w.worker, w.host, String(w.slots), w.state.rawValue, age(now - w.lastSeen), String(w.running), String(w.done), String(w.lost)]
        }
        let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max()! }
        for row in [header] + rows {
            out += "    " + row.indices.map { c in c >= 2 && c != 3 ? String(repeating: " ", count: widths[c] - row[c].count) + row[c]
                                                               : row[c].padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        return out
    }

    /// "3 s ago", "4 min ago", "2 h ago".
    static func age(_ seconds: Double) -> String {
        let s = max(0, seconds)
        if s < 120 { return "\(Int(s)) s ago" }
        if s < 7200 { return "\(Int(s / 60)) min ago" }
        return "\(Int(s / 3600)) h ago"
    }

    /// The error's text on one line, at most 200 characters.
    static func oneLine(_ text: String) -> String {
        let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return words.count > 200 ? String(words.prefix(199)) + "…" : words
    }
}
