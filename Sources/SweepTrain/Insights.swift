import CKernels
import SweepConfig
import SweepEngine

/// Mean, standard deviation and fraction of exact zeros of a set of values and, for the
/// output of a bounded nonlinearity (a recurrent layer's gates), its saturation.
public struct ValueStatistics: Sendable, Equatable {
    public var mean: Double
    public var std: Double
    public var zeroFraction: Double
    public var count: Int
    /// The share of values within `StatisticsAccumulator.saturationMargin` of the function's
    /// bounds (0 or 1 for sigmoid, −1 or 1 for tanh); nil where none was measured.
    public var saturation: Double?

    public init(mean: Double, std: Double, zeroFraction: Double, count: Int, saturation: Double? = nil) {
        self.mean = mean
        self.std = std
        self.zeroFraction = zeroFraction
        self.count = count
        self.saturation = saturation
    }
}

/// Sums that merge batch by batch into `ValueStatistics` (population std).
public struct StatisticsAccumulator: Sendable {
    /// How close to a bound a saturated value is.
    public static let saturationMargin = 0.02

    /// The range of the nonlinearity whose saturation is counted, or nil.
    public let bounds: ClosedRange<Double>?
    public private(set) var sum = 0.0
    public private(set) var sumOfSquares = 0.0
    public private(set) var zeros = 0
    public private(set) var saturated = 0
    public private(set) var count = 0

    /// `bounds`: the range of the nonlinearity whose outputs are added (`bounds(of:)`), to
    /// count the values within `saturationMargin` of either end.
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
        let low = bounds.lowerBound + Self.saturationMargin, high = bounds.upperBound - Self.saturationMargin
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

/// The activations of one layer of a trained model on the test set.
public struct LayerActivations: Sendable, Equatable {
    public enum Stage: String, Sendable {
        /// The input of a nonlinearity (the output of the conv, dense or batchnorm before it).
        case beforeNonlinearity = "pre"
        /// The output of a nonlinearity (an activation layer, a recurrent layer's hidden state or gates).
        case afterNonlinearity = "post"
        /// Neither (pooling, the logits).
        case other = ""
    }

    /// "net.0" (the nn.Sequential index of mlp and lenet5), "rnn.l0", "bn", "fc"; a recurrent
    /// layer's gates add the gate's name: "rnn.l0.forget_gate".
    public var layer: String
    /// conv2d, dense, batchnorm, relu, tanh, sigmoid, maxpool, lstm, …
    public var kind: String
    /// Per-sample output shape.
    public var shape: [Int]
    public var stage: Stage
    public var statistics: ValueStatistics

    public init(layer: String, kind: String, shape: [Int], stage: Stage, statistics: ValueStatistics) {
        self.layer = layer
        self.kind = kind
        self.shape = shape
        self.stage = stage
        self.statistics = statistics
    }
}

/// The training loss every `every` steps: each point is the mean batch loss of
/// the `every` steps that end at `step` (1-based, counted across epochs).
public struct StepLosses: Sendable, Equatable {
    public var every: Int
    public var stepsPerEpoch: Int
    public var points: [(step: Int, loss: Double)]

    public init(every: Int, stepsPerEpoch: Int, points: [(step: Int, loss: Double)] = []) {
        self.every = every
        self.stepsPerEpoch = stepsPerEpoch
        self.points = points
    }

    /// About `perEpoch` points per epoch, whatever the batch size.
    public static func interval(stepsPerEpoch: Int, perEpoch: Int = 50) -> Int {
        max(1, (stepsPerEpoch + perEpoch - 1) / perEpoch)
    }

    /// Points at most: a long run's curve must fit in its result message (Wire.maxMessageSize).
    public static let maxPoints = 2000

    /// Adds the mean loss of the `every` steps ending at `step`. At `maxPoints` (an even
    /// count) neighbours merge into the means of twice as many steps and `every` doubles,
    /// so the points stay evenly spaced and the next window starts on the new grid.
    public mutating func append(_ loss: Double, at step: Int) {
        points.append((step, loss))
        guard points.count >= Self.maxPoints else { return }
        points = stride(from: 1, to: points.count, by: 2).map { (points[$0].step, (points[$0 - 1].loss + points[$0].loss) / 2) }
        every *= 2
    }

    public static func == (a: StepLosses, b: StepLosses) -> Bool {
        a.every == b.every && a.stepsPerEpoch == b.stepsPerEpoch && a.points.elementsEqual(b.points) { $0 == $1 }
    }
}

/// The first convolution's weights (OC, C, KH, KW) at the end of training.
public struct Filters: Sendable, Equatable {
    public var layer: String
    public var shape: [Int]
    public var values: [Float]

