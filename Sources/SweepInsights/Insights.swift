import SweepConfig

// What a run records besides its metrics (RunInsights) and its activation trace, as
// data: what the report draws and the store keeps. No engine here, so the coordinator,
// the report and the live page can read insights without linking the engine.

/// Mean, standard deviation and fraction of exact zeros of a set of values and, for the
/// output of a bounded nonlinearity (a recurrent layer's gates), its saturation.
public struct ValueStatistics: Sendable, Equatable {
    public var mean: Double
    public var std: Double
    public var zeroFraction: Double
    public var count: Int
    /// How close to a bound a saturated value is.
    public static let saturationMargin = 0.02

    /// The share of values within `saturationMargin` of the function's
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
