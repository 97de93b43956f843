import Testing
@testable import SweepEngine
import TestSupport

/// Forward and backward of each layer against PyTorch, in training mode.
/// Fixtures/layers.json is written by Fixtures/make_layers.py, pools.json by make_pools.py.
@Suite struct LayerGoldenTests {
    func golden(_ name: String, file: String = "layers.json") throws -> Fixture { try Fixture(named: file)["cases"][name] }

    /// |a − b| ≤ 1e-4 · max(1, |b|) everywhere.
    func expectClose(_ actual: [Float], _ expected: [Float], _ what: String, _ name: String) {
        #expect(actual.count == expected.count, "\(name) \(what): \(actual.count) values, expected \(expected.count)")
        guard actual.count == expected.count else { return }
        var worst: Float = 0
        for i in 0..<actual.count { worst = max(worst, abs(actual[i] - expected[i]) / max(1, abs(expected[i]))) }
        #expect(worst <= 1e-4, "\(name) \(what): max scaled |diff| \(worst)")
    }

    /// Sets the parameters, runs forward and backward, compares output and every gradient.
    func check(_ name: String, file: String = "layers.json",
               _ make: (Fixture, [Int], ParameterStore) -> (Layer, [String: ParameterRef])) throws {
        let g = try golden(name, file: file)
        let params = ParameterStore()
        let x = g.tensor("input")
        let (layer, refs) = make(g, Array(x.shape.dropFirst()), params)
        params.finalize()
        for (key, ref) in refs {
            #expect(g["params"].shape(key) == ref.shape, "\(name).\(key) shape")
            params.set(ref, g["params"].floats(key))
        }
        let y = layer.forward(x, mode: .train)
        #expect(y.shape == g.shape("output"), "\(name) output shape")
        expectClose(y.array, g.floats("output"), "output", name)
        params.zeroGrads()
        let dx = layer.backward(g.tensor("grad_output"))
        #expect(dx.shape == x.shape, "\(name) input gradient shape")
        expectClose(dx.array, g.floats("grad_input"), "input gradient", name)
        for (key, ref) in refs { expectClose(params.grads(of: ref), g["grads"].floats(key), key + " gradient", name) }
    }

    @Test(arguments: ["conv2d_same_stride1", "conv2d_same_stride1_k5", "conv2d_valid_stride2", "conv2d_same_stride2"])
    func conv2d(_ name: String) throws {
        try check(name) { g, shape, params in
            let c = g["config"]
            let conv = Conv2D(inputShape: shape, outChannels: c.int("out_channels"), kernel: c.int("kernel"),
                              stride: c.int("stride"), padding: Padding(rawValue: c.string("padding"))!,
                              params: params, name: "conv")
            return (conv, ["weight": conv.weight, "bias": conv.bias])
        }
    }

    @Test func maxPool2D() throws {
        try check("maxpool2d") { _, shape, _ in (MaxPool2D(inputShape: shape), [:]) }
    }

    @Test(arguments: ["maxpool_k3_s1", "maxpool_k3_s2", "avgpool_k3_s1", "avgpool_k2_s2", "avgpool_k3_s2"])
    func pool2D(_ name: String) throws {
        try check(name, file: "pools.json") { g, shape, _ in
            let c = g["config"]
            return (Pool2D(Pool2D.Kind(rawValue: c.string("kind"))!, inputShape: shape, kernel: c.int("kernel"),
                           stride: c.int("stride")), [:])
        }
    }

    @Test func globalAvgPool() throws {
        try check("globalavgpool", file: "pools.json") { _, shape, _ in (GlobalAvgPool(inputShape: shape), [:]) }
    }

    @Test(arguments: ["batchnorm2d", "batchnorm1d"])
    func batchNorm(_ name: String) throws {
        var bn: BatchNorm?
        try check(name) { g, shape, params in
            let c = g["config"]
            let layer = BatchNorm(inputShape: shape, params: params, name: "bn",
                                  momentum: Float(c.double("momentum")), eps: Float(c.double("eps")))
            bn = layer
            return (layer, ["weight": layer.weight, "bias": layer.bias])
        }
        let g = try golden(name)
        expectClose(bn!.runningMean, g.floats("running_mean"), "running mean", name)
        expectClose(bn!.runningVar, g.floats("running_var"), "running variance", name)
    }

    @Test func dense() throws {
        try check("dense") { g, shape, params in
            let dense = Dense(inputShape: shape, outputs: g["config"].int("outputs"), params: params, name: "fc")
            return (dense, ["weight": dense.weight, "bias": dense.bias])
        }
    }
}
