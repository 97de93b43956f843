import GRDB
import SweepConfig

/// What `sweep status`, `sweep leaderboard --top` and the live page ask of a big sweep,
/// answered by SQL instead of by loading every task: at 100,000 tasks a full load costs
/// over a second and ~400 MB, these a few milliseconds each. The ranking follows
/// `Leaderboard` exactly: finished tasks that are not failed and hold a finite value of
/// the metric, best first, ties by index then id; the rest after them, by status, index, id.
extension Store {
    /// The index that ranks a sweep's tasks by `metric` without reading them all. An
    /// expression index on the stored JSON: SQLite uses it only for the very same
    /// expression, so the metric is in the SQL text (checked to be a plain name), not bound.
    static func metricIndex(_ metric: String) -> (name: String, expression: String)? {
        guard !metric.isEmpty, metric.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }) else { return nil }
        return ("tasks_by_metric_" + metric, "json_extract(metrics, '$.\(metric)')")
    }

    /// Creates the index for `metric` if it is missing (a new sweep, or a store from before).
    static func createMetricIndex(_ metric: String, _ db: Database) throws {
        guard let index = metricIndex(metric) else { return }
        try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(index.name) ON tasks (sweep_id, \(index.expression))")
    }

    /// The expression of `metric`'s value: the indexed one for a plain name, else a bound path.
    private static func valueExpression(_ metric: String) -> (sql: String, arguments: StatementArguments) {
        if let index = metricIndex(metric) { return (index.expression, []) }
        return ("json_extract(metrics, ?)", ["$.\"" + metric.replacingOccurrences(of: "\"", with: "") + "\""])
    }

    /// Whether a task is ranked by the value `expression`: finished, not failed, with a value.
    /// JSON holds no NaN or infinity (they are written as null), so "not null" is "finite".
    private static func rankable(_ expression: String) -> String {
        "\(expression) IS NOT NULL AND status IN ('completed', 'stopped', 'diverged')"
    }

    /// `INDEXED BY` the metric's index when the file has it. Without stored statistics SQLite's
    /// planner may take the status or index one instead, and then sorts every finished task.
    private static func indexedBy(_ metric: String, _ db: Database) throws -> String {
        guard let index = metricIndex(metric),
              try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?)",
                                arguments: [index.name]) == true else { return "" }
        return " INDEXED BY \(index.name)"
    }

    /// The ranked tasks by `metric` (see the type's note), best first, after skipping `offset`; at most `limit`.
    public func ranked(sweepID: Int64, metric: String, maximize: Bool, limit: Int, offset: Int = 0) throws -> [TaskRecord] {
        let value = Self.valueExpression(metric)
        var arguments: StatementArguments = [sweepID]
        arguments += value.arguments
        arguments += value.arguments
        arguments += [limit, offset]
        return try run {
            try db.read { db in
                let sql = """
                    SELECT \(Self.taskColumns) FROM tasks\(try Self.indexedBy(metric, db))
                    WHERE sweep_id = ? AND \(Self.rankable(value.sql))
                    ORDER BY \(value.sql) \(maximize ? "DESC" : "ASC"), idx, task_id LIMIT ? OFFSET ?
                    """
                return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.task)
            }
        }
    }

    /// The tasks `ranked` leaves out, in the leaderboard's order (by status: finished without
    /// a value, failed, running, pending; then index and id); at most `limit`.
    public func unranked(sweepID: Int64, metric: String, limit: Int, offset: Int = 0) throws -> [TaskRecord] {
        let value = Self.valueExpression(metric)
        let sql = """
            SELECT \(Self.taskColumns) FROM tasks
            WHERE sweep_id = ? AND NOT (\(Self.rankable(value.sql)))
            ORDER BY CASE status WHEN 'completed' THEN 0 WHEN 'stopped' THEN 1 WHEN 'diverged' THEN 2
                WHEN 'failed' THEN 3 WHEN 'running' THEN 4 ELSE 5 END, idx, task_id LIMIT ? OFFSET ?
            """
        var arguments: StatementArguments = [sweepID]
        arguments += value.arguments
        arguments += [limit, offset]
        return try run { try db.read { db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.task) } }
    }

    /// `limit` tasks of the leaderboard in its order, after skipping `offset`: the ranked ones, then the others.
    public func leading(sweepID: Int64, metric: String, maximize: Bool, limit: Int, offset: Int = 0) throws -> [TaskRecord] {
        let best = try ranked(sweepID: sweepID, metric: metric, maximize: maximize, limit: limit, offset: offset)
        guard best.count < limit else { return best }
        let skip = best.isEmpty ? max(0, offset - (try rankedCount(sweepID: sweepID, metric: metric))) : 0
        return best + (try unranked(sweepID: sweepID, metric: metric, limit: limit - best.count, offset: skip))
    }

    /// How many tasks `ranked` ranks.
    public func rankedCount(sweepID: Int64, metric: String) throws -> Int {
        let value = Self.valueExpression(metric)
        var arguments: StatementArguments = [sweepID]
        arguments += value.arguments
        return try run {
            try db.read { db in
                try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM tasks\(try Self.indexedBy(metric, db))
                    WHERE sweep_id = ? AND \(Self.rankable(value.sql))
                    """, arguments: arguments) ?? 0
            }
        }
    }

    /// The tasks in `status`, in index order (the failed ones, for `sweep status`).
    public func tasks(sweepID: Int64, status: TaskStatus) throws -> [TaskRecord] {
        try run {
            try db.read { db in
                try Row.fetchAll(db, sql: "SELECT \(Self.taskColumns) FROM tasks WHERE sweep_id = ? AND status = ? ORDER BY idx, task_id",
                                 arguments: [sweepID, status.rawValue]).map(Self.task)
            }
        }
    }

    /// The tasks with these ids, in index order.
    public func tasks(sweepID: Int64, ids: [String]) throws -> [TaskRecord] {
        guard !ids.isEmpty else { return [] }
        return try run {
            try db.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT \(Self.taskColumns) FROM tasks WHERE sweep_id = ? AND task_id IN (SELECT value FROM json_each(?))
                    ORDER BY idx, task_id
                    """, arguments: [sweepID, JSON.array(ids.map(JSON.string)).encoded]).map(Self.task)
            }
        }
    }

    /// An even sample of the sweep's tasks, or of its finished ones that are not failed: those
    /// whose index is a multiple of `count` / `limit` (`count`: how many there are to sample
    /// from), about `limit`. The index's own index finds them without reading the other rows,
    /// and a store gives the same sample every time.
    public func sample(sweepID: Int64, from count: Int, limit: Int, finishedOnly: Bool = false) throws -> [TaskRecord] {
        let step = max(1, (count + limit - 1) / max(1, limit))
        let filter = finishedOnly ? " AND status IN ('completed', 'stopped', 'diverged')" : ""
        return try run {
            try db.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT \(Self.taskColumns) FROM tasks WHERE sweep_id = ? AND idx % ? = 0\(filter) ORDER BY idx, task_id
                    """, arguments: [sweepID, step]).map(Self.task)
            }
        }
    }

    /// Whether `parameter` differs between two tasks of the sweep (a missing key counts as
    /// null), as `Leaderboard.varyingParams` decides. Stops at the first difference, so a
    /// parameter that varies costs a row or two; one that does not costs a scan.
    public func varies(sweepID: Int64, parameter: String) throws -> Bool {
        let path = "$.\"" + parameter.replacingOccurrences(of: "\"", with: "") + "\""
        return try run {
            try db.read { db in
                guard let first = try Row.fetchOne(db, sql: """
                    SELECT json_extract(params, ?1), json_type(params, ?1) FROM tasks WHERE sweep_id = ?2 ORDER BY idx, task_id LIMIT 1
                    """, arguments: [path, sweepID]) else { return false }
                // json_type tells 1 from 1.0, and a missing key (NULL) from a JSON null ('null')
                let value: DatabaseValue = first[0], type: String? = first[1]
                return try Bool.fetchOne(db, sql: """
                    SELECT EXISTS (SELECT 1 FROM tasks WHERE sweep_id = ?1
                        AND (json_extract(params, ?2) IS NOT ?3 OR json_type(params, ?2) IS NOT ?4))
                    """, arguments: [sweepID, path, value, type]) ?? false
            }
        }
    }

    /// When the sweep's first task started and its last finished, and the finish times of
    /// the latest `recent` results, oldest first (the live page's rate and ETA).
    public func times(sweepID: Int64, recent: Int) throws -> (firstStart: Double?, lastFinish: Double?, recent: [Double]) {
        try run {
            try db.read { db in
                let span = try Row.fetchOne(db, sql: "SELECT MIN(started_at), MAX(finished_at) FROM tasks WHERE sweep_id = ?",
                                            arguments: [sweepID])
                let latest = try Double.fetchAll(db, sql: """
                    SELECT finished_at FROM tasks WHERE sweep_id = ? AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?
                    """, arguments: [sweepID, recent])
                return (span?[0], span?[1], latest.reversed())
            }
        }
    }

    /// How many early-stopping decisions the sweep has, and the latest `limit` (JSON text), in the order made.
    public func latestStopDecisions(sweepID: Int64, limit: Int) throws -> (count: Int, records: [String]) {
        try run {
            try db.read { db in
                let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM stop_decisions WHERE sweep_id = ?", arguments: [sweepID]) ?? 0
                let records = try String.fetchAll(db, sql: "SELECT record FROM stop_decisions WHERE sweep_id = ? ORDER BY seq DESC LIMIT ?",
                                                  arguments: [sweepID, limit])
                return (count, records.reversed())
            }
        }
    }

    /// The per-epoch metrics JSON of these tasks, by task id, in epoch order.
    public func epochs(sweepID: Int64, taskIDs: [String]) throws -> [String: [String]] {
        guard !taskIDs.isEmpty else { return [:] }
        return try run {
            try db.read { db in
                var all: [String: [String]] = [:]
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT task_id, metrics FROM epochs WHERE sweep_id = ? AND task_id IN (SELECT value FROM json_each(?))
                    ORDER BY task_id, epoch
                    """, arguments: [sweepID, JSON.array(taskIDs.map(JSON.string)).encoded])
                while let row = try rows.next() { all[row[0], default: []].append(row[1]) }
                return all
            }
        }
    }
}

