import Foundation
import Testing
@testable import SweepSearch

@Suite struct MedianStoppingTests {
    /// Minimize, min_iter 2, at least 2 other tasks at the epoch.
    ///
    ///   a: e1 1.0, e2 0.8, e3 0.6     running averages: e2 0.9,  e3 0.8
    ///   b: e1 1.2, e2 1.0, e3 0.9                       e2 1.1,  e3 1.0333
    ///   c: e1 2.0, e2 1.5                               e2 1.75
    ///   d: e1 1.1, e2 0.95, e3 1.05
    ///
    ///   a2, b2, a3, b3: one other task at the epoch → continue
    ///   c2: best 1.5 vs median(0.9, 1.1) = 1.0         → stop
    ///   d2: best 0.95 vs median(0.9, 1.1, 1.75) = 1.1  → continue
    ///   d3: best 0.95 vs median(0.8, 1.0333) = 0.9167 (c never reached e3) → stop
    ///   d4: stopped at 3 already                       → stop(3), no record
    static let reports: [(String, Int, Double, Decision)] = [
        ("a", 1, 1.0, .continue), ("b", 1, 1.2, .continue), ("a", 2, 0.8, .continue), ("b", 2, 1.0, .continue),
        ("a", 3, 0.6, .continue), ("b", 3, 0.9, .continue), ("c", 1, 2.0, .continue), ("c", 2, 1.5, .stop(epoch: 2)),
        ("d", 1, 1.1, .continue), ("d", 2, 0.95, .continue), ("d", 3, 1.05, .stop(epoch: 3)), ("d", 4, 0.5, .stop(epoch: 3)),
    ]

    @Test func workedExample() throws {
        var rule = MedianStopping(minIter: 2, minTasks: 2, maximize: false)
        for (task, epoch, value, expected) in Self.reports {
            #expect(rule.report(taskID: task, epoch: epoch, value: value) == expected, "\(task) epoch \(epoch)")
        }
        #expect(rule.records.count == 11)
        #expect(rule.median(excluding: "d", epoch: 3).map { abs($0 - (0.8 + 3.1 / 3) / 2) < 1e-12 } == true)
        #expect(rule.stopped == ["c": 2, "d": 3])
        // each judged record carries the median it was held against; d's stop at epoch 3 was that median
        let d3 = try #require(rule.records.first { $0.taskID == "d" && $0.epoch == 3 })
        #expect(d3.cutoff.map { abs($0 - (0.8 + 3.1 / 3) / 2) < 1e-12 } == true, "\(d3)")
        #expect(rule.records.filter { $0.epoch < 2 }.allSatisfy { $0.cutoff == nil }, "not judged before min_iter: no cut-off")
    }

    @Test func waitsForMinIterAndMinTasks() {
        var rule = MedianStopping(minIter: 3, maximize: true)   // minTasks 3
        for task in ["a", "b", "c"] {
            for epoch in 1...3 { _ = rule.report(taskID: task, epoch: epoch, value: 0.9) }
        }
        // Epochs 1 and 2 are below min_iter; a poor task is judged from epoch 3 on.
        #expect(rule.report(taskID: "poor", epoch: 1, value: 0.1) == .continue)
        #expect(rule.report(taskID: "poor", epoch: 2, value: 0.1) == .continue)
        #expect(rule.report(taskID: "poor", epoch: 3, value: 0.1) == .stop(epoch: 3))
        // With two others only, nothing is stopped.
        var few = MedianStopping(minIter: 1, maximize: true)
        for task in ["a", "b"] { _ = few.report(taskID: task, epoch: 1, value: 0.9) }
        #expect(few.report(taskID: "poor", epoch: 1, value: 0.1) == .continue)
    }

    @Test func nanIsWorstAndRepeatsAreIgnored() {
        var rule = MedianStopping(minIter: 1, maximize: true)
        #expect(rule.report(taskID: "x", epoch: 1, value: .nan) == .stop(epoch: 1))
        _ = rule.report(taskID: "a", epoch: 1, value: 0.5)
        #expect(rule.report(taskID: "a", epoch: 1, value: 0.0) == .continue)   // a repeat: not recorded
        #expect(rule.records.count == 2)
    }

    @Test func replayReachesTheSameDecisions() throws {
        var original = MedianStopping(minIter: 2, minTasks: 2, maximize: false)
        for (task, epoch, value, _) in Self.reports.prefix(9) { _ = original.report(taskID: task, epoch: epoch, value: value) }
        let records = try JSONDecoder().decode([StopRecord].self, from: JSONEncoder().encode(original.records))
        var restarted = MedianStopping(minIter: 2, minTasks: 2, maximize: false, replaying: records)
        #expect(restarted.stopped == original.stopped)
        for (task, epoch, value, expected) in Self.reports.dropFirst(9) {
            #expect(restarted.report(taskID: task, epoch: epoch, value: value) == expected)
            _ = original.report(taskID: task, epoch: epoch, value: value)
        }
        #expect(restarted.records == original.records)
    }
}
