import Foundation
import SweepSearch

/// `method: pbt`'s lineage as `sweep report` draws it: one row per member over the epochs,
/// an arrow at each exploit from the member it copied (weights and optimizer state) to the
/// member that copied it, labelled with the values explore gave; and the table of every
/// decision. Drawn from the store's lineage entries (Store.lineage), in the order made.
enum LineageChart {
    /// The section's HTML: the chart and the table; empty when there is no entry.
    static func section(entries: [LineageEntry], members: [String], epochs: Int, metric: String) -> String {
        guard !entries.isEmpty else { return "" }
        var html = "<p class=\"note\">Population-based training: every interval, a member in the bottom quantile by \(escape(metric)) "
        html += "copied the weights and optimizer state of one in the top quantile (an arrow from the copied to the copier), "
        html += "then explored: its continuous parameters perturbed ×0.8 or ×1.2, or drawn anew. \(entries.count) exploit"
        html += entries.count == 1 ? "." : "s."
        html += "</p>\n<figure class=\"chart lineage\">" + svg(entries: entries, members: members, epochs: epochs) + "</figure>\n"
        html += "<div class=\"scroll\"><table class=\"lineage\"><thead><tr><th>#</th><th class=\"num\">epoch</th><th>member</th>"
        html += "<th>copied</th><th class=\"num\">\(escape(metric))</th><th class=\"num\">its source's</th><th>new values</th></tr></thead><tbody>\n"
        for (k, e) in entries.enumerated() {
            html += "<tr><td>\(k + 1)</td><td class=\"num\">\(e.epoch)</td><td><code>\(escape(e.memberID))</code></td>"
            html += "<td><code>\(escape(e.sourceID))</code></td><td class=\"num\">\(number(e.score))</td>"
            html += "<td class=\"num\">\(number(e.sourceScore))</td><td>\(escape(changes(e)))</td></tr>\n"
        }
        return html + "</tbody></table></div>"
    }

    /// "learning_rate 0.003 → 0.0036 (×1.2), momentum 0.9 → 0.41 (drawn anew)".
    static func changes(_ e: LineageEntry) -> String {
        e.changes.map { c in
            let how = c.how == .resample ? "drawn anew" : c.factor.map { "×" + formatNumber($0) } ?? "perturbed"
            return "\(c.key) \(formatNumber(c.copied)) → \(formatNumber(c.new)) (\(how))"
        }.joined(separator: ", ")
    }

    private static func number(_ d: Double) -> String { d.isFinite ? String(format: "%.4g", d) : "–" }

    /// Members as rows (in the order given), epochs 0…`epochs` across.
    static func svg(entries: [LineageEntry], members: [String], epochs: Int) -> String {
        var rows = members
        for e in entries { for id in [e.memberID, e.sourceID] where !rows.contains(id) { rows.append(id) } }
        let left = 140.0, right = 30.0, top = 30.0, rowHeight = 26.0, width = 760.0
        let height = top + Double(rows.count) * rowHeight + 30
        let span = Double(max(epochs, entries.map(\.epoch).max() ?? 1, 1))
        func x(_ epoch: Int) -> Double { left + (width - left - right) * Double(epoch) / span }
        func y(_ id: String) -> Double { top + (Double(rows.firstIndex(of: id) ?? 0) + 0.5) * rowHeight }
        var s = "<svg class=\"chart\" id=\"pbt-lineage\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
        s += "role=\"img\" aria-label=\"population-based training lineage\">\n"
        s += "<defs><marker id=\"pbt-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\">"
        s += "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#c0392b\"/></marker></defs>\n"
        s += "<text x=\"\(Int(left))\" y=\"18\" class=\"title\">lineage over epochs</text>\n"
        // epoch ticks
        let step = max(1, Int((span / 10).rounded(.up)))
        for epoch in stride(from: 0, through: Int(span), by: step) {
            let xe = x(epoch)
            s += "<line x1=\"\(f(xe))\" y1=\"\(f(top))\" x2=\"\(f(xe))\" y2=\"\(f(height - 28))\" stroke=\"#e5e5e5\"/>"
            s += "<text x=\"\(f(xe))\" y=\"\(f(height - 12))\" text-anchor=\"middle\" class=\"tick\">\(epoch)</text>\n"
        }
        for id in rows {
            let yy = y(id)
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(yy + 4))\" text-anchor=\"end\" class=\"tick\"><tspan font-family=\"monospace\">\(escape(String(id.prefix(12))))</tspan></text>"
            s += "<line x1=\"\(f(left))\" y1=\"\(f(yy))\" x2=\"\(f(x(Int(span))))\" y2=\"\(f(yy))\" stroke=\"#7f8c8d\" stroke-width=\"2\"/>\n"
        }
        var atEpoch: [Int: Int] = [:]   // exploits at one epoch side by side, not on one vertical
        for e in entries {
            let k = atEpoch[e.epoch, default: 0]
            atEpoch[e.epoch] = k + 1
            let (xe, from, to) = (x(e.epoch) + Double(k) * 7, y(e.sourceID), y(e.memberID))
            let label = "\(e.memberID) copied \(e.sourceID) at epoch \(e.epoch): \(changes(e))"
            s += "<g class=\"exploit\"><title>\(escape(label))</title>"
            s += "<circle cx=\"\(f(xe))\" cy=\"\(f(from))\" r=\"3\" fill=\"#c0392b\"/>"
            s += "<line x1=\"\(f(xe))\" y1=\"\(f(from))\" x2=\"\(f(xe))\" y2=\"\(f(to + (to > from ? -4 : 4)))\" stroke=\"#c0392b\" stroke-width=\"1.5\" marker-end=\"url(#pbt-arrow)\"/>"
            s += "</g>\n"
        }
        return s + "</svg>"
    }

    private static func f(_ v: Double) -> String { String(format: "%.1f", v) }
}
