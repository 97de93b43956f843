import ArgumentParser
import Foundation
import SweepConfig
import SweepSpec

extension Sweep {
    struct Expand: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the tasks a sweep spec expands to.",
            discussion: "Specs use W&B's sweep schema with training keys as parameter names (docs/spec.md). "
                + "Notes about the spec go to stderr.")

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case table, json
        }

        @Argument(help: "The sweep spec (YAML), e.g. sweeps/quickstart.yaml.")
        var spec: String

        @Option(help: "table: aligned, only the parameters that vary; json: [{\"task_id\", \"params\"}] with full configurations.")
        var format: Format = .table

        func run() throws {
            let sweep: SweepSpec
            let tasks: [SweepTask]
            do {
                sweep = try SweepSpec.load(path: spec)
                tasks = try SweepSession.expand(sweep)
            } catch let error as SpecError {
                throw ConfigError(error.message)
            }
            for note in sweep.notes { printError(note) }
            if sweep.method == .bayes {
                printError("note: \(spec): method bayes proposes each task from the results so far while the sweep runs; "
                           + "listed are \(tasks.count) random draws from the same space, not the tasks it will run")
            }
            switch format {
            case .json: printJSON(tasks)
            case .table: printTable(tasks, of: sweep)
            }
        }

        /// One task per line inside the array, so large sweeps stay readable and diffable.
        private func printJSON(_ tasks: [SweepTask]) {
            var out = "["
            for (i, task) in tasks.enumerated() {
                out += i == 0 ? "\n" : ",\n"
                JSON.object([("task_id", .string(task.id)), ("params", task.config.complete)]).write(to: &out)
            }
            out += tasks.isEmpty ? "]\n" : "\n]\n"
            FileHandle.standardOutput.write(Data(out.utf8))
        }

        private func printTable(_ tasks: [SweepTask], of sweep: SweepSpec) {
            let rows = tasks.map { task -> [(String, JSON)] in
                guard case .object(let fields) = task.config.complete else { return [] }
                return fields
            }
            // Only the keys that differ between tasks; with one task, the spec's own keys.
            var keys = (rows.first ?? []).map(\.0).enumerated().filter { i, _ in
                rows.contains { $0[i].1 != rows[0][i].1 }
            }.map(\.element)
            if keys.isEmpty { keys = sweep.parameters.map(\.name) }
            let header = keys + ["task_id"]
            let cells = zip(tasks, rows).map { task, row in
                keys.map { key in Self.cell(row.first { $0.0 == key }?.1) } + [task.id]
            }
            let widths = header.indices.map { c in cells.reduce(header[c].count) { max($0, $1[c].count) } }
            func line(_ values: [String]) -> String {
                values.enumerated().map { c, v in
                    c == values.count - 1 ? v : v.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                }.joined(separator: "  ")
            }
            var out = line(header) + "\n"
            for row in cells { out += line(row) + "\n" }
            FileHandle.standardOutput.write(Data(out.utf8))
            printError("\(sweep.name): \(tasks.count) task\(tasks.count == 1 ? "" : "s") (\(sweep.method.rawValue))")
        }

        private static func cell(_ value: JSON?) -> String {
            switch value {
            case .string(let s)?: s
            case .null?, nil: "-"
            case let v?: v.encoded
            }
        }
    }
}
