import Foundation
import Testing
@testable import SweepEngine
import TestSupport

/// The model as a graph: outputs that feed several layers get the sum of their
/// gradients, merges (add, concat) split theirs, checked by finite differences through
/// a residual block, a concat of two branches and an input read twice.
@Suite struct GraphTests {
    /// A model seen as one layer, for `checkGradients`.
    final class Whole: Layer {
        let model: Model
        init(_ model: Model) { self.model = model }
        var outputShape: [Int] { model.shape }
        var needsInputGradient: Bool {
            get { model.needsInputGradient }
            set { model.needsInputGradient = newValue }
        }
        func forward(_ input: Tensor, mode: Mode) -> Tensor { model.forward(input, mode: mode) }
        func backward(_ dOutput: Tensor) -> Tensor { model.backward(dOutput) }
    }

    /// input (2, 5, 5) ─ conv 3×3 → relu ─┬─ conv 3×3 → tanh ─ add ─┬─ conv 1×1 ─────── concat ─ concat ─ flatten ─ dense(3)
    ///                   │                 └────────────────────┘     └─ avgpool 3, 1 ─┘        │
    ///                   └─ conv 1×1 ───────────────────────────────────────────────────────────┘
    static func branchy() -> Model {
        let m = Model(inputShape: [2, 5, 5], classes: 3)
        let p = m.params
        let stem = m.add(Conv2D(inputShape: [2, 5, 5], outChannels: 3, kernel: 3, params: p, name: "stem"), input: Model.input)
        let relu = m.add(Activation(.relu, inputShape: m.shape(of: stem)), input: stem)
        let body = m.add(Conv2D(inputShape: m.shape(of: relu), outChannels: 3, kernel: 3, params: p, name: "body"), input: relu)
        let tanh = m.add(Activation(.tanh, inputShape: m.shape(of: body)), input: body)
        let join = m.merge(Add(shapes: [m.shape(of: relu), m.shape(of: tanh)]), inputs: [relu, tanh])
        let a = m.add(Conv2D(inputShape: m.shape(of: join), outChannels: 2, kernel: 1, params: p, name: "a"), input: join)
        let b = m.add(Pool2D(.average, inputShape: m.shape(of: join), kernel: 3, stride: 1), input: join)
        let branches = m.merge(Concat(shapes: [m.shape(of: a), m.shape(of: b)]), inputs: [a, b])
        let side = m.add(Conv2D(inputShape: [2, 5, 5], outChannels: 1, kernel: 1, params: p, name: "side"), input: Model.input)
        m.merge(Concat(shapes: [m.shape(of: branches), m.shape(of: side)]), inputs: [branches, side])
        m.append(Flatten(inputShape: m.shape))
        m.append(Dense(inputShape: m.shape, outputs: 3, params: p, name: "fc"))
        m.finalize()
        var rng = RNG(seed: 5)
        p.initialize(.xavier, rng: &rng)
        for r in p.refs where r.role == .bias { p.set(r, testValues(r.count, seed: UInt64(r.offset))) }
        return m
    }

    @Test func gradientsThroughBranchesAndJoins() {
        let m = Self.branchy()
        #expect(m.shape(of: 7) == [5, 5, 5] && m.shape == [3])
        let whole = Whole(m)
        whole.needsInputGradient = true
        let x = Tensor(shape: [2, 2, 5, 5], values: testValues(100))
        let r = checkGradients(layer: whole, params: m.params, input: x)
        #expect(r.input < 1e-2, "\(r)")
        #expect(r.parameters < 1e-2, "\(r)")
    }

