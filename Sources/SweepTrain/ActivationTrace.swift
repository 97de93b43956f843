import CKernels
import SweepConfig
import SweepData
import SweepEngine
import SweepInsights
import SweepRandom

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
    /// The test images of every trace: the first `count` of the split's indices shuffled with
    /// a fixed seed (not the run's), in increasing order.
    public static func imageIndices(testCount: Int, count: Int = images) -> [Int] {
        var rng = RNG(seed: 0, stream: 0x7EAC)
        var all = Array(0..<testCount)
        rng.shuffle(&all)
        return all.prefix(count).sorted()
    }

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
