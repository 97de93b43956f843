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
            report.inside = Self.inside(data: data, store: options.db, sweep: sweep.name)
            let html = report.render(generated: stamp)
            do { try html.write(toFile: out, atomically: true, encoding: .utf8) } catch {
                throw ConfigError("--out \(out): cannot write (\(error.localizedDescription))")
            }
            printLine("wrote \(out) (\(data.runs.count) tasks of sweep '\(sweep.name)', \(html.utf8.count / 1024) KiB)")
        }

        /// The pictures of the best task's network from its saved weights (`best.safetensors`
        /// beside the store) on the test data; a line saying why when they cannot be made.
        static func inside(data: ReportData, store: String, sweep: String) -> String {
            func unavailable(_ why: String) -> String { "<p class=\"note\">No pictures of the best network: \(escape(why)).</p>" }
            let directory = WeightsFiles.directory(store: store, sweep: sweep)
            guard let id = (try? String(contentsOfFile: directory + "/best.txt", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines),
                  let bytes = FileManager.default.contents(atPath: directory + "/best.safetensors") else {
                return unavailable("no saved weights in \(directory)")
            }
            guard let run = data.runs.first(where: { $0.taskID == id }), let params = try? JSON.parse(run.row.task.params),
                  let config = try? TrainConfig(json: params) else { return unavailable("task \(id) is not in this store") }
            guard config.model != .noop || config.architecture != nil else { return unavailable("model noop has no network") }
            do {
                let weights = try Safetensors.decode(Array(bytes)).tensors
                return ProbePictures.html(try ProbePictures.inputs(config: config, weights: weights),
                                          caption: "Task <code>\(escape(id))</code>, the best of the sweep")
            } catch let error as ConfigError {
                return unavailable(error.message)
            } catch {
                return unavailable("\(error)")
            }
        }
    }
}
