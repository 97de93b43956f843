import Testing
import SweepConfig
import SweepStore
@testable import SweepReport

/// The page built from records, without a store or a browser.
@Suite struct HTMLReportTests {
    static let sweep = SweepRecord(id: 1, name: "random", spec: "", metric: "test_accuracy", maximize: true, createdAt: 0)

    /// `count` tasks, each its own learning rate and optimizer; task k ends with accuracy k/100.
    static func data(count: Int) throws -> ReportData {
        let tasks = (0..<count).map { k in
            TaskRecord(sweepID: 1, taskID: "t\(k)", index: k,
                       params: #"{"optimizer":"\#(["sgd", "adam"][k % 2])","learning_rate":\#(0.001 * Double(k + 1))}"#,
                       status: .completed, metrics: #"{"epoch":2,"test_accuracy":\#(Double(k) / 100)}"#, wallSeconds: 1)
        }
        let board = try Leaderboard(sweep: sweep, tasks: tasks)
        let runs = board.rows.map { row in
            let k = Double(row.task.index)
            return ReportRun(row: row, epochs: [["epoch": 1, "test_accuracy": k / 200], ["epoch": 2, "test_accuracy": k / 100]],
                             insights: nil)
        }
        return ReportData(sweep: sweep, board: board, runs: runs)
    }

    /// Random search: every task its own setting. The curves show the best ten in one
    /// chart a metric; the continuous parameter gets no by-parameter chart, the categorical one does.
    @Test func tooManySettingsShowTheBestTen() throws {
        let html = HTMLReport(data: try Self.data(count: 30)).render(generated: "now")
        #expect(html.contains("the best 10 of 30 settings"))
        let curves = html.components(separatedBy: "<svg class=\"chart\" id=\"curve-").dropFirst()
        #expect(curves.count == 1)
        let first = try #require(curves.first).components(separatedBy: "</svg>")[0]
        #expect(first.components(separatedBy: "<g class=\"series\"").count - 1 == 10)
        #expect(first.contains("data-label=\"optimizer=adam, learning_rate=0.03\""))   // the best task, t29
        #expect(!first.contains("learning_rate=0.02\""))                                  // t19: 11th best
        #expect(html.contains("id=\"by-0\""))    // optimizer
        #expect(!html.contains("id=\"by-1\""))   // learning_rate: 30 values
        // every task is a dot against each parameter
        #expect(html.components(separatedBy: "<circle class=\"point\"").count - 1 == 60)
    }

    @Test func scatterPlotsKeepTheBestTasksOfAHugeSweep() throws {
        var report = HTMLReport(data: try Self.data(count: 30))
        report.scatterPoints = 5
        let html = report.render(generated: "now")
        #expect(html.contains("the best 5 of 30 finished tasks"))
        #expect(html.components(separatedBy: "<circle class=\"point\"").count - 1 == 10)
    }

    @Test func textIsEscaped() throws {
        let sweep = SweepRecord(id: 1, name: "<b>&\"x\"", spec: "", metric: "test_accuracy", maximize: true, createdAt: 0)
        let board = try Leaderboard(sweep: sweep, tasks: [])
        let html = HTMLReport(data: ReportData(sweep: sweep, board: board, runs: [])).render(generated: "now")
        #expect(html.contains("&lt;b&gt;&amp;&quot;x&quot;") && !html.contains("<b>&"))
        #expect(html.contains("No task has recorded epochs yet."))
    }
}