extension Store {
    /// One group of `groups(sweepID:by:metrics:)`: the parameters' values (JSON text), the
    /// tasks that ended with metrics, and per metric the count, sum and sum of squares of its values.
    public struct GroupTotals: Sendable {
        public let values: [String?]
        public let n: Int
        public let firstIndex: Int
        public let sums: [(count: Int, sum: Double, squares: Double)]
    }

    /// The sweep's tasks grouped by the values of `parameters`, in one pass of SQL: per group,
    /// the finished tasks (not failed) with metrics, and the totals of each of `metrics`
    /// over them (`Leaderboard.groups` without loading the tasks).
    public func groups(sweepID: Int64, by parameters: [String], metrics: [String]) throws -> [GroupTotals] {
        func path(_ name: String) -> String { "$.\"" + name.replacingOccurrences(of: "\"", with: "") + "\"" }
        let keys = parameters.indices.map { "json_quote(json_extract(params, ?)) AS g\($0)" }
        let ended = "status IN ('completed', 'stopped', 'diverged') AND metrics IS NOT NULL"
        let values = metrics.indices.map { "CASE WHEN \(ended) THEN json_extract(metrics, ?) END AS m\($0)" }
        let totals = metrics.indices.map { "COUNT(m\($0)), TOTAL(m\($0)), TOTAL(m\($0) * m\($0))" }
        let sql = """
            SELECT \((parameters.indices.map { "g\($0)" } + ["SUM(ended)", "MIN(idx)"] + totals).joined(separator: ", "))
            FROM (SELECT \((keys + ["(\(ended)) AS ended", "idx"] + values).joined(separator: ", ")) FROM tasks WHERE sweep_id = ?)
            GROUP BY \(parameters.isEmpty ? "NULL" : parameters.indices.map { "g\($0)" }.joined(separator: ", "))
            """
        var arguments = StatementArguments(parameters.map(path))
        arguments += StatementArguments(metrics.map(path))
        arguments += [sweepID]
        let p = parameters.count
        return try run {
            try db.read { db in
                try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                    GroupTotals(values: (0..<p).map { row[$0] }, n: row[p] ?? 0, firstIndex: row[p + 1] ?? 0,
                                sums: metrics.indices.map { (row[p + 2 + 3 * $0], row[p + 3 + 3 * $0], row[p + 4 + 3 * $0]) })
                }
            }
        }
    }
}

