import ArgumentParser
import Foundation
import SweepConfig
import SweepCoordinator
import SweepSpec
import SweepStore
import SweepTrain
import ZeroMQ

/// What `sweep run` and `sweep coordinator` share: load and expand the spec,
/// open the store (resuming what it holds), run a coordinator with a progress
/// display, and report.
/// `--warm-start OTHER.db`, shared by `sweep run` and `sweep coordinator`.
struct WarmStartOption: ParsableArguments {
    @Option(name: .customLong("warm-start"),
            help: "Another store (SQLite file) whose finished tasks seed method: bayes's search, as known results; they are not run again. Give it again when resuming.")
    var path: String?
}

struct SweepSession {
    let spec: SweepSpec
    let store: Store
    let sweep: SweepRecord
    let taskCount: Int
    /// The spec's sampler (bayes) and early-stopping rule, for the coordinator.
    let search: Search

    /// `warmStart`: another store whose finished tasks seed a bayes spec's search.
    init(specPath: String, db: String, warmStart: String? = nil) throws {
        let spec = try SweepSession.loadSpec(specPath)
        for note in spec.notes { printError(note) }
        var search: Search
        do { search = try Search(spec: spec) } catch let e as SpecError { throw ConfigError(e.message) }
        if let warmStart {
            try Self.seed(&search, spec: spec, from: warmStart, db: db)
        }
        self.search = search
        // a bayes spec's tasks are proposed while it runs; the others are listed now
        let tasks = search.proposesTasks ? [] : try SweepSession.expand(spec)
        // the best task's weights always go next to the store: a directory that cannot take
        // them is bad input, said now in one line rather than found as results without files
        do { try WeightsFiles.checkWritable(directory: WeightsFiles.directory(store: db, sweep: spec.name)) }
        catch let e as WeightsFiles.UnwritableDirectory { throw ConfigError(e.description) }
        let store: Store
        do { store = try Store(path: db) } catch { throw ConfigError("\(error)") }
        sweep = try store.openSweep(name: spec.name, spec: spec.source, metric: spec.metric.name,
                                    maximize: spec.metric.maximize,
                                    tasks: tasks.map { NewTask(id: $0.id, index: $0.index, params: $0.params.encoded) })
        self.spec = spec
        self.store = store
        taskCount = search.proposesTasks ? spec.runCap ?? 0 : tasks.count
    }

    /// Seeds a bayes search with the finished tasks of the store at `path` (read again at
    /// every start: a restarted coordinator given the same option proposes as before), and
    /// says how many in one line; for another method, says that it changes nothing.
    private static func seed(_ search: inout Search, spec: SweepSpec, from path: String, db: String) throws {
        guard spec.method == .bayes else {
            printError("sweep: warning: --warm-start only affects method: bayes; \(spec.path) is method \(spec.method.rawValue), which ignores it")
            return
        }
        // the other store may be this one: its sweep of this name is what the sampler replays anyway
        let same = FileManager.default.fileExists(atPath: db) && canonicalPath(path) == canonicalPath(db)
        do {
            let seeded = try WarmStart.seed(&search, from: path, skipping: same ? spec.name : nil)
            printError("sweep: " + seeded.summary)
        } catch {
            throw ConfigError(error.description)
        }
    }

    /// The canonical path of an existing file (symbolic links and `..` resolved), else the path as given.
    private static func canonicalPath(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
    }

    static func loadSpec(_ path: String) throws -> SweepSpec {
        do { return try SweepSpec.load(path: path) } catch let e as SpecError { throw ConfigError(e.message) }
    }

    /// The spec's tasks, each network written as a line checked to build for its dataset.
    static func expand(_ spec: SweepSpec) throws -> [SweepTask] {
        let tasks: [SweepTask]
        do { tasks = try spec.expand() } catch let e as SpecError { throw ConfigError(e.message) }
        do { try Models.checkLines(tasks.lazy.map(\.config)) } catch { throw ConfigError("\(spec.path): \(error.message)") }
        return tasks
    }

    /// Runs the coordinator until the sweep ends, a signal stops it, or `everyRound`
    /// (called on the loop's thread once per round, with a way to print a line that keeps
    /// the progress line intact) returns false. Returns whether the sweep finished.
    func coordinate(_ coordinator: Coordinator, quiet: Bool,
                    everyRound: @escaping (_ note: (String) -> Void) throws -> Bool = { _ in true }) throws -> Bool {
        let progress = ProgressDisplay(total: coordinator.core.total, metric: spec.metric,
                                       alreadyDone: coordinator.core.finishedCount)
        if quiet {
            // warnings (weights not saved) and the store's state (disk full, writable again)
            // always show; the rest only with SWEEP_VERBOSE
            let verbose = ProcessInfo.processInfo.environment["SWEEP_VERBOSE"] != nil
            coordinator.log = { line in
                if verbose || line.hasPrefix("warning:") || line.hasPrefix("store:") { progress.note("coordinator: " + line) }
            }
        }
        coordinator.onFinished = { id, status, _, value in
            progress.finished(id, status, value: value, running: coordinator.core.running, failed: coordinator.core.failedCount)
        }
        var carryOn = true
        var roundError: Error?
        coordinator.onRound = {
            progress.tick(running: coordinator.core.running, failed: coordinator.core.failedCount)
            do { carryOn = try everyRound(progress.note) } catch {
                roundError = error
                carryOn = false
            }
        }
        defer { progress.end() }
        let finished = try coordinator.run(shouldStop: { Signals.stopRequested || !carryOn })
        if let roundError { throw roundError }
        return finished
    }
}
