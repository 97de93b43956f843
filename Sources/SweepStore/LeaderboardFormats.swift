import Foundation
import SweepConfig

/// The four output formats of `sweep leaderboard` (docs/commands.md § Output formats).
extension Leaderboard {
    /// The leaderboard as text in `format`, limited to the best `top` rows (or groups).
    public func render(_ format: Format, top: Int? = nil) -> String {
        switch format {
        case .json: json(top: top)
        case .csv: csv(top: top)
        case .markdown: TextTable(columns: columns(top: top)).markdown()
        case .table: title(top: top) + "\n" + TextTable(columns: columns(top: top)).aligned()
        }
    }

    private func shown<T>(_ items: [T], top: Int?) -> ArraySlice<T> { items.prefix(top ?? items.count) }

    // MARK: json

    /// One object per line inside a JSON array, keys in the order of docs/commands.md § Output formats.
    public func json(top: Int? = nil) -> String {
        let objects: [JSON] = groupBy.isEmpty ? shown(rows, top: top).map(jsonObject) : shown(groups, top: top).map(jsonObject)
        guard !objects.isEmpty else { return "[]\n" }
        return "[\n" + objects.map(\.encoded).joined(separator: ",\n") + "\n]\n"
    }

    /// A task: `front` after `rank` when ranked by Pareto front.
    private func jsonObject(_ row: Row) -> JSON {
        var fields: [(String, JSON)] = [("rank", row.rank.map(JSON.int) ?? .null)]
        if pareto != nil { fields.append(("front", row.front.map(JSON.int) ?? .null)) }
        fields += [
            ("task_id", .string(row.task.taskID)),
            ("status", .string(row.task.status.rawValue)),
            // The stored canonical text as it stands, when it parsed.
            ("params", row.params.isEmpty ? .object([]) : .raw(row.task.params)),
            ("metrics", .object(row.metrics)),
            ("attempts", .int(row.task.attempts)),
            ("worker", row.task.worker.map(JSON.string) ?? .null),
            ("wall_seconds", row.task.wallSeconds.map(JSON.double) ?? .null),
        ]
        return .object(fields)
    }

    private func jsonObject(_ group: Group) -> JSON {
        .object([
            ("rank", group.rank.map(JSON.int) ?? .null),
            ("group", .object(group.values)),
            ("n", .int(group.n)),
            ("mean", .object(group.mean.map { ($0.0, .double($0.1)) })),
            ("std", .object(group.std.map { ($0.0, .double($0.1)) })),
        ])
    }

    // MARK: csv

    /// RFC 4180: one header row; fields holding a comma, quote or line break
    /// are quoted, quotes doubled. Numbers keep full precision, null is empty.
    public func csv(top: Int? = nil) -> String {
        var lines: [[String]]
        if groupBy.isEmpty {
            let front = pareto == nil ? [] : ["front"]
            lines = [["rank"] + front + ["task_id", "status"] + paramNames + metricNames]
            for row in shown(rows, top: top) {
                var fields: [String] = [row.rank.map(String.init) ?? ""]
                if pareto != nil { fields.append(row.front.map(String.init) ?? "") }
                fields += [row.task.taskID, row.task.status.rawValue]
                fields += paramNames.map { Self.csvValue(row.param($0)) }
                fields += metricNames.map { Self.csvValue(row.metric($0) ?? .null) }
                lines.append(fields)
            }
        } else {
            let stats = groupMetricNames
            lines = [["rank"] + groupBy + ["n"] + stats.flatMap { [$0 + "_mean", $0 + "_std"] }]
            for group in shown(groups, top: top) {
                var fields: [String] = [group.rank.map(String.init) ?? ""]
                fields += group.values.map { Self.csvValue($0.1) }
                fields.append(String(group.n))
                for m in stats {
                    fields.append(group.mean(m).map { JSON.double($0).encoded } ?? "")
                    fields.append(group.std(m).map { JSON.double($0).encoded } ?? "")
                }
                lines.append(fields)
            }
        }
        return lines.map { $0.map(Self.csvField).joined(separator: ",") + "\n" }.joined()
    }

    static func csvValue(_ value: JSON) -> String {
        switch value {
        case .null: ""
        case .string(let s): s
        default: value.encoded
        }
    }

    public static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The metrics that have a mean in some group, in first-seen order.
    private var groupMetricNames: [String] {
        metricNames.filter { name in groups.contains { $0.mean(name) != nil } }
    }

    // MARK: table and markdown

    private func title(top: Int?) -> String {
        var s = "\(sweep.name): \(finishedCount) of \(taskCount) tasks finished; "
        s += groupBy.isEmpty ? "best first" : "groups by \(groupBy.joined(separator: ", ")), best mean first"
        if let pareto, groupBy.isEmpty {
            let goals = pareto.objectives.map { "\($0.name) (\($0.maximize ? "higher" : "lower") is better)" }
            s += " by Pareto front over \(goals.joined(separator: ", ")), then by \(sortMetric)"
        } else {
            s += " by \(sortMetric) (\(maximize ? "higher" : "lower") is better)"
        }
        let total = groupBy.isEmpty ? taskCount : groups.count
        if let top, top < total { s += "; top \(top) of \(total) shown" }
        return s
    }

