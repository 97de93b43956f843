import ArgumentParser
import Foundation
import SweepConfig
import SweepReport
import SweepStore

extension Sweep {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a sweep's report: one self-contained HTML file (leaderboard, learning curves, parameters, filters, activation statistics).")

        @OptionGroup var options: StoreOptions

        @Option(help: "The HTML file to write, e.g. report.html.")
        var out: String

        func validate() throws {
            if out.isEmpty { throw ValidationError("--out needs a file name") }
        }

        func run() throws {
            let store = try options.open()
            let sweep = try options.select(in: store)
            let data = try StoreOptions.reading { try ReportData.load(store: store, sweep: sweep) }
            let stamp = ISO8601DateFormatter().string(from: Date())
            let html = HTMLReport(data: data).render(generated: stamp)
            do { try html.write(toFile: out, atomically: true, encoding: .utf8) } catch {
                throw ConfigError("--out \(out): cannot write (\(error.localizedDescription))")
            }
            printLine("wrote \(out) (\(data.runs.count) tasks of sweep '\(sweep.name)', \(html.utf8.count / 1024) KiB)")
        }
    }
}
