import ArgumentParser
import Foundation
import SweepConfig
import SweepPictures
import SweepReport
import SweepTrain

extension Sweep {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one training in this process.",
            discussion: "Keys (docs/keys.md): " + ConfigKeys.all.map { "\($0.name) (\($0.expects))" }.joined(separator: "; "))

        @Flag(help: "Print one JSON object per line: one per epoch, then the result.")
        var json = false

        @Option(help: "Write result.json, epochs.jsonl, insights.json, weights.safetensors (PyTorch state_dict names) and pictures/ (the trained network's occlusion, Grad-CAM, feature maps and filters as PNG) into this directory.")
        var out: String?

        @Argument(help: "Training configuration as KEY=VALUE words, e.g. model=lenet5 epochs=2.")
        var settings: [String] = []

        func run() throws {
            let config = try TrainConfig(arguments: settings)
            if let out { try prepareDirectory(out) }
            let trainer = Trainer(config: config)
            var epochLines: [String] = []
            let result = try trainer.run(onEpoch: { m in
                let line = m.json.encoded
                epochLines.append(line)
                printLine(json ? line : Self.describe(m, epochs: config.epochs))
            })
            let resultLine = result.json.encoded
            printLine(json ? resultLine : Self.summary(result))
            if let out {
                try write(resultLine + "\n", to: out + "/result.json")
                try write(epochLines.map { $0 + "\n" }.joined(), to: out + "/epochs.jsonl")
                if let insights = result.insights { try write(insights.json.encoded + "\n", to: out + "/insights.json") }
                if let weights = result.weights {
                    let file = Safetensors.encode(weights, metadata: [("config", config.canonical.encoded)])
                    do { try Data(file).write(to: URL(fileURLWithPath: out + "/weights.safetensors"), options: .atomic) } catch {
                        throw WorkFailed(message: "\(out)/weights.safetensors: cannot write (\(error.localizedDescription))")
                    }
                    try writePictures(config: config, weights: weights, to: out + "/pictures")
                }
            }
            if result.status == .failed { throw WorkFailed(message: result.error ?? "training failed") }
        }

        /// The pictures of the trained network (ProbePictures) as PNG files in `directory`, with
        /// notes.txt for those that do not apply; one line on stderr when they cannot be made.
        func writePictures(config: TrainConfig, weights: [Safetensors.Tensor], to directory: String) throws {
            guard config.model != .noop || config.architecture != nil else { return }
            let made: (pictures: [ProbePictures.Picture], notes: [String: String])
            do { made = ProbePictures.pictures(try ProbePictures.inputs(config: config, weights: weights)) } catch {
                printError("no pictures of the network: \((error as? ConfigError)?.message ?? "\(error)")")
                return
            }
            try prepareDirectory(directory)
            for p in made.pictures {
                do { try Data(try PNG.encode(p.enlarged)).write(to: URL(fileURLWithPath: "\(directory)/\(p.name).png"), options: .atomic) } catch {
                    throw WorkFailed(message: "\(directory)/\(p.name).png: cannot write (\(error))")
                }
            }
            if !made.notes.isEmpty { try write(made.notes.values.sorted().joined(separator: "\n") + "\n", to: directory + "/notes.txt") }
        }

        static func describe(_ m: EpochMetrics, epochs: Int) -> String {
            func f(_ d: Double?) -> String { d.map { String(format: "%.4f", $0) } ?? "-" }
            var s = "epoch \(m.epoch)/\(epochs)  train loss \(f(m.trainLoss)) acc \(f(m.trainAccuracy))"
            if m.valLoss != nil { s += "  val loss \(f(m.valLoss)) acc \(f(m.valAccuracy))" }
            s += "  test loss \(f(m.testLoss)) acc \(f(m.testAccuracy))"
            s += String(format: "  %.0f samples/s  %.1f s", m.samplesPerSecond, m.wallSeconds)
            return s
        }

        static func summary(_ r: RunResult) -> String {
            var s = "\(r.status.rawValue)"
            if let m = r.final {
                s += String(format: ": test_accuracy %.4f test_loss %.4f after %d epoch(s), %d parameters, %.1f s",
                            m.testAccuracy, m.testLoss, m.epoch, m.parameters, m.wallSeconds)
            }
            return s
        }

        private func prepareDirectory(_ path: String) throws {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw ConfigError("--out \(path): cannot create the directory")
            }
        }

        private func write(_ text: String, to path: String) throws {
            do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                throw WorkFailed(message: "\(path): cannot write (\(error.localizedDescription))")
            }
        }
    }
}
