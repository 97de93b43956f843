import ArgumentParser
import Foundation
import SweepConfig
import SweepCoordinator
import SweepReport
import SweepStore
import SweepTrain

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
            var report = HTMLReport(data: data)
            report.lineage = HTMLReport.lineage(from: try StoreOptions.reading { try store.lineage(sweepID: sweep.id) })
            let t0 = Date()
            let pictures = NetworkPictures.make(data: data, store: options.db, sweep: sweep.name)
            report.pictures = pictures.pictures
            report.picturesNote = pictures.note
            let html = report.render(generated: stamp)
            do { try html.write(toFile: out, atomically: true, encoding: .utf8) } catch {
                throw ConfigError("--out \(out): cannot write (\(error.localizedDescription))")
            }
            var line = "wrote \(out) (\(data.runs.count) tasks of sweep '\(sweep.name)', \(html.utf8.count / 1024) KiB"
            if !pictures.pictures.isEmpty {
                line += "; pictures of \(pictures.pictures.count) network(s)"
                if pictures.computed > 0 { line += String(format: ", %d made in %.1f s", pictures.computed, Date().timeIntervalSince(t0)) }
                if pictures.kept > 0 { line += ", \(pictures.kept) kept from an earlier report" }
            }
            printLine(line + ")")
        }
    }
}
