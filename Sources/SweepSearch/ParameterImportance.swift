import Foundation

/// How much each parameter mattered for reaching the best results of a sweep, by
/// PED-ANOVA (S. Watanabe, A. Bansal, F. Hutter, "PED-ANOVA: Efficiently Quantifying
/// Hyperparameter Importance in Arbitrary Subspaces", IJCAI 2023), computed as Optuna's
/// default importance evaluator computes it: `optuna/importance/_ped_anova/evaluator.py`
/// and `scott_parzen_estimator.py` (Optuna 5.1; its conditional parameters follow
/// "Conditional PED-ANOVA", Watanabe et al., KDD 2026), with its defaults.
///
/// The trials better than the `targetQuantile` (γ′ = 0.1) are compared with those of
/// the region, here the whole search space (γ = 1, "evaluate on local": the region's
/// trials, not a uniform density). For each parameter, a Parzen estimator of its values
/// is fitted to each set on a grid; the importance is the Pearson divergence between
/// the two densities, ∑ₓ p_region(x) (p_top(x) / p_region(x) − 1)², times (γ′/γ)²
/// (Theorem 4.2 of the KDD paper). A parameter that is set on some trials only
/// (`when:`) is scored on the trials that set it, weighted by α²/β, α and β being the
/// shares of the top and region trials that set it; an inactive regime adds nothing.
/// Importances are then normalised to sum to 1 (`get_param_importances`' default;
/// all equal when every raw importance is 0).
///
/// Where Sweep departs from Optuna: fewer than `minimumTrials` trials give nil (Optuna
/// returns equal importances with a warning), and parameters whose domain holds a
/// single value are left out (Optuna lists them with importance 0).
public enum ParameterImportance {
    /// γ′: the top trials are the best 10% (Optuna's default).
    static let targetQuantile = 0.1
    /// A numerical domain is cut into this many grid points (Optuna's `_n_steps`).
    static let gridSteps = 50
    /// Weight of each estimator's prior kernel against one trial (Optuna's `_prior_weight`).
    static let priorWeight = 1.0
    /// A regime (the trials that set a parameter, or those that do not) with fewer trials is ignored.
    static let minimumTrialsInRegime = 2
    /// Added to both densities before dividing, as Optuna does.
    static let densityFloor = 1e-12

    /// Optuna computes importances from 2 finished trials on (1 gives equal importances).
    public static let minimumTrials = 2

    /// A parameter's domain, as Optuna's distributions describe it.
    public enum Domain: Sendable, Equatable {
        /// `FloatDistribution(low, high, log, step)`. Values on a log scale must be positive.
        case float(low: Double, high: Double, log: Bool = false, step: Double? = nil)
        /// `IntDistribution(low, high, log)` with step 1.
        case int(low: Int, high: Int, log: Bool = false)
        /// `CategoricalDistribution` over this many choices; values are choice indices.
        case categorical(choices: Int)

