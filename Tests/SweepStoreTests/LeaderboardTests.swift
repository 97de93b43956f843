import Foundation
import SweepConfig
import SweepStore
import Testing

private let maximizing = SweepRecord(id: 1, name: "demo", spec: "", metric: "test_accuracy", maximize: true, createdAt: 0)
private let minimizing = SweepRecord(id: 1, name: "demo", spec: "", metric: "test_loss", maximize: false, createdAt: 0)

private func task(_ id: String, _ index: Int, _ status: TaskStatus, accuracy: Double? = nil, loss: Double = 1,
                  trainLoss: Double = 0.5, params p: [(String, String)] = [], error: String? = nil) -> TaskRecord {
    TaskRecord(sweepID: 1, taskID: id, index: index, params: params(p), status: status,
               attempts: status == .pending ? 0 : 1, worker: status == .pending ? nil : "w1",
               error: error, metrics: accuracy.map { metrics(testAccuracy: $0, testLoss: loss, trainLoss: trainLoss) }
                   ?? (status == .failed ? "{}" : nil),
               wallSeconds: status.isFinished ? 2.5 : nil)
}

@Suite struct LeaderboardTests {
    @Test func maximizingRanksBestFirstTiesByIndexAndUnrankedLast() throws {
        let board = try Leaderboard(sweep: maximizing, tasks: [
            task("a", 0, .completed, accuracy: 0.8),
            task("b", 1, .completed, accuracy: 0.9),
            task("c", 2, .pending),
            task("d", 3, .failed, error: "boom"),
            task("e", 4, .completed, accuracy: 0.8),
            task("f", 5, .stopped, accuracy: 0.85),
        ])
        #expect(board.rows.map(\.task.taskID) == ["b", "f", "a", "e", "d", "c"])
        #expect(board.rows.map(\.rank) == [1, 2, 3, 4, nil, nil])
        #expect(board.best?.task.taskID == "b")
        #expect(board.maximize && board.sortMetric == "test_accuracy")
    }

    @Test func minimizingRanksLowestFirst() throws {
        let board = try Leaderboard(sweep: minimizing, tasks: [
            task("a", 0, .completed, accuracy: 0.1, loss: 0.5),
            task("b", 1, .completed, accuracy: 0.1, loss: 0.3),
            task("c", 2, .completed, accuracy: 0.1, loss: 0.3),
            task("d", 3, .diverged, accuracy: 0.1, loss: .nan),
        ])
        #expect(board.rows.map(\.task.taskID) == ["b", "c", "a", "d"])
        #expect(board.rows.map(\.rank) == [1, 2, 3, nil])
    }

    @Test func sortingByAnotherMetricUsesItsNaturalGoal() throws {
        let tasks = [task("a", 0, .completed, accuracy: 0.9, loss: 0.2, trainLoss: 0.7),
                     task("b", 1, .completed, accuracy: 0.7, loss: 0.6, trainLoss: 0.1),
                     task("c", 2, .completed, accuracy: 0.8, loss: 0.4, trainLoss: 0.4)]
        let byTrainLoss = try Leaderboard(sweep: maximizing, tasks: tasks, sort: "train_loss")
        #expect(!byTrainLoss.maximize)
        #expect(byTrainLoss.rows.map(\.task.taskID) == ["b", "c", "a"])
        let byAccuracy = try Leaderboard(sweep: minimizing, tasks: tasks, sort: "test_accuracy")
        #expect(byAccuracy.maximize)
        #expect(byAccuracy.rows.map(\.task.taskID) == ["a", "c", "b"])
        // The sweep's own goal wins for its metric, even against the name rule.
        let odd = SweepRecord(id: 1, name: "odd", spec: "", metric: "test_loss", maximize: true, createdAt: 0)
        #expect(try Leaderboard(sweep: odd, tasks: tasks).rows.map(\.task.taskID) == ["b", "c", "a"])
    }

    @Test func unknownMetricsAndParametersAreConfigErrors() throws {
        let tasks = [task("a", 0, .completed, accuracy: 0.9)]
        let metric = #expect(throws: ConfigError.self) { try Leaderboard(sweep: maximizing, tasks: tasks, sort: "acuracy") }
        #expect(metric?.message.hasPrefix("unknown metric 'acuracy' for --sort") == true)
        let param = #expect(throws: ConfigError.self) { try Leaderboard(sweep: maximizing, tasks: tasks, groupBy: ["celll"]) }
        #expect(param?.message == "--group-by: unknown key 'celll' (did you mean cell?)")
        // Known names are fine before any task has them.
        _ = try Leaderboard(sweep: maximizing, tasks: [], sort: "val_loss", groupBy: ["cell"])
    }

