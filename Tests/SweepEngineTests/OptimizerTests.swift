import Foundation
import Testing
@testable import SweepEngine
import TestSupport

/// Golden values written by Fixtures/make_optimizers.py (PyTorch).
private struct OptimizerFixture: Decodable {
    struct Case: Decodable {
        let name: String
        let kind: String
        let lr: Double
        let momentum: Double?
        let weight_decay: Double
        let clip_norm: Double?
        let losses: [Double]
        let grad_norms: [Double]
        /// Parameters after each step: weight (OUT, IN) row-major, then bias.
        let params: [[Double]]
    }
    let torch: String
    let inputs_count: Int
    let outputs: Int
    let batch: Int
    let inputs: [Double]
    let labels: [Int32]
    let weight: [Double]
    let bias: [Double]
    let cases: [Case]

    static func load() throws -> OptimizerFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/optimizers.json")
        return try JSONDecoder().decode(OptimizerFixture.self, from: Data(contentsOf: url))
    }
}

/// nn.Linear + CrossEntropyLoss(mean) on one fixed batch, over a ParameterStore.
private final class LinearProblem {
    let params = ParameterStore()
    let dense: Dense
    let lossLayer = SoftmaxCrossEntropy()
    let x: Tensor
    let labels: UnsafeMutablePointer<Int32>

    init(inputs: Int, outputs: Int, x: [Float], labels: [Int32], weight: [Float], bias: [Float]) {
        dense = Dense(inputShape: [inputs], outputs: outputs, params: params, name: "fc")
        dense.needsInputGradient = false
        params.finalize()
        params.set(dense.weight, weight)
        params.set(dense.bias, bias)
        self.x = Tensor(shape: [labels.count, inputs], values: x)
        self.labels = .allocate(capacity: labels.count)
        self.labels.initialize(from: labels, count: labels.count)
    }

    deinit { labels.deallocate() }

    /// Zeroes the gradients, then forward and backward; returns the loss.
    func lossAndGradients() -> Double {
        params.zeroGrads()
        let logits = dense.forward(x, mode: .train)
        let loss = lossLayer.forward(logits: logits, labels: labels).loss
        _ = dense.backward(lossLayer.backward())
        return loss
    }

    var values: [Float] { Array(params.valueBuffer) }
}

