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
        /// A big sweep's slow sections (drawn from 2,000 tasks and a sample), kept between
        /// rebuilds for `slowInterval`: they change little from one result to the next.
        var slow: Slow?
    }

    /// The sections of a big sweep that read thousands of tasks, when they were drawn, and the
    /// parameters that vary (from a sample and the store), which the fast sections reuse.
    private struct Slow {
        var at: Double
        var sweepID: Int64
        var varying: [String]
        var importance: String
        var parallel: String
        var parameters: String
        var pareto: String?
    }

    /// How often a big sweep's slow sections are drawn again while it runs.
    static let slowInterval = 5.0
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
            let next = try build(store, version: (c.snapshot?.version ?? 0) + 1, now: now, slow: &c.slow)
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

    /// Above this many tasks the page reads aggregates, the best tasks and an even sample
    /// instead of every task (SweepOverview): at 100,000 tasks, loading them all took seconds.
    static let bigSweep = 2000
    /// The leaderboard's rows per page.
    static let pageRows = 50

    private func build(_ store: Store, version: Int, now: Double, slow: inout Slow?) throws -> Snapshot {
        guard let sweep = try sweep(store) else {
            return Snapshot(version: version, sections: [("progress", "<p class=\"note\">No sweep in this store yet.</p>")],
                            counts: [:], workers: [], sweepName: "", done: false)
        }
        let counts = try store.counts(sweepID: sweep.id)
        let total = counts.values.reduce(0, +), finished = counts.filter { $0.key.isFinished }.values.reduce(0, +)
        let times = try store.times(sweepID: sweep.id, recent: 20)
        let workers = try store.workers(sweepID: sweep.id)
        let stops = try store.latestStopDecisions(sweepID: sweep.id, limit: 200)

        // leaderboard and curves: the best page of tasks; the charts against the parameters:
        // the best `scatterPoints`; importance: every completed task, or an even sample of them
        // a sweep of several metrics: its Pareto front, from every task or from the sample
        let head: HTMLReport, drawn: Slow
        if total <= Self.bigSweep {
            let data = try ReportData.load(store: store, sweep: sweep, insights: false)
            head = HTMLReport(data: data)
            drawn = Slow(at: now, sweepID: sweep.id, varying: data.board.varyingParams, importance: head.importanceHTML(),
                         parallel: head.parallelHTML(), parameters: head.parametersHTML(),
                         pareto: data.board.pareto != nil ? head.paretoHTML() : nil)
        } else {
            // the slow sections again only every `slowInterval` while the sweep runs, and once it is over
            if let kept = slow, kept.sweepID == sweep.id, now - kept.at < Self.slowInterval, finished < total {
                drawn = kept
            } else {
                drawn = try drawSlow(store, sweep: sweep, counts: counts, now: now)
            }
            let overview = SweepOverview(sweep: sweep, counts: counts, varyingParams: drawn.varying)
            let best = try overview.leaderboard(store: store, limit: Self.pageRows)
            let epochs = try store.epochs(sweepID: sweep.id, taskIDs: best.rows.map(\.task.taskID))
            head = HTMLReport(data: ReportData(sweep: sweep, board: best, runs: best.rows.map { row in
                ReportRun(row: row, epochs: (epochs[row.task.taskID] ?? []).compactMap(ReportData.parseNumbers), insights: nil)
            }))
        }
        slow = drawn
        let varying = drawn.varying
        var board = head
        board.taskLink = { "task/" + $0 }
        var sections: [(id: String, html: String)] = [
            ("progress", LivePage.progress(counts: counts, times: times, now: now)),
            ("leaderboard-controls", LivePage.groupControls(varying)),
            ("leaderboard", board.leaderboardHTML(notes: false) + LivePage.pager(page: 1, rows: Self.pageRows, total: total)),
            ("curves", head.curvesHTML()),
            ("workers", LivePage.workers(workers, now: now)),
            ("stopping", LivePage.stopDecisions(stops.records, count: stops.count, metric: sweep.metric)),
            ("importance", drawn.importance),
            ("parallel", drawn.parallel),
            ("parameters", drawn.parameters),
        ]
        if total > Self.bigSweep { sections[3].html = "<p class=\"note\">The best \(Self.pageRows) tasks.</p>\n" + sections[3].html }
        if let pareto = drawn.pareto { sections.insert(("pareto", pareto), at: 3) }
        return Snapshot(version: version, sections: sections, counts: counts, workers: workers, sweepName: sweep.name,
                        done: total > 0 && finished == total)
    }

    /// A big sweep's slow sections: the parameters that vary (SweepOverview), the charts
    /// against the parameters from the best 2,000 tasks, importance and the Pareto front from
    /// an even sample of the finished ones.
    private func drawSlow(_ store: Store, sweep: SweepRecord, counts: [TaskStatus: Int], now: Double) throws -> Slow {
        let finished = counts.filter { $0.key.isFinished }.values.reduce(0, +)
        let overview = try SweepOverview(store: store, sweep: sweep)
        var charted = HTMLReport(data: ReportData(sweep: sweep, board: try overview.leaderboard(store: store, limit: 2000), runs: nil))
        charted.rankedTotal = finished - (counts[.failed] ?? 0)
        let sample = try store.sample(sweepID: sweep.id, from: finished, limit: Self.bigSweep, finishedOnly: true)
        let importance = HTMLReport(data: ReportData(sweep: sweep, board: try Leaderboard(sweep: sweep, tasks: sample, pareto: sweep.pareto),
                                                     runs: nil))
        let note = "<p class=\"note\">Computed on an even sample of \(sample.count) of the \(finished) finished tasks (every k-th by index).</p>\n"
        var pareto: String?
        if importance.data.board.pareto != nil {
            pareto = importance.paretoHTML(drawnFrom: "an even sample of \(sample.count) of the \(finished) finished tasks "
                                                      + "(every k-th by index), ranked among themselves: the front of the sample, not of the whole sweep")
        }
        return Slow(at: now, sweepID: sweep.id, varying: overview.varyingParams, importance: note + importance.importanceHTML(),
                    parallel: charted.parallelHTML(), parameters: charted.parametersHTML(), pareto: pareto)
    }

    /// The leaderboard grouped by `parameters` (as `sweep leaderboard --group-by`): one row
    /// per combination of their values, with the count and the mean ± std of the metrics,
    /// summed up by SQL.
    func grouped(by parameters: [String]) throws -> String {
        try cache.withLock { c in
            let store = try open(&c)
            guard let sweep = try sweep(store) else { return "" }
            for name in parameters where ConfigKeys.byName[name] == nil {
                return "<p class=\"note\">\(escape("--group-by: " + ConfigKeys.unknownKeyMessage(name)))</p>"
            }
            let metrics = LivePage.groupedMetrics(sortMetric: sweep.metric)
            let totals = try store.groups(sweepID: sweep.id, by: parameters, metrics: metrics)
            let groups = Leaderboard.groups(totals, by: parameters, metrics: metrics, sortMetric: sweep.metric, maximize: sweep.maximize)
            return LivePage.grouped(groups, by: parameters, metrics: metrics)
        }
    }

    /// Page `page` (from 1) of the leaderboard, as the page's first one is drawn, with the pager.
    func leaderboardPage(_ page: Int) throws -> String {
        try cache.withLock { c in
            let store = try open(&c)
            guard let sweep = try sweep(store) else { return "" }
            // the varying parameters the last rebuild found, rather than sampling again per page
            let overview = try c.slow.flatMap { $0.sweepID == sweep.id ? $0.varying : nil }
                .map { SweepOverview(sweep: sweep, counts: try store.counts(sweepID: sweep.id), varyingParams: $0) }
                ?? SweepOverview(store: store, sweep: sweep)
            let offset = (max(1, page) - 1) * Self.pageRows
            var report: HTMLReport
            if overview.taskCount <= Self.bigSweep, let pareto = sweep.pareto {
                // ranked by Pareto front, as the first page: every task's metrics are needed
                let board = try Leaderboard(sweep: sweep, tasks: store.tasks(sweepID: sweep.id), pareto: pareto)
                let rows = board.rows.dropFirst(offset).prefix(Self.pageRows)
                report = HTMLReport(data: ReportData(sweep: sweep, board: board, runs: rows.map { ReportRun(row: $0, epochs: [], insights: nil) }))
            } else {
                let tasks = try store.leading(sweepID: sweep.id, metric: sweep.metric, maximize: sweep.maximize,
                                              limit: Self.pageRows, offset: offset)
                let board = try Leaderboard(sweep: sweep, leading: tasks, taskCount: overview.taskCount, finishedCount: overview.finishedCount,
                                            varyingParams: overview.varyingParams, firstRank: offset + 1)
                report = HTMLReport(data: ReportData(sweep: sweep, board: board, runs: nil))
            }
            report.taskLink = { "task/" + $0 }
            return report.leaderboardHTML(notes: false) + LivePage.pager(page: page, rows: Self.pageRows, total: overview.taskCount)
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
