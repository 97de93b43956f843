import ArgumentParser
import SweepReport
import SweepStore

extension Sweep {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Counts per status, the best task so far and the failed tasks, per sweep.")

        @OptionGroup var options: StoreOptions

        func run() throws {
            let store = try options.open()
            let sweeps = try StoreOptions.reading { () throws -> [SweepRecord] in
                if let name = options.sweep { return [try store.selectSweep(named: name).sweep] }
                return try store.sweeps()
            }
            if sweeps.isEmpty { printLine("\(options.db): no sweep yet") }
            for (i, sweep) in sweeps.enumerated() {
                // counts and the best task from SQL: a 100,000-task sweep answers in milliseconds
                let text = try StoreOptions.reading { () throws -> String in
                    if let pareto = sweep.pareto {
                        // the best on the Pareto front: every task's metrics are needed
                        return StatusReport.render(sweep: sweep, tasks: try store.tasks(sweepID: sweep.id),
                                                   unsavedWeights: try store.unsavedWeights(sweepID: sweep.id),
                                                   workers: try store.workers(sweepID: sweep.id), pareto: pareto)
                    }
                    let overview = try SweepOverview(store: store, sweep: sweep)
                    let best = try overview.leaderboard(store: store, limit: 1).best
                    let unsavedWeights = try store.unsavedWeights(sweepID: sweep.id)
                    return StatusReport.render(
                        sweep: sweep, counts: overview.counts, best: best, varyingParams: overview.varyingParams,
                        failed: try store.tasks(sweepID: sweep.id, status: .failed),
                        unsaved: try store.tasks(sweepID: sweep.id, ids: Array(unsavedWeights.keys)),
                        unsavedWeights: unsavedWeights, workers: try store.workers(sweepID: sweep.id))
                }
                print((i > 0 ? "\n" : "") + text, terminator: "")
            }
        }
    }
}