    public init(layer: String, shape: [Int], values: [Float]) {
        self.layer = layer
        self.shape = shape
        self.values = values
    }
}

/// What a run records besides its metrics, for the report: the training loss
/// every N steps, the activation statistics of every layer on the test set and,
/// for CNNs, the first layer's filters.
public struct RunInsights: Sendable, Equatable {
    public var steps: StepLosses
    public var activations: [LayerActivations]
    public var filters: Filters?
    /// Every layer's activations over training (absent from older results).
    public var trace: ActivationTrace?

    public init(steps: StepLosses, activations: [LayerActivations] = [], filters: Filters? = nil,
                trace: ActivationTrace? = nil) {
        self.steps = steps
        self.activations = activations
        self.filters = filters
        self.trace = trace
    }

    /// `{"loss_every":N,"steps_per_epoch":S,"steps":[[step,loss],…],"activations":[…],"filters":{…}|null,
    /// "trace":{…}}` (`ActivationTrace.json`; absent when there is none);
    /// an activation is `{"layer","kind","shape","stage","mean","std","zeros","count"}` plus
    /// `"saturated"` where saturation was measured (older insights lack it).
    public var json: JSON {
        func num(_ d: Double) -> JSON { .double(d) }
        let steps = JSON.array(steps.points.map { .array([.int($0.step), num($0.loss)]) })
        let activations = JSON.array(activations.map { a in
            var fields: [(String, JSON)] = [
                ("layer", .string(a.layer)), ("kind", .string(a.kind)), ("shape", .array(a.shape.map(JSON.int))),
                ("stage", .string(a.stage.rawValue)), ("mean", num(a.statistics.mean)), ("std", num(a.statistics.std)),
                ("zeros", num(a.statistics.zeroFraction)), ("count", .int(a.statistics.count)),
            ]
            if let saturation = a.statistics.saturation { fields.append(("saturated", num(saturation))) }
            return .object(fields)
        })
        let filters: JSON = filters.map { f in
            .object([("layer", .string(f.layer)), ("shape", .array(f.shape.map(JSON.int))),
                     ("values", .array(f.values.map { JSON.double(Double("\($0)") ?? Double($0)) }))])
        } ?? .null
        var fields: [(String, JSON)] = [
            ("loss_every", .int(self.steps.every)), ("steps_per_epoch", .int(self.steps.stepsPerEpoch)),
            ("steps", steps), ("activations", activations), ("filters", filters),
        ]
        if let trace { fields.append(("trace", trace.json)) }
        return .object(fields)
    }

    /// Reads the form `json` writes; nil when it is not that form.
    public init?(json: JSON) {
        guard let every = json["loss_every"]?.intValue, let perEpoch = json["steps_per_epoch"]?.intValue,
              case .array(let rawSteps)? = json["steps"], case .array(let rawActivations)? = json["activations"]
        else { return nil }
        var points: [(step: Int, loss: Double)] = []
        for p in rawSteps {
            guard case .array(let pair) = p, pair.count == 2, let step = pair[0].intValue else { return nil }
            points.append((step, pair[1].doubleValue ?? .nan))
        }
        var activations: [LayerActivations] = []
        for a in rawActivations {
            guard let layer = a["layer"]?.stringValue, let kind = a["kind"]?.stringValue,
                  case .array(let shape)? = a["shape"], let count = a["count"]?.intValue else { return nil }
            let stage = LayerActivations.Stage(rawValue: a["stage"]?.stringValue ?? "") ?? .other
            // "saturated": absent from older insights and from unbounded outputs; null when NaN
            let stats = ValueStatistics(mean: a["mean"]?.doubleValue ?? .nan, std: a["std"]?.doubleValue ?? .nan,
                                        zeroFraction: a["zeros"]?.doubleValue ?? .nan, count: count,
                                        saturation: a["saturated"].map { $0.doubleValue ?? .nan })
            activations.append(LayerActivations(layer: layer, kind: kind, shape: shape.compactMap(\.intValue),
                                                stage: stage, statistics: stats))
        }
        var filters: Filters?
        if let f = json["filters"], case .object = f {
            guard let layer = f["layer"]?.stringValue, case .array(let shape)? = f["shape"],
                  case .array(let values)? = f["values"] else { return nil }
            filters = Filters(layer: layer, shape: shape.compactMap(\.intValue),
                              values: values.map { Float($0.doubleValue ?? .nan) })
        }
        // "trace": absent from older insights; one that does not read is left out, not fatal
        self.init(steps: StepLosses(every: every, stepsPerEpoch: perEpoch, points: points),
                  activations: activations, filters: filters, trace: json["trace"].flatMap(ActivationTrace.init(json:)))
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
