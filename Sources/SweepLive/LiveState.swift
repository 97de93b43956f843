import Foundation
import Synchronization
import SweepConfig
import SweepCoordinator
import SweepReport
import SweepStore

/// What the live page shows, read from the store and drawn as HTML fragments by the
/// report's own code (HTMLReport, SVGChart): one fragment per section, keyed by the id of
/// the element it replaces. Rebuilt only when the store changed (`Store.dataVersion`), at
/// most once per `minimumInterval`, and shared by every open page.
final class LiveState: Sendable {
    struct Snapshot: Sendable {
        /// Counts the rebuilds: a page that has this one needs nothing.
        var version: Int
        var sections: [(id: String, html: String)]
        var counts: [TaskStatus: Int]
        var workers: [WorkerRecord]
        var sweepName: String
        var done: Bool
    }

    let storePath: String
    let sweepName: String?
    /// The fastest the fragments are rebuilt (a sweep of short tasks commits many times a second).
    let minimumInterval: Double

    private struct Cache {
        var store: Store?
        var dataVersion = -1
        var builtAt = 0.0
        /// How long the last rebuild took: the next waits at least four times that, so a
        /// big sweep's page costs the coordinator's machine at most a fifth of a core.
        var buildSeconds = 0.0
        var snapshot: Snapshot?
        var error: String?
    }
    private let cache = Mutex(Cache())

    init(store: String, sweep: String?, minimumInterval: Double = 0.5) {
        storePath = store
        sweepName = sweep
        self.minimumInterval = minimumInterval
    }

    /// The latest snapshot, rebuilt first if the store changed and the last one is old enough.
    func current() throws -> Snapshot {
        try cache.withLock { c in
            let now = Date().timeIntervalSince1970
            if let s = c.snapshot, now - c.builtAt < max(minimumInterval, 4 * c.buildSeconds) { return s }
            let store = try open(&c)
            let version = try store.dataVersion()
            if let s = c.snapshot, version == c.dataVersion { return s }
            let next = try build(store, version: (c.snapshot?.version ?? 0) + 1, now: now)
            c.snapshot = next
            c.dataVersion = version
            c.builtAt = now
            c.buildSeconds = Date().timeIntervalSince1970 - now
            return next
        }
    }

    /// The store, opened read-only on first use.
    private func open(_ c: inout Cache) throws -> Store {
        if let store = c.store { return store }
        let store = try Store(path: storePath, readOnly: true)
        c.store = store
        return store
    }

    /// The sweep the page follows: the one named, else the store's latest.
    private func sweep(_ store: Store) throws -> SweepRecord? {
        if let sweepName { return try store.selectSweep(named: sweepName).sweep }
        return try store.sweeps().max { $0.createdAt < $1.createdAt }
    }

    private func build(_ store: Store, version: Int, now: Double) throws -> Snapshot {
        guard let sweep = try sweep(store) else {
            return Snapshot(version: version, sections: [("progress", "<p class=\"note\">No sweep in this store yet.</p>")],
                            counts: [:], workers: [], sweepName: "", done: false)
        }
        let data = try ReportData.load(store: store, sweep: sweep, insights: false)
        let workers = try store.workers(sweepID: sweep.id)
        var counts: [TaskStatus: Int] = [:]
        for r in data.runs { counts[r.row.task.status, default: 0] += 1 }
        var report = HTMLReport(data: data)
        report.taskLink = { "task/" + $0 }
        let stops = try store.stopDecisions(sweepID: sweep.id)
        let done = data.runs.allSatisfy { $0.row.task.status.isFinished } && !data.runs.isEmpty
        let sections: [(id: String, html: String)] = [
            ("progress", LivePage.progress(data.runs.map(\.row.task), sweep: sweep, now: now)),
            ("leaderboard-controls", LivePage.groupControls(data.board.varyingParams)),
            ("leaderboard", report.leaderboardHTML()),
            ("curves", report.curvesHTML()),
            ("workers", LivePage.workers(workers, now: now)),
            ("stopping", LivePage.stopDecisions(stops, metric: sweep.metric)),
            ("importance", report.importanceHTML()),
            ("parallel", report.parallelHTML()),
            ("parameters", report.parametersHTML()),
        ]
        return Snapshot(version: version, sections: sections, counts: counts, workers: workers, sweepName: sweep.name, done: done)
    }

    /// The leaderboard grouped by `parameters` (as `sweep leaderboard --group-by`): one row
    /// per combination of their values, with the count and the mean ± std of the metrics.
    func grouped(by parameters: [String]) throws -> String {
        try cache.withLock { c in
            let store = try open(&c)
            guard let sweep = try sweep(store) else { return "" }
            do {
                let board = try Leaderboard(sweep: sweep, tasks: store.tasks(sweepID: sweep.id), groupBy: parameters)
                return LivePage.grouped(board)
            } catch let e as ConfigError {
                return "<p class=\"note\">\(e.message)</p>"
            }
        }
    }

    /// One task's page: its configuration, status and metrics, its curves, and its
    /// pictures where `sweep report` made them.
    func task(_ id: String) throws -> String? {
        try cache.withLock { c in
            let store = try open(&c)
            guard let sweep = try sweep(store), let task = try store.task(sweepID: sweep.id, taskID: id) else { return nil }
            let epochs = try store.epochs(sweepID: sweep.id, taskID: id).compactMap(ReportData.parseNumbers)
            return LivePage.task(task, epochs: epochs, sweep: sweep,
                                 picturesDirectory: WeightsFiles.directory(store: storePath, sweep: sweep.name) + "/pictures")
        }
    }
}
