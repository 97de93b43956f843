import Foundation
import Testing
import SweepSpec
@testable import SweepSearch

@Suite struct SuccessiveHalvingTests {
    @Test func rungEpochs() {
        let open = SuccessiveHalving(minIter: 1, eta: 3, maximize: false)
        #expect((0..<4).map { open.rungEpoch($0) } == [1, 3, 9, 27])
        let capped = SuccessiveHalving(minIter: 2, eta: 2, rungs: 2, maximize: true)
        #expect((0..<3).map { capped.rungEpoch($0) } == [2, 4, nil])
        #expect(capped.rungIndex(atEpoch: 1) == nil && capped.rungIndex(atEpoch: 3) == 0 && capped.rungIndex(atEpoch: 100) == 1)
    }

    /// Minimize, min_iter 1, eta 3: rungs at epochs 1, 3, 9. A task goes on when
    /// fewer than n/3 of the n values at its rung (itself included) are better.
    ///
    ///   report        rung 1 holds                     better  n  keep ⌈n/3⌉  decision
    ///   t1 e1 0.5     {.5}                              0      1  1           continue
    ///   t2 e1 0.7     {.5 .7}                           1      2  1           stop
    ///   t3 e1 0.3     {.5 .7 .3}                        0      3  1           continue
    ///   t4 e1 0.4     {.5 .7 .3 .4}                     1      4  2           continue
    ///   t5 e1 0.6     {.5 .7 .3 .4 .6}                  3      5  2           stop
    ///   t1 e2 0.45    (no rung at 2; judged at 1)                             continue, no record
    ///   t1 e3 0.45    rung 3: {.45}                     0      1  1           continue
    ///   t3 e3 0.2     rung 3: {.45 .2}                  0      2  1           continue
    ///   t4 e3 0.5     rung 3: {.45 .2 .5}               2      3  1           stop
    ///   t2 e2 0.1     (stopped at 1 already)                                  stop(1), no record
    static let workedReports: [(String, Int, Double, Decision)] = [
        ("t1", 1, 0.5, .continue), ("t2", 1, 0.7, .stop(epoch: 1)), ("t3", 1, 0.3, .continue),
        ("t4", 1, 0.4, .continue), ("t5", 1, 0.6, .stop(epoch: 1)), ("t1", 2, 0.45, .continue),
        ("t1", 3, 0.45, .continue), ("t3", 3, 0.2, .continue), ("t4", 3, 0.5, .stop(epoch: 3)),
        ("t2", 2, 0.1, .stop(epoch: 1)),
    ]

    @Test func workedExampleMinimize() {
        var asha = SuccessiveHalving(minIter: 1, eta: 3, maximize: false)
        for (task, epoch, value, expected) in Self.workedReports {
            #expect(asha.report(taskID: task, epoch: epoch, value: value) == expected, "\(task) epoch \(epoch)")
        }
        #expect(asha.records.count == 8)
        #expect(asha.records.filter(\.stopped).map(\.taskID) == ["t2", "t5", "t4"])
        #expect(asha.rungs.map(\.epoch) == [1, 3])
        #expect(asha.rungs[0].values.count == 5 && asha.rungs[1].values == ["t1": 0.45, "t3": 0.2, "t4": 0.5])
        #expect(asha.stopped == ["t2": 1, "t5": 1, "t4": 3])
    }

