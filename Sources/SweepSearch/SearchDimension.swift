import Foundation
import SweepConfig
import SweepSpec

/// How TPE sees one spec parameter.
///
/// A continuous distribution is searched on its own quantile scale u ∈ [0, 1]: the
/// value is the distribution's quantile at u (for the normal family, at Φ⁻¹(u)).
/// For uniform and log-uniform distributions u is an affine image of the
/// (log-)value, the coordinate Optuna's estimator works in, and that estimator is
/// unchanged by affine maps (widths, clip, prior all scale with the range), so the
/// search is Optuna's; for the normal family it is TPE whose prior is the spec's
/// distribution. Quantized (q_) values are rounded after the search, as Hyperopt does.
enum SearchDimension {
    /// A constant, or a range of one point: never searched.
    case fixed(String)
    /// `values`: indices into the choices (a zero-probability value is never proposed).
    case categorical(values: [String], canonical: [JSON])
    /// `int_uniform`: Optuna's IntDistribution(min, max, step 1).
    case integer(min: Int, max: Int)
    /// Every other distribution, on its quantile scale.
    case quantile(ParameterDomain)

    init(_ parameter: SpecParameter) {
        switch parameter.domain {
        case .constant(let value):
            self = .fixed(value)
        case .categorical(let values, let probabilities):
            let kept = values.indices.filter { (probabilities?[$0] ?? 1) > 0 }.map { values[$0] }
            // The spec checked every value against the key already.
            let canonical = kept.map { try! TrainConfig(pairs: [(parameter.name, $0)]).canonical[parameter.name]! }
            self = kept.count == 1 ? .fixed(kept[0]) : .categorical(values: kept, canonical: canonical)
        case .intUniform(let min, let max):
            self = min == max ? .fixed(String(min)) : .integer(min: min, max: max)
        case .normal(_, let sigma), .qNormal(_, let sigma, _), .logNormal(_, let sigma), .qLogNormal(_, let sigma, _):
            self = sigma == 0 ? .fixed(parameter.domain.value(atNormal: 0)!) : .quantile(parameter.domain)
        default:
            let (a, b) = (parameter.domain.value(atUniform: 0)!, parameter.domain.value(atUniform: 1)!)
            self = a == b ? .fixed(a) : .quantile(parameter.domain)
        }
    }

    /// Where a configuration's value (from its canonical form) lies, or nil when it
    /// is not one this dimension can hold.
    func coordinate(of value: JSON) -> Double? {
        switch self {
        case .fixed:
            return nil
        case .categorical(_, let canonical):
            return canonical.firstIndex(of: value).map(Double.init)
        case .integer(let min, let max):
            guard case .int(let i) = value, (min...max).contains(i) else { return nil }
            return Double(i)
        case .quantile(let domain):
            let x: Double
            switch value {
            case .int(let i): x = Double(i)
            case .double(let d): x = d
            default: return nil
            }
            let u = domain.quantileCoordinate(of: x)
            return u.isNaN ? nil : Swift.min(Swift.max(u, 0), 1)
        }
    }

    /// The value text at a coordinate.
    func value(at coordinate: Double) -> String {
        switch self {
        case .fixed(let value): return value
        case .categorical(let values, _): return values[Int(coordinate)]
        case .integer: return String(Int(coordinate.rounded()))
        case .quantile(let domain):
            if let value = domain.value(atUniform: coordinate) { return value }
            let u = Swift.min(Swift.max(coordinate, 1e-300), 1 - 1e-16)
            return domain.value(atNormal: Gaussian.inverseLogCDF(log(u)))!
        }
    }

    /// The estimator for these observations (`flat`: equal weights, see ParzenEstimator).
    func estimator(_ observations: [Double], _ options: ParzenOptions, flat: Bool = false) -> ParzenEstimator? {
        switch self {
        case .fixed: return nil
        case .categorical(let values, _):
            return ParzenEstimator(categorical: observations.map { Int($0) }, choices: values.count, options: options, flat: flat)
        case .integer(let min, let max):
            return ParzenEstimator(numeric: observations, low: Double(min), high: Double(max), step: 1, options: options, flat: flat)
        case .quantile:
            return ParzenEstimator(numeric: observations, low: 0, high: 1, step: nil, options: options, flat: flat)
        }
    }
}

extension ParameterDomain {
    /// The inverse of `value(atUniform:)` (and of `value(atNormal:)` through Φ).
    func quantileCoordinate(of x: Double) -> Double {
        func unlerp(_ t: Double, _ a: Double, _ b: Double) -> Double { (t - a) / (b - a) }
        switch self {
        case .uniform(let a, let b), .qUniform(let a, let b, _): return unlerp(x, a, b)
        case .logUniform(let a, let b), .qLogUniform(let a, let b, _): return unlerp(log(x), a, b)
        case .logUniformValues(let a, let b), .qLogUniformValues(let a, let b, _): return unlerp(log(x), log(a), log(b))
        case .invLogUniform(let a, let b): return unlerp(-log(x), a, b)
        case .invLogUniformValues(let a, let b): return unlerp(-log(x), -log(b), -log(a))
        case .normal(let mu, let sigma), .qNormal(let mu, let sigma, _): return Gaussian.cdf((x - mu) / sigma)
        case .logNormal(let mu, let sigma), .qLogNormal(let mu, let sigma, _): return Gaussian.cdf((log(x) - mu) / sigma)
        case .constant, .categorical, .intUniform: return .nan
        }
    }
}
