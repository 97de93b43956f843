import CKernels
import SweepConfig
import SweepData
import SweepEngine

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
    }

    /// One epoch's histograms: per layer, `bins` counts of equal width over [lo, hi].
    public struct Histograms: Sendable, Equatable {
        public var epoch: Int
        public var lo: [Double]
        public var hi: [Double]
        public var counts: [[Int]]
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

    /// The test images of every trace: the first `count` of the split's indices shuffled with
    /// a fixed seed (not the run's), in increasing order.
    public static func imageIndices(testCount: Int, count: Int = images) -> [Int] {
        var rng = RNG(seed: 0, stream: 0x7EAC)
        var all = Array(0..<testCount)
        rng.shuffle(&all)
        return all.prefix(count).sorted()
    }

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

    init(layers: [Layer]) { self.layers = layers }
}

/// Takes an `ActivationTrace` while a model trains: `record(step:)` between steps (an eval
/// pass over the trace's images, which leaves training as it would have gone: no dropout
/// draw, no batchnorm update) and `histograms(epoch:)` after each epoch.
public final class TraceRecorder {
    let model: Model
    public let every: Int
    public private(set) var trace: ActivationTrace
    /// The images of the points and histograms.
    private let images: Tensor
    /// The recorded nodes, in the order of `trace.layers`.
    private let nodes: [Int]
    /// Per node index: its place in `nodes`, or nil.
    private let place: [Int?]

    /// nil when the test split is empty.
    convenience init?(model: Model, data: Dataset, stepsPerEpoch: Int, batchSize: Int) {
        guard data.test.count > 0 else { return nil }
        let indices = ActivationTrace.imageIndices(testCount: data.test.count)
        let images = Tensor(shape: [indices.count] + data.shape)
        let labels = UnsafeMutablePointer<Int32>.allocate(capacity: indices.count)
        defer { labels.deallocate() }
        data.gather(data.test, indices: indices[...], images: images.data, labels: labels)
        self.init(model: model, images: images, every: ActivationTrace.interval(stepsPerEpoch: stepsPerEpoch, batchSize: batchSize))
    }

    /// A trace of `model` on these images (B, its input shape), a point every `every` steps
    /// (what sweep-bench times).
    public init(model: Model, images: Tensor, every: Int) {
        self.model = model
        self.every = every
        self.images = images
        let recorded = ActivationRecorder.recordedNodes(model)
        nodes = recorded.map(\.node)
        var place = [Int?](repeating: nil, count: model.nodes.count)
        for (k, n) in nodes.enumerated() { place[n] = k }
        self.place = place
        trace = ActivationTrace(layers: recorded.map { r in
            ActivationTrace.Layer(name: model.nodes[r.node].name, kind: LayerNames.kind(model.nodes[r.node]), stage: r.stage)
        })
    }

    /// The statistics of every recorded node now, as `step`'s point.
    public func record(step: Int) {
        pass(point: step, histograms: nil)
    }

    /// After an epoch, at training step `step`: its histograms, and its last point unless
    /// the steps' interval just took it, from one pass.
    public func endOfEpoch(_ epoch: Int, step: Int) {
        pass(point: step > 0 && trace.steps.last != step ? step : nil, histograms: epoch)
    }

    /// One evaluation pass over the images: the point of step `point` and the histograms
    /// of epoch `histograms`, those that are asked for.
    private func pass(point: Int?, histograms epoch: Int?) {
        let bins = ActivationTrace.bins, count = nodes.count
        var stats = [ValueStatistics](repeating: StatisticsAccumulator().statistics, count: count)
        var h = ActivationTrace.Histograms(epoch: epoch ?? 0, lo: Array(repeating: 0, count: count), hi: Array(repeating: 0, count: count),
                                           counts: Array(repeating: Array(repeating: 0, count: bins), count: count))
        _ = model.forward(images, mode: .eval) { [place] i, y in
            guard let k = place[i] else { return }
            if point != nil {
                var sum = StatisticsAccumulator()
                sum.add(y.data, count: y.count)
                stats[k] = sum.statistics
            }
            if epoch != nil, y.count > 0 {
                let (lo, hi) = ActivationTrace.range(y.buffer)
                h.lo[k] = Double(lo)
                h.hi[k] = Double(hi)
                h.counts[k] = ActivationTrace.histogram(y.buffer, lo: lo, hi: hi, bins: bins)
            }
        }
        if let point {
            trace.steps.append(point)
            trace.mean.append(stats.map(\.mean))
            trace.std.append(stats.map(\.std))
            trace.zeros.append(stats.map(\.zeroFraction))
        }
        if epoch != nil { trace.histograms.append(h) }
    }
}

extension ActivationTrace {
    /// The smallest and largest finite value (0, 0 when there is none).
    static func range(_ values: UnsafeMutableBufferPointer<Float>) -> (Float, Float) {
        var lo: Float = 0, hi: Float = 0
        if let base = values.baseAddress { sweep_range_f32(base, values.count, &lo, &hi) }
        return (lo, hi)
    }

    /// Counts of `bins` equal bins over [lo, hi], the top one closed; values outside or not finite are left out.
    static func histogram(_ values: UnsafeMutableBufferPointer<Float>, lo: Float, hi: Float, bins: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: bins)
        guard let base = values.baseAddress else { return counts }
        counts.withUnsafeMutableBufferPointer { sweep_histogram_f32(base, values.count, lo, hi, Int32(bins), $0.baseAddress!) }
        return counts
    }
}
