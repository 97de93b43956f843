import Testing
import SweepConfig
import SweepProtocol
import SweepStore
@testable import SweepCoordinator

/// Which runs cost a task an attempt. A prefetching worker holds more tasks than it has
/// slots; it says `started` when a slot begins one. Losing the worker charges only the
/// tasks it had begun (or sent progress, weights or a result for): the queued ones go
/// back to pending as they were, in memory and in the store.
@Suite struct AttemptChargingTests {
    static let a: PeerID = [1], b: PeerID = [2], c: PeerID = [3]

    func hello(_ id: String, slots: Int = 1, holding: [String] = []) -> Message {
        .hello(Hello(workerID: id, host: "h", pid: 1, cores: 1, slots: slots, holding: holding, reportsStarts: true))
    }

    /// Attempt numbers of the tasks handed out, by task id.
    func handedOut(_ effects: [Effect]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: effects.compactMap {
            if case .send(_, .task(let t)) = $0 { (t.taskID, t.attempt) } else { nil }
        })
    }

    func stored(_ s: StoredCore) throws -> [String: (TaskStatus, Int)] {
        Dictionary(uniqueKeysWithValues: try s.store.tasks(sweepID: s.sweep.id).map { ($0.taskID, ($0.status, $0.attempts)) })
    }

    /// One slot, two tasks (the second prefetched), only the first begun: a lease expiry
    /// fails the first (its one attempt is spent) and returns the second untouched.
    @Test func aLostWorkerSpendsAnAttemptOnlyOnTheTaskItBegan() throws {
        let s = try StoredCore("sweep-charge-lost", tasks: 2, maxAttempts: 1)
        defer { s.remove() }
        try s.commit(s.core.receive(from: Self.a, message: hello("wa"), now: 0))
        var e = s.core.receive(from: Self.a, message: .ready(credit: 1), now: 0)
        e += s.core.receive(from: Self.a, message: .ready(credit: 1), now: 0)   // prefetch: one beyond the slot
        #expect(handedOut(e) == ["t0": 1, "t1": 1])
        try s.commit(e)
        #expect(try stored(s).mapValues(\.1) == ["t0": 0, "t1": 0], "a hand-out alone counts nothing")
        try s.commit(s.core.receive(from: Self.a, message: .started(taskID: "t0", attempt: 1), now: 0.5))
        #expect(try stored(s)["t0"]! == (.running, 1))

        try s.commit(s.core.tick(now: 3.6))
        let after = try stored(s)
        #expect(after["t0"]! == (.failed, 1))
        #expect(after["t1"]! == (.pending, 0))
        _ = s.core.receive(from: Self.b, message: hello("wb"), now: 3.7)
        #expect(handedOut(s.core.receive(from: Self.b, message: .ready(credit: 1), now: 3.7)) == ["t1": 1])
    }

    /// A `started` that never arrived: progress, weights or a result from the holder say
    /// the task began all the same, so a lost worker or a failure still counts.
    @Test func progressOrAResultCountsWhenStartedWasLost() throws {
        let s = try StoredCore("sweep-charge-progress", tasks: 2, maxAttempts: 1)
        defer { s.remove() }
        try s.commit(s.core.receive(from: Self.a, message: hello("wa"), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .ready(credit: 1), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .progress(TaskProgress(taskID: "t0", attempt: 1, epoch: 1,
                                                                                 metrics: .object([("epoch", .int(1))]))), now: 1))
        #expect(try stored(s)["t0"]! == (.running, 1))
        try s.commit(s.core.tick(now: 4.1))
        #expect(try stored(s)["t0"]! == (.failed, 1))

        // a failed result with no `started` before it: its one attempt is spent, no retry
        try s.commit(s.core.receive(from: Self.b, message: hello("wb"), now: 5))
        try s.commit(s.core.receive(from: Self.b, message: .ready(credit: 1), now: 5))
        let failed = s.core.receive(from: Self.b, message: .result(Outcome(taskID: "t1", attempt: 1, status: "failed",
                                                                           metrics: .object([]), error: "boom", wallSeconds: 0)), now: 6)
        #expect(handedOut(failed).isEmpty)
        try s.commit(failed)
        #expect(try stored(s)["t1"]! == (.failed, 1))
        #expect(s.core.isFinished)
    }

    /// A worker that reconnects resends `started` for what it began: on a new connection
    /// to the same coordinator the run is not counted twice; to a restarted coordinator it
    /// is counted once whether or not the store had it before the crash.
    @Test func aReconnectingWorkerResendsStartedAndNothingIsCountedTwice() throws {
        let s = try StoredCore("sweep-charge-reconnect", tasks: 3, maxAttempts: 3)
        defer { s.remove() }
        try s.commit(s.core.receive(from: Self.a, message: hello("wa", slots: 2), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .ready(credit: 2), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .ready(credit: 1), now: 0))   // t2 prefetched
        try s.commit(s.core.receive(from: Self.a, message: .started(taskID: "t0", attempt: 1), now: 0))

        // same coordinator, new connection: hello, then `started` again for t0
        var e = s.core.receive(from: Self.b, message: hello("wa", slots: 2, holding: ["t0", "t1", "t2"]), now: 1)
        e += s.core.receive(from: Self.b, message: .started(taskID: "t0", attempt: 1), now: 1)
        try s.commit(e)
        #expect(try stored(s).mapValues(\.1) == ["t0": 1, "t1": 0, "t2": 0])

        // the coordinator dies; meanwhile t1 began and its `started` got lost with the coordinator
        let core = try s.restarted()
        var r = core.receive(from: Self.c, message: hello("wa", slots: 2, holding: ["t0", "t1", "t2"]), now: 0)
        r += core.receive(from: Self.c, message: .started(taskID: "t0", attempt: 1), now: 0)
        r += core.receive(from: Self.c, message: .started(taskID: "t1", attempt: 1), now: 0)
        try s.commit(r)
        #expect(try stored(s).mapValues(\.1) == ["t0": 1, "t1": 1, "t2": 0])
        #expect(core.running == 3)

        // then the worker is lost: the two it began are charged (already), t2 goes back as it was
        try s.commit(core.tick(now: 3.1))
        #expect(try stored(s).mapValues(\.0) == ["t0": .pending, "t1": .pending, "t2": .pending])
        _ = core.receive(from: Self.b, message: hello("wb", slots: 3), now: 3.2)
        #expect(handedOut(core.receive(from: Self.b, message: .ready(credit: 3), now: 3.2)) == ["t0": 2, "t1": 2, "t2": 1])
    }

    /// A coordinator that restarts gives each task that was running one lease for its holder
    /// to come back for it: another worker saying hello first gets the other tasks, not that
    /// one, so it runs once and is charged once. (Handed out at once, it ran twice and was
    /// charged for the coordinator's crash: the chaos test saw tasks reach 3 attempts so.)
    @Test func aRestartedCoordinatorKeepsARunningTaskForItsHolderForOneLease() throws {
        let s = try StoredCore("sweep-charge-restart", tasks: 4, maxAttempts: 3)
        defer { s.remove() }
        try s.commit(s.core.receive(from: Self.a, message: hello("wa"), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .ready(credit: 1), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .started(taskID: "t0", attempt: 1), now: 0.1))

        // the coordinator dies; a new worker says hello first and asks for two tasks
        let core = try s.restarted()
        try s.commit(core.tick(now: 10))
        var e = core.receive(from: Self.b, message: hello("wb", slots: 2), now: 10)
        e += core.receive(from: Self.b, message: .ready(credit: 2), now: 10)
        #expect(handedOut(e) == ["t1": 1, "t2": 1], "t0 waits for its holder")
        e += core.receive(from: Self.b, message: .started(taskID: "t1", attempt: 1), now: 10.1)
        try s.commit(e)

        // its holder comes back within the lease: t0 is its own again, charged once
        var r = core.receive(from: Self.c, message: hello("wa", holding: ["t0"]), now: 11)
        r += core.receive(from: Self.c, message: .started(taskID: "t0", attempt: 1), now: 11)
        r += core.receive(from: Self.c, message: .result(Outcome(taskID: "t0", attempt: 1, status: "completed",
                                                                 metrics: .object([]), error: nil, wallSeconds: 0)), now: 11.5)
        try s.commit(r)
        #expect(try stored(s)["t0"]! == (.completed, 1))

        // it dies again; wb, which held t1 (begun) and t2, never comes back: they go to
        // another worker once the lease has passed, t1 as its second run
        let again = try s.restarted()
        try s.commit(again.tick(now: 20))
        var f = again.receive(from: Self.c, message: hello("wc", slots: 3), now: 20)
        f += again.receive(from: Self.c, message: .ready(credit: 3), now: 20)
        #expect(handedOut(f) == ["t3": 1], "t1 and t2 wait for wb")
        try s.commit(f)
        _ = again.receive(from: Self.c, message: .heartbeat, now: 22.9)
        #expect(handedOut(again.tick(now: 22.9)).isEmpty)
        #expect(handedOut(again.tick(now: 23.1)) == ["t1": 2, "t2": 1])
    }

    /// `sweep run`'s workers cannot come back after a restart (a new endpoint, and they die
    /// with it): its coordinator hands such tasks out at once, in index order.
    @Test func withoutReturningHoldersARestartHandsTasksOutAtOnce() throws {
        let s = try StoredCore("sweep-charge-run", tasks: 3, maxAttempts: 3)
        defer { s.remove() }
        try s.commit(s.core.receive(from: Self.a, message: hello("wa"), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .ready(credit: 1), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .started(taskID: "t0", attempt: 1), now: 0.1))
        var settings = s.core.settings
        settings.holdersMayReturn = false
        let core = CoordinatorCore(sweep: s.sweep, tasks: try s.store.tasks(sweepID: s.sweep.id), settings: settings)
        _ = core.receive(from: Self.b, message: hello("wb", slots: 2), now: 10)
        #expect(handedOut(core.receive(from: Self.b, message: .ready(credit: 2), now: 10)) == ["t0": 2, "t1": 1])
    }

    /// A bye hands back without charge: a begun task's attempt is taken back, in the store
    /// too; a queued one's was never counted.
    @Test func aByeHandsBackBegunAndQueuedTasksWithoutCharge() throws {
        let s = try StoredCore("sweep-charge-bye", tasks: 2, maxAttempts: 3)
        defer { s.remove() }
        try s.commit(s.core.receive(from: Self.a, message: hello("wa"), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .ready(credit: 1), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .ready(credit: 1), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .started(taskID: "t0", attempt: 1), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .bye, now: 1))
        #expect(try stored(s).mapValues(\.1) == ["t0": 0, "t1": 0])
        _ = s.core.receive(from: Self.b, message: hello("wb", slots: 2), now: 2)
        #expect(handedOut(s.core.receive(from: Self.b, message: .ready(credit: 2), now: 2)) == ["t0": 1, "t1": 1])
    }

    /// A worker that does not report starts (an older one) is charged at hand-out, as before.
    @Test func aWorkerThatDoesNotReportStartsIsChargedAtHandOut() throws {
        let s = try StoredCore("sweep-charge-old", tasks: 2, maxAttempts: 1)
        defer { s.remove() }
        try s.commit(s.core.receive(from: Self.a, message: .hello(Hello(workerID: "old", host: "h", pid: 1, cores: 1, slots: 2)), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .ready(credit: 2), now: 0))
        #expect(try stored(s).mapValues(\.1) == ["t0": 1, "t1": 1])
        try s.commit(s.core.tick(now: 3.1))
        #expect(try stored(s).mapValues(\.0) == ["t0": .failed, "t1": .failed])
    }
}
