import SweepRandom
import Foundation
import SweepConfig

/// One entry of `parameters:`: a training key (docs/keys.md), the values it takes,
/// and the conditions (`when:`) under which it is set at all.
public struct SpecParameter: Sendable, Equatable {
    /// The training key, e.g. `learning_rate`.
    public var name: String
    public var domain: ParameterDomain
    /// `when:` — the parameter is set only on tasks whose configuration matches
    /// every condition; elsewhere the key keeps its default.
    public var conditions: [Condition]
    /// Line of the parameter's key in the spec.
    public var line: Int

    public var isConditional: Bool { !conditions.isEmpty }

    /// Whether the parameter is set on a task with this canonical configuration.
    public func isActive(in config: JSON) -> Bool { conditions.allSatisfy { $0.matches(config) } }

    /// The values a grid takes, in order (nil for distributions without a finite set).
    public var gridValues: [String]? { domain.gridValues }

    /// Whether population-based training explores this parameter: a distribution over
    /// real numbers (not `value`, `values` or `int_uniform`, and more than one point) on a
    /// key that takes real numbers. Integer keys stay as they are (`hidden` or `layers`
    /// would change the network's shape, and so the weights a member copies), and so does
    /// `validation_fraction`, which would split the data anew in the middle of a run.
    public var isExplorable: Bool {
        guard name != "validation_fraction", let key = ConfigKeys.byName[name], !key.expects.hasPrefix("an integer") else {
            return false
        }
        switch domain {
        case .constant, .categorical, .intUniform: return false
        case .normal(_, let sigma), .qNormal(_, let sigma, _), .logNormal(_, let sigma), .qLogNormal(_, let sigma, _): return sigma > 0
        default: return domain.value(atUniform: 0) != domain.value(atUniform: 1)
        }
    }
}

/// `when: {optimizer: [momentum, nesterov]}`: the task's `optimizer` must be one of these.
public struct Condition: Sendable, Equatable {
    public var key: String
    /// The accepted values, as written in the spec.
    public var values: [String]
    /// The accepted values as they appear in a canonical configuration, so that
    /// `0.1` matches `1e-1`.
    let canonical: [JSON]

    func matches(_ config: JSON) -> Bool {
        guard let value = config[key] else { return false }
        return canonical.contains(value)
    }
}

/// Where a parameter's values come from: W&B's `value`, `values` and every
/// `distribution` it documents. Values are the strings `TrainConfig` parses.
public enum ParameterDomain: Sendable, Equatable {
    case constant(String)
    /// `values`, with optional `probabilities` (random and bayes only).
    case categorical([String], probabilities: [Double]?)
    case intUniform(min: Int, max: Int)
    case uniform(min: Double, max: Double)
    case qUniform(min: Double, max: Double, q: Double)
    /// min and max are natural-log exponents: values lie in [e^min, e^max].
    case logUniform(min: Double, max: Double)
    case logUniformValues(min: Double, max: Double)
    case qLogUniform(min: Double, max: Double, q: Double)
    case qLogUniformValues(min: Double, max: Double, q: Double)
    /// log(1/X) uniform in [min, max]: values lie in [e^-max, e^-min].
    case invLogUniform(min: Double, max: Double)
    /// log(1/X) uniform in [log(1/max), log(1/min)]: values lie in [min, max].
    case invLogUniformValues(min: Double, max: Double)
    case normal(mu: Double, sigma: Double)
    case qNormal(mu: Double, sigma: Double, q: Double)
    case logNormal(mu: Double, sigma: Double)
    case qLogNormal(mu: Double, sigma: Double, q: Double)

    /// The W&B name of the distribution.
    public var distributionName: String {
        switch self {
        case .constant: "constant"
        case .categorical: "categorical"
        case .intUniform: "int_uniform"
        case .uniform: "uniform"
        case .qUniform: "q_uniform"
        case .logUniform: "log_uniform"
        case .logUniformValues: "log_uniform_values"
        case .qLogUniform: "q_log_uniform"
        case .qLogUniformValues: "q_log_uniform_values"
        case .invLogUniform: "inv_log_uniform"
        case .invLogUniformValues: "inv_log_uniform_values"
        case .normal: "normal"
        case .qNormal: "q_normal"
        case .logNormal: "log_normal"
        case .qLogNormal: "q_log_normal"
        }
    }

    /// The distributions `distribution:` may name (docs/spec.md § Distributions), in W&B's order.
    public static let distributionNames = [
        "constant", "categorical", "int_uniform", "uniform", "q_uniform", "log_uniform",
        "log_uniform_values", "q_log_uniform", "q_log_uniform_values", "inv_log_uniform",
        "inv_log_uniform_values", "normal", "q_normal", "log_normal", "q_log_normal",
    ]

    /// Whether every value is a whole number (integer keys accept only these).
    var isIntegral: Bool {
        switch self {
        case .constant, .categorical, .intUniform: true
        case .qUniform(_, _, let q), .qLogUniform(_, _, let q), .qLogUniformValues(_, _, let q),
             .qNormal(_, _, let q), .qLogNormal(_, _, let q): q == q.rounded()
        default: false
        }
    }

