import Testing
@testable import SweepEngine
import TestSupport

/// Add and Concat, forward and backward, against PyTorch (x0 + x1 (+ x2), torch.cat(dim=1)).
/// Fixtures/merges.json is written by Fixtures/make_merges.py.
@Suite struct MergeGoldenTests {
    @Test(arguments: ["add", "add_three", "concat", "concat_features"])
    func merge(_ name: String) throws {
        let g = try Fixture(named: "merges.json")["cases"][name]
        let count = g["inputs"].keys.count
        let xs = (0..<count).map { g["inputs"].tensor(String($0)) }
        let shapes = xs.map { Array($0.shape.dropFirst()) }
        let layer: MergeLayer = g["config"].string("kind") == "add" ? Add(shapes: shapes) : Concat(shapes: shapes)
        #expect([xs[0].batch] + layer.outputShape == g.shape("output"))
        let y = layer.forward(xs, mode: .train)
        #expect(y.shape == g.shape("output"))
        // a sum of at most three floats, a copy: PyTorch's own values to float32 rounding
        #expect(maxScaledDiff(y.array, g.floats("output")) <= 1e-6, "\(name) output")
        let dy = g.tensor("grad_output")
        let before = dy.array
        let dxs = layer.backward(dy)
        #expect(dxs.count == count)
        for (k, dx) in dxs.enumerated() {
            #expect(dx.shape == xs[k].shape, "\(name) input \(k) gradient shape")
            #expect(dx.array == g["grad_inputs"].floats(String(k)), "\(name) input \(k) gradient")
        }
        #expect(dy.array == before, "backward must not change dOutput")
    }
}
