import SweepConfig

/// A sweep's tasks ranked by one metric (docs/commands.md § sweep leaderboard), optionally grouped by
/// parameters with mean and sample standard deviation per group; a sweep with several
/// metrics (`Pareto`) is ranked by Pareto front, then by its first metric. Pure: built
/// from records, so it is tested without a database. Rendering is in
/// LeaderboardFormats.swift.
public struct Leaderboard: Sendable {
    public enum Format: String, CaseIterable, Sendable {
        case table, csv, json, markdown
    }

    /// One task. `rank` is nil for tasks without a value to rank by (unfinished,
    /// failed, or missing the metric); they come after the ranked ones.
    public struct Row: Sendable {
        public let rank: Int?
        public let task: TaskRecord
        public let params: [(String, JSON)]
        /// The final metrics, names of docs/metrics.md; empty until the task finishes.
        public let metrics: [(String, JSON)]
        /// The value of the sort metric.
        public let value: Double?
        /// Its Pareto front (1: no task dominates it) in a sweep of several metrics ranked
        /// by front; nil otherwise, and for tasks without metrics (unfinished, failed).
        public var front: Int? = nil

        public func metric(_ name: String) -> JSON? { metrics.first { $0.0 == name }?.1 }
        public func param(_ name: String) -> JSON { params.first { $0.0 == name }?.1 ?? .null }
    }

    /// The tasks sharing the values of the `--group-by` parameters. `n` counts
    /// those that finished with metrics (completed, stopped, diverged); each
    /// mean and std is taken over the finite values of that metric among them.
    public struct Group: Sendable {
        public let rank: Int?
        public let values: [(String, JSON)]
        public let n: Int
        public let mean: [(String, Double)]
        public let std: [(String, Double)]

        public func mean(_ name: String) -> Double? { mean.first { $0.0 == name }?.1 }
        public func std(_ name: String) -> Double? { std.first { $0.0 == name }?.1 }
    }

    /// A metric of a sweep that has several (`metric:` as a list).
    public struct Objective: Sendable, Equatable {
        public let name: String
        public let maximize: Bool

        public init(name: String, maximize: Bool) {
            self.name = name
            self.maximize = maximize
        }
    }

    /// How a sweep of several metrics is ranked: by the fronts of non-dominated sorting
    /// over its objectives. The store knows no search, so the caller passes the sorting in
    /// (SweepSearch's `ParetoFront.ranks`: the front of each point, from 1, with a NaN value
    /// after every point without one) along with the objectives (from the sweep's spec).
    public struct Pareto: Sendable {
        /// Two or more, the first the sweep's metric.
        public let objectives: [Objective]
        public let fronts: @Sendable (_ points: [[Double]], _ maximize: [Bool]) -> [Int]

        public init(objectives: [Objective], fronts: @escaping @Sendable ([[Double]], [Bool]) -> [Int]) {
            self.objectives = objectives
            self.fronts = fronts
        }
    }

