import Foundation
import SweepConfig
import SweepSearch
import SweepSpec
import SweepStore

/// `--warm-start OTHER.db`: the finished tasks of another store seed `method: bayes`'s
/// TPE, as Optuna's `study.add_trials` with the trials of an earlier study. They are read
/// at every start (a restarted coordinator given the same option reads them again, so it
/// proposes as the first one did while that store is unchanged), inform the sampler only,
/// and are never tasks of this sweep: not run, not stored, not counted by run_cap.
public struct WarmStart: Sendable {
    /// The store read.
    public let path: String
    /// Sweeps read, finished tasks (completed or stopped) among their tasks, and those
    /// that fit this spec (`SweepSpec.warmStartConfiguration`) and now inform the sampler.
    public let sweeps: Int
    public let finished: Int
    public let used: Int

    /// One line for stderr: how many tasks seed the search.
    public var summary: String {
        "warm start: \(used) of the \(finished) finished task(s) of \(path) fit this spec and seed its search"
            + (used < finished ? " (the others vary a parameter outside this spec's values, or lack one)" : "")
    }

    /// A store that cannot seed a search: missing, unreadable, not a sweep store, or without a sweep.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Reads the finished tasks of the store at `path` (read-only), every sweep but one
    /// named `skipping` (this sweep, when the other store is this one: its own tasks are
    /// the sampler's already), and gives those that fit to `search`'s TPE sampler.
    public static func seed(_ search: inout Search, from path: String, skipping: String? = nil) throws(Failure) -> WarmStart {
        let store: Store
        do { store = try Store(path: path, readOnly: true) } catch {
            throw Failure(description: "--warm-start: \(error)")
        }
        defer { try? store.close() }
        do {
            let all = try store.sweeps()
            let sweeps = all.filter { $0.name != skipping }
            guard !sweeps.isEmpty else {
                throw Failure(description: "--warm-start: \(path) holds no sweep" + (all.isEmpty ? "" : " but '\(skipping!)', the one being run"))
            }
            var finished = 0, used = 0
            for sweep in sweeps {
                try store.forEachTask(sweepID: sweep.id) { task in
                    guard task.status == .completed || task.status == .stopped else { return }
                    finished += 1
                    if search.addWarmStart(params: task.params, status: task.status, metrics: task.metrics) { used += 1 }
                }
            }
            return WarmStart(path: path, sweeps: sweeps.count, finished: finished, used: used)
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "--warm-start: \(error)")
        }
    }
}

extension Search {
    /// Gives one finished task of an earlier sweep to the TPE sampler when it fits the
    /// spec; returns whether it fits (false without a TPE sampler). A configuration seen
    /// before (in another sweep of that store) informs the sampler once.
    mutating func addWarmStart(params: String, status: TaskStatus, metrics: String?) -> Bool {
        guard var tpe = sampler as? TPESampler, let configuration = try? JSON.parse(params),
              let config = tpe.spec.warmStartConfiguration(configuration) else { return false }
        let json = metrics.flatMap { try? JSON.parse($0) } ?? .object([])
        let values = objectiveValues(in: json)
        tpe.addWarmStart(config, outcome: Self.outcome(status: status, metrics: json, value: values.first), values: values)
        sampler = tpe
        return true
    }
}