extension Leaderboard {
    /// `Store.groups`' totals as ranked groups, as `init(sweep:tasks:groupBy:)` ranks them:
    /// best mean of `sortMetric` first, ties by the group's first index, groups without a
    /// mean after. The standard deviation is the sample one (n − 1), 0 for one value.
    public static func groups(_ totals: [Store.GroupTotals], by parameters: [String], metrics: [String],
                              sortMetric: String, maximize: Bool) -> [Group] {
        let unranked: [(group: Group, first: Int)] = totals.map { t in
            var mean: [(String, Double)] = [], std: [(String, Double)] = []
            for (name, s) in zip(metrics, t.sums) where s.count > 0 {
                let mu = s.sum / Double(s.count)
                let variance = s.count > 1 ? max(0, (s.squares - s.sum * mu) / Double(s.count - 1)) : 0
                mean.append((name, mu))
                std.append((name, variance.squareRoot()))
            }
            let values = zip(parameters, t.values).map { ($0, $1.flatMap { try? JSON.parse($0) } ?? .null) }
            return (Group(rank: nil, values: values, n: t.n, mean: mean, std: std), t.firstIndex)
        }
        let better = maximize ? { (x: Double, y: Double) in x > y } : { (x: Double, y: Double) in x < y }
        let ranked = unranked.filter { $0.group.mean(sortMetric) != nil }.sorted { a, b in
            let x = a.group.mean(sortMetric)!, y = b.group.mean(sortMetric)!
            return x != y ? better(x, y) : a.first < b.first
        }
        let rest = unranked.filter { $0.group.mean(sortMetric) == nil }.sorted { $0.first < $1.first }
        return ranked.enumerated().map { i, g in
            Group(rank: i + 1, values: g.group.values, n: g.group.n, mean: g.group.mean, std: g.group.std)
        } + rest.map(\.group)
    }
}

// MARK: for tests

extension Store {
    /// Drops the metric's index, as a store from before it was made has none.
    func dropMetricIndexForTesting(_ metric: String) throws {
        guard let index = Self.metricIndex(metric) else { return }
        try run { try db.write { db in try db.execute(sql: "DROP INDEX IF EXISTS \(index.name)") } }
    }

    /// SQLite's plan for `ranked` by `metric`, one line per step.
    func queryPlanForTesting(metric: String) throws -> String {
        let value = Self.valueExpression(metric)
        var arguments: StatementArguments = [1]
        arguments += value.arguments
        arguments += value.arguments
        return try run {
            try db.read { db in
                try Row.fetchAll(db, sql: """
                    EXPLAIN QUERY PLAN SELECT task_id FROM tasks\(try Self.indexedBy(metric, db))
                    WHERE sweep_id = ? AND \(Self.rankable(value.sql))
                    ORDER BY \(value.sql) DESC, idx, task_id LIMIT 5
                    """, arguments: arguments).map { row in String(describing: row["detail"] ?? "") }.joined(separator: "\n")
            }
        }
    }
}
