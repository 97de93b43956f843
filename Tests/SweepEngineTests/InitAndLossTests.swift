import Testing
@testable import SweepEngine
import TestSupport

@Suite struct InitTests {
    func stats(_ v: [Float]) -> (mean: Double, std: Double, maxAbs: Float) {
        let m = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
        let s = (v.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(v.count)).squareRoot()
        return (m, s, v.map(abs).max()!)
    }

    func initialised(_ scheme: InitScheme) -> (ParameterStore, ParameterRef, ParameterRef) {
        let params = ParameterStore()
        let conv = Conv2D(inputShape: [16, 8, 8], outChannels: 64, kernel: 5, params: params, name: "c")
        params.finalize()
        var rng = RNG(seed: 11)
        params.initialize(scheme, rng: &rng)
        return (params, conv.weight, conv.bias)
    }

    /// fan_in = 16·25 = 400, fan_out = 64·25 = 1600, as torch.nn.init computes them for conv weights.
    @Test func xavierNormalHasGlorotStd() {
        let (p, w, b) = initialised(.xavier)
        let s = stats(p.values(of: w))
        #expect(abs(s.mean) < 0.002)
        #expect(abs(s.std - (2.0 / 2000).squareRoot()) < 0.001)
        #expect(p.values(of: b).allSatisfy { $0 == 0 })
    }

    @Test func xavierUniformStaysInItsBound() {
        let (p, w, _) = initialised(.xavier_uniform)
        let a = (6.0 / 2000).squareRoot()
        let s = stats(p.values(of: w))
        #expect(Double(s.maxAbs) <= a)
        #expect(abs(s.std - a / 3.0.squareRoot()) < 0.001)
    }

    @Test func heHasKaimingStd() {
        let (p, w, _) = initialised(.he)
        #expect(abs(stats(p.values(of: w)).std - (2.0 / 400).squareRoot()) < 0.002)
    }

    /// TensorFlow's truncated_normal(stddev=0.1): nothing beyond 2σ; std of the
    /// truncated distribution is 0.1 · 0.8796.
    @Test func truncatedNormalIsTruncatedWithPositiveBias() {
        let (p, w, b) = initialised(.truncated_normal)
        let s = stats(p.values(of: w))
        #expect(s.maxAbs <= 0.2)
        #expect(abs(s.std - 0.08796) < 0.002)
        #expect(p.values(of: b).allSatisfy { $0 == 0.1 })
    }

    @Test func batchnormStartsAsIdentity() {
        let params = ParameterStore()
        let bn = BatchNorm(inputShape: [6], params: params, name: "bn")
        params.finalize()
        var rng = RNG(seed: 1)
        params.initialize(.xavier, rng: &rng)
        #expect(params.values(of: bn.weight) == [Float](repeating: 1, count: 6))
        #expect(params.values(of: bn.bias) == [Float](repeating: 0, count: 6))
    }

    @Test func sameSeedSameWeights() {
        // both stores held while their buffers are compared (a buffer pointer keeps nothing alive)
        let a = initialised(.xavier), b = initialised(.xavier)
        withExtendedLifetime((a, b)) { #expect(Array(a.0.valueBuffer) == Array(b.0.valueBuffer)) }
    }
}

@Suite struct SoftmaxCrossEntropyTests {
    /// d(mean loss)/d logits against central differences of the loss itself.
    @Test func gradientMatchesFiniteDifferences() {
        let b = 4, k = 5
        let logits = Tensor(shape: [b, k], values: testValues(b * k, seed: 5, scale: 3))
        let labels: [Int32] = [0, 3, 4, 1]
        let loss = SoftmaxCrossEntropy()
        labels.withUnsafeBufferPointer { lp in
            _ = loss.forward(logits: logits, labels: lp.baseAddress!)
            let d = loss.backward().array
            let eps: Float = 1e-2
            var worst = 0.0
            for i in 0..<(b * k) {
                let old = logits[i]
                logits[i] = old + eps
                let lp1 = loss.forward(logits: logits, labels: lp.baseAddress!).loss
                logits[i] = old - eps
                let lm1 = loss.forward(logits: logits, labels: lp.baseAddress!).loss
                logits[i] = old
                let numeric = (lp1 - lm1) / (2 * Double(eps))
                worst = max(worst, abs(numeric - Double(d[i])) / max(abs(numeric) + abs(Double(d[i])), 1e-3))
            }
            #expect(worst < 1e-2, "worst relative error \(worst)")
        }
    }

    /// Huge logits neither overflow nor lose the loss: log-softmax is computed shifted.
    @Test func stableForHugeLogits() {
        let logits = Tensor(shape: [2, 3], values: [1000, 0, -1000, -5e4, 5e4, 0])
        let labels: [Int32] = [0, 0]
        labels.withUnsafeBufferPointer { lp in
            let (l, correct) = SoftmaxCrossEntropy().forward(logits: logits, labels: lp.baseAddress!)
            #expect(l.isFinite)
            #expect(abs(l - 5e4) < 1)   // sample 0 loses ~0, sample 1 loses 1e5; mean 5e4
            #expect(correct == 1)
        }
    }

    /// Against torch.nn.functional.cross_entropy on fixed logits (values computed by hand:
    /// loss = mean(logsumexp(z) − z[y])).
    @Test func matchesTheDefinition() {
        let z: [Float] = [0.5, -1, 2, 0.1, 0.1, 0.1]
        let logits = Tensor(shape: [2, 3], values: z)
        let labels: [Int32] = [2, 1]
        labels.withUnsafeBufferPointer { lp in
            let (l, _) = SoftmaxCrossEntropy().forward(logits: logits, labels: lp.baseAddress!)
            let l0 = log(exp(0.5) + exp(-1.0) + exp(2.0)) - 2.0
            let l1 = log(3.0)
            #expect(abs(l - (l0 + l1) / 2) < 1e-6)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
