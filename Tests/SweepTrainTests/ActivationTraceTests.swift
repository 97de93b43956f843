import Testing
import SweepInsights
import SweepConfig
import SweepData
import SweepEngine
@testable import SweepTrain
import TestSupport

/// The activations recorded while training: the last point and histogram equal a direct
/// computation on the same images with the trained weights; the trace survives JSON and
/// insights without one still read; recording does not change the run.
@Suite struct ActivationTraceTests {
    static let arguments = ["dataset=synthetic", "architecture=conv(4, 3) batchnorm relu maxpool(2) dropout(0.2) flatten dense(classes)",
                            "train_per_class=20", "test_per_class=8", "batch_size=18", "epochs=2", "seed=3"]

    @Test func lastPointAndHistogramEqualADirectComputation() throws {
        let config = try TrainConfig(arguments: Self.arguments)
        let result = try Trainer(config: config).run()
        let trace = try #require(result.insights?.trace)
        // 180 training images in batches of 18: 10 steps an epoch; a point of 8 images costs
        // 8 / (3 · 18) of a step, so one every 10 steps keeps within 1.5%; one due within 10
        // steps of the epoch's end waits for the end's own
        #expect(ActivationTrace.interval(stepsPerEpoch: 10, batchSize: 18) == 10)
        #expect(trace.steps == [10, 20])
        // long epochs: about ten points each
        #expect(ActivationTrace.interval(stepsPerEpoch: 630, batchSize: 32) == 63)
        #expect(ActivationTrace.interval(stepsPerEpoch: 63, batchSize: 32) == 6)
        #expect(trace.layers.map(\.kind) == ["conv2d", "batchnorm", "relu", "maxpool", "dense"])
        #expect(trace.layers.map(\.stage) == [.other, .beforeNonlinearity, .afterNonlinearity, .other, .other])
        #expect(trace.histograms.map(\.epoch) == [1, 2])

        // the trained model, rebuilt from its weights, on the trace's images
        let data = try loadDataset(Trainer.dataOptions(config))
        let model = try Models.make(config, inputShape: data.shape, classes: data.classes)
        #expect(model.load(stateDict: try #require(result.weights)) == nil)
        func outputs(_ count: Int) -> [String: [Float]] {
            let indices = ActivationTrace.imageIndices(testCount: data.test.count, count: count)
            let images = Tensor(shape: [indices.count] + data.shape)
            let labels = UnsafeMutablePointer<Int32>.allocate(capacity: indices.count)
            defer { labels.deallocate() }
            data.gather(data.test, indices: indices[...], images: images.data, labels: labels)
            var outputs: [String: [Float]] = [:]
            _ = model.forward(images, mode: .eval) { i, y in outputs[model.nodes[i].name] = y.array }
            return outputs
        }
        #expect(ActivationTrace.imageIndices(testCount: 80).count == 8)
        let pointOutputs = outputs(ActivationTrace.images)
        let last = try #require(trace.mean.indices.last)
        let histograms = try #require(trace.histograms.last)
        for (k, layer) in trace.layers.enumerated() {
            let values = try #require(pointOutputs[layer.name], "\(layer.name)")
            let n = Double(values.count)
            let mean = values.reduce(0.0) { $0 + Double($1) } / n
            let std = (values.reduce(0.0) { $0 + Double($1) * Double($1) } / n - mean * mean).squareRoot()
            let zeros = Double(values.filter { $0 == 0 }.count) / n
            #expect(abs(trace.mean[last][k] - mean) < 1e-9 * max(1, abs(mean)), "\(layer.name) mean")
            #expect(abs(trace.std[last][k] - std) < 1e-6 * max(1, std), "\(layer.name) std")
            #expect(trace.zeros[last][k] == zeros, "\(layer.name) zeros")
            let all = values
            let lo = all.min()!, hi = all.max()!
            #expect(histograms.lo[k] == Double(lo) && histograms.hi[k] == Double(hi))
            var counts = [Int](repeating: 0, count: ActivationTrace.bins)
            for v in all { counts[min(Int((v - lo) / ((hi - lo) / Float(ActivationTrace.bins))), ActivationTrace.bins - 1)] += 1 }
            #expect(histograms.counts[k] == counts, "\(layer.name) histogram")
        }
        // a ReLU after batchnorm: about half its values are zero; the batchnorm's none
        #expect(trace.zeros[last][2] > 0.2 && trace.zeros[last][1] == 0)
    }

    @Test func traceSurvivesJSONAndOlderInsightsStillRead() throws {
        let result = try Trainer(config: TrainConfig(arguments: Self.arguments)).run()
        let insights = try #require(result.insights)
        let again = try #require(RunInsights(json: try JSON.parse(insights.json.encoded)))
        #expect(again.trace == insights.trace)
        #expect(again.trace != nil)
        // insights written before the trace existed
        guard case .object(var fields) = insights.json else { Issue.record("not an object"); return }
        fields.removeAll { $0.0 == "trace" }
        let old = try #require(RunInsights(json: .object(fields)))
        #expect(old.trace == nil && old.activations == insights.activations)
    }

    /// Two identical runs give identical metrics, traces included: the eval passes between
    /// steps draw nothing and update nothing.
    @Test func recordingIsDeterministic() throws {
        let a = try Trainer(config: TrainConfig(arguments: Self.arguments)).run()
        let b = try Trainer(config: TrainConfig(arguments: Self.arguments)).run()
        #expect(a.epochs.map(\.testLoss) == b.epochs.map(\.testLoss))
        #expect(a.insights?.trace == b.insights?.trace)
    }
}
