import SweepConfig
import SweepStore

/// One point of an aggregated curve: the mean over the runs that reached `x`,
/// their sample standard deviation (0 for one run) and how many there were.
public struct CurvePoint: Sendable, Equatable {
    public var x: Double
    public var mean: Double
    public var std: Double
    public var n: Int

    public init(x: Double, mean: Double, std: Double, n: Int) {
        self.x = x
        self.mean = mean
        self.std = std
        self.n = n
    }
}

/// One line of a chart: a setting (or one value of a parameter), averaged over its runs.
public struct Series: Sendable, Equatable {
    public var label: String
    public var points: [CurvePoint]
    /// Runs averaged into this line (seeds, or every setting sharing the value).
    public var runs: Int

    public init(label: String, points: [CurvePoint], runs: Int) {
        self.label = label
        self.points = points
        self.runs = runs
    }
}

/// A run's curve: x (epoch, or fraction of epochs) → value.
public typealias RunCurve = [(x: Double, y: Double)]

public enum CurveAggregation {
    /// Mean and sample std of the finite values at each x, over the runs that have one.
    public static func aggregate(_ runs: [RunCurve]) -> [CurvePoint] {
        var byX: [Double: [Double]] = [:]
        for run in runs {
            for p in run where p.y.isFinite { byX[p.x, default: []].append(p.y) }
        }
        return byX.keys.sorted().map { x in
            let (mean, std) = meanAndStd(byX[x]!)
            return CurvePoint(x: x, mean: mean, std: std, n: byX[x]!.count)
        }
    }

    /// Mean and sample standard deviation (n − 1; 0 for a single value), as the grouped leaderboard gives them.
    public static func meanAndStd(_ values: [Double]) -> (mean: Double, std: Double) {
        values.isEmpty ? (.nan, .nan) : Leaderboard.meanAndSampleStd(values)
    }

    /// Groups runs by the values of `keys` (in order of first appearance) and
    /// aggregates each group into one series labelled "k=v, k=v".
    public static func series<Run>(_ runs: [Run], keys: [String], value: (Run, String) -> JSON,
                                   curve: (Run) -> RunCurve?) -> [Series] {
        var order: [String] = []
        var groups: [String: [RunCurve]] = [:]
        for run in runs {
            guard let c = curve(run), !c.isEmpty else { continue }
            let label = keys.isEmpty ? "all runs" : keys.map { "\($0)=\(text(value(run, $0)))" }.joined(separator: ", ")
            if groups[label] == nil { order.append(label) }
            groups[label, default: []].append(c)
        }
        return order.map { Series(label: $0, points: aggregate(groups[$0]!), runs: groups[$0]!.count) }
    }

    /// Splits the varying parameters into facets (one chart each) and lines, so that
    /// no chart holds more than `maxLines` lines: the parameters with the fewest
    /// values become facets first.
    public static func facets(_ params: [String], distinctValues: [String: Int], maxLines: Int) -> (facets: [String], lines: [String]) {
        var lines = params
        var facets: [String] = []
        func count(_ names: [String]) -> Int { names.reduce(1) { $0 * max(1, distinctValues[$1] ?? 1) } }
        while count(lines) > maxLines, lines.count > 1 {
            let pick = lines.min { (distinctValues[$0] ?? 1, lines.firstIndex(of: $0)!) < (distinctValues[$1] ?? 1, lines.firstIndex(of: $1)!) }!
            lines.removeAll { $0 == pick }
            facets.append(pick)
        }
        return (params.filter(facets.contains), lines)
    }

    /// A parameter value as people read it: 0.001, lstm, true.
    public static func text(_ value: JSON) -> String {
        switch value {
        case .null: "-"
        case .string(let s): s
        case .double(let d): formatNumber(d)
        default: value.encoded
        }
    }
}

/// Short text for a number: 4 significant digits, no trailing zeros.
func formatNumber(_ d: Double) -> String {
    guard d.isFinite else { return "–" }
    if d == d.rounded(), abs(d) < 1e6 { return String(Int(d)) }
    let a = abs(d)
    if a >= 1e-3 && a < 1e6 {
        var s = String(format: "%.4g", d)
        if s.contains(".") && !s.contains("e") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }
    return String(format: "%.3g", d)
}
