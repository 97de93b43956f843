import SweepStore

/// Small learning curves for the terminal (`sweep leaderboard --curves`): one
/// line per task with Unicode block sparklines of the ranking metric per epoch
/// and of the training loss every N steps. Every sparkline of a column shares
/// one vertical scale (for the loss, minimum to 95th percentile), so the lines compare with one another.
public enum TerminalCurves {
    static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// `values` resampled to at most `width` columns (means of equal slices), each a block from `lo` (▁) to `hi` (█).
    public static func sparkline(_ values: [Double], lo: Double, hi: Double, width: Int) -> String {
        let finite = values.filter(\.isFinite)
        guard !finite.isEmpty, width > 0 else { return "" }
        let columns = min(width, values.count)
        var out = ""
        for c in 0..<columns {
            let slice = values[(c * values.count / columns)..<max(c * values.count / columns + 1, (c + 1) * values.count / columns)]
                .filter(\.isFinite)
            guard !slice.isEmpty else { out.append(" "); continue }
            let v = slice.reduce(0, +) / Double(slice.count)
            let t = hi > lo ? (v - lo) / (hi - lo) : 0.5
            out.append(blocks[max(0, min(blocks.count - 1, Int((t * Double(blocks.count - 1)).rounded())))])
        }
        return out
    }

    public static func render(_ data: ReportData, top: Int, width: Int = 24) -> String {
        let metric = data.board.sortMetric
        let runs = data.runs.filter { $0.row.rank != nil }.prefix(top)
        guard !runs.isEmpty else { return "no finished task to draw\n" }
        let metricCurves = runs.map { $0.curve(metric).map(\.y) }
        let lossCurves = runs.map { r in r.stepCurve.map { $0.map(\.y) } ?? r.curve("train_loss").map(\.y) }
        // the top of the scale is the 95th percentile, so that one diverging spike does not flatten every other line
        func range(_ curves: [[Double]], top: Double) -> (Double, Double) {
            let all = curves.joined().filter(\.isFinite).sorted()
            guard let lo = all.first else { return (0, 1) }
            return (lo, all[Int((Double(all.count - 1) * top).rounded(.down))])
        }
        let (mlo, mhi) = range(metricCurves, top: 1), (llo, lhi) = range(lossCurves, top: 0.95)
        let labels = runs.map { r in
            let setting = data.board.varyingParams.map { "\($0)=\(CurveAggregation.text(r.row.param($0)))" }.joined(separator: " ")
            return "\(r.row.rank!). " + (setting.isEmpty ? r.taskID : setting)
        }
        let labelWidth = min(48, labels.map(\.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? String(s.prefix(n)) : s + String(repeating: " ", count: n - s.count) }
        var out = "\(pad("", labelWidth))  \(pad("\(metric) per epoch [\(formatNumber(mlo))…\(formatNumber(mhi))]", width + 10))  train loss [\(formatNumber(llo))…\(formatNumber(lhi))]\n"
        for (k, r) in runs.enumerated() {
            let last = r.row.value.map(formatNumber) ?? "–"
            out += "\(pad(labels[k], labelWidth))  \(pad(sparkline(metricCurves[k], lo: mlo, hi: mhi, width: width), width)) \(pad(last, 9))  "
            out += sparkline(lossCurves[k], lo: llo, hi: lhi, width: width) + "\n"
        }
        return out
    }
}
