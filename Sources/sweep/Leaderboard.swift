import ArgumentParser
import Foundation
import SweepConfig
import SweepReport
import SweepStore

extension Sweep {
    struct Leaderboard: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rank a sweep's tasks by a metric, optionally as mean ± std over groups; or, with --importance, its parameters.")

        @OptionGroup var options: StoreOptions

        @Option(help: "Metric to rank by (default: the sweep's metric; with several, their Pareto front). Names containing 'loss' rank lowest first.")
        var sort: String?

        @Option(help: "Show only the best K rows (or groups).")
        var top: Int?

        @Option(name: .customLong("group-by"), help: "Comma-separated parameters, e.g. cell,hidden: one row per group, mean ± std over the rest (seeds).")
        var groupBy: String?

        @Option(help: "Output: table (for people), csv, json or markdown.")
        var format: SweepStore.Leaderboard.Format = .table

        @Flag(help: "After the table, draw small curves of the top K tasks (--top, default 10): the metric per epoch and the training loss.")
        var curves = false

        @Flag(help: "Instead of the tasks, how much each parameter mattered for the sweep's metric over its completed tasks (PED-ANOVA, as Optuna computes it); --top K shows the first K.")
        var importance = false

        func validate() throws {
            if let top, top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
            if curves && format != .table { throw ValidationError("--curves draws in the terminal: use it with --format table") }
            if curves && !groups.isEmpty { throw ValidationError("--curves draws tasks: use it without --group-by") }
            if importance && sort != nil { throw ValidationError("--importance uses the sweep's metric and goal: use it without --sort") }
            if importance && !groups.isEmpty { throw ValidationError("--importance ranks parameters, not tasks: use it without --group-by") }
            if importance && curves { throw ValidationError("--importance ranks parameters, not tasks: use it without --curves") }
        }

        private var groups: [String] {
            (groupBy ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        func run() throws {
            let store = try options.open()
            let sweep = try options.select(in: store)
            let board: SweepStore.Leaderboard
            // several metrics rank by Pareto front, which takes every task (and --sort by one of them, in its goal)
            let pareto = sweep.pareto
            if let top, groups.isEmpty, !importance, pareto == nil {
                // the best K from SQL and an index: a 100,000-task sweep answers in milliseconds
                board = try StoreOptions.reading { try SweepOverview(store: store, sweep: sweep).leaderboard(store: store, limit: top, sort: sort) }
            } else {
                let tasks = try StoreOptions.reading { try store.tasks(sweepID: sweep.id) }
                board = try SweepStore.Leaderboard(sweep: sweep, tasks: tasks, sort: sort, groupBy: groups, pareto: pareto)
            }
            if importance { return printImportance(SweepImportance(board: board)) }
            print(board.render(format, top: top), terminator: "")
            if curves {
                let data = try StoreOptions.reading { try ReportData.load(store: store, sweep: sweep, sort: sort) }
                print("\n" + TerminalCurves.render(data, top: top ?? 10), terminator: "")
            }
        }

        /// The importances; when there are none, the line that says why (exit 0): on stdout for
        /// people, on stderr after an empty csv or json table for programs.
        private func printImportance(_ result: SweepImportance) {
            guard let reason = result.unavailable else { return print(result.render(format, top: top), terminator: "") }
            switch format {
            case .table, .markdown:
                printLine(reason)
            case .csv, .json:
                print(result.render(format), terminator: "")
                printError("sweep: " + reason)
            }
        }
    }
}

extension SweepStore.Leaderboard.Format: ExpressibleByArgument {}

/// `--db` and `--sweep`, shared by the commands that read a store.
struct StoreOptions: ParsableArguments {
    @Option(help: "The store (SQLite file).")
    var db = "sweep.db"

    @Option(help: "The sweep to show, by name (default: leaderboard shows the most recent, status every sweep).")
    var sweep: String?

    /// Opens the store read-only: a missing file is an error, never created.
    func open() throws -> Store {
        try Self.reading { try Store(path: db, readOnly: true) }
    }

    /// The sweep named by `--sweep`, else the latest; says on stderr which when there was a choice.
    func select(in store: Store) throws -> SweepRecord {
        let (chosen, note) = try Self.reading { try store.selectSweep(named: sweep) }
        if let note { printError("sweep: \(note)") }
        return chosen
    }

    /// Store errors while reading are bad input (exit 2, one line).
    static func reading<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as StoreError {
            if error.message.hasSuffix(": no such file") {
                throw ConfigError("\(error.message) (run `sweep run SPEC` first, or give --db PATH)")
            }
            throw ConfigError(error.message)
        }
    }
}
