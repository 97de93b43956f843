import Testing
import SweepInsights
import SweepConfig
import SweepStore
@testable import SweepReport
@testable import SweepTrain

/// The activation trace in the report: one chart per statistic with a line per layer, and one
/// stacked-histogram figure per layer with a ridge per epoch; results without a trace leave
/// the section out.
@Suite struct TraceChartsTests {
    static func trace() -> ActivationTrace {
        var t = ActivationTrace(layers: [
            .init(name: "net.0", kind: "conv2d", stage: .other), .init(name: "net.1", kind: "batchnorm", stage: .beforeNonlinearity),
            .init(name: "net.2", kind: "relu", stage: .afterNonlinearity),
        ])
        t.steps = [2, 4, 6, 8]
        t.mean = [[0.1, 0, 0.3], [0.2, 0, 0.4], [0.3, 0, 0.5], [0.4, 0, 0.6]]
        t.std = t.mean.map { $0.map { $0 + 1 } }
        t.zeros = t.mean.map { _ in [0, 0, 0.5] }
        t.histograms = (1...2).map { e in
            ActivationTrace.Histograms(epoch: e, lo: [-1, -2, 0], hi: [1, 2, 3],
                                       counts: [[1, 2, 3, 2], [0, 4, 4, 0], [9, 1, 0, 1]])
        }
        return t
    }

    static func report(trace: ActivationTrace?) throws -> String {
        let data = try HTMLReportTests.data(count: 3)
        var runs = data.runs
        runs[0] = ReportRun(row: runs[0].row, epochs: runs[0].epochs,
                            insights: RunInsights(steps: StepLosses(every: 1, stepsPerEpoch: 4), trace: trace))
        return HTMLReport(data: ReportData(sweep: data.sweep, board: data.board, runs: runs)).render(generated: "now")
    }

    @Test func statisticsAndHistogramsAreDrawn() throws {
        let html = try Self.report(trace: Self.trace())
        #expect(html.contains("<section id=\"activations-over-training\">"))
        for key in ["mean", "std", "zeros"] {
            let chart = try #require(html.components(separatedBy: "data-metric=\"activation_\(key)\"").dropFirst().first)
                .components(separatedBy: "</svg>")[0]
            #expect(chart.components(separatedBy: "<g class=\"series\"").count - 1 == 3, "\(key)")
            #expect(chart.contains("data-label=\"net.1 (batchnorm)\""))
        }
        // x in epochs: the 4 points of 2 epochs of 4 steps end at x = 2
        let ridges = html.components(separatedBy: "data-kind=\"histograms\"").dropFirst()
        #expect(ridges.count == 3)
        #expect(ridges.allSatisfy { $0.components(separatedBy: "</svg>")[0].components(separatedBy: "<polygon class=\"ridge\"").count - 1 == 2 })
        #expect(html.contains("data-layer=\"net.2\" data-epochs=\"2\""))
    }

    @Test func resultsWithoutATraceLeaveTheSectionOut() throws {
        let html = try Self.report(trace: nil)
        #expect(!html.contains("activations-over-training"))
    }
}
