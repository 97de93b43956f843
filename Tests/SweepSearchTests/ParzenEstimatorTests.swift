import Foundation
import Testing
import SweepRandom
@testable import SweepSearch

@Suite struct GaussianTests {
    @Test func cdfAndItsInverse() {
        #expect(abs(Gaussian.cdf(1.959963984540054) - 0.975) < 1e-12)
        for z in [-35.0, -12, -3, -0.5, 0, 0.7, 4] {
            #expect(abs(Gaussian.inverseLogCDF(Gaussian.logCDF(z)) - z) < 1e-7 * max(1, abs(z)), "z = \(z)")
        }
        // Far in the left tail, in log space: log Φ(-40) ≈ -804.608.
        #expect(abs(Gaussian.logCDF(-40) - -804.6084420137538) < 1e-6)
    }

    @Test func massAndTruncatedQuantiles() {
        #expect(abs(exp(Gaussian.logMass(-1, 1)) - 0.6826894921370859) < 1e-12)
        #expect(abs(Gaussian.logMass(5, 6) - log(Gaussian.cdf(-5) - Gaussian.cdf(-6))) < 1e-9)
        // Median of N(0,1) truncated to [0, ∞) is Φ⁻¹(0.75).
        #expect(abs(Gaussian.truncatedQuantile(0.5, 0, .infinity) - 0.6744897501960817) < 1e-8)
        // A window 30 sigmas out still gives quantiles inside it, in order.
        let qs = [0.0, 0.1, 0.5, 0.9, 1.0].map { Gaussian.truncatedQuantile($0, 30, 31) }
        #expect(qs.allSatisfy { (30...31).contains($0) } && qs == qs.sorted())
        #expect(qs[0] == 30 && qs[4] <= 31)
    }
}

@Suite struct ParzenEstimatorTests {
    /// Observations 0.2, 0.8 on [0, 1]; prior kernel at 0.5 with width 1.
    /// Sorted with the prior and the bounds: 0, .2, .5, .8, 1 → widths
    /// max(.2, .3) = .3 and max(.3, .2) = .3, the ends by their inner gap (no
    /// endpoints): .3, .3. Magic clip: at least 1/min(100, 2 + 2) = .25.
    @Test func kernelWidthsAsOptuna() throws {
        let l = ParzenEstimator(numeric: [0.2, 0.8], low: 0, high: 1, step: nil, options: ParzenOptions())
        guard case .numeric(let mus, let sigmas, _, _, _) = l.kernels else { Issue.record("not numeric"); return }
        #expect(mus == [0.2, 0.8, 0.5])
        #expect(zip(sigmas, [0.3, 0.3, 1.0]).allSatisfy { abs($0 - $1) < 1e-12 })
        let third: Double = 1.0 / 3
        #expect(l.weights == [third, third, third])
        // Close observations get the clip: .5, .51 → gaps .01 → widths .25.
        let close = ParzenEstimator(numeric: [0.5, 0.51], low: 0, high: 1, step: nil, options: ParzenOptions())
        guard case .numeric(_, let s2, _, _, _) = close.kernels else { return }
        #expect(s2[0] == 0.25 && s2[1] == 0.25)
    }

    @Test func densitiesIntegrateToOne() {
        let l = ParzenEstimator(numeric: [0.05, 0.2, 0.21, 0.9], low: 0, high: 1, step: nil, options: ParzenOptions())
        let n = 20000
        let integral = (0..<n).reduce(0.0) { $0 + exp(l.logPDF((Double($1) + 0.5) / Double(n))) } / Double(n)
        #expect(abs(integral - 1) < 1e-4)
        let ints = ParzenEstimator(numeric: [2, 3, 3, 9], low: 1, high: 10, step: 1, options: ParzenOptions())
        let mass = (1...10).reduce(0.0) { $0 + exp(ints.logPDF(Double($1))) }
        #expect(abs(mass - 1) < 1e-9)
    }

    /// Choices 0, 0, 2 of three: 4 kernels, each row prior 1/4 per choice plus 1 at
    /// the observed one (rows sum to 1.75), the prior row uniform; weights 1/4 each.
    @Test func categoricalAsOptuna() {
        let l = ParzenEstimator(categorical: [0, 0, 2], choices: 3, options: ParzenOptions())
        let p0 = 0.25 * (2 * 1.25 / 1.75 + 0.25 / 1.75 + 1.0 / 3)
        #expect(abs(exp(l.logPDF(0)) - p0) < 1e-12)
        #expect(abs((0..<3).reduce(0.0) { $0 + exp(l.logPDF(Double($1))) } - 1) < 1e-12)
        let empty = ParzenEstimator(categorical: [], choices: 4, options: ParzenOptions())
        #expect(abs(exp(empty.logPDF(3)) - 0.25) < 1e-12)
    }

    @Test func samplesFollowTheDensity() {
        let l = ParzenEstimator(numeric: [0.1, 0.12, 0.14], low: 0, high: 1, step: nil, options: ParzenOptions())
        var rng = SplitMix64(seed: 5)
        let draws = (0..<4000).map { _ in l.sample(&rng) }
        #expect(draws.allSatisfy { (0...1).contains($0) })
        // P(x < 0.3) from the density, against the draws.
        let p = (0..<3000).reduce(0.0) { $0 + exp(l.logPDF((Double($1) + 0.5) / 10000)) } / 10000
        let seen = Double(draws.filter { $0 < 0.3 }.count) / 4000
        #expect(abs(seen - p) < 0.03, "\(seen) vs \(p)")
        let ints = ParzenEstimator(numeric: [4], low: 1, high: 6, step: 1, options: ParzenOptions())
        #expect((0..<500).allSatisfy { _ in let x = ints.sample(&rng); return x == x.rounded() && (1...6).contains(x) })
    }

    @Test func weightsRampAfter25() {
        #expect(ParzenOptions.weights(3) == [1, 1, 1])
        let w = ParzenOptions.weights(30)
        #expect(w.count == 30 && w.suffix(25).allSatisfy { $0 == 1 })
        let ramp = Array(w.prefix(5))
        #expect(abs(ramp[0] - 1.0 / 30) < 1e-12 && abs(ramp[4] - 1) < 1e-12 && ramp == ramp.sorted())
        #expect(TPESampler.Options.gamma(1) == 1 && TPESampler.Options.gamma(10) == 1
                && TPESampler.Options.gamma(11) == 2 && TPESampler.Options.gamma(1000) == 25)
    }
}
