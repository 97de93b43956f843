import Testing
@testable import SweepEngine
import TestSupport

/// Finite-difference checks through time of the recurrent cells, and the
/// bookkeeping around them (batch changes, first layer, ImageRows).
@Suite struct RecurrentGradientTests {
    /// Layers applied one after the other, as one layer for `checkGradients`.
    final class Chain: Layer {
        let layers: [Layer]
        var needsInputGradient = true
        var outputShape: [Int] { layers.last!.outputShape }
        init(_ layers: [Layer]) { self.layers = layers }

        func forward(_ x: Tensor, mode: Mode) -> Tensor {
            layers.reduce(x) { $1.forward($0, mode: mode) }
        }

        func backward(_ dy: Tensor) -> Tensor {
            layers.reversed().reduce(dy) { $1.backward($0) }
        }
    }

    struct Case: CustomStringConvertible, Sendable {
        var cell: CellKind
        var returnSequences = false
        var layers = 1
        var hidden = 6
        var description: String { "\(cell) ×\(layers) h\(hidden)\(returnSequences ? " sequence" : "")" }
    }

    static let (batch, steps, inputs, hidden) = (3, 5, 4, 6)

    /// Hidden 6 runs the cells' eight-lane loops as one partial block, hidden 11 as a full and a partial one.
    /// With an own kernel set every cell takes the chunked backward (one chunk here).
    static let cases = CellKind.allCases.flatMap { cell in
        [Case(cell: cell), Case(cell: cell, returnSequences: true), Case(cell: cell, layers: 2),
         Case(cell: cell, returnSequences: true, hidden: 11)]
    } + [Case(cell: .lstm, hidden: 16), Case(cell: .lstm, layers: 2, hidden: 16)]

    /// `layers` stacked cells over (T, I) with xavier weights and random biases.
    static func make(_ c: Case, seed: UInt64 = 3) -> (Chain, ParameterStore) {
        let params = ParameterStore()
        var shape = [steps, inputs], layers: [Layer] = []
        for k in 0..<c.layers {
            let layer = Recurrent(inputShape: shape, cell: c.cell, hidden: c.hidden,
                                  returnSequences: c.returnSequences || k < c.layers - 1,
                                  params: params, name: "rnn", layerIndex: k)
            layers.append(layer)
            shape = [steps, c.hidden]
        }
        params.finalize()
        var rng = RNG(seed: seed)
        params.initialize(.xavier, rng: &rng)
        for (i, r) in params.refs.enumerated() where r.role == .bias {
            params.set(r, testValues(r.count, seed: 10 + UInt64(i), scale: 0.5))
        }
        return (Chain(layers), params)
    }

