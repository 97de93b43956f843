import Foundation
import Testing
import SweepInsights
import SweepConfig
@testable import SweepReport
@testable import SweepTrain

@Suite struct CurveAggregationTests {
    @Test func meanAndSampleStdOverSeedsAtEachEpoch() {
        let seeds: [RunCurve] = [[(1, 0.5), (2, 0.7), (3, 0.8)], [(1, 0.3), (2, 0.5)], [(1, 0.4), (2, .nan), (3, 0.9)]]
        let points = CurveAggregation.aggregate(seeds)
        #expect(points.map(\.x) == [1, 2, 3])
        #expect(points.map(\.n) == [3, 2, 2])
        #expect(abs(points[0].mean - 0.4) < 1e-12)
        #expect(abs(points[0].std - 0.1) < 1e-12)           // sample std of 0.5, 0.3, 0.4
        #expect(abs(points[1].mean - 0.6) < 1e-12)           // NaN left out
        #expect(abs(points[1].std - 0.1414213562373095) < 1e-12)
        #expect(abs(points[2].mean - 0.85) < 1e-12)
        #expect(CurveAggregation.meanAndStd([2]).std == 0)
    }

    @Test func seriesGroupRunsBySettingInFirstAppearanceOrder() {
        struct Run { let params: [String: JSON]; let curve: RunCurve }
        let runs = [
            Run(params: ["cell": .string("lstm"), "seed": .int(1)], curve: [(1, 1)]),
            Run(params: ["cell": .string("gru"), "seed": .int(1)], curve: [(1, 3)]),
            Run(params: ["cell": .string("lstm"), "seed": .int(2)], curve: [(1, 2)]),
            Run(params: ["cell": .string("rnn"), "seed": .int(1)], curve: []),   // no epochs yet: no line
        ]
        let series = CurveAggregation.series(runs, keys: ["cell"], value: { $0.params[$1] ?? .null }, curve: { $0.curve })
        #expect(series.map(\.label) == ["cell=lstm", "cell=gru"])
        #expect(series.map(\.runs) == [2, 1])
        #expect(series[0].points == [CurvePoint(x: 1, mean: 1.5, std: 0.7071067811865476, n: 2)])
    }

    @Test func manySettingsAreSplitIntoFacetsOfFewLines() {
        // cell 3 × hidden 4 × optimizer 5 = 60 settings; facets take the smallest parameters first
        let split = CurveAggregation.facets(["cell", "hidden", "optimizer"],
                                            distinctValues: ["cell": 3, "hidden": 4, "optimizer": 5], maxLines: 10)
        #expect(split.facets == ["cell", "hidden"])
        #expect(split.lines == ["optimizer"])
        let few = CurveAggregation.facets(["cell", "hidden"], distinctValues: ["cell": 3, "hidden": 2], maxLines: 10)
        #expect(few.facets.isEmpty && few.lines == ["cell", "hidden"])
    }
}

@Suite struct StatisticsAggregationTests {
    /// Batches merged by the accumulator give the statistics of all values at once.
    @Test func batchesMergeIntoTheStatisticsOfAllValues() {
        var state: UInt64 = 99
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 250
        }
        let values = (0..<10_000).map { _ in max(0, next()) }   // relu-like: many exact zeros
        var acc = StatisticsAccumulator()
        var start = 0
        for size in [1, 999, 4000, 5000] {
            acc.add(Array(values[start..<(start + size)]))
            start += size
        }
        let s = acc.statistics
        let mean = values.reduce(0.0) { $0 + Double($1) } / 10_000
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / 10_000
        #expect(s.count == 10_000)
        #expect(abs(s.mean - mean) < 1e-9)
        #expect(abs(s.std - variance.squareRoot()) < 1e-9)
        #expect(s.zeroFraction == Double(values.filter { $0 == 0 }.count) / 10_000)
        #expect(s.zeroFraction > 0.4 && s.zeroFraction < 0.6)
        #expect(StatisticsAccumulator().statistics.count == 0)
    }

    /// A trained LeNet5 records every layer once, marks what feeds a nonlinearity, and its
    /// relu outputs are non-negative with zeros; the insights survive their JSON form.
    @Test func aRunRecordsActivationsFiltersAndStepLosses() throws {
        let config = try TrainConfig(arguments: [
            "dataset=synthetic", "model=lenet5", "activation=relu", "train_per_class=20", "test_per_class=5",
            "epochs=2", "batch_size=10", "validation_fraction=0",
        ])
        let result = try Trainer(config: config).run()
        let insights = try #require(result.insights)
        #expect(insights.activations.map(\.layer) == ["net.0", "net.1", "net.2", "net.3", "net.4", "net.5", "net.7", "net.8", "net.10"])
        #expect(insights.activations.map(\.kind) == ["conv2d", "relu", "maxpool", "conv2d", "relu", "maxpool", "dense", "relu", "dense"])
        #expect(insights.activations.map(\.stage.rawValue) == ["pre", "post", "", "pre", "post", "", "pre", "post", ""])
        let relu1 = insights.activations[1].statistics
        #expect(relu1.count == 50 * 32 * 28 * 28)
        #expect(relu1.mean > 0 && relu1.zeroFraction > 0 && relu1.zeroFraction < 1)
        #expect(insights.activations[0].statistics.zeroFraction < 0.01)   // a conv output is rarely exactly 0
        let filters = try #require(insights.filters)
        #expect(filters.layer == "net.0" && filters.shape == [32, 1, 5, 5] && filters.values.count == 800)
        // 200 samples / batch 10 = 20 steps an epoch, one point per step (fewer than 50 an epoch)
        #expect(insights.steps.every == 1 && insights.steps.stepsPerEpoch == 20)
        #expect(insights.steps.points.map(\.step) == Array(1...40))
        #expect(abs(insights.steps.points.prefix(20).map(\.loss).reduce(0, +) / 20 - result.epochs[0].trainLoss) < 1e-9)
        let back = try #require(RunInsights(json: JSON.parse(insights.json.encoded)))
        #expect(back.activations.map(\.layer) == insights.activations.map(\.layer))
        #expect(back.filters?.values == filters.values)
        #expect(back.steps.points.count == 40)
    }
}

@Suite struct StepLossTests {
    /// A long run's step losses thin out by merging neighbours: evenly spaced, each the
    /// mean over its whole window, never more than maxPoints.
    @Test func longRunsKeepAtMostMaxPointsOfEqualWindows() {
        var s = StepLosses(every: 1, stepsPerEpoch: 10)
        var window = 0.0
        for step in 1...10_000 {
            window += Double(step)
            if step % s.every == 0 { s.append(window / Double(s.every), at: step); window = 0 }
        }
        #expect(s.points.count < StepLosses.maxPoints)
        #expect(s.every == 8)
        #expect(s.points.map(\.step) == Array(stride(from: 8, through: 10_000, by: 8)))
        // the point at step 8k is the mean of steps 8k-7 … 8k
        #expect(s.points.allSatisfy { $0.loss == Double($0.step) - 3.5 })
    }
}
