import ArgumentParser
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
                let tasks = try StoreOptions.reading { try store.tasks(sweepID: sweep.id) }
                let unsaved = try StoreOptions.reading { try store.unsavedWeights(sweepID: sweep.id) }
                let workers = try StoreOptions.reading { try store.workers(sweepID: sweep.id) }
                print((i > 0 ? "\n" : "") + StatusReport.render(sweep: sweep, tasks: tasks, unsavedWeights: unsaved, workers: workers),
                      terminator: "")
            }
        }
    }
}