    static func input(batch b: Int = batch, seed: UInt64 = 42) -> Tensor {
        Tensor(shape: [b, steps, inputs], values: testValues(b * steps * inputs, seed: seed))
    }

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: Case) {
        BLAS.setThreads(1)  // as training runs: LSTMs of hidden 16 take the chunked backward
        let (layer, params) = Self.make(c)
        let r = checkGradients(layer: layer, params: params, input: Self.input(), eps: 1e-2)
        print("RecurrentGradient \(c): \(r)")
        #expect(r.input < 1e-2, "\(r)")
        #expect(r.parameters < 1e-2, "\(r)")
    }

    @Test(arguments: CellKind.allCases)
    func shapesAndParameterLayout(_ cell: CellKind) {
        let params = ParameterStore()
        let a = Recurrent(inputShape: [7, 5], cell: cell, hidden: 3, returnSequences: false,
                          params: params, name: "rnn", layerIndex: 2)
        let g = cell.gateCount
        #expect(a.outputShape == [3])
        #expect(params.refs.map(\.name) == ["rnn.weight_ih_l2", "rnn.weight_hh_l2", "rnn.bias_ih_l2", "rnn.bias_hh_l2"])
        #expect(params.refs.map(\.shape) == [[g * 3, 5], [g * 3, 3], [g * 3], [g * 3]])
        #expect(a.weightIH.fanIn == 5 && a.weightIH.fanOut == g * 3)
        #expect(a.weightHH.fanIn == 3 && a.weightHH.fanOut == g * 3)
        #expect(a.biasIH.role == .bias && a.biasHH.role == .bias)
        let b = Recurrent(inputShape: [7, 5], cell: cell, hidden: 3, returnSequences: true,
                          params: params, name: "rnn", layerIndex: 3)
        #expect(b.outputShape == [7, 3])
    }

    /// A smaller batch after a larger one reuses the buffers and gives what a fresh layer gives;
    /// as a first layer (no input gradient) the parameter gradients are unchanged.
    @Test(arguments: CellKind.allCases)
    func batchChangesAndFirstLayerAgree(_ cell: CellKind) {
        // one GEMM for all three runs: the thread count picks OpenBLAS or CKernels' kernel (and
        // with it the LSTM's chunked backward), and a test process starts at one
        // OpenBLAS thread per core until a test sets it, as every test that sets it sets 1
        BLAS.setThreads(1)
        let c = Case(cell: cell, returnSequences: true)
        let x = Self.input(batch: 2, seed: 5)
        let dy = Tensor(shape: [2, Self.steps, Self.hidden], values: testValues(2 * Self.steps * Self.hidden, seed: 6))
        func run(_ layer: Chain, _ params: ParameterStore) -> (y: [Float], dx: [Float], grads: [Float]) {
            params.zeroGrads()
            let y = layer.forward(x, mode: .train).array
            let dx = layer.backward(dy).array
            return (y, dx, Array(params.gradBuffer))
        }
        let (fresh, freshParams) = Self.make(c)
        let expected = run(fresh, freshParams)

        let (reused, params) = Self.make(c)
        let big = Self.input(batch: 4, seed: 9)
        _ = reused.forward(big, mode: .train)
        _ = reused.backward(Tensor(shape: [4, Self.steps, Self.hidden], values: testValues(4 * Self.steps * Self.hidden)))
        let again = run(reused, params)
        #expect(again.y == expected.y)
        #expect(again.dx == expected.dx)
        #expect(again.grads == expected.grads)

        let (first, firstParams) = Self.make(c)
        first.layers[0].needsInputGradient = false
        let skipped = run(first, firstParams)
        #expect(skipped.y == expected.y)
        #expect(skipped.grads == expected.grads)
    }

    /// The chunked backward (dGates packed by the steps themselves, weight gradients a chunk at
    /// a time, bias gradients summed by the steps) agrees with the general one for every cell:
    /// several chunks (30 rows a step, 8 steps a chunk), a step of more rows than one block of a
    /// packing (300), a stacked layer that needs dx, one and two steps (step 0 is a chunk of its
    /// own), a hidden size that is no multiple of the lanes (20), and a batch that shrinks.
    @Test(arguments: ownKernelSets, [(30, 20, 16, 1), (30, 20, 32, 2), (300, 3, 16, 1), (7, 40, 48, 2), (4, 1, 16, 1), (64, 2, 16, 2), (5, 9, 20, 2)])
    func chunkedBackwardAgrees(kernels: KernelSet, shape: (Int, Int, Int, Int)) throws {
        try #require(kernels.lstmPackedMultiple > 0 && shape.2 % kernels.lstmPackedMultiple == 0)
        for cell in CellKind.allCases {
            Kernels.$forced.withValue(kernels) {
                chunkedBackwardAgrees(cell: cell, batch: shape.0, steps: shape.1, hidden: shape.2, layers: shape.3)
            }
        }
    }

    private func chunkedBackwardAgrees(cell: CellKind, batch b: Int, steps t: Int, hidden n: Int, layers: Int) {
        let inputs = 7
        func make(chunked: Bool) -> (Chain, ParameterStore) {
            let params = ParameterStore()
            var shape = [t, inputs], stack: [Layer] = []
            for k in 0..<layers {
                let layer = Recurrent(inputShape: shape, cell: cell, hidden: n, returnSequences: k < layers - 1,
                                      params: params, name: "rnn", layerIndex: k)
                layer.backwardInChunks = chunked
                layer.needsInputGradient = k > 0
                stack.append(layer)
                shape = [t, n]
            }
            params.finalize()
            var rng = RNG(seed: 7)
            params.initialize(.xavier, rng: &rng)
            for (i, r) in params.refs.enumerated() where r.role == .bias {
                params.set(r, testValues(r.count, seed: 20 + UInt64(i), scale: 0.5))
            }
            return (Chain(stack), params)
        }
        func run(_ layer: Chain, _ params: ParameterStore, batch: Int) -> (y: [Float], grads: [Float]) {
            params.zeroGrads()
            let x = Tensor(shape: [batch, t, inputs], values: testValues(batch * t * inputs, seed: 3, scale: 2))
            let y = layer.forward(x, mode: .train)
            _ = layer.backward(Tensor(shape: y.shape, values: testValues(y.count, seed: 4)))
            return (y.array, Array(params.gradBuffer))
        }
        let (plain, plainParams) = make(chunked: false), (chunked, chunkedParams) = make(chunked: true)
        for batch in [b, max(1, b / 3)] {
            let expected = run(plain, plainParams, batch: batch), got = run(chunked, chunkedParams, batch: batch)
            #expect(got.y == expected.y)
            let scale = expected.grads.map(abs).max() ?? 1
            let worst = zip(got.grads, expected.grads).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * scale, "\(cell) batch \(batch): worst gradient difference \(worst) of \(scale)")
            #expect(expected.grads.contains { $0 != 0 })
        }
    }

    @Test func imageRowsTakesEachRowOfEveryChannel() {
        // x[b, c, h, w] = 1000 b + 100 c + 10 h + w
        let (b, c, h, w) = (2, 3, 4, 5)
        var values: [Float] = []
        for i in 0..<b { for ch in 0..<c { for y in 0..<h { for x in 0..<w {
            values.append(Float(1000 * i + 100 * ch + 10 * y + x))
        } } } }
        let rows = ImageRows(inputShape: [c, h, w])
        #expect(rows.outputShape == [h, c * w])
        let out = rows.forward(Tensor(shape: [b, c, h, w], values: values), mode: .train)
        #expect(out.shape == [b, h, c * w])
        for i in 0..<b { for y in 0..<h { for ch in 0..<c { for x in 0..<w {
            #expect(out[(i * h + y) * c * w + ch * w + x] == Float(1000 * i + 100 * ch + 10 * y + x))
        } } } }
        let dx = rows.backward(out)
        #expect(dx.shape == [b, c, h, w])
        #expect(dx.array == values)
    }
}
