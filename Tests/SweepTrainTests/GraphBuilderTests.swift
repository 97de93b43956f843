import Testing
import SweepConfig
import SweepEngine
@testable import SweepTrain

/// Architecture lines built into graphs: the homework-4 networks have PyTorch's
/// parameter counts, and shape errors name the layer's position and both shapes.
@Suite struct GraphBuilderTests {
    func build(_ line: String, _ shape: [Int], _ arguments: [String] = []) throws -> Model {
        try GraphBuilder.declare(Architecture(parsing: line), config: TrainConfig(arguments: arguments),
                                 inputShape: shape, classes: 10)
    }

    /// The counts issue 14 gives, which torchinfo prints for hw4_models.py.
    @Test(arguments: [("cnn", [3, 32, 32], 2_168_362), ("inception", [3, 32, 32], 6_510_378), ("resnet", [3, 32, 32], 825_194),
                      ("cnn", [1, 28, 28], 1_676_266), ("inception", [1, 28, 28], 5_035_242), ("resnet", [1, 28, 28], 595_242)])
    func homeworkNetworksHavePyTorchsParameterCounts(_ name: String, _ shape: [Int], _ count: Int) throws {
        let model = try build(Presets.line(TrainConfig(arguments: ["model=\(name)"]))!, shape)
        #expect(model.parameterCount == count)
        #expect(model.shape == [10])
    }

