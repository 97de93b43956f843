import SweepConfig
import SweepData
import SweepEngine

/// Every layer's activations over training, on fixed test images (the same images for every
/// task, so two tasks' curves compare): its mean, std and share of zeros on 8 images at
/// about ten points an epoch, and a histogram of its values on 32 at the end of every epoch. The
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
    /// Test images the points are taken on: an eval pass over 8 images costs about a twelfth
    /// of a training step of 32, so ten points an epoch add ~1% to an epoch of 60 steps.
    public static let images = 8
    /// Test images the histograms are taken on (once an epoch): the points' and more.
    public static let histogramImages = 32

    public var layers: [Layer]
    /// The training steps (1-based, across epochs) of the points.
    public var steps: [Int] = []
    /// Per point, per layer.
    public var mean: [[Double]] = []
    public var std: [[Double]] = []
    public var zeros: [[Double]] = []
    public var histograms: [Histograms] = []

    /// The test images of every trace: the first `count` of the split's indices shuffled with
    /// a fixed seed (not the run's), in increasing order; the points' are among the histograms'.
    public static func imageIndices(testCount: Int, count: Int = images) -> [Int] {
        var rng = RNG(seed: 0, stream: 0x7EAC)
        var all = Array(0..<testCount)
        rng.shuffle(&all)
        return all.prefix(count).sorted()
    }

    /// Points per epoch at `stepsPerEpoch` steps: every this many steps.
    public static func interval(stepsPerEpoch: Int) -> Int { max(1, stepsPerEpoch / 10) }

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
final class TraceRecorder {
    let model: Model
    let every: Int
    private(set) var trace: ActivationTrace
    /// The points' images, and the histograms'.
    private let images: Tensor, histogramImages: Tensor
    /// The recorded nodes, in the order of `trace.layers`.
    private let nodes: [Int]
    /// Per node index: its place in `nodes`, or nil.
    private let place: [Int?]

    /// nil when the test split is empty.
    init?(model: Model, data: Dataset, stepsPerEpoch: Int) {
        guard data.test.count > 0 else { return nil }
        self.model = model
        every = ActivationTrace.interval(stepsPerEpoch: stepsPerEpoch)
        func gather(_ count: Int) -> Tensor {
            let indices = ActivationTrace.imageIndices(testCount: data.test.count, count: count)
            let images = Tensor(shape: [indices.count] + data.shape)
            let labels = UnsafeMutablePointer<Int32>.allocate(capacity: indices.count)
            defer { labels.deallocate() }
            data.gather(data.test, indices: indices[...], images: images.data, labels: labels)
            return images
        }
        images = gather(ActivationTrace.images)
        histogramImages = gather(ActivationTrace.histogramImages)
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
    func record(step: Int) {
        var stats = [ValueStatistics](repeating: StatisticsAccumulator().statistics, count: nodes.count)
        _ = model.forward(images, mode: .eval) { [place] i, y in
            guard let k = place[i] else { return }
            var sum = StatisticsAccumulator()
            sum.add(y.data, count: y.count)
            stats[k] = sum.statistics
        }
        trace.steps.append(step)
        trace.mean.append(stats.map(\.mean))
        trace.std.append(stats.map(\.std))
        trace.zeros.append(stats.map(\.zeroFraction))
    }

    /// Every recorded node's histogram now, as `epoch`'s.
    func histograms(epoch: Int) {
        let bins = ActivationTrace.bins
        var h = ActivationTrace.Histograms(epoch: epoch, lo: Array(repeating: 0, count: nodes.count),
                                           hi: Array(repeating: 0, count: nodes.count),
                                           counts: Array(repeating: Array(repeating: 0, count: bins), count: nodes.count))
        _ = model.forward(histogramImages, mode: .eval) { [place] i, y in
            guard let k = place[i], y.count > 0 else { return }
            let (lo, hi) = ActivationTrace.range(y.buffer)
            h.lo[k] = Double(lo)
            h.hi[k] = Double(hi)
            h.counts[k] = ActivationTrace.histogram(y.buffer, lo: lo, hi: hi, bins: bins)
        }
        trace.histograms.append(h)
    }
}

extension ActivationTrace {
    /// The smallest and largest finite value (0, 0 when there is none).
    static func range(_ values: UnsafeMutableBufferPointer<Float>) -> (Float, Float) {
        var lo = Float.infinity, hi = -Float.infinity
        for v in values where v.isFinite {
            lo = min(lo, v)
            hi = max(hi, v)
        }
        return lo <= hi ? (lo, hi) : (0, 0)
    }

    /// Counts of `bins` equal bins over [lo, hi], the top one closed; values outside or not finite are left out.
    static func histogram(_ values: UnsafeMutableBufferPointer<Float>, lo: Float, hi: Float, bins: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: bins)
        let width = (hi - lo) / Float(bins)
        for v in values where v.isFinite && v >= lo && v <= hi {
            let b = width > 0 ? min(Int((v - lo) / width), bins - 1) : 0
            counts[b] += 1
        }
        return counts
    }
}
