import SweepConfig
import SweepSpec
import SweepStore

/// A sweep as `sweep status`, `sweep leaderboard --top` and the live page show it, read
/// with SQL aggregates and indexes (Store+Aggregates) instead of every task: counts per
/// status, the leading tasks and the parameters that vary. At 100,000 tasks this takes
/// milliseconds and a few MB, where loading the tasks took over a second and ~400 MB.
public struct SweepOverview: Sendable {
    public let sweep: SweepRecord
    public let counts: [TaskStatus: Int]
    /// The parameters whose value differs between two tasks, in the tasks' key order.
    public let varyingParams: [String]

    public var taskCount: Int { counts.values.reduce(0, +) }
    public var finishedCount: Int { counts.filter { $0.key.isFinished }.values.reduce(0, +) }

    /// Up to this many tasks, the overview reads every task's parameters: exact, and cheap.
    static let sampleSize = 2000

    /// An overview from counts and varying parameters already read (the live page keeps them).
    public init(sweep: SweepRecord, counts: [TaskStatus: Int], varyingParams: [String]) {
        self.sweep = sweep
        self.counts = counts
        self.varyingParams = varyingParams
    }

    public init(store: Store, sweep: SweepRecord) throws {
        self.sweep = sweep
        counts = try store.counts(sweepID: sweep.id)
        varyingParams = try Self.varying(store: store, sweep: sweep, taskCount: counts.values.reduce(0, +))
    }

    /// The best `limit` tasks as a leaderboard (`sort`: another metric than the sweep's).
    public func leaderboard(store: Store, limit: Int, sort: String? = nil) throws -> Leaderboard {
        let metric = sort ?? sweep.metric
        let tasks = try store.leading(sweepID: sweep.id, metric: metric, maximize: Leaderboard.maximizes(metric, in: sweep), limit: limit)
        return try Leaderboard(sweep: sweep, leading: tasks, taskCount: taskCount, finishedCount: finishedCount,
                               varyingParams: varyingParams, sort: sort)
    }

    /// As `Leaderboard.varyingParams`: from every task in a small sweep; in a big one, from
    /// an even sample of tasks, each parameter the spec may vary that the sample does not
    /// show varying being asked of the store itself (it stops at the first difference).
    /// Only a key that no spec parameter sets but that follows from one (a model's default
    /// dropout) is judged on the sample alone.
    static func varying(store: Store, sweep: SweepRecord, taskCount: Int) throws -> [String] {
        let sample = taskCount <= sampleSize
            ? try store.tasks(sweepID: sweep.id)
            : try store.sample(sweepID: sweep.id, from: taskCount, limit: sampleSize)
        let seen = try Leaderboard(sweep: sweep, tasks: sample)
        guard taskCount > sampleSize else { return seen.varyingParams }
        let candidates = Self.specCandidates(sweep)
        var varying = Set(seen.varyingParams)
        for name in seen.paramNames where !varying.contains(name) && candidates.contains(name) {
            if try store.varies(sweepID: sweep.id, parameter: name) { varying.insert(name) }
        }
        return seen.paramNames.filter(varying.contains)
    }

    /// The parameters the sweep's spec may set to more than one value (or only on some tasks).
    private static func specCandidates(_ sweep: SweepRecord) -> Set<String> {
        guard let spec = try? SweepSpec.parse(sweep.spec, path: sweep.name) else { return [] }
        return Set(spec.parameters.filter { p in
            p.isConditional || (p.gridValues.map { Set($0).count > 1 } ?? true)
        }.map(\.name))
    }
}
