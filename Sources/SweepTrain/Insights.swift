import CKernels
import SweepConfig
import SweepEngine
import SweepInsights

/// Sums that merge batch by batch into `ValueStatistics` (population std).
public struct StatisticsAccumulator: Sendable {
    /// The range of the nonlinearity whose saturation is counted, or nil.
    public let bounds: ClosedRange<Double>?
    public private(set) var sum = 0.0
    public private(set) var sumOfSquares = 0.0
    public private(set) var zeros = 0
    public private(set) var saturated = 0
    public private(set) var count = 0

    /// `bounds`: the range of the nonlinearity whose outputs are added (`bounds(of:)`), to
    /// count the values within `ValueStatistics.saturationMargin` of either end.
    public init(bounds: ClosedRange<Double>? = nil) {
        self.bounds = bounds
    }

    /// The range of sigmoid (0…1) and tanh (−1…1); nil for the unbounded ones.
    public static func bounds(of kind: ActivationKind) -> ClosedRange<Double>? {
        switch kind {
        case .sigmoid: 0...1
        case .tanh: -1...1
        case .relu: nil
        }
    }

    public mutating func add(_ values: UnsafePointer<Float>, count n: Int) {
        // partial sums per batch in Double: 25 M values of a conv layer stay exact enough
        var s = 0.0, s2 = 0.0, z = 0
        sweep_moments_f32(values, n, &s, &s2, &z)
        sum += s
        sumOfSquares += s2
        zeros += z
        count += n
        guard let bounds else { return }
        let low = bounds.lowerBound + ValueStatistics.saturationMargin, high = bounds.upperBound - ValueStatistics.saturationMargin
        var saturatedHere = 0
        for i in 0..<n {
            let v = Double(values[i])
            if v <= low || v >= high { saturatedHere += 1 }
        }
        saturated += saturatedHere
    }

    public mutating func add(_ values: [Float]) {
        values.withUnsafeBufferPointer { if let base = $0.baseAddress { add(base, count: $0.count) } }
    }

    public var statistics: ValueStatistics {
        guard count > 0 else {
            return ValueStatistics(mean: .nan, std: .nan, zeroFraction: .nan, count: 0, saturation: bounds.map { _ in .nan })
        }
        let n = Double(count)
        let mean = sum / n
        let variance = max(0, sumOfSquares / n - mean * mean)
        return ValueStatistics(mean: mean, std: variance.squareRoot(), zeroFraction: Double(zeros) / n, count: count,
                               saturation: bounds.map { _ in Double(saturated) / n })
    }
}

/// Kinds of a model's nodes, as `sweep describe` and the activation table name them;
/// their names are the graph's.
public enum LayerNames {
    public static func kind(_ node: Model.Node) -> String {
        switch node.operation {
        case .layer(let l): kind(l)
        case .merge(let m): m is Add ? "add" : m is Concat ? "concat" : "\(type(of: m))".lowercased()
        }
    }

    static func kind(_ layer: Layer) -> String {
        switch layer {
        case let a as Activation: a.kind.rawValue
        case let r as Recurrent: r.cell.rawValue
        case is Conv2D: "conv2d"
        case is Dense: "dense"
        case is BatchNorm: "batchnorm"
        case is MaxPool2D: "maxpool"
        case let p as Pool2D: p.kind == .max ? "maxpool" : "avgpool"
        case is GlobalAvgPool: "globalavgpool"
        case is Dropout: "dropout"
        case is Flatten: "flatten"
        default: "\(type(of: layer))".lowercased()
        }
    }

    /// Layers whose output merely reshapes or (in eval) copies their input.
    static func isIdentityInEval(_ layer: Layer) -> Bool {
        layer is Dropout || layer is Flatten || layer is ImageRows
    }

    static func isNonlinearity(_ layer: Layer) -> Bool { layer is Activation || layer is Recurrent }

