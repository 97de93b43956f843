import SweepConfig
import SweepStore
import SweepInsights

/// One task as the report sees it: its leaderboard row, its per-epoch metrics
/// and what it recorded besides (step losses, activation statistics, filters).
public struct ReportRun: Sendable {
    public let row: Leaderboard.Row
    /// Epoch → metric name → value, in epoch order.
    public let epochs: [[String: Double]]
    public let insights: RunInsights?

    public init(row: Leaderboard.Row, epochs: [[String: Double]], insights: RunInsights?) {
        self.row = row
        self.epochs = epochs
        self.insights = insights
    }

    public var taskID: String { row.task.taskID }

    /// metric value per epoch, for the epochs that have it.
    public func curve(_ metric: String) -> RunCurve { Self.curve(metric, epochs: epochs) }

    /// `metric` per epoch of these epochs' metrics (`ReportData.parseNumbers` of each), where they have it.
    public static func curve(_ metric: String, epochs: [[String: Double]]) -> RunCurve {
        epochs.compactMap { e in
            guard let x = e["epoch"], let y = e[metric], y.isFinite else { return nil }
            return (x, y)
        }
    }

    /// The training loss every N steps, against epochs (step / steps per epoch).
    public var stepCurve: RunCurve? {
        guard let s = insights?.steps, !s.points.isEmpty else { return nil }
        return s.points.map { (Double($0.step) / Double(max(1, s.stepsPerEpoch)), $0.loss) }
    }
}

/// Everything `sweep report` shows of one sweep, read from the store once.
public struct ReportData: Sendable {
    public let sweep: SweepRecord
    public let board: Leaderboard
    /// In leaderboard order (best first).
    public let runs: [ReportRun]

    /// `runs` nil: the board's rows without epochs or insights.
    public init(sweep: SweepRecord, board: Leaderboard, runs: [ReportRun]?) {
        self.sweep = sweep
        self.board = board
        self.runs = runs ?? board.rows.map { ReportRun(row: $0, epochs: [], insights: nil) }
    }

    /// `sort` ranks by another metric than the sweep's (as `sweep leaderboard --sort`); without
    /// it, a sweep of several metrics is ranked by Pareto front.
    /// `insights`: whether to read each task's insights too (the report draws them; the live
    /// page, which rebuilds often, does not).
    public static func load(store: Store, sweep: SweepRecord, sort: String? = nil, insights withInsights: Bool = true) throws -> ReportData {
        let board = try Leaderboard(sweep: sweep, tasks: store.tasks(sweepID: sweep.id), sort: sort, pareto: sweep.pareto)
        let epochs = try store.allEpochs(sweepID: sweep.id)
        let insights = withInsights ? try store.insights(sweepID: sweep.id) : [:]
        let runs = board.rows.map { row in
            ReportRun(row: row,
                      epochs: (epochs[row.task.taskID] ?? []).compactMap(parseNumbers),
                      insights: insights[row.task.taskID].flatMap { try? JSON.parse($0) }.flatMap { RunInsights(json: $0) })
        }
        return ReportData(sweep: sweep, board: board, runs: runs)
    }

    /// The numeric fields of a JSON object's text.
    public static func parseNumbers(_ text: String) -> [String: Double]? {
        guard case .object(let fields)? = try? JSON.parse(text) else { return nil }
        var out: [String: Double] = [:]
        for (k, v) in fields { if let d = v.doubleValue { out[k] = d } }
        return out
    }

    /// The parameters that vary across the sweep, seed (replicates) excluded, and
    /// so are those that follow from an earlier one: with model {lenet5, mlp} the
    /// resolved dropout (0.5, 0) varies too, but it says nothing model does not.
    public var settingParams: [String] {
        var kept: [String] = []
        for p in board.varyingParams where p != "seed" {
            let derived = kept.contains { q in
                var image: [String: String] = [:]
                for r in runs {
                    let (k, v) = (r.row.param(q).encoded, r.row.param(p).encoded)
                    if let seen = image[k], seen != v { return false }
                    image[k] = v
                }
                return true
            }
            if !derived { kept.append(p) }
        }
        return kept
    }

    /// How many distinct values each parameter takes.
    public func distinctValues(_ names: [String]) -> [String: Int] {
        var out: [String: Int] = [:]
        for name in names { out[name] = Set(runs.map { $0.row.param(name).encoded }).count }
        return out
    }
}
