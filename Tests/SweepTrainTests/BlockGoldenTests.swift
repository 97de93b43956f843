import Testing
import SweepConfig
import SweepEngine
@testable import SweepTrain
import TestSupport

/// The blocks of the homework-4 presets against PyTorch: the resnet and inception blocks,
/// built from the presets' own lines at small widths, with the weights PyTorch drew, give
/// its output, its input gradient and every parameter gradient, under its state_dict names.
/// Fixtures/blocks.json is written by Fixtures/make_blocks.py (Residual and Inception as
/// hw4_models.py defines them).
@Suite struct BlockGoldenTests {
    /// A preset's block line at the fixture's widths: 64 channels become `channels`, 128 `width`.
    static func line(_ model: String, channels: Int, width: Int) -> String {
        Presets.block(ModelName(rawValue: model)!)!.replacingOccurrences(of: "128", with: "\(width)").replacingOccurrences(of: "64", with: "\(channels)")
    }

    /// The block alone, as the preset's graph holds it: the builder's nodes after the features
    /// (item 12 on), named as the preset names them.
    static func build(_ model: String, line: String, inputShape: [Int]) throws -> Model {
        let graph = Model(inputShape: inputShape, classes: 10)
        let naming = GraphBuilder.Naming(node: { path in
            // "net.<i>.<rest>" of the block alone is "net.<12 + i>.<rest>" in the whole preset
            var parts = path.split(separator: ".").map(String.init)
            parts[1] = String(Int(parts[1])! + 12)
            return Presets.name(ModelName(rawValue: model)!, parts.joined(separator: "."))
        })
        let builder = GraphBuilder(config: try TrainConfig(arguments: ["model=\(model)"]), classes: 10, model: graph,
                                   naming: naming)
        _ = try builder.sequence(try Architecture(parsing: line).nodes, from: Model.input, prefix: "net")
        graph.finalize()
        return graph
    }

    @Test(arguments: ["resnet", "inception"])
    func blockMatchesPyTorch(_ model: String) throws {
        let g = try Fixture(named: "blocks.json")["cases"][model]
        let x = g.tensor("input")
        let line = Self.line(model, channels: g["config"].int("channels"), width: g["config"].int("width"))
        let graph = try Self.build(model, line: line, inputShape: Array(x.shape.dropFirst()))
        // every parameter is PyTorch's, by name, and nothing else
        #expect(graph.params.refs.map(\.name).sorted() == g["params"].keys, "\(line)")
        for ref in graph.params.refs {
            #expect(g["params"].shape(ref.name) == ref.shape, "\(ref.name) shape")
            graph.params.set(ref, g["params"].floats(ref.name))
        }
        graph.needsInputGradient = true
        let y = graph.forward(x, mode: .train)
        #expect(y.shape == g.shape("output"))
        // float32 sums of up to 72 products (8 channels × 3×3), three layers deep, in another
        // order than PyTorch's: both agree to below 1e-6 (scaled), so 1e-5 leaves room for BLAS
        // kernels and still catches any wrong term
        let tolerance: Float = 1e-5
        let dOutput = maxScaledDiff(y.array, g.floats("output"))
        #expect(dOutput <= tolerance, "\(model) output: max scaled |diff| \(dOutput)")
        graph.params.zeroGrads()
        let dx = graph.backward(g.tensor("grad_output"))
        #expect(dx.shape == x.shape)
        let dInput = maxScaledDiff(dx.array, g.floats("grad_input"))
        #expect(dInput <= tolerance, "\(model) input gradient: max scaled |diff| \(dInput)")
        for ref in graph.params.refs {
            let d = maxScaledDiff(graph.params.grads(of: ref), g["grads"].floats(ref.name))
            #expect(d <= tolerance, "\(model) \(ref.name) gradient: max scaled |diff| \(d)")
        }
        // the values are not all zero: the check compares something
        #expect(dx.array.contains { abs($0) > 0.1 } && y.array.contains { abs($0) > 0.1 })
    }
}