    /// A cell's gates as `Recurrent.forEachGateActivationRow` gives them, named as in PyTorch's
    /// documentation of nn.LSTM (i, f, g, o) and nn.GRU (r, z, n), each with its nonlinearity.
    /// The RNN has none: its only nonlinearity is h, the layer's output.
    static func gates(_ cell: CellKind) -> [(name: String, kind: ActivationKind)] {
        switch cell {
        case .rnn: []
        case .lstm: [("input_gate", .sigmoid), ("forget_gate", .sigmoid), ("cell_gate", .tanh), ("output_gate", .sigmoid)]
        case .gru: [("reset_gate", .sigmoid), ("update_gate", .sigmoid), ("new_gate", .tanh)]
        }
    }
}

/// Accumulates the statistics of every node's output, and of recurrent layers' gates,
/// over the batches of an eval pass.
final class ActivationRecorder {
    let model: Model
    private var sums: [StatisticsAccumulator]
    /// Per node, one per gate (`LayerNames.gates`); empty but for LSTM and GRU layers.
    private var gateSums: [[StatisticsAccumulator]]

    init(model: Model) {
        self.model = model
        sums = Array(repeating: StatisticsAccumulator(), count: model.nodes.count)
        gateSums = model.nodes.map { node in
            guard case .layer(let r as Recurrent) = node.operation else { return [] }
            return LayerNames.gates(r.cell).map { StatisticsAccumulator(bounds: StatisticsAccumulator.bounds(of: $0.kind)) }
        }
    }

    /// The layer of a node, if it has one input.
    private func layer(_ i: Int) -> Layer? {
        if case .layer(let l) = model.nodes[i].operation { return l }
        return nil
    }

    /// Whether node i only reshapes or (in eval) copies its input.
    private func isIdentityInEval(_ i: Int) -> Bool { layer(i).map(LayerNames.isIdentityInEval) ?? false }

    /// The model's eval forward pass, recording each node's output.
    func forward(_ x: Tensor) -> Tensor {
        model.forward(x, mode: .eval) { [self] i, y in
            if !isIdentityInEval(i) { sums[i].add(y.data, count: y.count) }
            if let r = layer(i) as? Recurrent, !gateSums[i].isEmpty {
                r.forEachGateActivationRow { gate, values in gateSums[i][gate].add(values.baseAddress!, count: values.count) }
            }
        }
    }

    /// The nodes whose outputs are recorded (all but those that only reshape or, in eval, copy
    /// their input), each with its stage.
    static func recordedNodes(_ model: Model) -> [(node: Int, stage: LayerActivations.Stage)] {
        let nodes = model.nodes
        func layer(_ i: Int) -> Layer? {
            if case .layer(let l) = nodes[i].operation { return l }
            return nil
        }
        let identity = { (i: Int) in layer(i).map(LayerNames.isIdentityInEval) ?? false }
        let isNonlinearity = { (i: Int) in layer(i).map(LayerNames.isNonlinearity) ?? false }
        return nodes.indices.filter { !identity($0) }.map { i in
            // the next node that does more than copy decides whether this one feeds a nonlinearity
            let next = nodes.indices[(i + 1)...].first { !identity($0) }
            let stage: LayerActivations.Stage =
                isNonlinearity(i) ? .afterNonlinearity
                : next.map(isNonlinearity) == true ? .beforeNonlinearity : .other
            return (i, stage)
        }
    }

    var activations: [LayerActivations] {
        let nodes = model.nodes
        return Self.recordedNodes(model).flatMap { i, stage -> [LayerActivations] in
            let node = nodes[i]
            let output = LayerActivations(layer: node.name, kind: LayerNames.kind(node), shape: node.outputShape,
                                          stage: stage, statistics: sums[i].statistics)
            guard let r = layer(i) as? Recurrent else { return [output] }
            // then its gates, (T, H) values a sample
            return [output] + zip(LayerNames.gates(r.cell), gateSums[i]).map { gate, sum in
                LayerActivations(layer: node.name + "." + gate.name, kind: gate.kind.rawValue, shape: [r.steps, r.hidden],
                                 stage: .afterNonlinearity, statistics: sum.statistics)
            }
        }
    }
}

extension Model {
    /// The first convolution's weights, for the filter grid of CNN runs.
    var firstConvolutionFilters: Filters? {
        guard let conv = layers.lazy.compactMap({ $0 as? Conv2D }).first else { return nil }
        let name = String(conv.weight.name.dropLast(".weight".count))
        return Filters(layer: name, shape: conv.weight.shape, values: params.values(of: conv.weight))
    }
}
