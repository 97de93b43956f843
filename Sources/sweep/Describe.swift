import ArgumentParser
import Foundation
import SweepConfig
import SweepData
import SweepEngine
import SweepTrain

extension Sweep {
    /// The network a configuration builds, layer by layer, as torchinfo prints a PyTorch module.
    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the network a configuration builds: one row per layer (name, output shape, parameters) and the total.",
            discussion: "Shapes are per sample, for the dataset's images (fashion-mnist, mnist, synthetic: 1×28×28; cifar10: 3×32×32). "
                + "Networks written in the architecture language (the architecture key, and model=cnn, inception, resnet) show their line, "
                + "with act written as the activation it stands for, so that the line builds the same network.")

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case table, json
        }

        @Option(help: "table: for people; json: {\"architecture\", \"input\", \"layers\": [{\"name\", \"kind\", \"output_shape\", \"parameters\"}], \"parameters\"}.")
        var format: Format = .table

        @Argument(help: "Training configuration as KEY=VALUE words, e.g. model=resnet dataset=cifar10.")
        var settings: [String] = []

        func run() throws {
            let config = try TrainConfig(arguments: settings)
            guard config.model != .noop || config.architecture != nil else {
                throw ConfigError("model noop has no layers to describe")
            }
            let dataset = DatasetName(rawValue: config.dataset)!
            let model = try Models.declare(config)
            // `act` written out: the line builds this network whatever the model key says
            let line = try (config.architecture ?? Presets.line(config))
                .map { try Architecture(parsing: $0).resolvingAct(config.resolvedActivation).description }
            let rows = model.nodes.map { node in
                (name: node.name, kind: LayerNames.kind(node), shape: node.outputShape, parameters: node.parameters)
            }
            switch format {
            case .json:
                let json = JSON.object([
                    ("architecture", line.map(JSON.string) ?? .null),
                    ("input", .array(dataset.imageShape.map(JSON.int))),
                    ("layers", .array(rows.map { r in
                        .object([("name", .string(r.name)), ("kind", .string(r.kind)),
                                 ("output_shape", .array(r.shape.map(JSON.int))), ("parameters", .int(r.parameters))])
                    })),
                    ("parameters", .int(model.parameterCount)),
                ])
                printLine(json.encoded)
            case .table:
                if let line { printLine("architecture: \(line)") }
                printLine("input: \(dataset.imageShape.map(String.init).joined(separator: "×")) (\(config.dataset))")
                let header = ("Layer (type)", "Output Shape", "Param #")
                let cells = rows.map { ("\($0.name) (\($0.kind))", "[" + $0.shape.map(String.init).joined(separator: ", ") + "]",
                                        $0.parameters.groupedDigits) }
                let w0 = cells.reduce(header.0.count) { max($0, $1.0.count) }
                let w1 = cells.reduce(header.1.count) { max($0, $1.1.count) }
                let w2 = cells.reduce(header.2.count) { max($0, $1.2.count) }
                func row(_ a: String, _ b: String, _ c: String) -> String {
                    a.padding(toLength: w0 + 2, withPad: " ", startingAt: 0) + b.padding(toLength: w1 + 2, withPad: " ", startingAt: 0)
                        + String(repeating: " ", count: w2 - c.count) + c
                }
                let rule = String(repeating: "=", count: w0 + w1 + w2 + 4)
                printLine(rule)
                printLine(row(header.0, header.1, header.2))
                printLine(rule)
                for c in cells { printLine(row(c.0, c.1, c.2)) }
                printLine(rule)
                printLine("Total params: \(model.parameterCount.groupedDigits)")
            }
        }
    }
}