        /// Optuna's `single()`: the domain holds one value, and the parameter can matter not at all.
        public var isSingle: Bool {
            switch self {
            case .float(let low, let high, _, let step): high == low || step.map { high - low < $0 } ?? false
            case .int(let low, let high, _): high == low
            case .categorical(let choices): choices <= 1
            }
        }
    }

    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var domain: Domain
        public init(name: String, domain: Domain) {
            self.name = name
            self.domain = domain
        }
    }

    /// One finished trial: the value of each parameter it sets (a number, or a choice
    /// index for a categorical domain) and its objective.
    public struct Trial: Sendable {
        public var values: [String: Double]
        public var objective: Double
        public init(values: [String: Double], objective: Double) {
            self.values = values
            self.objective = objective
        }
    }

    /// The importance of each parameter whose domain holds more than one value,
    /// normalised to sum to 1, most important first (ties by name): empty when there is
    /// no such parameter, else nil with fewer than `minimumTrials` trials of finite objective.
    public static func evaluate(_ parameters: [Parameter], trials: [Trial], maximize: Bool) -> [(name: String, importance: Double)]? {
        guard let raw = rawImportances(parameters, trials: trials, maximize: maximize) else { return nil }
        let total = raw.reduce(0) { $0 + $1.importance }
        let normalised = raw.map { ($0.name, total == 0 ? 1 / Double(raw.count) : $0.importance / total) }
        return normalised.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.map { (name: $0.0, importance: $0.1) }
    }

    /// The importances before normalisation (Optuna's `normalize=False`), in `parameters` order.
    static func rawImportances(_ parameters: [Parameter], trials: [Trial], maximize: Bool) -> [(name: String, importance: Double)]? {
        let parameters = parameters.filter { !$0.domain.isSingle }
        guard !parameters.isEmpty else { return [] }
        // γ = 1 (Optuna's default region_quantile): the region is every trial
        let region = trials.filter { $0.objective.isFinite }
        guard region.count >= minimumTrials else { return nil }
        let isTop = topQuantile(region.map { maximize ? -$0.objective : $0.objective }, targetQuantile)
        let topCount = isTop.count { $0 }
        let quantile = Double(topCount) / Double(region.count)
        return parameters.map { parameter in
            // The regime that sets the parameter; the one that does not contributes nothing.
            let active = region.indices.filter { region[$0].values[parameter.name] != nil }
            let activeTop = active.filter { isTop[$0] }
            guard active.count >= minimumTrialsInRegime, !activeTop.isEmpty else { return (parameter.name, 0) }
            let alpha = Double(activeTop.count) / Double(topCount)
            let beta = Double(active.count) / Double(region.count)
            let divergence = pearsonDivergence(parameter,
                                               top: activeTop.map { region[$0].values[parameter.name]! },
                                               region: active.map { region[$0].values[parameter.name]! })
            return (parameter.name, alpha * alpha / beta * divergence * (quantile * quantile))
        }
    }

    /// Which losses are among the best `quantile` of them: those at most the
    /// ⌈quantile·n⌉-th smallest (⌈quantile·n⌉ in floating point, as Optuna's
    /// `_QuantileFilter` takes it: numpy's "inverted CDF" quantile), ties included.
    static func topQuantile(_ losses: [Double], _ quantile: Double) -> [Bool] {
        let cutoffIndex = Int((quantile * Double(losses.count)).rounded(.up)) - 1
        let cutoff = losses.sorted()[cutoffIndex]
        return losses.map { $0 <= cutoff }
    }

    /// ∑ₓ p_region(x) (p_top(x) / p_region(x) − 1)² over the parameter's grid.
    static func pearsonDivergence(_ parameter: Parameter, top: [Double], region: [Double]) -> Double {
        let grid = Grid(parameter.domain)
        let pTop = grid.density(of: top), pRegion = grid.density(of: region)
        var sum = 0.0
        for (t, r) in zip(pTop, pRegion) {
            let (t, r) = (t + densityFloor, r + densityFloor)
            sum += r * (t / r - 1) * (t / r - 1)
        }
        return sum
    }

    /// The points a domain's values are counted on: for numbers, `gridSteps` points
    /// (fewer for small integer or stepped domains) spread evenly over [low, high] or,
    /// on a log scale, over [log low, log high]; for a categorical, its choices
    /// (Optuna's `_count_numerical_param_in_grid`, `_count_categorical_param_in_grid`).
    struct Grid {
        let domain: Domain
        let size: Int

        init(_ domain: Domain) {
            self.domain = domain
            switch domain {
            case .float(let low, let high, _, let step?):
                // Python's round() rounds halves to even
                size = min(Int(((high - low) / step).rounded(.toNearestOrEven)) + 1, gridSteps)
            case .float:
                size = gridSteps
            case .int(let low, let high, true):
                size = min(Int((log(Double(high - low + 1)) / log(2)).rounded(.up)) + 1, gridSteps)
            case .int(let low, let high, false):
                size = min(high - low + 1, gridSteps)
            case .categorical(let choices):
                size = choices
            }
        }

        /// The grid point a value is counted at: the nearest, a tie going to the lower one.
        func point(_ value: Double) -> Int {
            let (low, high, log): (Double, Double, Bool)
            switch domain {
            case .float(let a, let b, let l, _): (low, high, log) = (a, b, l)
            case .int(let a, let b, let l): (low, high, log) = (Double(a), Double(b), l)
            case .categorical: return Int(value)
            }
            let x = log ? Foundation.log(value) : value
            let (a, b) = log ? (Foundation.log(low), Foundation.log(high)) : (low, high)
            let position = ((x - a) / ((b - a) / Double(size - 1)) - 0.5).rounded(.up)
            // clipped before the conversion: log 0 (a quantized value) is −∞
            return Int(min(max(position, 0), Double(size - 1)))
        }

        /// The density, at each grid point, of the Parzen estimator fitted to the values
        /// counted on the grid (`build_parzen_estimator_on_grid`).
        func density(of values: [Double]) -> [Double] {
            var counts = [Int](repeating: 0, count: size)
            for v in values { counts[point(v)] += 1 }
            let categorical = if case .categorical = domain { true } else { false }
            let estimator = Self.estimator(counts: counts, categorical: categorical)
            return (0..<size).map { exp(estimator.logPDF(Double($0))) }
        }

        /// Optuna's `ScottParzenEstimator` over grid indices 0..<counts.count: one kernel
        /// per occupied grid point, weighted by its count, and a prior kernel of weight
        /// `priorWeight`.
        ///
        /// Numerical: normal kernels discretised and truncated to the grid, all of one
        /// width by Scott's rule, 1.059 · min(IQR / 1.34, σ) · n^(−1/5) (D. W. Scott,
        /// "Multivariate Density Estimation", 1992) but at least 0.5 / 1.64 grid steps;
        /// the prior is centred with a width of the whole grid. Categorical: each kernel
        /// puts 1 on its choice and priorWeight / kernels on every choice, normalised;
        /// the prior is uniform.
        static func estimator(counts: [Int], categorical: Bool) -> ParzenEstimator {
            let occupied = counts.indices.filter { counts[$0] > 0 }
            let n = occupied.map { counts[$0] }.reduce(0, +)
            var weights = occupied.map { Double(counts[$0]) } + [priorWeight]
            let weightSum = weights.reduce(0, +)
            weights = weights.map { $0 / weightSum }
            if categorical {
                let kernels = Double(occupied.count + 1)
                var rows = [[Double]](repeating: Array(repeating: priorWeight / kernels, count: counts.count), count: occupied.count + 1)
                for (k, choice) in occupied.enumerated() { rows[k][choice] += 1 }
                rows = rows.map { row in
                    let sum = row.reduce(0, +)
                    return row.map { $0 / sum }
                }
                return ParzenEstimator(weights: weights, kernels: .categorical(rows: rows))
            }
            let points = occupied.map(Double.init), w = occupied.map { Double(counts[$0]) }
            let mean = zip(points, w).reduce(0) { $0 + $1.0 * $1.1 } / Double(n)
            let variance = zip(points, w).reduce(0) { $0 + ($1.0 - mean) * ($1.0 - mean) * $1.1 } / Double(max(1, n - 1))
            // quartiles of the weighted points: the first point whose running count reaches n/4, passes 3n/4
            var running = 0
            let cumulative = occupied.map { running += counts[$0]; return running }
            let q1 = cumulative.firstIndex { $0 >= n / 4 } ?? occupied.count - 1
            let q3 = cumulative.firstIndex { $0 > n * 3 / 4 } ?? occupied.count - 1
            let iqr = points[q3] - points[q1]
            let scott = 1.059 * min(iqr / 1.34, variance.squareRoot()) * pow(Double(n), -0.2)
            let sigma = max(scott, 0.5 / 1.64)
            let high = Double(counts.count - 1)
            return ParzenEstimator(weights: weights,
                                   kernels: .numeric(mus: points + [high / 2],
                                                     sigmas: Array(repeating: sigma, count: points.count) + [high + 1],
                                                     low: 0, high: high, step: 1))
        }
    }
}
