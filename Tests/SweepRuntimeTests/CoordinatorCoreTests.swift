import Testing
import SweepConfig
import SweepProtocol
import SweepStore
@testable import SweepCoordinator

/// The coordinator's state machine driven by hand: messages in, effects out, time as a number.
@Suite struct CoordinatorCoreTests {
    static func makeCore(tasks n: Int, maxAttempts: Int = 3) -> CoordinatorCore {
        let sweep = SweepRecord(id: 1, name: "s", spec: "", metric: "test_accuracy", maximize: true, createdAt: 0)
        let records = (0..<n).map { TaskRecord(sweepID: 1, taskID: "t\($0)", index: $0, params: #"{"model":"noop"}"#) }
        return CoordinatorCore(sweep: sweep, tasks: records, settings: .init(heartbeatInterval: 1, liveness: 3, maxAttempts: maxAttempts))
    }

    static let a: PeerID = [1], b: PeerID = [2]

    func hello(_ id: String, slots: Int = 1, holding: [String] = []) -> Message {
        .hello(Hello(workerID: id, host: "h", pid: 1, cores: 1, slots: slots, holding: holding))
    }

    func sentTasks(_ effects: [Effect]) -> [(PeerID, String)] {
        effects.compactMap { if case .send(let p, .task(let t)) = $0 { return (p, t.taskID) } else { return nil } }
    }

    func result(_ id: String, _ status: String = "completed", attempt: Int = 1) -> Message {
        .result(Outcome(taskID: id, attempt: attempt, status: status, metrics: .object([("test_accuracy", .double(0.5))]),
                        error: status == "failed" ? "boom" : nil, wallSeconds: 1))
    }

    @Test func handsOutOneTaskPerCreditInOrder() {
        let core = Self.makeCore(tasks: 3)
        _ = core.receive(from: Self.a, message: hello("wa", slots: 2), now: 0)
        let e = core.receive(from: Self.a, message: .ready(credit: 2), now: 0)
        #expect(sentTasks(e).map(\.1) == ["t0", "t1"])
        #expect(e.filter { if case .store(.handedOut) = $0 { return true } else { return false } }.count == 2)
        #expect(core.running == 2 && core.pendingCount == 1)
    }

    @Test func resultIsStoredBeforeItsAckAndDuplicatesAreStoredOnce() {
        let core = Self.makeCore(tasks: 2)
        _ = core.receive(from: Self.a, message: hello("wa"), now: 0)
        _ = core.receive(from: Self.a, message: .ready(credit: 1), now: 0)
        let e = core.receive(from: Self.a, message: result("t0"), now: 1)
        let storeAt = e.firstIndex { if case .store(.finished) = $0 { return true } else { return false } }
        let ackAt = e.firstIndex { if case .send(_, .ack("t0")) = $0 { return true } else { return false } }
        #expect(storeAt != nil && ackAt != nil && storeAt! < ackAt!)
        let again = core.receive(from: Self.a, message: result("t0"), now: 2)
        #expect(!again.contains { if case .store = $0 { return true } else { return false } })
        #expect(again.contains { if case .send(_, .ack("t0")) = $0 { return true } else { return false } })
        #expect(core.finishedCount == 1)
    }

    @Test func silentWorkerLosesItsTaskToAnother() {
        let core = Self.makeCore(tasks: 1)
        _ = core.receive(from: Self.a, message: hello("wa"), now: 0)
        _ = core.receive(from: Self.a, message: .ready(credit: 1), now: 0)
        _ = core.receive(from: Self.b, message: hello("wb"), now: 0)
        _ = core.receive(from: Self.b, message: .ready(credit: 1), now: 0)
        // b keeps beating, a is silent
        _ = core.receive(from: Self.b, message: .heartbeat, now: 2.5)
        #expect(sentTasks(core.tick(now: 2.9)).isEmpty)
        let e = core.tick(now: 3.1)
        #expect(e.contains { if case .store(.requeued(_, "t0", _, _)) = $0 { return true } else { return false } })
        #expect(sentTasks(e).map { $0.0 } == [Self.b])
        // the lost worker's late result is still accepted once; b is told to stop
        _ = core.receive(from: Self.a, message: hello("wa"), now: 3.5)
        let late = core.receive(from: Self.a, message: result("t0"), now: 3.6)
        #expect(late.contains { if case .send(Self.b, .cancel("t0")) = $0 { return true } else { return false } })
        #expect(core.isFinished)
    }

    /// The workers table's updates: a hello records the worker, it is heard from at most
    /// every `seenInterval`, a bye makes it `left`, silence `lost` with the begun tasks it held.
    @Test func workersAreRecordedAsTheyComeAndGo() {
        func workerUpdates(_ e: [Effect]) -> [StoreUpdate] {
            e.compactMap {
                switch $0 {
                case .store(let u):
                    switch u {
                    case .workerJoined, .workerSeen, .workerLeft: u
                    default: nil
                    }
                default: nil
                }
            }
        }
        let core = Self.makeCore(tasks: 3)
        // a worker that says when its slots begin a task (as every worker now does)
        let wa = Message.hello(Hello(workerID: "wa", host: "h", pid: 1, cores: 1, slots: 2, reportsStarts: true))
        let joined = workerUpdates(core.receive(from: Self.a, message: wa, now: 0))
        guard case .workerJoined(1, "wa@h", "h", 1, 2, 0)? = joined.first, joined.count == 1 else {
            Issue.record("a hello records the worker: \(joined)")
            return
        }
        _ = core.receive(from: Self.b, message: hello("wb"), now: 0)
        _ = core.receive(from: Self.a, message: .ready(credit: 2), now: 0)
        _ = core.receive(from: Self.a, message: .started(taskID: "t0", attempt: 1), now: 0.1)
        // heartbeats: stored once per interval, not each
        #expect(workerUpdates(core.receive(from: Self.a, message: .heartbeat, now: 1)).isEmpty)
        let seen = workerUpdates(core.receive(from: Self.a, message: .heartbeat, now: CoordinatorCore.seenInterval + 0.5))
        guard case .workerSeen(1, "wa@h", CoordinatorCore.seenInterval + 0.5)? = seen.first, seen.count == 1 else {
            Issue.record("heard from after the interval: \(seen)")
            return
        }
        // b says bye: left, nothing lost
        let bye = workerUpdates(core.receive(from: Self.b, message: .bye, now: 6)).filter {
            if case .workerSeen = $0 { false } else { true }
        }
        guard case .workerLeft(1, "wb@h", .left, 0, 6)? = bye.first, bye.count == 1 else {
            Issue.record("a bye leaves: \(bye)")
            return
        }
        // a goes silent holding t0 (begun) and t1 (not begun: queued on the worker): one task lost
        let lost = workerUpdates(core.tick(now: 20))
        guard case .workerLeft(1, "wa@h", .lost, 1, 20)? = lost.first, lost.count == 1 else {
            Issue.record("silence is lost, with the begun task it held: \(lost)")
            return
        }
    }

    @Test func aTaskThatKeepsKillingWorkersFails() {
        let core = Self.makeCore(tasks: 1, maxAttempts: 2)
        var now = 0.0
        var failed: Effect?
        for k in 0..<3 {
            let peer: PeerID = [UInt8(10 + k)]
            _ = core.receive(from: peer, message: hello("w\(k)"), now: now)
            _ = core.receive(from: peer, message: .ready(credit: 1), now: now)
            now += 4
            failed = core.tick(now: now).first { if case .store(.finished(_, _, .failed, _, _, _, _, _)) = $0 { return true } else { return false } }
            if failed != nil { break }
        }
        guard case .store(.finished(_, "t0", .failed, _, let error?, _, _, _))? = failed else {
            Issue.record("task did not fail")
            return
        }
        #expect(error == "failed on 2 attempt(s) (hosts: h, h): worker w1@h was lost")
        #expect(core.isFinished && core.failedCount == 1)
    }

    @Test func failedResultsAreRetriedThenKept() {
        let core = Self.makeCore(tasks: 1, maxAttempts: 2)
        _ = core.receive(from: Self.a, message: hello("wa"), now: 0)
        _ = core.receive(from: Self.a, message: .ready(credit: 1), now: 0)
        let first = core.receive(from: Self.a, message: result("t0", "failed"), now: 1)
        #expect(first.contains { if case .store(.requeued) = $0 { return true } else { return false } })
        let second = core.receive(from: Self.a, message: .ready(credit: 1), now: 1)
        #expect(sentTasks(second).map(\.1) == ["t0"])
        let last = core.receive(from: Self.a, message: result("t0", "failed", attempt: 2), now: 2)
        #expect(last.contains { if case .store(.finished(_, "t0", .failed, _, "failed on 2 attempt(s) (hosts: h, h): boom", _, _, _)) = $0 { return true } else { return false } })
    }

    @Test func resultsFromStrangersAndGarbageAreDropped() {
        let core = Self.makeCore(tasks: 1)
        _ = core.receive(from: Self.a, message: hello("wa"), now: 0)
        _ = core.receive(from: Self.a, message: .ready(credit: 1), now: 0)
        _ = core.receive(from: Self.b, message: hello("wb"), now: 0)
        let e = core.receive(from: Self.b, message: result("t0"), now: 1)
        // logged, acknowledged so the sender stops resending, never stored
        #expect(e.count == 2)
        if case .log(let line) = e[0] { #expect(line.contains("never given it")) } else { Issue.record("expected a log") }
        #expect(!e.contains { if case .store = $0 { return true } else { return false } })
        #expect(core.receive(from: Self.b, message: result("nope"), now: 1).count == 1)
        let garbage = core.receive(from: Self.a, frames: [[0xFF], [1, 2, 3]], now: 1)
        #expect(garbage.count == 1)
        #expect(core.finishedCount == 0)
    }

    @Test func everyoneHearsDoneAtTheEnd() {
        let core = Self.makeCore(tasks: 1)
        _ = core.receive(from: Self.a, message: hello("wa"), now: 0)
        _ = core.receive(from: Self.b, message: hello("wb"), now: 0)
        _ = core.receive(from: Self.a, message: .ready(credit: 1), now: 0)
        let e = core.receive(from: Self.a, message: result("t0"), now: 1)
        let dones = e.filter { if case .send(_, .done) = $0 { return true } else { return false } }
        #expect(dones.count == 2)
        // a worker arriving afterwards hears it too
        let late = core.receive(from: [9], message: hello("wc"), now: 2)
        #expect(late.contains { if case .send(_, .done) = $0 { return true } else { return false } })
    }

    @Test func reconnectingWorkerKeepsTheTasksItHolds() {
        let core = Self.makeCore(tasks: 2)
        _ = core.receive(from: Self.a, message: hello("wa", slots: 2), now: 0)
        _ = core.receive(from: Self.a, message: .ready(credit: 2), now: 0)
        // same worker, new connection, still training t0 only
        let e = core.receive(from: Self.b, message: hello("wa", slots: 2, holding: ["t0"]), now: 1)
        #expect(e.contains { if case .store(.requeued(_, "t1", _, _)) = $0 { return true } else { return false } })
        #expect(!e.contains { if case .store(.requeued(_, "t0", _, _)) = $0 { return true } else { return false } })
        let done = core.receive(from: Self.b, message: result("t0"), now: 2)
        #expect(done.contains { if case .store(.finished(_, "t0", .completed, _, _, _, _, _)) = $0 { return true } else { return false } })
    }

    @Test func goodbyeHandsTasksBackWithoutSpendingAnAttempt() {
        let core = Self.makeCore(tasks: 1, maxAttempts: 1)
        _ = core.receive(from: Self.a, message: hello("wa"), now: 0)
        _ = core.receive(from: Self.a, message: .ready(credit: 1), now: 0)
        _ = core.receive(from: Self.a, message: .bye, now: 1)
        _ = core.receive(from: Self.b, message: hello("wb"), now: 1)
        let e = core.receive(from: Self.b, message: .ready(credit: 1), now: 1)
        #expect(sentTasks(e).map(\.1) == ["t0"])
        guard case .send(_, .task(let t))? = e.first(where: { if case .send(_, .task) = $0 { return true } else { return false } }) else { return }
        #expect(t.attempt == 1)
    }

    /// Found by the fuzz test: a peer that claimed a task with hello and then said bye,
    /// over and over, drove its attempts below zero; the next worker got "attempt -1",
    /// dropped the task as invalid, and the task stayed running forever.
    @Test func helloAndByeRepeatedNeverDriveAttemptsBelowOne() {
        let core = Self.makeCore(tasks: 1)
        _ = core.receive(from: Self.a, message: hello("fuzzer"), now: 0)
        _ = core.receive(from: Self.a, message: .ready(credit: 1), now: 0)
        for round in 0..<4 {
            let peer: PeerID = [10, UInt8(round)]
            _ = core.receive(from: peer, message: hello("fuzzer", holding: ["t0"]), now: Double(round))
            _ = core.receive(from: peer, message: .bye, now: Double(round))
        }
        _ = core.receive(from: Self.b, message: hello("wb"), now: 5)
        let e = core.receive(from: Self.b, message: .ready(credit: 1), now: 5)
        let attempts = e.compactMap { if case .send(_, .task(let t)) = $0 { return t.attempt } else { return nil } }
        #expect(attempts == [1])
        _ = core.receive(from: Self.b, message: result("t0"), now: 6)
        #expect(core.isFinished)
    }

    /// A round sends new tasks before its commit (the fsync would sit between two tasks
    /// of a slot), but an ACK and `done` only after it.
    @Test func acksAndDoneWaitForTheCommitNewTasksDoNot() {
        let core = Self.makeCore(tasks: 2)
        _ = core.receive(from: Self.a, message: hello("wa"), now: 0)
        _ = core.receive(from: Self.a, message: .ready(credit: 1), now: 0)
        var effects = core.receive(from: Self.a, message: result("t0"), now: 1)
        effects += core.receive(from: Self.a, message: .ready(credit: 1), now: 1)
        let round = Round(effects)
        #expect(round.early.map(\.1.kind) == ["task"])
        #expect(round.updates.count == 3)   // t0 finished, t1 handed out and counted (this worker does not report starts)
        #expect(round.late.contains { if case .send(_, .ack("t0")) = $0 { return true } else { return false } })
        let last = Round(core.receive(from: Self.a, message: result("t1"), now: 2))
        #expect(last.early.isEmpty)
        #expect(last.late.contains { if case .send(_, .done) = $0 { return true } else { return false } })
    }

    @Test func heartbeatsAreSentWhenDue() {
        let core = Self.makeCore(tasks: 1)
        _ = core.receive(from: Self.a, message: hello("wa"), now: 0)
        #expect(core.tick(now: 0.5).isEmpty)
        let e = core.tick(now: 1.0)
        #expect(e.contains { if case .send(Self.a, .heartbeat) = $0 { return true } else { return false } })
        #expect(core.nextDeadline(now: 1.0) <= 1.0)
    }

    func progress(_ id: String, epoch: Int) -> Message {
        .progress(TaskProgress(taskID: id, attempt: 1, epoch: epoch,
                               metrics: .object([("epoch", .int(epoch)), ("test_accuracy", .double(0.1 * Double(epoch)))])))
    }

    /// A worker resends every epoch of a task after a reconnect (those sent while the
    /// coordinator was down are lost otherwise). Repeats, on the same connection or the
    /// next, leave one row per epoch in a real store, charge no attempt, move no task and
    /// log nothing; once the task has ended they are ignored quietly too, but a worker
    /// that was never given the task is still told off.
    @Test func repeatedProgressIsStoredOnceAndChangesNothing() throws {
        let stored = try StoredCore("sweep-progress")
        defer { stored.remove() }
        let (store, sweep, core, commit) = (stored.store, stored.sweep, stored.core, stored.commit)
        // the tasks' updates (a hello also records the worker in the workers table)
        func updates(_ e: [Effect]) -> [StoreUpdate] {
            e.compactMap {
                switch $0 {
                case .store(.workerJoined), .store(.workerSeen), .store(.workerLeft): nil
                case .store(let u): u
                default: nil
                }
            }
        }
        func logs(_ e: [Effect]) -> [String] { e.compactMap { if case .log(let l) = $0 { l } else { nil } } }

        try commit(core.receive(from: Self.a, message: hello("wa"), now: 0))
        try commit(core.receive(from: Self.a, message: .ready(credit: 1), now: 0))
        for epoch in 1...3 { try commit(core.receive(from: Self.a, message: progress("t0", epoch: epoch), now: 1)) }

        var repeats = core.receive(from: Self.a, message: progress("t0", epoch: 3), now: 1.5)
        let reconnect = core.receive(from: Self.b, message: hello("wa", holding: ["t0"]), now: 2)
        #expect(updates(reconnect).isEmpty, "the task stays with its worker: not requeued, no attempt spent")
        for epoch in 1...3 { repeats += core.receive(from: Self.b, message: progress("t0", epoch: epoch), now: 2) }
        #expect(updates(repeats).allSatisfy { if case .epoch(_, "t0", _, _) = $0 { true } else { false } })
        #expect(logs(repeats).isEmpty, "\(logs(repeats))")
        #expect(!repeats.contains { if case .send = $0 { true } else { false } })
        try commit(repeats)
        try commit(core.receive(from: Self.b, message: progress("t0", epoch: 4), now: 3))
        #expect(core.running == 1 && core.pendingCount == 0)

        try commit(core.receive(from: Self.b, message: result("t0"), now: 4))
        let rows = try store.epochs(sweepID: sweep.id, taskID: "t0").map { try JSON.parse($0)["epoch"]?.intValue }
        #expect(rows == [1, 2, 3, 4])
        let task = try store.tasks(sweepID: sweep.id)[0]
        #expect(task.status == .completed && task.attempts == 1)

        // the worker reconnects before the ack reaches it and resends the epochs ahead of the result
        let late = core.receive(from: Self.a, message: hello("wa", holding: ["t0"]), now: 5)
            + core.receive(from: Self.a, message: progress("t0", epoch: 2), now: 5)
        #expect(updates(late).isEmpty && !logs(late).contains { $0.contains("dropped") })
        _ = core.receive(from: [9], message: hello("stranger"), now: 5)
        let stranger = core.receive(from: [9], message: progress("t0", epoch: 2), now: 5)
        #expect(updates(stranger).isEmpty && logs(stranger).contains { $0.contains("does not hold it") })
        #expect(try store.epochs(sweepID: sweep.id, taskID: "t0").count == 4)
    }

    /// A worker that reconnects after its task went to another worker resends the task's
    /// epochs ahead of its result. If that result is the one stored, the stored curve is its
    /// epochs, not the second attempt's (whose start dropped them); if the other worker's
    /// result comes first, the curve is that worker's.
    @Test(arguments: [true, false])
    func epochsOfTheStoredResultAreTheCurve(firstWorkerWins: Bool) throws {
        let stored = try StoredCore("sweep-stray-epochs")
        defer { stored.remove() }
        let (store, sweep, core, commit) = (stored.store, stored.sweep, stored.core, stored.commit)
        func epoch(_ e: Int, accuracy: Double, attempt: Int) -> Message {
            .progress(TaskProgress(taskID: "t0", attempt: attempt, epoch: e,
                                   metrics: .object([("epoch", .int(e)), ("test_accuracy", .double(accuracy))])))
        }
        func curve() throws -> [Double] {
            try store.epochs(sweepID: sweep.id, taskID: "t0").map { try JSON.parse($0)["test_accuracy"]?.doubleValue ?? -1 }
        }
        try commit(core.receive(from: Self.a, message: hello("wa"), now: 0))
        try commit(core.receive(from: Self.a, message: .ready(credit: 1), now: 0))
        for e in 1...2 { try commit(core.receive(from: Self.a, message: epoch(e, accuracy: 0.1 * Double(e), attempt: 1), now: 1)) }
        try commit(core.tick(now: 10))   // wa went silent: its lease ends, t0 is pending again
        try commit(core.receive(from: Self.b, message: hello("wb"), now: 10))
        let handOut = core.receive(from: Self.b, message: .ready(credit: 1), now: 10)
        #expect(sentTasks(handOut).map(\.1) == ["t0"])
        try commit(handOut)
        try commit(core.receive(from: Self.b, message: epoch(1, accuracy: 0.9, attempt: 2), now: 11))
        #expect(try curve() == [0.9])

        // wa comes back, still training attempt 1, and resends its epochs (one more now)
        let c: PeerID = [3]
        try commit(core.receive(from: c, message: hello("wa", holding: ["t0"]), now: 12))
        for e in 1...3 { try commit(core.receive(from: c, message: epoch(e, accuracy: 0.1 * Double(e), attempt: 1), now: 12)) }
        #expect(try curve() == [0.9], "the holder's epochs stay until a result decides")
        if firstWorkerWins {
            let end = core.receive(from: c, message: result("t0"), now: 13)
            #expect(end.contains { if case .send(Self.b, .cancel(taskID: "t0")) = $0 { true } else { false } })
            try commit(end)
            #expect(try curve() == (1...3).map { 0.1 * Double($0) })
        } else {
            try commit(core.receive(from: Self.b, message: epoch(2, accuracy: 0.95, attempt: 2), now: 13))
            try commit(core.receive(from: Self.b, message: result("t0", attempt: 2), now: 14))
            try commit(core.receive(from: c, message: result("t0"), now: 15))   // late: stored once, acknowledged
            #expect(try curve() == [0.9, 0.95])
        }
        #expect(try store.tasks(sweepID: sweep.id)[0].status == .completed)
    }

    /// After a coordinator restart, the worker that held a task may claim it back; nobody else may.
    @Test func onlyTheLastHolderReclaimsATaskAfterARestart() {
        let sweep = SweepRecord(id: 1, name: "s", spec: "", metric: "test_accuracy", maximize: true, createdAt: 0)
        var held = TaskRecord(sweepID: 1, taskID: "t0", index: 0, params: "{}")
        held.status = .running
        held.attempts = 1
        held.worker = "wa@h"
        let free = TaskRecord(sweepID: 1, taskID: "t1", index: 1, params: "{}")
        let core = CoordinatorCore(sweep: sweep, tasks: [held, free], settings: .init(heartbeatInterval: 1, liveness: 3, maxAttempts: 3))
        #expect(core.pendingCount == 2)
        _ = core.receive(from: Self.b, message: hello("intruder", holding: ["t0", "t1"]), now: 0)
        #expect(core.pendingCount == 2, "a stranger cannot claim tasks")
        _ = core.receive(from: Self.a, message: hello("wa", holding: ["t0"]), now: 0)
        #expect(core.pendingCount == 1 && core.running == 1)
        let e = core.receive(from: Self.a, message: result("t0"), now: 1)
        #expect(e.contains { if case .store(.finished(_, "t0", .completed, _, _, _, _, _)) = $0 { return true } else { return false } })
        let stranger = core.receive(from: Self.b, message: result("t1"), now: 1)
        #expect(!stranger.contains { if case .store = $0 { return true } else { return false } })
    }
}
