import SweepConfig

/// Every layer's activations over training, on fixed test images (the same images for every
/// task, so two tasks' curves compare): its mean, std and share of zeros on 8 images at
/// about ten points an epoch, and a histogram of its values on the same images at the end of
/// every epoch (with that epoch's last point, from the same pass). The
/// layers are those of the end-of-training statistics (`LayerActivations`), with their kind
/// and stage, so the output of a convolution and of the batchnorm after it stay apart.
public struct ActivationTrace: Sendable, Equatable {
    public struct Layer: Sendable, Equatable {
        public var name: String
        public var kind: String
        public var stage: LayerActivations.Stage

        public init(name: String, kind: String, stage: LayerActivations.Stage) {
            (self.name, self.kind, self.stage) = (name, kind, stage)
        }
    }

    /// One epoch's histograms: per layer, `bins` counts of equal width over [lo, hi].
    public struct Histograms: Sendable, Equatable {
        public var epoch: Int
        public var lo: [Double]
        public var hi: [Double]
        public var counts: [[Int]]

        public init(epoch: Int, lo: [Double], hi: [Double], counts: [[Int]]) {
            (self.epoch, self.lo, self.hi, self.counts) = (epoch, lo, hi, counts)
        }
    }

    /// Bins of every histogram.
    public static let bins = 24
    /// Test images the points and histograms are taken on: an eval pass over 8 images costs
    /// about a twelfth of a training step of 32 (`interval`). A convolution's maps give
    /// thousands of values even so.
    public static let images = 8

    public var layers: [Layer]
    /// The training steps (1-based, across epochs) of the points.
    public var steps: [Int] = []
    /// Per point, per layer.
    public var mean: [[Double]] = []
    public var std: [[Double]] = []
    public var zeros: [[Double]] = []
    public var histograms: [Histograms] = []

    /// Share of training time that points between epochs may take at most.
    public static let budget = 0.015

    /// Points per epoch at `stepsPerEpoch` steps of `batchSize`: every this many steps, for
    /// about ten an epoch, but no closer than `budget` allows. A point is an evaluation
    /// forward pass over `images` images, about a third of a training step over as many
    /// (forward, backward, update), so it costs images / (3 · batchSize) of a step: every
    /// step at batch 32 would be +8%, which epochs of a few steps would pay. The end of an
    /// epoch always has its point besides (`TraceRecorder.endOfEpoch`).
    public static func interval(stepsPerEpoch: Int, batchSize: Int) -> Int {
        let cheapest = (Double(images) / (3 * budget * Double(max(1, batchSize)))).rounded(.up)
        return max(1, stepsPerEpoch / 10, Int(cheapest))
    }

    /// `{"layers":[{"name","kind","stage"}],"steps":[…],"mean":[[…]],"std":…,"zeros":…,
    /// "histograms":[{"epoch","lo":[…],"hi":[…],"counts":[[…]]}]}`.
    public var json: JSON {
        func table(_ rows: [[Double]]) -> JSON { .array(rows.map { .array($0.map(JSON.double)) }) }
        return .object([
            ("layers", .array(layers.map { .object([("name", .string($0.name)), ("kind", .string($0.kind)),
                                                   ("stage", .string($0.stage.rawValue))]) })),
            ("steps", .array(steps.map(JSON.int))),
            ("mean", table(mean)), ("std", table(std)), ("zeros", table(zeros)),
            ("histograms", .array(histograms.map { h in
                .object([("epoch", .int(h.epoch)), ("lo", .array(h.lo.map(JSON.double))), ("hi", .array(h.hi.map(JSON.double))),
                         ("counts", .array(h.counts.map { .array($0.map(JSON.int)) }))])
            })),
        ])
    }

    /// Reads the form `json` writes; nil when it is not that form.
    public init?(json: JSON) {
        guard case .array(let rawLayers)? = json["layers"], case .array(let rawSteps)? = json["steps"] else { return nil }
        var layers: [Layer] = []
        for l in rawLayers {
            guard let name = l["name"]?.stringValue, let kind = l["kind"]?.stringValue else { return nil }
            layers.append(Layer(name: name, kind: kind, stage: LayerActivations.Stage(rawValue: l["stage"]?.stringValue ?? "") ?? .other))
        }
        func table(_ key: String) -> [[Double]]? {
            guard case .array(let rows)? = json[key] else { return nil }
            var out: [[Double]] = []
            for r in rows {
                guard case .array(let values) = r, values.count == layers.count else { return nil }
                out.append(values.map { $0.doubleValue ?? .nan })
            }
            return out
        }
        guard let mean = table("mean"), let std = table("std"), let zeros = table("zeros"),
              mean.count == rawSteps.count, std.count == mean.count, zeros.count == mean.count else { return nil }
        var histograms: [Histograms] = []
        if case .array(let rawHistograms)? = json["histograms"] {
            for h in rawHistograms {
                guard let epoch = h["epoch"]?.intValue, case .array(let lo)? = h["lo"], case .array(let hi)? = h["hi"],
                      case .array(let counts)? = h["counts"], lo.count == layers.count, hi.count == layers.count,
                      counts.count == layers.count else { return nil }
                histograms.append(Histograms(
                    epoch: epoch, lo: lo.map { $0.doubleValue ?? .nan }, hi: hi.map { $0.doubleValue ?? .nan },
                    counts: counts.map { row in if case .array(let c) = row { c.compactMap(\.intValue) } else { [] } }))
            }
        }
        self.init(layers: layers)
        steps = rawSteps.compactMap(\.intValue)
        (self.mean, self.std, self.zeros, self.histograms) = (mean, std, zeros, histograms)
    }

    public init(layers: [Layer]) { self.layers = layers }
}
