import Foundation
import SweepInsights

/// The activation trace of one task (`ActivationTrace`) drawn: one line chart per statistic
/// with one line per layer over training, and each layer's histograms stacked by epoch as
/// TensorBoard's histogram view stacks them (the first epoch at the back, the last in front).
enum TraceCharts {
    /// Mean, std and share of zeros over training (x in epochs), one line per layer.
    static func statistics(_ trace: ActivationTrace, stepsPerEpoch: Int, id: String) -> [String] {
        let x = trace.steps.map { Double($0) / Double(max(stepsPerEpoch, 1)) }
        let charts: [(String, String, [[Double]])] = [("mean", "mean", trace.mean), ("std", "standard deviation", trace.std),
                                                     ("zeros", "share of zeros", trace.zeros)]
        return charts.map { key, title, table in
            let series = trace.layers.enumerated().map { k, layer in
                Series(label: "\(layer.name) (\(layer.kind))",
                       points: zip(x, table).map { CurvePoint(x: $0, mean: $1[k], std: 0, n: 1) }, runs: 1)
            }
            return SVGChart.lines(title: "Activation \(title) over training", metric: "activation_\(key)", xLabel: "epoch",
                                  yLabel: title, series: series, id: "\(id)-\(key)")
        }
    }

    static let ridgeWidth = 260.0, ridgeStep = 9.0, ridgeHeight = 34.0

    /// One layer's histograms, one ridge per epoch on a shared value axis: each ridge is
    /// its bins' counts as a share of the epoch's largest, filled, later epochs lower and darker.
    static func histograms(_ trace: ActivationTrace, layer k: Int, id: String) -> String {
        let epochs = trace.histograms.filter { k < $0.counts.count && !$0.counts[k].isEmpty }
        let lo = epochs.map { $0.lo[k] }.min() ?? 0, hi = epochs.map { $0.hi[k] }.max() ?? 1
        let span = hi > lo ? hi - lo : 1
        let left = 8.0, top = 22.0
        let height = top + ridgeHeight + Double(max(epochs.count - 1, 0)) * ridgeStep + 26
        let layer = trace.layers[k]
        var svg = "<svg class=\"chart ridges\" id=\"\(escape(id))\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(SVGChart.f(ridgeWidth + 2 * left)) \(SVGChart.f(height))\" "
        svg += "role=\"img\" data-kind=\"histograms\" data-layer=\"\(escape(layer.name))\" data-epochs=\"\(epochs.count)\">"
        svg += "<title>\(escape(layer.name)) (\(escape(layer.kind))): histograms by epoch</title>"
        svg += "<text class=\"chart-title\" x=\"\(SVGChart.f(left))\" y=\"14\">\(escape(layer.name)) <tspan class=\"kind\">\(escape(layer.kind))</tspan></text>"
        for (e, h) in epochs.enumerated() {
            let counts = h.counts[k], most = Double(counts.max() ?? 1)
            let base = top + ridgeHeight + Double(e) * ridgeStep
            let width = (h.hi[k] - h.lo[k]) / span * ridgeWidth, start = left + (h.lo[k] - lo) / span * ridgeWidth
            var points = ["\(SVGChart.f(start)),\(SVGChart.f(base))"]
            for (b, c) in counts.enumerated() {
                let x = start + (Double(b) + 0.5) / Double(counts.count) * width
                points.append("\(SVGChart.f(x)),\(SVGChart.f(base - Double(c) / max(most, 1) * ridgeHeight))")
            }
            points.append("\(SVGChart.f(start + width)),\(SVGChart.f(base))")
            let shade = epochs.count > 1 ? 0.25 + 0.6 * Double(e) / Double(epochs.count - 1) : 0.85
            svg += "<polygon class=\"ridge\" data-epoch=\"\(h.epoch)\" points=\"\(points.joined(separator: " "))\" "
            svg += "fill=\"#0072B2\" fill-opacity=\"\(String(format: "%.2f", shade))\" stroke=\"#fff\" stroke-width=\"0.8\"><title>epoch \(h.epoch)</title></polygon>"
        }
        let axis = height - 8
        svg += "<text class=\"tick\" x=\"\(SVGChart.f(left))\" y=\"\(SVGChart.f(axis))\">\(formatNumber(lo))</text>"
        svg += "<text class=\"tick\" x=\"\(SVGChart.f(left + ridgeWidth))\" y=\"\(SVGChart.f(axis))\" text-anchor=\"end\">\(formatNumber(hi))</text>"
        svg += "<text class=\"tick\" x=\"\(SVGChart.f(left + ridgeWidth / 2))\" y=\"\(SVGChart.f(axis))\" text-anchor=\"middle\">epochs 1–\(epochs.last?.epoch ?? 0), front: last</text>"
        return svg + "</svg>"
    }
}
