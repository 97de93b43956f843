import Foundation
@testable import SweepStore
import Testing

/// A store that cannot grow (`PRAGMA max_page_count`, which fails as a full disk does:
/// SQLITE_FULL) refuses a round of updates as a whole, says so in `StoreError.condition`,
/// and takes the same updates again once it may grow: the coordinator holds a round
/// back and retries it (CommitGate).
@Suite struct FullStoreTests {
    @Test func aFullStoreRefusesTheWholeRoundAndTakesItOnceThereIsRoom() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/sweep.db")
            let s = try store.openSweep(name: "s", spec: "", metric: "test_accuracy", maximize: true, tasks: newTasks(4)).id
            try store.apply([.handedOut(sweepID: s, taskID: "t0", worker: "w@h", at: 1),
                             .handedOut(sweepID: s, taskID: "t1", worker: "w@h", at: 1)])
            try store.limitPages(try store.pageCount())
            // a round that needs new pages: two results with large insights
            let big = String(repeating: "x", count: 64 << 10)
            let round: [StoreUpdate] = ["t0", "t1"].flatMap { id -> [StoreUpdate] in
                [.finished(sweepID: s, taskID: id, status: .completed, metrics: metrics(testAccuracy: 0.5, testLoss: 1),
                           error: nil, wallSeconds: 1, worker: "w@h", at: 2),
                 .insights(sweepID: s, taskID: id, data: "{\"pad\":\"\(big)\"}")]
            }
            for _ in 0..<3 {
                do {
                    try store.apply(round)
                    Issue.record("a store at its page limit took \(big.utf8.count * 2) more bytes")
                } catch let e as StoreError {
                    #expect(e.condition == .diskFull, "\(e)")
                    #expect(e.message.hasPrefix(dir + "/sweep.db: "), "\(e)")
                }
                // rolled back: nothing of the round took effect, and the writer is usable
                #expect(try store.tasks(sweepID: s).map(\.status) == [.running, .running, .pending, .pending])
                #expect(try store.insights(sweepID: s).isEmpty)
                try store.apply([.attemptStarted(sweepID: s, taskID: "t0", attempts: 1)])
            }
            try store.limitPages(1 << 30)
            #expect(try store.apply(round) == [true, true, true, true])
            #expect(try store.tasks(sweepID: s).map(\.status) == [.completed, .completed, .pending, .pending])
            #expect(try store.insights(sweepID: s).count == 2)
            // a request the store refuses for itself is no passing condition
            do {
                try store.apply([.finished(sweepID: s, taskID: "t2", status: .running, metrics: "{}", error: nil,
                                           wallSeconds: 0, worker: "w@h", at: 3)])
                Issue.record("finished as running was taken")
            } catch let e as StoreError {
                #expect(e.condition == nil)
            }
        }
    }
}

/// A task's start folded into its hand-out when one commit holds both (Store.foldedStarts)
/// changes nothing: the same rows and the same answers as one update at a time.
@Suite struct FoldedStartTests {
    @Test func aBatchEndsAsItsUpdatesOneByOne() throws {
        try withTemporaryDirectory { dir in
            let batch = try Store(path: dir + "/batch.db"), single = try Store(path: dir + "/single.db")
            let s = try batch.openSweep(name: "s", spec: "", metric: "test_accuracy", maximize: true, tasks: newTasks(4)).id
            _ = try single.openSweep(name: "s", spec: "", metric: "test_accuracy", maximize: true, tasks: newTasks(4))
            let done = StoreUpdate.finished(sweepID: s, taskID: "t3", status: .completed, metrics: "{}", error: nil,
                                            wallSeconds: 1, worker: "w@h", at: 1)
            for store in [batch, single] { try store.apply([.handedOut(sweepID: s, taskID: "t3", worker: "w@h", at: 0), done]) }
            let updates: [StoreUpdate] = [
                .handedOut(sweepID: s, taskID: "t0", worker: "a@h", at: 2),
                .handedOut(sweepID: s, taskID: "t1", worker: "a@h", at: 2),
                .handedOut(sweepID: s, taskID: "t2", worker: "b@h", at: 2),
                .handedOut(sweepID: s, taskID: "t3", worker: "b@h", at: 2),   // finished: takes no effect
                .epoch(sweepID: s, taskID: "t1", epoch: 1, metrics: "{\"epoch\":1}"),
                .attemptStarted(sweepID: s, taskID: "t0", attempts: 1),       // folded
                .attemptStarted(sweepID: s, taskID: "t1", attempts: 2),       // not: an epoch came between
                .requeued(sweepID: s, taskID: "t2", attempts: 0, error: "lost"),
                .attemptStarted(sweepID: s, taskID: "t2", attempts: 1),       // not: requeued between
                .attemptStarted(sweepID: s, taskID: "t3", attempts: 1),       // folded, and like its hand-out, no effect
            ]
            let folded = Store.foldedStarts(updates)
            #expect(folded.byHandOut == [0: 1, 3: 1] && folded.byStart == [5: 0, 9: 3])
            let together = try batch.apply(updates)
            let oneByOne = try updates.map { try single.apply([$0])[0] }
            #expect(together == oneByOne)
            let rows = { (store: Store) in try store.tasks(sweepID: s).map { "\($0.taskID) \($0.status) \($0.attempts) \($0.worker ?? "-")" } }
            #expect(try rows(batch) == rows(single))
            #expect(try batch.epochs(sweepID: s, taskID: "t1") == single.epochs(sweepID: s, taskID: "t1"))
        }
    }
}