    /// gru: 0.80, 0.90, 0.85 → mean 0.85, sample std √((0.05² + 0.05² + 0²) / 2) = 0.05; its failed seed does not count.
    /// lstm: one task, 0.95 → std 0. rnn: nothing finished → unranked, n 0.
    private var seeds: [TaskRecord] {
        [task("g1", 0, .completed, accuracy: 0.80, loss: 0.6, params: [("cell", "gru"), ("seed", "1")]),
         task("g2", 1, .completed, accuracy: 0.90, loss: 0.2, params: [("cell", "gru"), ("seed", "2")]),
         task("g3", 2, .completed, accuracy: 0.85, loss: 0.4, params: [("cell", "gru"), ("seed", "3")]),
         task("g4", 3, .failed, params: [("cell", "gru"), ("seed", "4")], error: "boom"),
         task("l1", 4, .completed, accuracy: 0.95, loss: 0.1, params: [("cell", "lstm"), ("seed", "1")]),
         task("r1", 5, .failed, params: [("cell", "rnn"), ("seed", "1")], error: "boom"),
         task("r2", 6, .pending, params: [("cell", "rnn"), ("seed", "2")])]
    }

    @Test func groupByGivesMeanAndSampleStd() throws {
        let board = try Leaderboard(sweep: maximizing, tasks: seeds, groupBy: ["cell"])
        #expect(board.groups.map { $0.values.map(\.1) } == [[.string("lstm")], [.string("gru")], [.string("rnn")]])
        #expect(board.groups.map(\.rank) == [1, 2, nil])
        #expect(board.groups.map(\.n) == [1, 3, 0])
        let gru = board.groups[1]
        #expect(abs(gru.mean("test_accuracy")! - 0.85) < 1e-12)
        #expect(abs(gru.std("test_accuracy")! - 0.05) < 1e-12)
        #expect(abs(gru.mean("test_loss")! - 0.4) < 1e-12)
        #expect(abs(gru.std("test_loss")! - 0.2) < 1e-12)
        #expect(gru.mean("val_accuracy") == nil)  // null in every task
        #expect(board.groups[0].std("test_accuracy") == 0)
        #expect(board.groups[2].mean.isEmpty)
        let byLoss = try Leaderboard(sweep: maximizing, tasks: seeds, sort: "test_loss", groupBy: ["cell", "seed"])
        #expect(byLoss.groups.count == 7)
        #expect(byLoss.groups.prefix(4).map { $0.values.map(\.1.encoded) } == [[#""lstm""#, "1"], [#""gru""#, "2"], [#""gru""#, "3"], [#""gru""#, "1"]])
    }

    @Test func jsonRowsHaveExactlyTheSpecShape() throws {
        let a = task("a", 0, .completed, accuracy: 0.9, params: [("cell", "gru")])
        let b = task("b", 1, .pending)
        let out = try Leaderboard(sweep: maximizing, tasks: [b, a]).render(.json)
        let expected = "[\n"
            + #"{"rank":1,"task_id":"a","status":"completed","params":\#(a.params),"metrics":\#(a.metrics!),"attempts":1,"worker":"w1","wall_seconds":2.5},"#
            + "\n"
            + #"{"rank":null,"task_id":"b","status":"pending","params":\#(b.params),"metrics":{},"attempts":0,"worker":null,"wall_seconds":null}"#
            + "\n]\n"
        #expect(out == expected)
        #expect(try JSONSerialization.jsonObject(with: Data(out.utf8)) is [Any])
        #expect(try Leaderboard(sweep: maximizing, tasks: [a, b]).render(.json, top: 1).components(separatedBy: "\n").count == 4)
        #expect(try Leaderboard(sweep: maximizing, tasks: []).render(.json) == "[]\n")
    }