    /// Maximize, min_iter 2, eta 2, two rungs: epochs 2 and 4 (none at 8).
    ///
    ///   report        rung holds                 better  n  keep ⌈n/2⌉  decision
    ///   a e2 0.8      2: {.8}                     0      1  1           continue
    ///   b e2 0.8      2: {.8 .8}                  0      2  1           continue (a tie is not better)
    ///   c e2 0.9      2: {.8 .8 .9}               0      3  2           continue
    ///   d e2 0.8      2: {.8 .8 .9 .8}            1      4  2           continue
    ///   e e2 NaN      2: {… NaN}                  -      5  -           stop (diverged)
    ///   f e1 0.1      (below min_iter)                                  continue, no record
    ///   a e4 0.85     4: {.85}                    0      1  1           continue
    ///   c e4 NaN      4: {.85 NaN}                -      2  -           stop
    ///   g e5 0.7      4: {.85 NaN .7} (first report past rung 4, judged there)
    ///                                             1      3  2           continue
    ///   a e8 0.1      (no third rung)                                   continue, no record
    ///   b e2 0.8      (a repeat)                                        continue, no record
    @Test func workedExampleMaximizeTiesAndNaN() {
        var asha = SuccessiveHalving(minIter: 2, eta: 2, rungs: 2, maximize: true)
        let reports: [(String, Int, Double, Decision)] = [
            ("a", 2, 0.8, .continue), ("b", 2, 0.8, .continue), ("c", 2, 0.9, .continue), ("d", 2, 0.8, .continue),
            ("e", 2, .nan, .stop(epoch: 2)), ("f", 1, 0.1, .continue), ("a", 4, 0.85, .continue),
            ("c", 4, .nan, .stop(epoch: 4)), ("g", 5, 0.7, .continue), ("a", 8, 0.1, .continue), ("b", 2, 0.8, .continue),
        ]
        for (task, epoch, value, expected) in reports {
            #expect(asha.report(taskID: task, epoch: epoch, value: value) == expected, "\(task) epoch \(epoch)")
        }
        #expect(asha.records.map(\.taskID) == ["a", "b", "c", "d", "e", "a", "c", "g"])
        #expect(asha.rungs.map { $0.values.count } == [5, 3])
    }

