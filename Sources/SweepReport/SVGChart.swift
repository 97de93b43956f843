import Foundation

/// Inline SVG charts, written by hand: the report must open with no network,
/// and the charts are simple enough (lines, bands, dots, axes, a legend) that a
/// plotting library would add more to learn than it saves. Every chart carries
/// `data-` attributes (kind, metric, series count) that tests and scripts read.
public enum SVGChart {
    /// Okabe–Ito's colour-blind-safe palette (its yellow darkened to read on white), then Tableau's; lines past the palette also get dashes.
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#B8860B", "#000000",
                          "#8C564B", "#7F7F7F", "#BCBD22", "#17BECF"]
    static let dashes = ["", "6 3", "2 3", "8 3 2 3"]

    static let width = 560.0
    static let plotHeight = 250.0
    static let margin = (left: 62.0, right: 14.0, top: 30.0, bottom: 44.0)

    /// Lines with a mean ± std band where a series averages several runs.
    /// With `clipOutliers`, the y axis ends near the 98th percentile when a few
    /// points lie far above it (a diverging run's first steps), and lines are clipped to the plot.
    public static func lines(title: String, metric: String, xLabel: String, yLabel: String, series: [Series],
                             id: String, clipOutliers: Bool = false) -> String {
        let legendRows = (series.count + 1) / 2
        let height = margin.top + plotHeight + margin.bottom + Double(legendRows) * 16 + 6
        let all = series.flatMap(\.points)
        let xs = all.map(\.x)
        let ys = all.flatMap { p in p.n > 1 ? [p.mean - p.std, p.mean + p.std] : [p.mean] }.filter(\.isFinite)
        var yMax = ys.max() ?? 1
        var title = title
        if clipOutliers, !ys.isEmpty {
            let sorted = ys.sorted(), lo = sorted[0]
            let p98 = sorted[Int((Double(sorted.count - 1) * 0.98).rounded(.down))]
            if yMax - lo > 3 * (p98 - lo) { yMax = p98 + 0.2 * (p98 - lo); title += " (axis clipped at \(formatNumber(yMax)))" }
        }
        let integral = !xs.isEmpty && xs.allSatisfy { $0 == $0.rounded() }
        let xScale = Scale(min: xs.min() ?? 0, max: xs.max() ?? 1, from: margin.left, to: width - margin.right, pad: false,
                           integral: integral)
        let yScale = Scale(min: ys.min() ?? 0, max: yMax, from: margin.top + plotHeight, to: margin.top, pad: true)
        var svg = open(kind: "line", metric: metric, series: series.count, height: height, title: title, id: id)
        svg += axes(x: xScale, y: yScale, xLabel: xLabel, yLabel: yLabel, height: height)
        svg += "<clipPath id=\"\(escape(id))-clip\"><rect x=\"\(f(margin.left))\" y=\"\(f(margin.top))\" width=\"\(f(width - margin.left - margin.right))\" height=\"\(f(plotHeight))\"/></clipPath>"
        svg += "<g clip-path=\"url(#\(escape(id))-clip)\">"
        for (k, s) in series.enumerated() {
            let colour = palette[k % palette.count], dash = dashes[(k / palette.count) % dashes.count]
            svg += "<g class=\"series\" data-label=\"\(escape(s.label))\" data-points=\"\(s.points.count)\" data-runs=\"\(s.runs)\">"
            svg += "<title>\(escape(s.label)) (\(s.runs) run\(s.runs == 1 ? "" : "s"))</title>"
            let banded = s.points.filter { $0.n > 1 }
            if banded.count >= 2 {
                let upper = banded.map { "\(f(xScale($0.x))),\(f(yScale($0.mean + $0.std)))" }
                let lower = banded.reversed().map { "\(f(xScale($0.x))),\(f(yScale($0.mean - $0.std)))" }
                svg += "<polygon class=\"band\" points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(colour)\" fill-opacity=\"0.15\" stroke=\"none\"/>"
            }
            let pts = s.points.filter { $0.mean.isFinite }.map { "\(f(xScale($0.x))),\(f(yScale($0.mean)))" }
            svg += "<polyline class=\"line\" points=\"\(pts.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.8\""
            svg += dash.isEmpty ? "/>" : " stroke-dasharray=\"\(dash)\"/>"
            if s.points.count <= 30 {
                for p in s.points where p.mean.isFinite {
                    svg += "<circle cx=\"\(f(xScale(p.x)))\" cy=\"\(f(yScale(p.mean)))\" r=\"2.4\" fill=\"\(colour)\"/>"
                }
            }
            svg += "</g>"
        }
        svg += "</g>"
        svg += legend(series.map(\.label), y: margin.top + plotHeight + margin.bottom + 2)
        return svg + "</svg>"
    }

    /// A parameter against a metric, one dot per task: numeric parameters on a
    /// linear or (spanning 10× or more, all positive) log axis, others by category.
    public static func scatter(title: String, metric: String, parameter: String, points: [(x: ParamValue, y: Double, label: String)],
                               id: String) -> String {
        let height = margin.top + plotHeight + margin.bottom
        let finite = points.filter { $0.y.isFinite }
        let ys = finite.map(\.y)
        let yScale = Scale(min: ys.min() ?? 0, max: ys.max() ?? 1, from: margin.top + plotHeight, to: margin.top, pad: true)
        let numbers = finite.compactMap { $0.x.number }
        var svg = open(kind: "scatter", metric: metric, series: 1, height: height, title: title, id: id)
        var position: (ParamValue) -> Double
        var xAxis: String
        if numbers.count == finite.count, let lo = numbers.min(), let hi = numbers.max() {
            let log = lo > 0 && hi / lo >= 10
            let xScale = Scale(min: log ? Foundation.log10(lo) : lo, max: log ? Foundation.log10(hi) : hi,
                               from: margin.left + 12, to: width - margin.right - 12, pad: false, log: log)
            position = { xScale(log ? Foundation.log10($0.number!) : $0.number!) }
            xAxis = axes(x: xScale, y: yScale, xLabel: parameter + (log ? " (log scale)" : ""), yLabel: metric, height: height)
        } else {
            var categories: [String] = []
            for p in finite where !categories.contains(p.x.text) { categories.append(p.x.text) }
            let step = (width - margin.left - margin.right) / Double(max(categories.count, 1))
            position = { v in margin.left + step * (Double(categories.firstIndex(of: v.text) ?? 0) + 0.5) }
            xAxis = axes(x: nil, y: yScale, xLabel: parameter, yLabel: metric, height: height)
            for (k, c) in categories.enumerated() {
                xAxis += "<text class=\"tick\" x=\"\(f(margin.left + step * (Double(k) + 0.5)))\" y=\"\(f(margin.top + plotHeight + 16))\" text-anchor=\"middle\">\(escape(c))</text>"
            }
        }
        svg += xAxis
        svg += "<g class=\"series\" data-label=\"\(escape(parameter))\" data-points=\"\(finite.count)\">"
        for (k, p) in finite.enumerated() {
            // a small deterministic jitter keeps seeds of one setting apart
            let jitter = Double((k * 7919) % 11 - 5) * 0.9
            svg += "<circle class=\"point\" cx=\"\(f(position(p.x) + jitter))\" cy=\"\(f(yScale(p.y)))\" r=\"3.2\" fill=\"\(palette[0])\" fill-opacity=\"0.7\"><title>\(escape(p.label))</title></circle>"
        }
        return svg + "</g></svg>"
    }

    /// A metric against another, one dot per task, as Optuna's `plot_pareto_front`: the
    /// tasks of the Pareto front (`front` 1) in colour, joined by the step line that bounds
    /// what they dominate, the others faded. Each axis is linear, or log when its values
    /// are all positive and span 10× or more. Points must be finite.
    public static func pareto(title: String, x: (name: String, maximize: Bool), y: (name: String, maximize: Bool),
                              points: [(x: Double, y: Double, front: Int, label: String)], id: String) -> String {
        let height = margin.top + plotHeight + margin.bottom + 22
        func axis(_ values: [Double], from: Double, to: Double) -> (scale: Scale, at: (Double) -> Double, log: Bool) {
            let (lo, hi) = (values.min() ?? 0, values.max() ?? 1)
            let log = lo > 0 && hi / lo >= 10
            let t: (Double) -> Double = { log ? Foundation.log10($0) : $0 }
            let scale = Scale(min: t(lo), max: t(hi), from: from, to: to, pad: true, log: log)
            return (scale, { scale(t($0)) }, log)
        }
        let xAxis = axis(points.map(\.x), from: margin.left, to: width - margin.right)
        let yAxis = axis(points.map(\.y), from: margin.top + plotHeight, to: margin.top)
        let front = points.filter { $0.front == 1 }.sorted { ($0.x, $0.y) < ($1.x, $1.y) }
        let dominated = points.filter { $0.front != 1 }
        var svg = open(kind: "pareto", metric: y.name, series: 2, height: height, title: title, id: id)
        func goal(_ a: (name: String, maximize: Bool), _ log: Bool) -> String {
            a.name + (a.maximize ? " (higher is better" : " (lower is better") + (log ? ", log scale)" : ")")
        }
        svg += axes(x: xAxis.scale, y: yAxis.scale, xLabel: goal(x, xAxis.log), yLabel: goal(y, yAxis.log), height: height - 22)
        svg += "<g class=\"series dominated\" data-label=\"dominated\" data-points=\"\(dominated.count)\">"
        for p in dominated {
            svg += "<circle class=\"point\" cx=\"\(f(xAxis.at(p.x)))\" cy=\"\(f(yAxis.at(p.y)))\" r=\"2.8\" fill=\"#8a939e\" fill-opacity=\"0.35\" data-front=\"\(p.front)\"><title>\(escape(p.label))</title></circle>"
        }
        svg += "</g>"
        // between two neighbours of the front, the corner takes each metric's worse value
        // of the two: the line bounds the region the front dominates
        func worse(_ a: Double, _ b: Double, maximize: Bool) -> Double { maximize ? Swift.min(a, b) : Swift.max(a, b) }
        var line: [(Double, Double)] = []
        for (k, p) in front.enumerated() {
            if k > 0 {
                let q = front[k - 1]
                line.append((worse(q.x, p.x, maximize: x.maximize), worse(q.y, p.y, maximize: y.maximize)))
            }
            line.append((p.x, p.y))
        }
        let colour = palette[3]
        svg += "<g class=\"series front\" data-label=\"Pareto front\" data-points=\"\(front.count)\">"
        svg += "<polyline class=\"line\" points=\"\(line.map { "\(f(xAxis.at($0.0))),\(f(yAxis.at($0.1)))" }.joined(separator: " "))\" "
        svg += "fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.6\"/>"
        for p in front {
            svg += "<circle class=\"point\" cx=\"\(f(xAxis.at(p.x)))\" cy=\"\(f(yAxis.at(p.y)))\" r=\"4\" fill=\"\(colour)\" data-front=\"1\"><title>\(escape(p.label))</title></circle>"
        }
        svg += "</g>"
        let ly = height - 12
        svg += "<g class=\"legend\">"
        svg += "<circle cx=\"\(f(margin.left + 6))\" cy=\"\(f(ly - 4))\" r=\"4\" fill=\"\(colour)\"/>"
        svg += "<text x=\"\(f(margin.left + 16))\" y=\"\(f(ly))\">Pareto front (\(front.count))</text>"
        svg += "<circle cx=\"\(f(margin.left + 186))\" cy=\"\(f(ly - 4))\" r=\"2.8\" fill=\"#8a939e\" fill-opacity=\"0.5\"/>"
        svg += "<text x=\"\(f(margin.left + 196))\" y=\"\(f(ly))\">dominated (\(dominated.count))</text>"
        return svg + "</g></svg>"
    }

    /// Parallel coordinates: one vertical axis per parameter and a last one for the metric,
    /// one line per task through its values, coloured by its metric (pale: worst, dark: best)
    /// and drawn worst first, so the best lie on top. A numeric axis runs from its smallest
    /// value (bottom) to its largest, on a log scale when all are positive and span 10× or
    /// more; a categorical one spaces its values evenly in the order they first appear.
    public static func parallelCoordinates(title: String, metric: String, maximize: Bool,
                                           axes: [(name: String, values: [ParamValue])], metricValues: [Double],
                                           labels: [String], id: String) -> String {
        let n = metricValues.count
        let chartWidth = Swift.max(width, 150 * Double(axes.count + 1) + 40)
        let top = margin.top + 16, bottom = margin.top + 16 + plotHeight, left = 60.0, right = chartWidth - 70
        let height = bottom + 40
        let step = (right - left) / Double(Swift.max(axes.count, 1))
        // each axis: a position on [0, 1] (bottom to top) per task, and its tick labels
        var positions: [[Double]] = []
        var ticks: [[(at: Double, text: String)]] = []
        // a numeric axis: its range from the finite values (a value that is not, a diverged
        // task's metric, sits at the bottom); log scale where allowed and the values span 10×
        func numeric(_ xs: [Double], allowLog: Bool) -> (positions: [Double], ticks: [(at: Double, text: String)]) {
            let valid = xs.filter(\.isFinite)
            let lo = valid.min() ?? 0, hi = valid.max() ?? 1
            let log = allowLog && lo > 0 && hi / lo >= 10
            let t: (Double) -> Double = { log ? Foundation.log10($0) : $0 }
            let span = t(hi) - t(lo)
            let at: (Double) -> Double = { $0.isFinite ? (span > 0 ? (t($0) - t(lo)) / span : 0.5) : 0 }
            return (xs.map(at), (lo == hi ? [lo] : [lo, hi]).map { (at($0), formatNumber($0) + (log && $0 == hi ? " (log)" : "")) })
        }
        for axis in axes {
            let numbers = axis.values.compactMap(\.number)
            if numbers.count == axis.values.count, !numbers.isEmpty {
                let (p, t) = numeric(numbers, allowLog: true)
                positions.append(p)
                ticks.append(t)
            } else {
                var categories: [String] = []
                for v in axis.values where !categories.contains(v.text) { categories.append(v.text) }
                let at: (String) -> Double = { c in
                    categories.count > 1 ? Double(categories.firstIndex(of: c) ?? 0) / Double(categories.count - 1) : 0.5
                }
                positions.append(axis.values.map { at($0.text) })
                ticks.append(categories.map { (at($0), $0) })
            }
        }
        // the metric's axis is linear: the lines' colours rank them, and its ticks must say what its positions mean
        let finite = metricValues.map { $0.isFinite ? $0 : .nan }
        let metricAxis = numeric(finite, allowLog: false)
        positions.append(metricAxis.positions)
        ticks.append(metricAxis.ticks)
        let names = axes.map(\.name) + [metric]
        var svg = "<svg class=\"chart\" id=\"\(escape(id))\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(chartWidth)) \(f(height))\" "
        svg += "style=\"max-width: \(f(chartWidth))px\" "
        svg += "role=\"img\" aria-labelledby=\"\(escape(id))-title\" data-kind=\"parallel\" data-metric=\"\(escape(metric))\" "
        svg += "data-series=\"\(n)\" data-axes=\"\(names.count)\">"
        svg += "<title id=\"\(escape(id))-title\">\(escape(title))</title>"
        svg += "<text class=\"chart-title\" x=\"\(f(left))\" y=\"18\">\(escape(title))</text>"
        // worst first, so that the best are drawn last, on top
        let order = (0..<n).sorted { a, b in
            let (x, y) = (finite[a], finite[b])
            if x.isFinite != y.isFinite { return !x.isFinite }
            return maximize ? x < y : x > y
        }
        svg += "<g class=\"series\" fill=\"none\" stroke-width=\"1.2\">"
        for (rank, k) in order.enumerated() {
            let goodness = n > 1 ? Double(rank) / Double(n - 1) : 1
            let points = positions.indices.map { a in "\(f(left + step * Double(a))),\(f(bottom - positions[a][k] * (bottom - top)))" }
            svg += "<polyline class=\"task\" points=\"\(points.joined(separator: " "))\" stroke=\"\(sequential(goodness))\" "
            svg += "stroke-opacity=\"\(f(0.35 + 0.6 * goodness))\"><title>\(escape(labels[k]))</title></polyline>"
        }
        svg += "</g><g class=\"axes\">"
        for (a, name) in names.enumerated() {
            let x = left + step * Double(a)
            svg += "<line class=\"axis\" x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(bottom))\" stroke=\"#6b7480\" stroke-width=\"1\"/>"
            svg += "<text class=\"axis-label\" x=\"\(f(x))\" y=\"\(f(top - 14))\" text-anchor=\"middle\">\(escape(name))</text>"
            for t in ticks[a].prefix(12) {
                svg += "<text class=\"tick\" x=\"\(f(x + 5))\" y=\"\(f(bottom - t.at * (bottom - top) + 4))\">\(escape(t.text))</text>"
            }
        }
        return svg + "</g></svg>"
    }

    /// A colour from pale (0) to dark (1): viridis' yellow, green, blue and purple, interpolated.
    static func sequential(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(253, 231, 37), (94, 201, 98), (33, 145, 140), (59, 82, 139), (68, 1, 84)]
        let x = Swift.min(Swift.max(t, 0), 1) * Double(stops.count - 1)
        let i = Swift.min(Int(x), stops.count - 2), u = x - Double(i)
        let (a, b) = (stops[i], stops[i + 1])
        func mix(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * u).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// Horizontal bars from 0, one row per label in the order given (parameter importances):
    /// the label on the left, the value at the bar's end.
    public static func bars(title: String, metric: String, xLabel: String, bars: [(label: String, value: Double)], id: String) -> String {
        let rowHeight = 22.0
        let left = Swift.min(220, Swift.max(margin.left, 14 + 6.5 * Double(bars.map(\.label.count).max() ?? 0)))
        let plotBottom = margin.top + rowHeight * Double(Swift.max(bars.count, 1))
        let height = plotBottom + margin.bottom
        // room on the right for the last bar's value
        let xScale = Scale(min: 0, max: bars.map(\.value).max() ?? 1, from: left, to: width - margin.right - 40, pad: false)
        var svg = open(kind: "bar", metric: metric, series: bars.count, height: height, title: title, id: id)
        svg += "<g class=\"axes\">"
        svg += "<rect class=\"plot\" x=\"\(f(left))\" y=\"\(f(margin.top))\" width=\"\(f(width - margin.right - left))\" height=\"\(f(plotBottom - margin.top))\"/>"
        svg += verticalGrid(xScale, bottom: plotBottom)
        svg += "<text class=\"axis-label\" x=\"\(f((left + width - margin.right) / 2))\" y=\"\(f(plotBottom + 34))\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        svg += "</g>"
        for (k, bar) in bars.enumerated() {
            let y = margin.top + rowHeight * Double(k)
            let end = xScale(Swift.max(bar.value, 0))
            svg += "<g class=\"bar\" data-label=\"\(escape(bar.label))\" data-value=\"\(bar.value)\"><title>\(escape(bar.label)): \(formatNumber(bar.value))</title>"
            svg += "<text class=\"tick\" x=\"\(f(left - 6))\" y=\"\(f(y + rowHeight / 2 + 4))\" text-anchor=\"end\">\(escape(bar.label))</text>"
            svg += "<rect x=\"\(f(left))\" y=\"\(f(y + 4))\" width=\"\(f(end - left))\" height=\"\(f(rowHeight - 8))\" fill=\"\(palette[0])\"/>"
            svg += "<text class=\"tick\" x=\"\(f(end + 4))\" y=\"\(f(y + rowHeight / 2 + 4))\">\(String(format: "%.3f", bar.value))</text></g>"
        }
        return svg + "</svg>"
    }

    // MARK: parts

    private static func open(kind: String, metric: String, series: Int, height: Double, title: String, id: String) -> String {
        "<svg class=\"chart\" id=\"\(escape(id))\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" " +
        "role=\"img\" aria-labelledby=\"\(escape(id))-title\" data-kind=\"\(kind)\" data-metric=\"\(escape(metric))\" data-series=\"\(series)\">" +
        "<title id=\"\(escape(id))-title\">\(escape(title))</title>" +
        "<text class=\"chart-title\" x=\"\(f(margin.left))\" y=\"18\">\(escape(title))</text>"
    }

    private static func axes(x: Scale?, y: Scale, xLabel: String, yLabel: String, height: Double) -> String {
        let bottom = margin.top + plotHeight
        var s = "<g class=\"axes\">"
        s += "<rect class=\"plot\" x=\"\(f(margin.left))\" y=\"\(f(margin.top))\" width=\"\(f(width - margin.left - margin.right))\" height=\"\(f(plotHeight))\"/>"
        for t in y.ticks() {
            let py = y(t)
            s += "<line class=\"grid\" x1=\"\(f(margin.left))\" x2=\"\(f(width - margin.right))\" y1=\"\(f(py))\" y2=\"\(f(py))\"/>"
            s += "<text class=\"tick\" x=\"\(f(margin.left - 6))\" y=\"\(f(py + 4))\" text-anchor=\"end\">\(y.label(t))</text>"
        }
        if let x { s += verticalGrid(x, bottom: bottom) }
        s += "<text class=\"axis-label\" x=\"\(f((margin.left + width - margin.right) / 2))\" y=\"\(f(bottom + 34))\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        s += "<text class=\"axis-label\" transform=\"translate(14 \(f(margin.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>"
        return s + "</g>"
    }

    /// A grid line at each of x's ticks, from the plot's top to `bottom`, labelled below it.
    private static func verticalGrid(_ x: Scale, bottom: Double) -> String {
        x.ticks().map { t in
            let px = x(t)
            return "<line class=\"grid\" x1=\"\(f(px))\" x2=\"\(f(px))\" y1=\"\(f(margin.top))\" y2=\"\(f(bottom))\"/>"
                + "<text class=\"tick\" x=\"\(f(px))\" y=\"\(f(bottom + 16))\" text-anchor=\"middle\">\(x.label(t))</text>"
        }.joined()
    }

    private static func legend(_ labels: [String], y: Double) -> String {
        var s = "<g class=\"legend\">"
        let column = (width - margin.left) / 2
        for (k, label) in labels.enumerated() {
            let x = margin.left + Double(k % 2) * column, ly = y + Double(k / 2) * 16 + 10
            let colour = palette[k % palette.count], dash = dashes[(k / palette.count) % dashes.count]
            s += "<line x1=\"\(f(x))\" x2=\"\(f(x + 22))\" y1=\"\(f(ly - 4))\" y2=\"\(f(ly - 4))\" stroke=\"\(colour)\" stroke-width=\"2.5\""
            s += dash.isEmpty ? "/>" : " stroke-dasharray=\"\(dash)\"/>"
            s += "<text x=\"\(f(x + 28))\" y=\"\(f(ly))\">\(escape(label))</text>"
        }
        return s + "</g>"
    }

    static func f(_ d: Double) -> String { String(format: "%.1f", d) }
}

