import Testing
@testable import SweepEngine
import TestSupport

@Suite struct DenseTests {
    @Test func gradientsMatchFiniteDifferences() {
        let params = ParameterStore()
        let dense = Dense(inputShape: [5], outputs: 4, params: params, name: "fc")
        params.finalize()
        var rng = RNG(seed: 3)
        params.initialize(.xavier, rng: &rng)
        params.set(dense.bias, testValues(4, seed: 9))
        let x = Tensor(shape: [3, 5], values: testValues(15))
        let r = checkGradients(layer: dense, params: params, input: x)
        #expect(r.input < 1e-2, "\(r)")
        #expect(r.parameters < 1e-2, "\(r)")
    }

    /// Gradients are zeroed lazily (ParameterStore): after zeroGrads a Dense layer's weight
    /// gradient is written, not added to stale values; a second backward before the next
    /// zeroGrads adds to it; and a gradient no layer wrote reads as zero through the buffer.
    @Test func lazilyZeroedGradientsAreWrittenThenAdded() {
        let params = ParameterStore()
        let dense = Dense(inputShape: [5], outputs: 4, params: params, name: "fc")
        let untouched = params.declare("other", shape: [3], role: .bias)
        params.finalize()
        var rng = RNG(seed: 3)
        params.initialize(.xavier, rng: &rng)
        let x = Tensor(shape: [3, 5], values: testValues(15))
        let dy = Tensor(shape: [3, 4], values: testValues(12, seed: 5))
        params.zeroGrads()
        _ = dense.forward(x, mode: .train)
        _ = dense.backward(dy)
        let once = params.grads(of: dense.weight), onceBias = params.grads(of: dense.bias)
        #expect(once.contains { $0 != 0 })
        // stale values everywhere, as a step leaves them
        params.gradBuffer.update(repeating: 7)
        params.zeroGrads()
        _ = dense.forward(x, mode: .train)
        _ = dense.backward(dy)
        #expect(params.grads(of: dense.weight) == once)
        #expect(params.grads(of: dense.bias) == onceBias)
        _ = dense.forward(x, mode: .train)
        _ = dense.backward(dy)
        let twice = params.grads(of: dense.weight) + params.grads(of: dense.bias)
        for (got, want) in zip(twice, (once + onceBias).map { 2 * $0 }) { #expect(abs(got - want) <= 1e-5 * (1 + abs(want))) }
        let all = params.gradBuffer
        #expect(Array(all[untouched.offset..<untouched.offset + untouched.count]) == [0, 0, 0])
    }

    @Test func activationsMatchFiniteDifferences() {
        for kind in ActivationKind.allCases {
            let params = ParameterStore()
            params.finalize()
            let act = Activation(kind, inputShape: [7])
            // keep relu inputs away from the kink at 0
            let x = Tensor(shape: [2, 7], values: testValues(14).map { $0 + ($0 >= 0 ? 0.1 : -0.1) })
            let r = checkGradients(layer: act, params: params, input: x)
            #expect(r.input < 1e-2, "\(kind): \(r)")
        }
    }

    @Test func fastTanhIsAccurate() {
        var worst: Float = 0
        var x: Float = -12
        while x < 12 {
            worst = max(worst, abs(fastTanh(x) - Float(_tanh(Double(x)))))
            x += 0.001
        }
        #expect(worst < 2e-6, "max |fastTanh − tanh| = \(worst)")
        #expect(fastTanh(0) == 0)
        #expect(fastSigmoid(0) == 0.5)
    }
}

#if canImport(Glibc)
import Glibc
func _tanh(_ x: Double) -> Double { Glibc.tanh(x) }
#endif
