import Foundation
import SweepConfig
import SweepSearch
import SweepSpec
import SweepStore

/// How much each parameter of a sweep mattered for reaching its best 10% by the
/// sweep's metric and goal, over its completed tasks: PED-ANOVA as Optuna computes it
/// (SweepSearch's `ParameterImportance`). Shown by `sweep leaderboard --importance`
/// and in the report.
public struct SweepImportance: Sendable {
    public let sweep: SweepRecord
    /// The completed tasks with a finite value of the sweep's metric.
    public let tasks: Int
    /// Normalised to sum to 1, most important first; empty when `unavailable`.
    public let importances: [(parameter: String, importance: Double)]
    /// Why there are none, one line.
    public let unavailable: String?

    /// From the leaderboard's rows (any sort): each completed task's configuration and
    /// value of the sweep's metric, read against the sweep's stored spec.
    public init(board: Leaderboard) {
        let sweep = board.sweep
        self.sweep = sweep
        let tasks = board.rows.compactMap { row -> (config: JSON, value: Double)? in
            guard row.task.status == .completed, let value = row.metric(sweep.metric)?.doubleValue, value.isFinite else { return nil }
            return (.object(row.params), value)
        }
        self.tasks = tasks.count
        let spec: SweepSpec
        do { spec = try SweepSpec.parse(sweep.spec, path: sweep.name) } catch {
            (importances, unavailable) = ([], "parameter importance: the spec stored with sweep '\(sweep.name)' no longer reads (\(error))")
            return
        }
        switch ParameterImportance.evaluate(spec: spec, tasks: tasks, maximize: sweep.maximize) {
        case let found? where found.isEmpty:
            (importances, unavailable) = ([], "parameter importance: no parameter of sweep '\(sweep.name)' takes more than one value")
        case nil:
            let needed = ParameterImportance.minimumTrials
            (importances, unavailable) = ([], "parameter importance needs at least \(needed) completed tasks with a value of \(sweep.metric); "
                                              + "sweep '\(sweep.name)' has \(tasks.count)")
        case let found?:
            (importances, unavailable) = (found.map { ($0.name, $0.importance) }, nil)
        }
    }

    /// What the importances are, in a sentence.
    public var summary: String {
        "\(sweep.name): parameter importance for \(sweep.metric) (\(sweep.maximize ? "higher" : "lower") is better) "
            + "over \(tasks) completed task\(tasks == 1 ? "" : "s"), by PED-ANOVA"
    }

    /// The importances as text in `format` (docs/commands.md § sweep leaderboard), the
    /// most important `top`; when unavailable, the empty table of `csv` and `json`.
    public func render(_ format: Leaderboard.Format, top: Int? = nil) -> String {
        let shown = importances.prefix(top ?? importances.count)
        switch format {
        case .json:
            guard !shown.isEmpty else { return "[]\n" }
            let objects = shown.map { JSON.object([("parameter", .string($0.parameter)), ("importance", .double($0.importance))]).encoded }
            return "[\n" + objects.joined(separator: ",\n") + "\n]\n"
        case .csv:
            let lines = shown.map { row -> String in Leaderboard.csvField(row.parameter) + "," + JSON.double(row.importance).encoded + "\n" }
            return "parameter,importance\n" + lines.joined()
        case .markdown:
            return table(shown).markdown()
        case .table:
            var title = summary
            if shown.count < importances.count { title += "; top \(shown.count) of \(importances.count) shown" }
            return title + "\n" + table(shown).aligned()
        }
    }

    private func table(_ shown: ArraySlice<(parameter: String, importance: Double)>) -> TextTable {
        TextTable(columns: [.init("parameter", right: false, shown.map(\.parameter)),
                            .init("importance", right: true, shown.map { String(format: "%.4f", $0.importance) })])
    }
}