    /// The metric names of docs/metrics.md, accepted by `--sort` even before any task has finished.
    public static let knownMetrics = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                                      "test_loss", "test_accuracy", "samples_per_second", "wall_seconds", "parameters"]
    /// Fields of a stored result line that are not metrics.
    static let resultFields: Set<String> = ["event", "status", "config", "error", "kernels"]

    public let sweep: SweepRecord
    public let sortMetric: String
    public let maximize: Bool
    public let groupBy: [String]
    /// Best first; then unranked tasks by status and index.
    public let rows: [Row]
    /// Best first; empty without `groupBy`.
    public let groups: [Group]
    /// Every parameter and metric name that appears, in first-seen order.
    public let paramNames: [String]
    public let metricNames: [String]
    /// The parameters whose value differs between two tasks of the sweep.
    public let varyingParams: [String]

    /// Set when the rows are ranked by Pareto front (a sweep of several metrics, not `--sort`).
    public let pareto: Pareto?

    /// The sweep's tasks and those finished, also those a partial board (`init(sweep:leading:…)`) leaves out.
    public let taskCount: Int
    public let finishedCount: Int

    public var best: Row? { rows.first { $0.rank != nil } }

    /// Whether larger is better for `metric`: the sweep's goal for its own
    /// metric; otherwise names containing "loss" go down and the others up.
    public static func maximizes(_ metric: String, in sweep: SweepRecord) -> Bool {
        metric == sweep.metric ? sweep.maximize : !metric.contains("loss")
    }

    /// `pareto`: the sweep's metrics when it has several; without `sort`, the tasks that
    /// finished with metrics (completed, stopped, diverged) are then ranked by their front
    /// over every task of `tasks`, then by the first metric, then by index (with `sort`,
    /// by that metric, in its goal when it is one of them).
    /// - Throws: `ConfigError` for a sort metric or group-by parameter that
    ///   neither docs/keys.md, docs/metrics.md nor the sweep's tasks know.
    public init(sweep: SweepRecord, tasks: [TaskRecord], sort: String? = nil, groupBy: [String] = [],
                pareto: Pareto? = nil) throws(ConfigError) {
        let sortMetric = sort ?? sweep.metric
        let all = try Self.parse(tasks, sweep: sweep, sortMetric: sortMetric, checkSort: sort != nil, groupBy: groupBy)
        self.sweep = sweep
        self.sortMetric = sortMetric
        // one of the sweep's metrics sorts by its goal
        let maximize = pareto?.objectives.first { $0.name == sortMetric }?.maximize ?? Self.maximizes(sortMetric, in: sweep)
        self.maximize = maximize
        self.groupBy = groupBy
        let pareto = sort == nil && (pareto?.objectives.count ?? 0) > 1 ? pareto : nil
        self.pareto = pareto
        paramNames = all.params
        metricNames = all.metrics
        varyingParams = Self.varying(paramNames, in: all.rows.map(\.params))
        taskCount = tasks.count
        finishedCount = tasks.count { $0.status.isFinished }
        let parsed = all.rows

        // Sort positions, not rows: a row holds a whole task record.
        let values = parsed.map(\.value)
        let keys = tasks.map { (status: Self.statusOrder($0.status), index: $0.index, id: $0.taskID) }
        let better = Self.better(maximize)
        let fronts = pareto.map { Self.fronts(all, $0) } ?? Array(repeating: nil, count: parsed.count)
        let ranked = keys.indices.filter { values[$0] != nil || fronts[$0] != nil }.sorted { i, j in
            if let f = fronts[i], let g = fronts[j], f != g { return f < g }
            switch (values[i], values[j]) {
            case let (x?, y?) where x != y: return better(x, y)
            case (_?, nil): return true
            case (nil, _?): return false
            default: return (keys[i].index, keys[i].id) < (keys[j].index, keys[j].id)
            }
        }
        let rest = keys.indices.filter { values[$0] == nil && fronts[$0] == nil }.sorted { i, j in
            (keys[i].status, keys[i].index, keys[i].id) < (keys[j].status, keys[j].index, keys[j].id)
        }
        rows = (ranked + rest).enumerated().map { position, i in
            Row(rank: position < ranked.count ? position + 1 : nil, task: parsed[i].task, params: parsed[i].params,
                metrics: parsed[i].metrics, value: values[i], front: fronts[i])
        }
        groups = groupBy.isEmpty ? [] : Self.groups(of: rows, by: groupBy, metrics: metricNames, sortMetric: sortMetric, better: better)
    }

    /// The first rows of a big sweep's leaderboard without loading the rest: `leading` are
    /// the best tasks in the leaderboard's order (`Store.leading`; the first of them ranked
    /// `firstRank` when they are a later page), `taskCount` and
    /// `finishedCount` count the whole sweep, and `varyingParams` are the whole sweep's.
    /// Parameter and metric names, and the metrics worth a column, come from these rows.
    public init(sweep: SweepRecord, leading tasks: [TaskRecord], taskCount: Int, finishedCount: Int, varyingParams: [String],
                sort: String? = nil, firstRank: Int = 1) throws(ConfigError) {
        let sortMetric = sort ?? sweep.metric
        let parsed = try Self.parse(tasks, sweep: sweep, sortMetric: sortMetric, checkSort: sort != nil, groupBy: [])
        self.sweep = sweep
        self.sortMetric = sortMetric
        maximize = Self.maximizes(sortMetric, in: sweep)
        groupBy = []
        paramNames = parsed.params
        metricNames = parsed.metrics
        self.varyingParams = varyingParams
        self.taskCount = taskCount
        self.finishedCount = finishedCount
        pareto = nil
        var rank = firstRank - 1
        rows = parsed.rows.map { p in
            if p.value != nil { rank += 1 }
            return Row(rank: p.value != nil ? rank : nil, task: p.task, params: p.params, metrics: p.metrics, value: p.value)
        }
        groups = []
    }

    /// The Pareto front of each task that finished with metrics (completed, stopped,
    /// diverged), over all of them: a missing or non-finite value counts as NaN. nil for the others.
    private static func fronts(_ parsed: Parsed, _ pareto: Pareto) -> [Int?] {
        let ranked = parsed.rows.indices.filter { Self.hasMetrics(parsed.rows[$0].task.status) }
        let points = ranked.map { i in
            pareto.objectives.map { o in parsed.rows[i].metrics.first { $0.0 == o.name }.flatMap { Self.number($0.1) } ?? .nan }
        }
        var fronts = [Int?](repeating: nil, count: parsed.rows.count)
        for (i, front) in zip(ranked, pareto.fronts(points, pareto.objectives.map(\.maximize))) { fronts[i] = front }
        return fronts
    }

    /// Whether a task with this status has final metrics to rank by.
    private static func hasMetrics(_ status: TaskStatus) -> Bool { status.isFinished && status != .failed }

    private struct Parsed {
        var params: [String]
        var metrics: [String]
        var rows: [(task: TaskRecord, params: [(String, JSON)], metrics: [(String, JSON)], value: Double?)]
    }

    /// Each task's parameters, metrics and value to rank by, and the names seen.
    /// - Throws: `ConfigError` for a sort metric (when `checkSort`) or group-by parameter
    ///   that neither docs/keys.md, docs/metrics.md nor the tasks know.
    private static func parse(_ tasks: [TaskRecord], sweep: SweepRecord, sortMetric: String, checkSort: Bool,
                              groupBy: [String]) throws(ConfigError) -> Parsed {
        var params = OrderedNames(), metrics = OrderedNames()
        var rows: [(task: TaskRecord, params: [(String, JSON)], metrics: [(String, JSON)], value: Double?)] = []
        rows.reserveCapacity(tasks.count)
        for task in tasks {
            let p = Self.fields(task.params) ?? []
            let m = (Self.fields(task.metrics) ?? []).filter { !Self.resultFields.contains($0.0) }
            p.forEach { params.add($0.0) }
            m.forEach { metrics.add($0.0) }
            let value = Self.hasMetrics(task.status) ? m.first { $0.0 == sortMetric }.flatMap { Self.number($0.1) } : nil
            rows.append((task, p, m, value))
        }
        if checkSort, !metrics.contains(sortMetric), !Self.knownMetrics.contains(sortMetric), sortMetric != sweep.metric {
            throw ConfigError("unknown metric '\(sortMetric)' for --sort (known: \(OrderedNames(Self.knownMetrics + metrics.names).names.joined(separator: ", ")))")
        }
        for name in groupBy where !params.contains(name) && ConfigKeys.byName[name] == nil {
            throw ConfigError("--group-by: " + ConfigKeys.unknownKeyMessage(name))
        }
        return Parsed(params: params.names, metrics: metrics.names, rows: rows)
    }

    private static func groups(of rows: [Row], by names: [String], metrics: [String], sortMetric: String,
                               better: (Double, Double) -> Bool) -> [Group] {
        var order: [String] = []
        var members: [String: (values: [(String, JSON)], first: Int, rows: [Row])] = [:]
        for row in rows {
            let values = names.map { ($0, row.param($0)) }
            let key = values.map { $0.1.encoded }.joined(separator: "\u{1}")
            if members[key] == nil {
                order.append(key)
                members[key] = (values, row.task.index, [])
            }
            members[key]!.first = min(members[key]!.first, row.task.index)
            if row.task.status.isFinished, row.task.status != .failed, !row.metrics.isEmpty { members[key]!.rows.append(row) }
        }
        let unranked: [(group: Group, first: Int)] = order.map { key in
            let m = members[key]!
            var mean: [(String, Double)] = [], std: [(String, Double)] = []
            for name in metrics {
                let xs = m.rows.compactMap { $0.metric(name).flatMap(number) }
                guard !xs.isEmpty else { continue }
                let (mu, sigma) = Self.meanAndSampleStd(xs)
                mean.append((name, mu))
                std.append((name, sigma))
            }
            return (Group(rank: nil, values: m.values, n: m.rows.count, mean: mean, std: std), m.first)
        }
        let ranked = unranked.filter { $0.group.mean(sortMetric) != nil }.sorted { a, b in
            let x = a.group.mean(sortMetric)!, y = b.group.mean(sortMetric)!
            return x != y ? better(x, y) : a.first < b.first
        }
        let rest = unranked.filter { $0.group.mean(sortMetric) == nil }.sorted { $0.first < $1.first }
        return ranked.enumerated().map { i, g in
            Group(rank: i + 1, values: g.group.values, n: g.group.n, mean: g.group.mean, std: g.group.std)
        } + rest.map(\.group)
    }

    /// The names whose value is not the same in every task (a missing key counts as null).
    private static func varying(_ names: [String], in params: [[(String, JSON)]]) -> [String] {
        var first: [String: JSON] = [:], seen: [String: Int] = [:], differs = Set<String>()
        for fields in params {
            for (name, value) in fields where !differs.contains(name) {
                seen[name, default: 0] += 1
                if let v = first[name] { if !same(v, value) { differs.insert(name) } } else { first[name] = value }
            }
        }
        return names.filter { name in
            differs.contains(name) || (seen[name, default: 0] < params.count && first[name].map { !same($0, .null) } == true)
        }
    }

    /// Equality without encoding, for the scalar values parameters hold.
    private static func same(_ a: JSON, _ b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case let (.bool(x), .bool(y)): x == y
        case let (.int(x), .int(y)): x == y
        case let (.double(x), .double(y)): x == y || (x.isNaN && y.isNaN)
        case let (.string(x), .string(y)): x == y
        default: a.encoded == b.encoded
        }
    }

    private static func better(_ maximize: Bool) -> (Double, Double) -> Bool {
        maximize ? { $0 > $1 } : { $0 < $1 }
    }

    /// Mean and sample standard deviation (n − 1; 0 for one value) of values, not empty.
    public static func meanAndSampleStd(_ xs: [Double]) -> (mean: Double, std: Double) {
        let mu = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.count > 1 ? xs.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(xs.count - 1) : 0
        return (mu, variance.squareRoot())
    }

    /// Finished tasks without a value first, then those still to run.
    private static func statusOrder(_ status: TaskStatus) -> Int {
        [.completed, .stopped, .diverged, .failed, .running, .pending].firstIndex(of: status)!
    }

    /// The fields of stored JSON object text; nil when absent or not an object.
    static func fields(_ text: String?) -> [(String, JSON)]? {
        guard let text, let value = try? JSON.parse(text) else { return nil }
        return value.objectFields
    }

    /// A finite number, or nil.
    static func number(_ value: JSON) -> Double? {
        switch value {
        case .int(let i): Double(i)
        case .double(let d) where d.isFinite: d
        default: nil
        }
    }
}

/// Names in first-seen order without repeats.
struct OrderedNames {
    private(set) var names: [String] = []
    private var seen: Set<String> = []

    init(_ names: [String] = []) { names.forEach { add($0) } }

    mutating func add(_ name: String) {
        if seen.insert(name).inserted { names.append(name) }
    }

    func contains(_ name: String) -> Bool { seen.contains(name) }
}