    /// A grid takes what W&B's grid search takes: `value`, `values`, `int_uniform`
    /// (min…max) and `q_uniform` (min, min+q, … below max, like numpy's arange).
    public var gridValues: [String]? {
        guard let count = gridCount else { return nil }
        return (0..<count).map(gridValue)
    }

    /// How many values a grid takes, without building them.
    var gridCount: Int? {
        switch self {
        case .constant: return 1
        case .categorical(let values, let probabilities): return probabilities == nil ? values.count : nil
        case .intUniform(let min, let max):
            let (span, overflow) = max.subtractingReportingOverflow(min)
            return overflow || span == Int.max ? Int.max : span + 1
        case .qUniform(let min, let max, let q):
            let steps = ((max - min) / q).rounded(.up)   // may pass Int.max (min: 0, max: 1e300)
            return steps < Double(Int.max) ? Swift.max(1, Int(steps)) : Int.max
        default: return nil
        }
    }

    /// The i-th grid value (i < gridCount).
    func gridValue(_ i: Int) -> String {
        switch self {
        case .constant(let v): return v
        case .categorical(let values, _): return values[i]
        case .intUniform(let min, _): return String(min + i)
        case .qUniform(let min, _, let q):
            let x = min + Double(i) * q
            if min == min.rounded(), q == q.rounded(), abs(x) < 9e15 { return String(Int(x.rounded())) }
            return Self.render(x, digits: Swift.max(Self.decimals(of: min), Self.decimals(of: q)))
        default: preconditionFailure("no grid values for \(distributionName)")
        }
    }

    /// One draw, rendered as the text `TrainConfig` parses.
    func sample(_ rng: inout SplitMix64) -> String {
        switch self {
        case .constant(let v): return v
        case .categorical(let values, nil): return values[Int(rng.below(UInt64(values.count)))]
        case .categorical(let values, let probabilities?):
            var u = rng.uniform()
            for (value, p) in zip(values, probabilities) {
                if u < p { return value }
                u -= p
            }
            return values[probabilities.lastIndex { $0 > 0 } ?? values.count - 1]
        case .intUniform(let min, let max):
            let span = UInt64(bitPattern: Int64(max &- min)) &+ 1   // 0: the whole Int range
            return String(min &+ Int(truncatingIfNeeded: span == 0 ? rng.next() : rng.below(span)))
        case .normal, .qNormal, .logNormal, .qLogNormal:
            return value(atNormal: rng.normal())!
        default:
            return value(atUniform: rng.uniform())!
        }
    }

    /// A bounded continuous distribution's value for a uniform draw u in [0, 1)
    /// (its quantile function), as W&B defines each.
    public func value(atUniform u: Double) -> String? {
        func lerp(_ a: Double, _ b: Double) -> Double { a + (b - a) * u }
        switch self {
        case .uniform(let min, let max): return Self.render(lerp(min, max))
        case .qUniform(let min, let max, let q): return Self.render(quantized: lerp(min, max), q: q)
        case .logUniform(let min, let max): return Self.render(exp(lerp(min, max)))
        case .logUniformValues(let min, let max): return Self.render(exp(lerp(log(min), log(max))))
        case .qLogUniform(let min, let max, let q): return Self.render(quantized: exp(lerp(min, max)), q: q)
        case .qLogUniformValues(let min, let max, let q): return Self.render(quantized: exp(lerp(log(min), log(max))), q: q)
        case .invLogUniform(let min, let max): return Self.render(exp(-lerp(min, max)))
        case .invLogUniformValues(let min, let max): return Self.render(exp(-lerp(-log(max), -log(min))))
        default: return nil
        }
    }

    /// A normal-family distribution's value for a standard normal draw z.
    public func value(atNormal z: Double) -> String? {
        switch self {
        case .normal(let mu, let sigma): return Self.render(mu + sigma * z)
        case .qNormal(let mu, let sigma, let q): return Self.render(quantized: mu + sigma * z, q: q)
        case .logNormal(let mu, let sigma): return Self.render(exp(mu + sigma * z))
        case .qLogNormal(let mu, let sigma, let q): return Self.render(quantized: exp(mu + sigma * z), q: q)
        default: return nil
        }
    }

    /// The smallest and largest value a bounded numeric distribution takes (rounded to q
    /// for the q_ ones); nil for `value`, `values` and the normal family.
    public var bounds: ClosedRange<Double>? {
        switch self {
        case .constant, .categorical, .normal, .qNormal, .logNormal, .qLogNormal: return nil
        case .intUniform(let min, let max): return Double(min)...Double(max)
        case .uniform(let a, let b), .logUniformValues(let a, let b), .invLogUniformValues(let a, let b): return a...b
        case .logUniform(let a, let b): return exp(a)...exp(b)
        case .invLogUniform(let a, let b): return exp(-b)...exp(-a)
        case .qUniform(let a, let b, let q), .qLogUniformValues(let a, let b, let q): return Self.quantized(a, q)...Self.quantized(b, q)
        case .qLogUniform(let a, let b, let q): return Self.quantized(exp(a), q)...Self.quantized(exp(b), q)
        }
    }

