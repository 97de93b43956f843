import Testing
@testable import SweepEngine
import TestSupport

/// Finite-difference checks of what the other gradient tests leave out: 1×1 and strided
/// kernels of every size up to the image, pools whose stride passes their window, and
/// add and concat each on their own, over branches of the model's input.
@Suite struct BranchGradientTests {
    static let convCases = [
        LayerGradientTests.ConvCase(shape: [3, 5, 6], out: 4, kernel: 1, stride: 1, padding: .same),     // resnet's projection
        LayerGradientTests.ConvCase(shape: [3, 5, 6], out: 2, kernel: 1, stride: 2, padding: .valid),    // 1×1 downsampling
        LayerGradientTests.ConvCase(shape: [2, 7, 7], out: 3, kernel: 1, stride: 3, padding: .same),
        LayerGradientTests.ConvCase(shape: [2, 6, 7], out: 3, kernel: 2, stride: 2, padding: .valid),
        LayerGradientTests.ConvCase(shape: [2, 7, 8], out: 2, kernel: 3, stride: 3, padding: .same),     // stride = kernel
        LayerGradientTests.ConvCase(shape: [1, 6, 6], out: 2, kernel: 6, stride: 1, padding: .valid),    // window = image: 1×1 out
    ]

    @Test(arguments: convCases)
    func conv2D(_ c: LayerGradientTests.ConvCase) {
        LayerGradientTests().conv2D(c)
    }

    static let poolCases = [
        PoolGradientTests.Case(kind: .max, shape: [2, 7, 7], kernel: 2, stride: 3, out: [2, 2, 2]),      // stride past the window
        PoolGradientTests.Case(kind: .average, shape: [2, 7, 7], kernel: 2, stride: 3, out: [2, 2, 2]),
        PoolGradientTests.Case(kind: .max, shape: [2, 6, 5], kernel: 5, stride: 1, out: [2, 6, 5]),      // padding 2 each side
        PoolGradientTests.Case(kind: .average, shape: [2, 6, 5], kernel: 5, stride: 1, out: [2, 6, 5]),
        PoolGradientTests.Case(kind: .max, shape: [1, 5, 5], kernel: 4, stride: 1, out: [1, 5, 5]),      // even window: 1 + 2
        PoolGradientTests.Case(kind: .average, shape: [3, 5, 6], kernel: 1, stride: 1, out: [3, 5, 6]),  // identity
    ]

    @Test(arguments: poolCases)
    func pool(_ c: PoolGradientTests.Case) {
        PoolGradientTests().pool(c)
    }

    /// input ─┬─ conv 1×1 ─ tanh ─┐
    ///        ├─ conv 3×3 ────────┴─ add ─┬─ concat ─ flatten ─ dense(3)
    ///        └───────────────────────────┘ (the input itself, a third reader)
    /// The input feeds three nodes, the add two inputs of one shape, the concat two of
    /// different channels.
    @Test func addAndConcatOverTheInput() {
        let m = Model(inputShape: [2, 4, 5], classes: 3)
        let p = m.params
        let a = m.add(Conv2D(inputShape: [2, 4, 5], outChannels: 3, kernel: 1, params: p, name: "a"), input: Model.input)
        let t = m.add(Activation(.tanh, inputShape: m.shape(of: a)), input: a)
        let b = m.add(Conv2D(inputShape: [2, 4, 5], outChannels: 3, kernel: 3, params: p, name: "b"), input: Model.input)
        let sum = m.merge(Add(shapes: [m.shape(of: t), m.shape(of: b)]), inputs: [t, b])
        let joined = m.merge(Concat(shapes: [m.shape(of: sum), [2, 4, 5]]), inputs: [sum, Model.input])
        #expect(m.shape(of: joined) == [5, 4, 5])
        m.append(Flatten(inputShape: m.shape))
        m.append(Dense(inputShape: m.shape, outputs: 3, params: p, name: "fc"))
        m.finalize()
        var rng = RNG(seed: 8)
        p.initialize(.xavier, rng: &rng)
        for r in p.refs where r.role == .bias { p.set(r, testValues(r.count, seed: UInt64(r.offset) + 1)) }
        let whole = GraphTests.Whole(m)
        whole.needsInputGradient = true
        let x = Tensor(shape: [3, 2, 4, 5], values: testValues(120, seed: 6))
        let r = checkGradients(layer: whole, params: p, input: x)
        #expect(r.input < 1e-2, "\(r)")
        #expect(r.parameters < 1e-2, "\(r)")
        #expect(r.checked > 150)
    }

    /// One node read twice by the same merge: x + x and [x, x] get twice and both halves of
    /// the gradient.
    @Test func aMergeReadingOneNodeTwice() {
        for makeMerge in [{ Add(shapes: [[3], [3]]) as MergeLayer }, { Concat(shapes: [[3], [3]]) as MergeLayer }] {
            let m = Model(inputShape: [3], classes: 3)
            let s = m.add(Activation(.sigmoid, inputShape: [3]), input: Model.input)
            let merge = makeMerge()
            m.merge(merge, inputs: [s, s])
            m.finalize()
            let whole = GraphTests.Whole(m)
            whole.needsInputGradient = true
            let r = checkGradients(layer: whole, params: m.params, input: Tensor(shape: [2, 3], values: testValues(6, seed: 3)))
            #expect(r.input < 1e-2, "\(merge): \(r)")
        }
    }
}
