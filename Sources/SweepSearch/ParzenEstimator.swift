import Foundation
import SweepRandom

/// The settings of TPE's Parzen estimators, with Optuna's TPESampler defaults.
public struct ParzenOptions: Sendable {
    /// Weight of the prior kernel against the observations' (Optuna: 1.0).
    public var priorWeight = 1.0
    /// Optuna's "magic clip": kernel widths at least range / min(100, 1 + kernels).
    public var considerMagicClip = true
    /// Whether the outermost observations' widths reach to the bounds (Optuna: false).
    public var considerEndpoints = false

    public init() {}

    /// Optuna's `default_weights`: flat for fewer than 25 observations, else a ramp
    /// from 1/n up to 1 over all but the 25 newest (observations oldest first).
    public static func weights(_ n: Int) -> [Double] {
        if n < 25 { return Array(repeating: 1, count: n) }
        let ramp = n - 25
        let step = ramp > 1 ? (1 - 1 / Double(n)) / Double(ramp - 1) : 0
        return (0..<ramp).map { 1 / Double(n) + Double($0) * step } + Array(repeating: 1, count: 25)
    }
}

/// A one-dimensional Parzen estimator (kernel mixture) over one parameter, the
/// building block of univariate TPE (Bergstra et al., "Algorithms for
/// Hyper-Parameter Optimization", NIPS 2011, §4), following Optuna's
/// `samplers/_tpe/parzen_estimator.py`: one kernel per observation plus a prior
/// kernel, weighted by `ParzenOptions.weights` and `priorWeight`.
struct ParzenEstimator {
    enum Kernels {
        /// Truncated normals on [low, high]; with a step, over the grid low, low+step, …, high.
        case numeric(mus: [Double], sigmas: [Double], low: Double, high: Double, step: Double?)
        /// One row of choice probabilities per kernel.
        case categorical(rows: [[Double]])
    }

    let weights: [Double]
    let kernels: Kernels

    /// A mixture given whole (PED-ANOVA's estimators on a grid, ParameterImportance.swift).
    init(weights: [Double], kernels: Kernels) {
        self.weights = weights
        self.kernels = kernels
    }

    /// Kernels on observations in [low, high] (a grid when `step` is given); `flat`: every
    /// observation weighs the same (multi-objective TPE's "below" estimator) instead of
    /// `ParzenOptions.weights`.
    init(numeric observations: [Double], low: Double, high: Double, step: Double?, options: ParzenOptions, flat: Bool = false) {
        weights = Self.mixtureWeights(observations.count, options, flat: flat)
        let step0 = step ?? 0
        let prior = 0.5 * (low + high)
        let width = high - low + step0
        // Each kernel's width: the larger gap to its sorted neighbours, the prior's
        // centre among them and the bounds (widened by half a step) at the ends.
        let withPrior = observations + [prior]
        let order = withPrior.indices.sorted { (withPrior[$0], $0) < (withPrior[$1], $1) }
        let sorted = [low - step0 / 2] + order.map { withPrior[$0] } + [high + step0 / 2]
        var sortedSigmas: [Double] = []
        for i in 1..<sorted.count - 1 {
            let gapBelow: Double = sorted[i] - sorted[i - 1]
            let gapAbove: Double = sorted[i + 1] - sorted[i]
            sortedSigmas.append(max(gapBelow, gapAbove))
        }
        if !options.considerEndpoints, sorted.count >= 4 {
            sortedSigmas[0] = sorted[2] - sorted[1]
            sortedSigmas[sortedSigmas.count - 1] = sorted[sorted.count - 2] - sorted[sorted.count - 3]
        }
        var sigmas = [Double](repeating: 0, count: withPrior.count)
        for (rank, index) in order.enumerated() { sigmas[index] = sortedSigmas[rank] }
        sigmas.removeLast()
        let minSigma = options.considerMagicClip ? width / min(100, Double(observations.count + 2)) : 1e-12
        sigmas = sigmas.map { min(max($0, minSigma), width) }
        kernels = .numeric(mus: observations + [prior], sigmas: sigmas + [width], low: low, high: high, step: step)
    }

    /// Kernels on observed choice indices in 0..<choices (`flat` as for numeric kernels).
    init(categorical observations: [Int], choices: Int, options: ParzenOptions, flat: Bool = false) {
        weights = Self.mixtureWeights(observations.count, options, flat: flat)
        guard !observations.isEmpty else {
            kernels = .categorical(rows: [Array(repeating: 1 / Double(choices), count: choices)])
            return
        }
        let kernelCount = Double(observations.count + 1)
        var rows = [[Double]](repeating: Array(repeating: options.priorWeight / kernelCount, count: choices),
                              count: observations.count + 1)
        for (i, choice) in observations.enumerated() { rows[i][choice] += 1 }
        rows = rows.map { row in
            let sum = row.reduce(0, +)
            return sum == 0 ? row : row.map { $0 / sum }
        }
        kernels = .categorical(rows: rows)
    }

    /// Observation weights, then the prior's, normalised; just the prior without observations.
    private static func mixtureWeights(_ n: Int, _ options: ParzenOptions, flat: Bool) -> [Double] {
        if n == 0 { return [1] }
        let w = (flat ? Array(repeating: 1, count: n) : ParzenOptions.weights(n)) + [options.priorWeight]
        let sum = w.reduce(0, +)
        return w.map { $0 / sum }
    }

    /// One draw: a kernel chosen by weight, then a value from it (a choice index for categorical).
    func sample(_ rng: inout SplitMix64) -> Double {
        let k = Self.pick(weights, rng.uniform())
        switch kernels {
        case .numeric(let mus, let sigmas, let low, let high, let step):
            let half = (step ?? 0) / 2
            let (mu, sigma) = (mus[k], sigmas[k])
            let z = Gaussian.truncatedQuantile(rng.uniform(), (low - half - mu) / sigma, (high + half - mu) / sigma)
            let x = mu + sigma * z
            guard let step else { return min(max(x, low), high) }
            return min(max(low + ((x - low) / step).rounded() * step, low), high)
        case .categorical(let rows):
            return Double(Self.pick(rows[k], rng.uniform()))
        }
    }

    /// log of the mixture's density (numeric) or probability (categorical, a grid) at x.
    func logPDF(_ x: Double) -> Double {
        switch kernels {
        case .numeric(let mus, let sigmas, let low, let high, let step):
            var total = -Double.infinity
            for k in mus.indices {
                let (mu, sigma) = (mus[k], sigmas[k])
                let logP: Double
                if let step {
                    let lower = low - step / 2, upper = high + step / 2
                    let cell = Gaussian.logMass((max(x - step / 2, lower) - mu) / sigma, (min(x + step / 2, upper) - mu) / sigma)
                    logP = cell - Gaussian.logMass((lower - mu) / sigma, (upper - mu) / sigma)
                } else {
                    logP = Gaussian.truncatedLogPDF((x - mu) / sigma, (low - mu) / sigma, (high - mu) / sigma) - log(sigma)
                }
                total = Gaussian.logSum(total, log(weights[k]) + logP)
            }
            return total
        case .categorical(let rows):
            let choice = Int(x)
            return log(zip(weights, rows).reduce(0) { $0 + $1.0 * $1.1[choice] })
        }
    }

    /// The index u falls in when [0, 1) is cut in proportion to `weights`.
    private static func pick(_ weights: [Double], _ u: Double) -> Int {
        var rest = u
        for (i, w) in weights.enumerated() {
            if rest < w { return i }
            rest -= w
        }
        return weights.lastIndex { $0 > 0 } ?? weights.count - 1
    }
}