    /// x rounded to a multiple of q, as the draws are (`render(quantized:q:)`).
    private static func quantized(_ x: Double, _ q: Double) -> Double { Double(render(quantized: x, q: q))! }

    /// The step of a q_ distribution.
    public var q: Double? {
        switch self {
        case .qUniform(_, _, let q), .qLogUniform(_, _, let q), .qLogUniformValues(_, _, let q), .qNormal(_, _, let q),
             .qLogNormal(_, _, let q): q
        default: nil
        }
    }

    /// The value this distribution can take nearest to x: x held within `bounds`, rounded
    /// to a multiple of q, as text. Population-based training's perturbations land here.
    public func value(near x: Double) -> String {
        var y = x
        if let bounds { y = Swift.min(Swift.max(y, bounds.lowerBound), bounds.upperBound) }
        // The bounds of a q_ distribution are multiples of q: rounding stays within them.
        return q.map { Self.render(quantized: y, q: $0) } ?? Self.render(y)
    }

    /// Why `text` (valid for training key `key`) is not a value this distribution takes,
    /// or nil when it is: one of the values, an integer or a number within the range (on
    /// the grid of q), and for the normal family anything the key accepts (log-normal: > 0).
    public func rejects(_ text: String, key: String) -> String? {
        func canonical(_ value: String) -> JSON? { (try? TrainConfig(pairs: [(key, value)]))?.canonical[key] }
        switch self {
        case .constant(let v):
            return canonical(text) == canonical(v) ? nil : "expected \(v), the parameter's only value"
        case .categorical(let values, _):
            let given = canonical(text)
            return values.contains { canonical($0) == given } ? nil
                : "expected one of the parameter's values (\(values.joined(separator: ", ")))"
        default:
            break
        }
        guard let x = Double(text), x.isFinite else { return "expected a number for distribution \(distributionName)" }
        if let q {
            let steps = x / q
            guard abs(steps - steps.rounded()) <= 1e-9 * Swift.max(1, abs(steps)) else {
                return "expected a multiple of q = \(Self.render(q)) (distribution \(distributionName))"
            }
        }
        if let bounds {
            let slack = 1e-12 * Swift.max(abs(bounds.lowerBound), abs(bounds.upperBound))
            guard x >= bounds.lowerBound - slack, x <= bounds.upperBound + slack else {
                let ends = "[\(Self.render(bounds.lowerBound)), \(Self.render(bounds.upperBound))]"
                return "\(text) is outside the parameter's range \(ends) (distribution \(distributionName))"
            }
        }
        switch self {
        case .logNormal, .qLogNormal: return x > 0 ? nil : "expected a number > 0 (distribution \(distributionName))"
        default: return nil
        }
    }

    /// Values to check against the training key before anything runs, with the spec
    /// field each stands for: a range's ends (exactly for integers; else its 1st and
    /// 99th percentiles, so `uniform` from 0 passes for a key that must be > 0), or a
    /// normal's centre.
    var probes: [(field: String, value: String)] {
        switch self {
        case .constant, .categorical: return []
        case .intUniform(let min, let max): return [("min", String(min)), ("max", String(max))]
        case .normal, .qNormal, .logNormal, .qLogNormal: return [("mu", value(atNormal: 0)!)]
        case .invLogUniformValues: return [("max", value(atUniform: 0.01)!), ("min", value(atUniform: 0.99)!)]
        default: return [("min", value(atUniform: 0.01)!), ("max", value(atUniform: 0.99)!)]
        }
    }

    /// Swift's shortest round-tripping text: 1.0e-4 → "0.0001", 3 → "3.0".
    static func render(_ x: Double) -> String { "\(x)" }

    /// round(x/q)·q without binary noise: 0.1·3 → "0.3", not "0.30000000000000004";
    /// an integer q gives integers ("8", not "8.0"), as W&B returns ints then.
    static func render(quantized raw: Double, q: Double) -> String {
        let x = (raw / q).rounded() * q
        if q == q.rounded(), abs(x) < 9e15 { return String(Int(x.rounded())) }
        return render(x, digits: decimals(of: q))
    }

    /// x rounded to `digits` decimals, in shortest form.
    static func render(_ x: Double, digits: Int) -> String {
        guard digits <= 17, x.isFinite, let clean = Double(String(format: "%.\(digits)f", x)) else { return render(x) }
        return render(clean == 0 ? 0 : clean)
    }

    /// Digits after the decimal point in q's shortest decimal form (0.05 → 2, 1e-05 → 5).
    static func decimals(of q: Double) -> Int {
        let text = render(q)
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            let mantissa = text[..<e]
            let exponent = Int(text[text.index(after: e)...]) ?? 0
            let fraction = mantissa.firstIndex(of: ".").map { mantissa.distance(from: $0, to: mantissa.endIndex) - 1 } ?? 0
            return Swift.max(0, fraction - exponent)
        }
        guard let dot = text.firstIndex(of: ".") else { return 0 }
        let fraction = text[text.index(after: dot)...]
        return fraction == "0" ? 0 : fraction.count
    }
}