    /// The metrics worth a column for people: the sort and sweep metrics, the
    /// usual accuracies and losses, the epoch when tasks stopped at different
    /// epochs, and the training time; each only if some task has a value.
    private var displayMetrics: [String] {
        var names = [sortMetric, sweep.metric] + (pareto?.objectives.map(\.name) ?? [])
            + ["val_accuracy", "test_accuracy", "test_loss", "train_loss"]
        if Set(rows.compactMap { $0.metric("epoch")?.encoded }).count > 1 { names.append("epoch") }
        names.append("wall_seconds")
        return OrderedNames(names).names.filter { name in rows.contains { $0.metric(name).flatMap(Self.number) != nil } }
    }

    private func columns(top: Int?) -> [TextTable.Column] {
        let metrics = displayMetrics
        if groupBy.isEmpty {
            let shown = shown(rows, top: top)
            return [.init("rank", right: true, shown.map { $0.rank.map(String.init) ?? "-" })]
                + (pareto == nil ? [] : [.init("front", right: true, shown.map { $0.front.map(String.init) ?? "-" })]) + [
                .init("task", right: false, shown.map(\.task.taskID)),
                .init("status", right: false, shown.map(\.task.status.rawValue)),
            ] + varyingParams.map { name in
                .init(name, right: shown.allSatisfy { Self.number($0.param(name)) != nil }, shown.map { Self.text(param: $0.param(name)) })
            } + metrics.map { name in
                .init(name, right: true, shown.map { row in row.metric(name).map { Self.text(metric: name, $0) } ?? "-" })
            }
        }
        let shown = shown(groups, top: top)
        return [.init("rank", right: true, shown.map { $0.rank.map(String.init) ?? "-" })]
            + groupBy.enumerated().map { i, name in
                .init(name, right: shown.allSatisfy { Self.number($0.values[i].1) != nil }, shown.map { Self.text(param: $0.values[i].1) })
            }
            + [.init("n", right: true, shown.map { String($0.n) })]
            + metrics.map { name in
                .init(name, right: true, shown.map { g in
                    guard let mean = g.mean(name), let std = g.std(name) else { return "-" }
                    return Self.text(metric: name, .double(mean)) + " ± " + Self.text(metric: name, .double(std))
                })
            }
    }

    /// A metric for people: accuracies and losses with 4 decimals, throughput
    /// whole, seconds with one decimal, counts as integers, other fractions
    /// (means of epochs) with 4 significant digits.
    public static func text(metric name: String, _ value: JSON) -> String {
        guard let x = number(value) else { return value == .null ? "-" : csvValue(value) }
        if name.contains("accuracy") || name.contains("loss") { return String(format: "%.4f", x) }
        if name == "samples_per_second" { return String(format: "%.0f", x) }
        if name.hasSuffix("seconds") { return String(format: "%.1f", x) }
        if case .int(let i) = value { return String(i) }
        if x == x.rounded(), abs(x) < 1e15 { return String(format: "%.0f", x) }
        return String(format: abs(x) >= 100 ? "%.1f" : "%.4g", x)
    }

    /// A parameter for people: 4 significant digits for fractions (learning rates).
    public static func text(param value: JSON) -> String {
        switch value {
        case .null: "-"
        case .double(let d) where d.isFinite: String(format: "%.4g", d)
        default: csvValue(value)
        }
    }
}

/// Columns of text laid out for a terminal or as a GitHub table.
public struct TextTable {
    public struct Column {
        let header: String
        let right: Bool
        let cells: [String]

        public init(_ header: String, right: Bool, _ cells: [String]) {
            self.header = header
            self.right = right
            self.cells = cells
        }
    }

    let columns: [Column]

    public init(columns: [Column]) { self.columns = columns }

    private var rowCount: Int { columns.first?.cells.count ?? 0 }

    /// Aligned columns two spaces apart: numbers to the right, text to the left.
    public func aligned() -> String {
        let widths = columns.map { c in c.cells.reduce(c.header.count) { max($0, $1.count) } }
        func line(_ cells: [String]) -> String {
            zip(zip(columns, widths), cells).map { cw, cell in
                let pad = String(repeating: " ", count: cw.1 - cell.count)
                return cw.0.right ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
        }
        var out = line(columns.map(\.header))
        for r in 0..<rowCount { out += line(columns.map { $0.cells[r] }) }
        return out
    }

    public func markdown() -> String {
        func line(_ cells: [String]) -> String {
            "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n"
        }
        var out = line(columns.map(\.header))
        out += "|" + columns.map { $0.right ? " ---: |" : " --- |" }.joined() + "\n"
        for r in 0..<rowCount { out += line(columns.map { $0.cells[r] }) }
        return out
    }
}
