import SweepConfig
import SweepInsights

/// The activation statistics of many tasks side by side: for each setting (the
/// parameters that vary, seeds averaged), each nonlinearity's output mean, std
/// and share of zeros (of saturated values for a recurrent layer's gates). Tasks
/// are grouped by architecture (the sequence of layer kinds and shapes), since
/// "net.1" of an MLP and of LeNet5 are different layers.
public struct ActivationSummary: Sendable {
    public struct Cell: Sendable, Equatable {
        public var mean: Double
        public var std: Double
        public var zeros: Double
        /// Where the layer's statistics carry it (gates): the share of saturated values.
        public var saturation: Double?
        public init(mean: Double, std: Double, zeros: Double, saturation: Double? = nil) {
            self.mean = mean
            self.std = std
            self.zeros = zeros
            self.saturation = saturation
        }
    }

    public struct Row: Sendable {
        public var setting: String
        public var runs: Int
        /// One per column; nil where a run lacks the layer.
        public var cells: [Cell?]
    }

    /// Layers shown, as "net.1 relu 32×28×28"; `saturation`: the layer's third number is its
    /// saturation instead of its share of zeros.
    public var columns: [(layer: String, title: String, saturation: Bool)]
    public var rows: [Row]

    /// One summary per architecture, in order of the best task of each; rows in order of their best task.
    public static func make(_ runs: [ReportRun], settingParams: [String], maxRows: Int = 12) -> [ActivationSummary] {
        var order: [String] = []
        var byArchitecture: [String: [ReportRun]] = [:]
        for r in runs {
            guard let a = r.insights?.activations, !a.isEmpty else { continue }
            let key = a.map { "\($0.layer):\($0.kind):\($0.shape)" }.joined(separator: "|")
            if byArchitecture[key] == nil { order.append(key) }
            byArchitecture[key, default: []].append(r)
        }
        return order.map { key in
            let group = byArchitecture[key]!
            let layers = group[0].insights!.activations.filter { $0.stage == .afterNonlinearity }
            let columns = layers.map {
                ($0.layer, "\($0.layer) \($0.kind) \($0.shape.map(String.init).joined(separator: "×"))", $0.statistics.saturation != nil)
            }
            var settings: [String] = []
            var members: [String: [ReportRun]] = [:]
            for r in group {
                let label = settingParams.map { "\($0)=\(CurveAggregation.text(r.row.param($0)))" }.joined(separator: ", ")
                if members[label] == nil { settings.append(label) }
                members[label, default: []].append(r)
            }
            let rows = settings.prefix(maxRows).map { label in
                let runs = members[label]!
                let cells = columns.map { column -> Cell? in
                    let stats = runs.compactMap { $0.insights!.activations.first { $0.layer == column.0 }?.statistics }
                    guard !stats.isEmpty else { return nil }
                    func average(_ f: (ValueStatistics) -> Double) -> Double { stats.map(f).reduce(0, +) / Double(stats.count) }
                    let saturations = stats.compactMap(\.saturation)
                    return Cell(mean: average(\.mean), std: average(\.std), zeros: average(\.zeroFraction),
                                saturation: saturations.isEmpty ? nil : saturations.reduce(0, +) / Double(saturations.count))
                }
                return Row(setting: label.isEmpty ? "all runs" : label, runs: runs.count, cells: cells)
            }
            return ActivationSummary(columns: columns, rows: Array(rows))
        }
    }
}
