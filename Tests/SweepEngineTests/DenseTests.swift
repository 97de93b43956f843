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