    @Test func jsonGroupsHaveExactlyTheSpecShape() throws {
        let out = try Leaderboard(sweep: maximizing, tasks: seeds, groupBy: ["cell"]).render(.json, top: 2)
        let lines = out.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[1].hasPrefix(#"{"rank":1,"group":{"cell":"lstm"},"n":1,"mean":{"epoch":1.0,"train_loss":0.5,"#))
        #expect(lines[1].contains(#""std":{"epoch":0.0,"train_loss":0.0,"#))
        let groups = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]])
        #expect(groups.map { Set($0.keys) } == Array(repeating: ["rank", "group", "n", "mean", "std"], count: 2))
        #expect((groups[0]["mean"] as? [String: Any])?["test_accuracy"] as? Double == 0.95)
    }

    @Test func csvQuotesPerRFC4180() throws {
        let odd = task("q", 0, .completed, accuracy: 0.5, params: [("data_dir", "a,\"b\"\nc")])
        let out = try Leaderboard(sweep: maximizing, tasks: [odd]).render(.csv)
        // the keys of a canonical configuration (architecture appears only when set)
        let header = "rank,task_id,status," + TrainConfig().canonical.objectFields!.map(\.0).joined(separator: ",")
            + ",epoch,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_accuracy,parameters,samples_per_second,wall_seconds\n"
        #expect(out.hasPrefix(header))
        #expect(out.contains(#"1,q,completed,fashion-mnist,"a,""b""\#nc",,,0.1,rnn,"#))
        #expect(out.hasSuffix(",1,0.5,0.75,,,1.0,0.5,1234,1000.0,2.5\n"))
    }

    @Test func csvGroupsHaveMeanAndStdColumns() throws {
        let out = try Leaderboard(sweep: maximizing, tasks: seeds, groupBy: ["cell"]).render(.csv)
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0].hasPrefix("rank,cell,n,epoch_mean,epoch_std,train_loss_mean,train_loss_std,"))
        #expect(!lines[0].contains("val_loss"))
        #expect(lines[3].hasPrefix(",rnn,0,,"))
        #expect(lines.count == 5 && lines[4].isEmpty)
    }

    @Test func tableShowsOnlyVaryingParamsBestFirst() throws {
        let out = try Leaderboard(sweep: maximizing, tasks: seeds).render(.table)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines[0] == "demo: 6 of 7 tasks finished; best first by test_accuracy (higher is better)")
        let header = lines[1].split(separator: " ").map(String.init)
        #expect(header == ["rank", "task", "status", "cell", "seed", "test_accuracy", "test_loss", "train_loss", "wall_seconds"])
        #expect(lines[2].split(separator: " ") == ["1", "l1", "completed", "lstm", "1", "0.9500", "0.1000", "0.5000", "2.5"])
        #expect(lines[8].split(separator: " ") == ["-", "r2", "pending", "rnn", "2", "-", "-", "-", "-"])
        // Aligned: the task column starts at the same offset on every line.
        #expect(lines[1].range(of: "task")!.lowerBound.utf16Offset(in: lines[1]) == 6)
        #expect(lines[2...].allSatisfy { $0.dropFirst(6).hasPrefix("l1") || $0.dropFirst(6).hasPrefix("g") || $0.dropFirst(6).hasPrefix("r") })
    }

    @Test func tableWithGroupsShowsMeanPlusMinusStdAndN() throws {
        let out = try Leaderboard(sweep: maximizing, tasks: seeds, groupBy: ["cell"]).render(.table, top: 2)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines[0].hasSuffix("; top 2 of 3 shown"))
        #expect(lines[1].split(separator: " ").prefix(4) == ["rank", "cell", "n", "test_accuracy"])
        #expect(lines[3].contains("0.8500 ± 0.0500"))
        #expect(lines[3].split(separator: " ").prefix(3) == ["2", "gru", "3"])
        #expect(lines.count == 4)
    }

    @Test func markdownIsAGitHubTable() throws {
        let out = try Leaderboard(sweep: maximizing, tasks: seeds).render(.markdown, top: 1)
        #expect(out == """
            | rank | task | status | cell | seed | test_accuracy | test_loss | train_loss | wall_seconds |
            | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |
            | 1 | l1 | completed | lstm | 1 | 0.9500 | 0.1000 | 0.5000 | 2.5 |

            """)
    }

    @Test func numbersForPeople() {
        #expect(Leaderboard.text(metric: "val_accuracy", .double(0.876543)) == "0.8765")
        #expect(Leaderboard.text(metric: "samples_per_second", .double(1234.56)) == "1235")
        #expect(Leaderboard.text(metric: "parameters", .int(101_770)) == "101770")
        #expect(Leaderboard.text(metric: "test_loss", .null) == "-")
        #expect(Leaderboard.text(metric: "epoch", .double(1.5)) == "1.5")   // a mean over a group
        #expect(Leaderboard.text(metric: "epoch", .double(2)) == "2")
        #expect(Leaderboard.text(metric: "parameters", .double(101_770)) == "101770")
        #expect(Leaderboard.text(metric: "parameters", .double(27.712812921102035)) == "27.71")
        #expect(Leaderboard.text(param: .double(0.00031622776601683794)) == "0.0003162")
        #expect(Leaderboard.text(param: .double(1e-5)) == "1e-05")
        #expect(Leaderboard.text(param: .string("gru")) == "gru")
    }

    @Test func statusCountsBestAndFailures() {
        var failed = task("r1", 5, .failed, params: [("cell", "rnn")])
        failed.error = "matrix too large\n  at layer 2"
        failed.attempts = 3
        let out = StatusReport.render(sweep: maximizing, tasks: Array(seeds.prefix(5)) + [failed])
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("demo  (metric test_accuracy, maximize; created 1970-01-01T00:00:00Z"))
        #expect(lines[1] == "  6 tasks: 0 pending, 0 running, 4 completed, 2 failed, 0 diverged, 0 stopped")
        #expect(lines[2] == "  best test_accuracy 0.9500  task l1  cell=lstm seed=1")
        #expect(lines[3] == "  failed g4 after 1 attempt: boom")
        #expect(lines[4] == "  failed r1 after 3 attempts: matrix too large at layer 2")
        #expect(StatusReport.render(sweep: maximizing, tasks: []).contains("best test_accuracy: none yet"))

        // tasks whose weights were not saved, in task order after the failures
        let unsaved = ["l1": "/w/s/best.safetensors.partial: No space left on device", "unknown": "ignored"]
        let marked = StatusReport.render(sweep: maximizing, tasks: Array(seeds.prefix(5)) + [failed], unsavedWeights: unsaved)
        #expect(marked.split(separator: "\n").map(String.init) == lines + ["  weights not saved for l1: /w/s/best.safetensors.partial: No space left on device"])
    }
}