    /// The graph's routing, against the same sums written out by hand: an output read by
    /// two layers gets both gradients; without the input's gradient, none is computed.
    /// Training's backward does an activation that feeds only a 2×2 max pool in the pool's pass;
    /// the gradients are the layer-by-layer backward's bit for bit, in every kernel set. The
    /// model holds both cases: conv → act → pool (fused), and an activation read by a pool and
    /// a dense layer besides (not fused). Odd sizes leave a row and a column to no window.
    @Test(arguments: ActivationKind.allCases)
    func anActivationBeforeAMaxPoolIsDoneByThePool(_ kind: ActivationKind) {
        for set in KernelSet.available {
            let m = Model(inputShape: [2, 9, 7], classes: 3)
            let p = m.params
            let conv = m.add(Conv2D(inputShape: [2, 9, 7], outChannels: 3, kernel: 3, params: p, name: "c1"), input: Model.input)
            let act = m.add(Activation(kind, inputShape: m.shape(of: conv)), input: conv)
            let pool = m.add(MaxPool2D(inputShape: m.shape(of: act)), input: act)
            let conv2 = m.add(Conv2D(inputShape: m.shape(of: pool), outChannels: 4, kernel: 3, params: p, name: "c2"), input: pool)
            let act2 = m.add(Activation(kind, inputShape: m.shape(of: conv2)), input: conv2)
            let pool2 = m.add(MaxPool2D(inputShape: m.shape(of: act2)), input: act2)
            let flat2 = m.add(Flatten(inputShape: m.shape(of: act2)), input: act2)   // act2 read twice: not fused
            let flatPool = m.add(Flatten(inputShape: m.shape(of: pool2)), input: pool2)
            let join = m.merge(Concat(shapes: [m.shape(of: flatPool), m.shape(of: flat2)]), inputs: [flatPool, flat2])
            m.add(Dense(inputShape: m.shape(of: join), outputs: 3, params: p, name: "fc"), input: join)
            m.finalize()
            var rng = RNG(seed: 7)
            p.initialize(.xavier, rng: &rng)
            m.needsInputGradient = true
            let x = Tensor(shape: [2, 2, 9, 7], values: testValues(2 * 2 * 9 * 7, seed: 3))
            let dLogits = Tensor(shape: [2, 3], values: testValues(6, seed: 4))
            func run(fused: Bool) -> (grads: [UInt32], input: [UInt32], reached: [Bool]) {
                Kernels.$forced.withValue(set) {
                    p.zeroGrads()
                    _ = m.forward(x, mode: .train)
                    let dx = fused ? m.backward(dLogits) : m.backward(dLogits, from: m.last)
                    return (Array(p.gradBuffer).map(\.bitPattern), dx.array.map(\.bitPattern),
                            [m.gradient(of: act) != nil, m.gradient(of: act2) != nil])
                }
            }
            let fused = run(fused: true), layered = run(fused: false)
            #expect(fused.grads == layered.grads, "\(set)")
            #expect(fused.input == layered.input, "\(set)")
            // the pool did the first activation's backward (its node got no gradient), not the second's
            #expect(fused.reached == [false, true] && layered.reached == [true, true], "\(set)")
        }
    }

    @Test func aSharedOutputGetsTheSumOfItsConsumersGradients() {
        let m = Model(inputShape: [4], classes: 4)
        let relu = m.add(Activation(.relu, inputShape: [4]), input: Model.input)
        let tanh = m.add(Activation(.tanh, inputShape: [4]), input: relu)
        m.merge(Add(shapes: [[4], [4]]), inputs: [relu, tanh])
        m.finalize()
        m.needsInputGradient = true
        let x = Tensor(shape: [1, 4], values: [-1, 0.5, 2, -0.25])
        let y = m.forward(x, mode: .train).array
        #expect(y == [0, 0.5 + Float(0.5).tanhValue, 2 + Float(2).tanhValue, 0])
        let dx = m.backward(Tensor(shape: [1, 4], values: [1, 1, 1, 1])).array
        // d/dx (r + tanh r) = relu'(x) · (1 + 1 − tanh² r)
        #expect(zip(dx, [0, 2 - 0.5.tanhSquared, 2 - 2.0.tanhSquared, 0]).allSatisfy { abs($0 - Float($1)) < 1e-6 }, "\(dx)")
        m.needsInputGradient = false
        #expect(m.backward(Tensor(shape: [1, 4], values: [1, 1, 1, 1])).count == 0)
    }

    @Test func concatJoinsChannelsAndSplitsTheGradient() {
        let c = Concat(shapes: [[1, 2, 2], [2, 2, 2]])
        #expect(c.outputShape == [3, 2, 2])
        let a = Tensor(shape: [2, 1, 2, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        let b = Tensor(shape: [2, 2, 2, 2], values: (10..<26).map(Float.init))
        let y = c.forward([a, b], mode: .train).array
        #expect(y == [1, 2, 3, 4, 10, 11, 12, 13, 14, 15, 16, 17, 5, 6, 7, 8, 18, 19, 20, 21, 22, 23, 24, 25])
        let d = c.backward(Tensor(shape: [2, 3, 2, 2], values: y))
        #expect(d[0].shape == [2, 1, 2, 2] && d[0].array == a.array)
        #expect(d[1].shape == [2, 2, 2, 2] && d[1].array == b.array)
    }
}

private extension Float {
    var tanhValue: Float { Float(Foundation.tanh(Double(self))) }
}

private extension Double {
    var tanhSquared: Double { Foundation.tanh(self) * Foundation.tanh(self) }
}