    /// batchnorm=true puts a batchnorm after every convolution and the hidden dense of the
    /// homework networks (its 2 parameters and 2 running statistics per channel); names are net.<i>.
    @Test(arguments: [("cnn", 5, 2 * (32 + 32 + 64 + 64 + 512)), ("inception", 9, 2 * (32 + 32 + 64 + 64 + 4 * 64 + 512)),
                      ("resnet", 8, 2 * (32 + 32 + 64 + 64 + 128 + 128 + 64 + 512))])
    func batchnormKeyAddsOneAfterEveryConvolution(_ name: String, _ count: Int, _ extra: Int) throws {
        let plain = try Models.declare(TrainConfig(arguments: ["model=\(name)"]), inputShape: [1, 28, 28], classes: 10)
        let bn = try Models.declare(TrainConfig(arguments: ["model=\(name)", "batchnorm=true"]), inputShape: [1, 28, 28], classes: 10)
        #expect(bn.nodes.filter { node in
            if case .layer(let l) = node.operation { return l is BatchNorm }
            return false
        }.count == count)
        #expect(bn.parameterCount == plain.parameterCount + extra)
        #expect(bn.nodes.first?.name == "net.0" && plain.nodes.first?.name == "features.0")
    }

    @Test func namesFollowTheLinesNesting() throws {
        let model = try build("conv(4, 3) residual[conv(4, 3) relu] concat[conv(2, 1) | relu conv(3, 1)] flatten dense(classes)", [1, 6, 6])
        #expect(model.params.refs.map(\.name) == [
            "net.0.weight", "net.0.bias", "net.1.0.weight", "net.1.0.bias", "net.2.0.0.weight", "net.2.0.0.bias",
            "net.2.1.1.weight", "net.2.1.1.bias", "net.4.weight", "net.4.bias",
        ])
        #expect(model.nodes.map(\.name) == ["net.0", "net.1.0", "net.1.1", "net.1", "net.2.0.0", "net.2.1.0", "net.2.1.1",
                                            "net.2", "net.3", "net.4"])
    }

    /// The activation table reads the graph: every node but reshapes and dropout, by its name
    /// and kind, joins included.
    @Test func activationStatisticsFollowTheGraph() throws {
        let model = try build("conv(4, 3) relu residual[conv(4, 3) relu] concat[avgpool(3, 1) | maxpool(3, 1)] flatten dense(classes)",
                              [1, 6, 6])
        model.finalize()
        var rng = RNG(seed: 1)
        model.params.initialize(.xavier, rng: &rng)
        let recorder = ActivationRecorder(model: model)
        _ = recorder.forward(Tensor(shape: [2, 1, 6, 6], values: (0..<72).map { Float($0 % 7) - 3 }))
        let rows = recorder.activations
        #expect(rows.map(\.layer) == ["net.0", "net.1", "net.2.0", "net.2.1", "net.2", "net.3.0.0", "net.3.1.0", "net.3", "net.5"])
        #expect(rows.map(\.kind) == ["conv2d", "relu", "conv2d", "relu", "add", "avgpool", "maxpool", "concat", "dense"])
        #expect(rows[0].stage == .beforeNonlinearity && rows[1].stage == .afterNonlinearity)
        #expect(rows[4].shape == [4, 6, 6] && rows[7].shape == [8, 6, 6])
    }

    @Test(arguments: [
        ("conv(8, 3) residual[conv(16, 3)] flatten dense(classes)",
         "architecture: residual at position 12: its block gives [16, 6, 6] but its input is [8, 6, 6]; they must agree"),
        ("conv(8, 3) concat[relu | maxpool(2)] flatten dense(classes)",
         "architecture: concat at position 12: its branches give [8, 6, 6], [8, 3, 3]; all but the channels must agree"),
        ("flatten conv(8, 3) dense(classes)", "architecture: conv at position 9 needs an image (C, H, W), got [36]"),
        ("conv(8, 3) flatten dense(12)",
         "architecture: the network ends with shape [12], not the 10 outputs of its classes; end it with dense(classes)"),
        ("conv(8, 7, 1, valid) flatten dense(classes)",
         "architecture: conv at position 1 has a 7×7 window larger than its input [1, 6, 6] without padding"),
        ("conv(0.5, 3) flatten dense(classes)", "architecture: conv at position 1 needs a whole number >= 1 as argument 1, got 0.5"),
        ("dropout(1.5) flatten dense(classes)", "architecture: dropout at position 1 needs a probability with 0 <= p < 1, got 1.5"),
    ]) func shapeErrorsNameThePositionAndBothShapes(_ line: String, _ message: String) {
        #expect(throws: ConfigError(message)) { try build(line, [1, 6, 6]) }
    }

    /// A built residual network trains end to end: gradients through its join agree with
    /// finite differences of the whole model.
    @Test func aBuiltGraphsGradientsAgreeWithFiniteDifferences() throws {
        // smooth layers only: a max or a relu kink crossed by a probe is not a gradient error
        let model = try build("conv(3, 3) tanh residual[conv(3, 3) tanh conv(3, 1)] concat[avgpool(3, 1) | conv(2, 1) sigmoid] "
                              + "globalavgpool flatten dense(hidden) sigmoid dense(classes)", [2, 5, 5], ["hidden=7"])
        model.finalize()
        var rng = RNG(seed: 3)
        model.params.initialize(.xavier, rng: &rng)
        #expect(model.shape == [10])
        let x = Tensor(shape: [3, 2, 5, 5], values: (0..<150).map { Float(($0 * 37) % 101) / 50 - 1 })
        let labels: [Int32] = [1, 4, 9]
        let criterion = SoftmaxCrossEntropy()
        func loss() -> Double {
            labels.withUnsafeBufferPointer { criterion.forward(logits: model.forward(x, mode: .train), labels: $0.baseAddress!).loss }
        }
        model.params.zeroGrads()
        _ = loss()
        model.backward(criterion.backward())
        let analytic = model.params.gradBuffer.map { Double($0) }
        var worst = 0.0
        for i in stride(from: 0, to: model.parameterCount, by: 7) {
            let p = model.params.values + i, saved = p.pointee
            p.pointee = saved + 1e-2; let up = loss()
            p.pointee = saved - 1e-2; let down = loss()
            p.pointee = saved
            let numeric = (up - down) / 2e-2
            worst = max(worst, abs(numeric - analytic[i]) / max(abs(numeric) + abs(analytic[i]), 1e-2))
        }
        #expect(worst < 2e-2)
    }
}