    /// Maximize, eta 3, five tasks 0.1 … 0.5 at rung 1 (each the best so far, kept).
    /// Then a rung of n values keeps ⌈n/3⌉:
    ///   0.45: n 6, 1 better, keep 2 → continue
    ///   0.42: n 7, 2 better, keep 3 → continue
    ///   0.41: n 8, 3 better, keep 3 → stop
    ///   0.60: n 9, 0 better          → continue
    /// Each record carries its cut-off: the worst value kept at the rung then (the
    /// ceil(n / eta)-th best); a task is kept when it is at least as good. Older records,
    /// without one, still decode.
    @Test func recordsCarryTheCutoff() throws {
        var asha = SuccessiveHalving(minIter: 1, eta: 2, rungs: 1, maximize: true)
        for (id, v) in [("t1", 0.5), ("t2", 0.7), ("t3", 0.6), ("t4", 0.55)] { _ = asha.report(taskID: id, epoch: 1, value: v) }
        #expect(asha.records.map(\.cutoff) == [0.5, 0.7, 0.6, 0.6])
        #expect(asha.records.map(\.stopped) == [false, false, false, true])
        for r in asha.records { #expect(r.stopped == (r.value < r.cutoff!), "\(r)") }
        let old = try JSONDecoder().decode(StopRecord.self, from: Data(#"{"task_id":"t","epoch":1,"value":0.5,"stopped":false}"#.utf8))
        #expect(old.cutoff == nil)
        let again = try JSONDecoder().decode(StopRecord.self, from: JSONEncoder().encode(asha.records[3]))
        #expect(again == asha.records[3])
    }

    @Test func keepsTheBestThirdRoundedUp() {
        var asha = SuccessiveHalving(minIter: 1, eta: 3, maximize: true)
        for (i, v) in [0.1, 0.2, 0.3, 0.4, 0.5].enumerated() {
            #expect(asha.report(taskID: "t\(i)", epoch: 1, value: v) == .continue)
        }
        #expect(asha.report(taskID: "a", epoch: 1, value: 0.45) == .continue)
        #expect(asha.report(taskID: "b", epoch: 1, value: 0.42) == .continue)
        #expect(asha.report(taskID: "c", epoch: 1, value: 0.41) == .stop(epoch: 1))
        #expect(asha.report(taskID: "d", epoch: 1, value: 0.6) == .continue)
    }

    /// `eta: 9223372036854775807` passes the spec reader; better·eta overflowed once two
    /// values beat the third (found while writing the spec fuzz target).
    @Test func aHugeEtaStopsAllButTheBest() {
        var asha = SuccessiveHalving(minIter: 1, eta: Int.max, maximize: true)
        #expect(asha.report(taskID: "a", epoch: 1, value: 0.9) == .continue)
        #expect(asha.report(taskID: "b", epoch: 1, value: 0.5) == .stop(epoch: 1))
        #expect(asha.report(taskID: "c", epoch: 1, value: 0.1) == .stop(epoch: 1))
    }

    @Test func replayReachesTheSameStateAndDecisions() throws {
        var original = SuccessiveHalving(minIter: 1, eta: 3, maximize: false)
        for (task, epoch, value, _) in Self.workedReports { _ = original.report(taskID: task, epoch: epoch, value: value) }
        // The records go through a store as JSON.
        let stored = try JSONEncoder().encode(original.records)
        let records = try JSONDecoder().decode([StopRecord].self, from: stored)
        var restarted = SuccessiveHalving(minIter: 1, eta: 3, maximize: false, replaying: records)
        #expect(restarted.rungs == original.rungs && restarted.stopped == original.stopped && restarted.records == original.records)
        let next: [(String, Int, Double)] = [("t6", 1, 0.35), ("t7", 1, 0.9), ("t3", 9, 0.1), ("t1", 9, 0.3), ("t5", 3, 0.0)]
        for (task, epoch, value) in next {
            #expect(restarted.report(taskID: task, epoch: epoch, value: value) == original.report(taskID: task, epoch: epoch, value: value))
        }
        #expect(restarted.records == original.records)
    }

    @Test func recordedDecisionsAreTakenAsMade() {
        // A record says t2 was kept although the rule would stop it now: replay obeys the record.
        let records = [StopRecord(taskID: "t1", epoch: 1, value: 0.1, stopped: false),
                       StopRecord(taskID: "t2", epoch: 1, value: 0.9, stopped: false)]
        var asha = SuccessiveHalving(minIter: 1, eta: 3, maximize: false, replaying: records)
        #expect(asha.report(taskID: "t2", epoch: 1, value: 0.9) == .continue)
        #expect(asha.report(taskID: "t2", epoch: 3, value: 0.9) == .continue)
    }

    @Test func recordsEncodeNaNAsNull() throws {
        let record = StopRecord(taskID: "abc", epoch: 3, value: .nan, stopped: true)
        let json = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        #expect(json.contains("\"value\":null") && json.contains("\"task_id\":\"abc\""))
        let back = try JSONDecoder().decode(StopRecord.self, from: Data(json.utf8))
        #expect(back.value.isNaN && back.taskID == "abc" && back.epoch == 3 && back.stopped)
    }

    @Test func specMakesTheRule() throws {
        let hyperband = try SweepSpec.parse("""
            method: grid
            metric: {name: test_loss}
            parameters: {epochs: {value: 27}}
            early_terminate: {type: hyperband, max_iter: 27, s: 2}
            """, path: "h.yaml")
        let asha = try #require(hyperband.earlyStopping() as? SuccessiveHalving)
        #expect(asha.minIter == 3 && asha.eta == 3 && asha.rungLimit == 2 && !asha.maximize)
        #expect([0, 1, 2].map { asha.rungEpoch($0) } == [3, 9, nil])

        let median = try SweepSpec.parse("""
            method: grid
            parameters: {epochs: {value: 5}}
            early_terminate: {type: median, min_iter: 2}
            """, path: "m.yaml")
        let rule = try #require(median.earlyStopping() as? MedianStopping)
        #expect(rule.minIter == 2 && rule.maximize)
        #expect(try SweepSpec.parse("method: grid\nparameters: {epochs: {value: 5}}\n", path: "n.yaml").earlyStopping() == nil)
    }
}