/// A parameter's value on a scatter axis.
public struct ParamValue: Sendable {
    public var text: String
    public var number: Double?
    public init(text: String, number: Double?) {
        self.text = text
        self.number = number
    }
}

/// A linear map from data to pixels, with "nice" ticks (1, 2, 5 × 10^k).
struct Scale {
    var min: Double, max: Double
    let from: Double, to: Double
    var log = false
    /// Ticks only at whole numbers (epochs).
    var integral = false

    init(min: Double, max: Double, from: Double, to: Double, pad: Bool, log: Bool = false, integral: Bool = false) {
        var (lo, hi) = (min, max)
        if !(lo.isFinite && hi.isFinite) { (lo, hi) = (0, 1) }
        if hi - lo < 1e-12 { (lo, hi) = (lo - 0.5 * Swift.max(abs(lo), 1e-3), hi + 0.5 * Swift.max(abs(hi), 1e-3)) }
        if pad { let p = (hi - lo) * 0.05; (lo, hi) = (lo - p, hi + p) }
        self.min = lo
        self.max = hi
        self.from = from
        self.to = to
        self.log = log
        self.integral = integral
    }

    func callAsFunction(_ v: Double) -> Double { from + (v - min) / (max - min) * (to - from) }

    func ticks(_ count: Int = 5) -> [Double] {
        if log {
            return stride(from: min.rounded(.up), through: max.rounded(.down), by: 1).map { $0 }
        }
        let raw = (max - min) / Double(count)
        let magnitude = pow(10, (Foundation.log10(raw)).rounded(.down))
        var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        if integral { step = Swift.max(1, step.rounded(.up)) }
        var t = (min / step).rounded(.up) * step
        var out: [Double] = []
        while t <= max + step * 1e-9 { out.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return out
    }

    func label(_ t: Double) -> String { log ? formatNumber(pow(10, t)) : formatNumber(t) }
}

/// Text safe inside XML/HTML elements and attribute values.
public func escape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}