@Suite struct OptimizerTests {
    /// Every optimizer case, 3 steps with the gradients recomputed each step, against
    /// torch.optim. The engine's forward/backward and torch's differ by float rounding
    /// (≈1e-8 on these gradients), which the updates carry through unamplified.
    @Test func matchesPyTorch() throws {
        let fx = try OptimizerFixture.load()
        #expect(fx.cases.count >= 18)
        #expect(Set(fx.cases.map(\.kind)) == Set(OptimizerKind.allCases.map(\.rawValue)))
        for c in fx.cases {
            let kind = try #require(OptimizerKind(rawValue: c.kind), "unknown kind \(c.kind)")
            let problem = LinearProblem(
                inputs: fx.inputs_count, outputs: fx.outputs,
                x: fx.inputs.map(Float.init), labels: fx.labels,
                weight: fx.weight.map(Float.init), bias: fx.bias.map(Float.init))
            let settings = OptimizerSettings(
                kind: kind, learningRate: Float(c.lr), momentum: c.momentum.map(Float.init),
                weightDecay: Float(c.weight_decay), clipNorm: c.clip_norm.map(Float.init))
            let optimizer = Optimizer(settings, parameterCount: problem.params.count)
            for step in 0..<c.params.count {
                let loss = problem.lossAndGradients()
                let norm = optimizer.step(problem.params)
                #expect(optimizer.steps == step + 1)
                #expect(abs(loss - c.losses[step]) < 1e-5, "\(c.name) step \(step + 1): loss \(loss) vs \(c.losses[step])")
                #expect(abs(Double(norm) - c.grad_norms[step]) < 1e-6,
                        "\(c.name) step \(step + 1): grad norm \(norm) vs \(c.grad_norms[step])")
                let diff = maxAbsDiff(problem.values, c.params[step].map(Float.init))
                #expect(diff <= 2e-6, "\(c.name) step \(step + 1): max |Δθ| = \(diff)")
            }
        }
    }

    @Test func clipNormScalesLargeGradientAndKeepsSmallOne() {
        // Two parameters, so the norm is global: ‖(3, 0, 0 | 0, 4)‖ = 5.
        let params = ParameterStore()
        let a = params.declare("a", shape: [3], role: .weight)
        let b = params.declare("b", shape: [2], role: .bias)
        params.finalize()
        params.set(a, [0.5, -1, 2])
        params.set(b, [1, 1])
        let before = Array(params.valueBuffer)
        let optimizer = Optimizer(OptimizerSettings(kind: .sgd, learningRate: 0, clipNorm: 1), parameterCount: params.count)

        let large: [Float] = [3, 0, 0, 0, 4]
        for i in 0..<5 { params.grads[i] = large[i] }
        let norm = optimizer.step(params)
        #expect(norm == 5)
        let coef: Float = 1 / (5 + 1e-6)
        #expect(Array(params.gradBuffer) == large.map { $0 * coef })
        #expect(abs(Double(Array(params.gradBuffer).map { $0 * $0 }.reduce(0, +)).squareRoot() - 1) < 1e-6)
        #expect(Array(params.valueBuffer) == before)  // lr 0

        let small: [Float] = [0.3, 0, 0, 0, 0.4]
        for i in 0..<5 { params.grads[i] = small[i] }
        let smallNorm = optimizer.step(params)
        #expect(abs(smallNorm - 0.5) < 1e-7)
        #expect(Array(params.gradBuffer) == small)  // untouched, bit for bit
    }

    @Test func clipThenStepMovesByClippedGradient() {
        // sgd, lr 1: θ ← θ − g·max_norm/(‖g‖ + 1e-6).
        let values = UnsafeMutablePointer<Float>.allocate(capacity: 2)
        let grads = UnsafeMutablePointer<Float>.allocate(capacity: 2)
        defer { values.deallocate(); grads.deallocate() }
        values.initialize(from: [1, 1], count: 2)
        grads.initialize(from: [6, 8], count: 2)
        let optimizer = Optimizer(OptimizerSettings(kind: .sgd, learningRate: 1, clipNorm: 0.5), parameterCount: 2)
        #expect(optimizer.step(values: values, grads: grads) == 10)
        let coef: Float = 0.5 / (10 + 1e-6)
        #expect(values[0] == 1 - 6 * coef)
        #expect(values[1] == 1 - 8 * coef)
    }

    @Test(arguments: OptimizerKind.allCases)
    func lossDecreases(kind: OptimizerKind) {
        let samples = 12, inputs = 4, classes = 3
        let problem = LinearProblem(
            inputs: inputs, outputs: classes,
            x: testValues(samples * inputs, seed: 5), labels: (0..<samples).map { Int32($0 % classes) },
            weight: testValues(classes * inputs, seed: 6, scale: 0.5), bias: [0, 0, 0])
        let lr: Float = [.rmsprop, .adam, .nadam, .adamw].contains(kind) ? 0.01 : 0.1
        let optimizer = Optimizer(OptimizerSettings(kind: kind, learningRate: lr, weightDecay: kind == .adamw ? 0.01 : 0),
                                  parameterCount: problem.params.count)
        var losses: [Double] = []
        for _ in 0..<30 {
            losses.append(problem.lossAndGradients())
            optimizer.step(problem.params)
        }
        losses.append(problem.lossAndGradients())
        #expect(losses.allSatisfy { $0.isFinite })
        #expect(losses.last! < 0.95 * losses.first!, "\(kind): \(losses.first!) -> \(losses.last!)")
        #expect(losses[1] < losses[0], "\(kind): first step did not lower the loss")
    }

    @Test func defaultsAndState() {
        #expect(OptimizerSettings(kind: .momentum, learningRate: 0.1).momentum == 0.9)
        #expect(OptimizerSettings(kind: .rmsprop, learningRate: 0.1).momentum == 0)
        #expect(OptimizerSettings(kind: .rmsprop, learningRate: 0.1, momentum: 0.5).momentum == 0.5)
        let o = Optimizer(OptimizerSettings(kind: .adam, learningRate: 0.1), parameterCount: 0)
        #expect(o.steps == 0)
        let empty = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        defer { empty.deallocate() }
        #expect(o.step(values: empty, grads: empty) == 0)
        #expect(o.steps == 1)
    }
}
