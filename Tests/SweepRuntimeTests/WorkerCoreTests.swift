import Testing
import SweepConfig
import SweepProtocol
import SweepTrain
@testable import SweepWorker

/// The worker's state machine driven by hand: messages and slot reports in, effects
/// out, time as a number. No socket, no slot thread, no sleep.
@Suite struct WorkerCoreTests {
    typealias Effect = WorkerCore.Effect

    static let endpoint = "tcp://coordinator:5555"

    /// Heartbeat 1 s, liveness 3: the coordinator is silent after 3 s without a word.
    /// The prefetch limit of these tests' cores (seconds), as `--prefetch-below 1` sets it.
    static let prefetchBelow = 1.0

    static func makeCore(slots: Int = 1, prefetch: Int = 0, exitWhenDone: Bool = false, grace: Double = 10) -> WorkerCore {
        WorkerCore(options: .init(endpoint: endpoint, slots: slots, slotCommand: [], taskMemory: MemoryLimit(bytes: 1e9, source: "test"),
                                  exitWhenDone: exitWhenDone, heartbeatInterval: 1,
                                  liveness: 3, grace: grace, prefetch: prefetch, prefetchBelow: Self.prefetchBelow),
                   identity: Hello(workerID: "w", host: "h", pid: 1, cores: 2, slots: slots))
    }

    static func task(_ id: String, attempt: Int = 1) -> Message {
        .task(Assignment(sweep: "s", taskID: id, attempt: attempt, params: .object([("model", .string("noop"))])))
    }

    static func assignment(_ id: String, attempt: Int = 1) -> Assignment {
        Assignment(sweep: "s", taskID: id, attempt: attempt, params: .object([("model", .string("noop"))]))
    }

    static func progress(_ id: String, epoch: Int, attempt: Int = 1) -> Message {
        .progress(TaskProgress(taskID: id, attempt: attempt, epoch: epoch, metrics: .object([("epoch", .int(epoch))])))
    }

    static func result(_ id: String, attempt: Int = 1, seconds: Double = 0.1, status: String = "completed") -> Message {
        .result(Outcome(taskID: id, attempt: attempt, status: status, metrics: .object([]), error: nil, wallSeconds: seconds))
    }

    static func weights(_ id: String) -> Message {
        .weights(WeightsChunk(taskID: id, attempt: 1, offset: 0, total: 3, bytes: [1, 2, 3]))
    }

    /// A slot's report, as the slot encodes it.
    @discardableResult
    static func report(_ core: WorkerCore, _ m: Message, now: Double) -> [Effect] {
        core.slotReported(m, frames: Codec.encode(m), now: now)
    }

    /// A core connected at 0 s whose one slot began task t1 (attempt 1) at 0.1 s.
    static func coreTrainingT1() -> WorkerCore {
        let core = makeCore(slots: 1)
        _ = core.start(now: 0)
        _ = core.receive(task("t1"), now: 0)
        report(core, .started(taskID: "t1", attempt: 1), now: 0.1)
        return core
    }

    /// What went to the coordinator, decoded (forwarded frames included), in order.
    static func sent(_ effects: [Effect]) -> [Message] {
        effects.compactMap {
            switch $0 {
            case .send(let m): m
            case .forward(let frames): try? Codec.decode(frames)
            case .bye: .bye
            default: nil
            }
        }
    }

    static func credit(_ effects: [Effect]) -> [Int] {
        sent(effects).compactMap { if case .ready(let n) = $0 { n } else { nil } }
    }

    static func logs(_ effects: [Effect]) -> [String] {
        effects.compactMap { if case .log(let line) = $0 { line } else { nil } }
    }

    static func submitted(_ effects: [Effect]) -> [String] {
        effects.compactMap { if case .submit(let a, _) = $0 { a.taskID } else { nil } }
    }

    static func exit(_ effects: [Effect]) -> Bool? {
        effects.lazy.compactMap { if case .exit(let done) = $0 { done } else { nil } }.first
    }

    /// Lets the coordinator fall silent from `now` (or stay silent) and drives the core,
    /// following `nextDeadline` as the loop does, to its next connect. Returns that tick's
    /// effects and its time.
    static func reconnect(_ core: WorkerCore, from now: Double) -> (effects: [Effect], at: Double) {
        var t = now
        while t < now + 100 {
            t += core.nextDeadline(now: t) + 0.001
            let e = core.tick(now: t)
            if e.contains(.connect) { return (e, t) }
        }
        Issue.record("no reconnect within 100 s")
        return ([], t)
    }

    // MARK: resends after a reconnect

    /// Per task: `started` (only for a task a slot has begun and that still runs), its epochs,
    /// its weights, its result; the hello first, naming every task held.
    @Test func aReconnectResendsWhatTheCoordinatorMayHaveLostInOrderPerTask() {
        let core = Self.makeCore(slots: 2)
        #expect(Self.sent(core.start(now: 0)) == [.hello(Hello(workerID: "w", host: "h", pid: 1, cores: 2, slots: 2, reportsStarts: true)),
                                                 .ready(credit: 2)])
        #expect(Self.submitted(core.receive(Self.task("t1"), now: 0.1)) == ["t1"])
        _ = core.receive(Self.task("t2"), now: 0.1)
        Self.report(core, .started(taskID: "t1", attempt: 1), now: 0.2)
        Self.report(core, .started(taskID: "t2", attempt: 1), now: 0.2)
        // every report goes out as it comes, unchanged
        let forwarded = Self.report(core, Self.progress("t1", epoch: 1), now: 0.3)
        #expect(forwarded == [.forward(Codec.encode(Self.progress("t1", epoch: 1)))])
        Self.report(core, Self.progress("t2", epoch: 1), now: 0.3)
        Self.report(core, Self.weights("t2"), now: 0.4)
        #expect(Self.credit(Self.report(core, Self.result("t2"), now: 0.4)) == [1])
        _ = core.receive(Self.task("t3"), now: 0.5)   // queued: not begun
        // epoch 2 of t1 arrives while the coordinator is silent: nothing goes out then
        var t = 0.5
        while !core.tick(now: t).contains(.disconnect) { t += 0.1 }
        #expect(Self.sent(Self.report(core, Self.progress("t1", epoch: 2), now: t + 0.01)).isEmpty)

        let (effects, _) = Self.reconnect(core, from: t)
        #expect(effects.first == .connect)
        #expect(Self.sent(effects) == [
            .hello(Hello(workerID: "w", host: "h", pid: 1, cores: 2, slots: 2, holding: ["t1", "t2", "t3"], reportsStarts: true)),
            .started(taskID: "t1", attempt: 1), Self.progress("t1", epoch: 1), Self.progress("t1", epoch: 2),
            Self.progress("t2", epoch: 1), Self.weights("t2"), Self.result("t2"),
        ], "t2's result says it began; t3 never began; both slots are taken, so no credit")
    }

    /// An acknowledged result is forgotten; the epochs of a task's next attempt, already
    /// running here, stay; the epochs of an earlier attempt go when the next one arrives,
    /// and the next attempt is said to have begun only once a slot began it.
    @Test func anAckForgetsTheResultButNotTheNextAttemptsEpochs() {
        let core = Self.coreTrainingT1()
        Self.report(core, Self.progress("t1", epoch: 1), now: 0.2)
        Self.report(core, Self.result("t1", status: "failed"), now: 0.3)
        // the coordinator hands out the next attempt before the ack of the first one's result
        _ = core.receive(Self.task("t1", attempt: 2), now: 0.4)
        let (queued, at0) = Self.reconnect(core, from: 0.4)
        #expect(Self.sent(queued) == [.hello(Hello(workerID: "w", host: "h", pid: 1, cores: 2, slots: 1, holding: ["t1"], reportsStarts: true)),
                                      Self.result("t1", status: "failed")],
                "attempt 1's epoch went with attempt 2's arrival; attempt 2 has not begun")
        Self.report(core, .started(taskID: "t1", attempt: 2), now: at0 + 0.1)
        Self.report(core, Self.progress("t1", epoch: 1, attempt: 2), now: at0 + 0.2)
        let (before, at) = Self.reconnect(core, from: at0 + 0.2)
        #expect(Array(Self.sent(before).dropFirst()) == [.started(taskID: "t1", attempt: 2), Self.progress("t1", epoch: 1, attempt: 2),
                                                         Self.result("t1", status: "failed")],
                "its result is not acknowledged yet")
        _ = core.receive(.ack(taskID: "t1"), now: at + 0.1)
        let (after, _) = Self.reconnect(core, from: at + 0.1)
        #expect(Array(Self.sent(after).dropFirst()) == [.started(taskID: "t1", attempt: 2), Self.progress("t1", epoch: 1, attempt: 2)])
        #expect(core.holding == ["t1"])

        Self.report(core, Self.result("t1", attempt: 2), now: at + 10)
        _ = core.receive(.ack(taskID: "t1"), now: at + 10.1)
        #expect(core.holding.isEmpty)
        let (last, _) = Self.reconnect(core, from: at + 10.1)
        #expect(Self.sent(last) == [.hello(Hello(workerID: "w", host: "h", pid: 1, cores: 2, slots: 1, reportsStarts: true)),
                                    .ready(credit: 1)], "nothing left to resend")
    }

    /// A cancelled task's slot is told to stop; its epochs, before and after, are not resent.
    @Test func aCancelStopsTheSlotAndDropsTheTasksEpochs() {
        let core = Self.coreTrainingT1()
        Self.report(core, Self.progress("t1", epoch: 1), now: 0.2)
        #expect(core.receive(.cancel(taskID: "t1"), now: 0.3) == [.cancel(taskID: "t1")])
        #expect(core.receive(.cancel(taskID: "other"), now: 0.3).isEmpty, "a task not held: nothing to stop")
        // an epoch finished before the slot saw the cancel still goes out, once
        #expect(Self.sent(Self.report(core, Self.progress("t1", epoch: 2), now: 0.4)) == [Self.progress("t1", epoch: 2)])
        let (effects, _) = Self.reconnect(core, from: 0.4)
        #expect(Array(Self.sent(effects).dropFirst()) == [.started(taskID: "t1", attempt: 1)])
    }

    /// A task handed out again while its cancelled run here is still ending (a pbt member's
    /// next interval, after another worker's result settled the one cancelled) starts when
    /// that run's answer is in: it is neither dropped as a duplicate nor run twice at once.
    @Test func aTaskHandedOutAgainWhileItsCancelledRunEndsStartsAfterIt() {
        let core = Self.makeCore(slots: 2)
        _ = core.start(now: 0)
        _ = core.receive(Self.task("m"), now: 0)
        Self.report(core, .started(taskID: "m", attempt: 1), now: 0.1)
        _ = core.receive(.cancel(taskID: "m"), now: 0.2)
        #expect(Self.submitted(core.receive(Self.task("m", attempt: 3), now: 0.3)).isEmpty, "its slot still runs attempt 1")
        #expect(Self.submitted(core.receive(Self.task("m", attempt: 1), now: 0.3)).isEmpty, "a copy of the running attempt")
        #expect(core.running["m"] == 1)
        let ended = Self.report(core, Self.result("m", attempt: 1, status: "stopped"), now: 0.4)
        #expect(Self.sent(ended).first == Self.result("m", attempt: 1, status: "stopped"))
        #expect(Self.submitted(ended) == ["m"])
        #expect(core.running["m"] == 3)
        // a copy of a task that was not cancelled is still a duplicate, and nothing waits after it
        _ = core.receive(Self.task("m", attempt: 4), now: 0.5)
        #expect(Self.submitted(Self.report(core, Self.result("m", attempt: 3), now: 0.6)).isEmpty)
    }

    // MARK: credit and prefetch

    /// Without prefetch a worker asks for one task per free slot, and the credit it has
    /// granted and not yet used never exceeds its slots.
    @Test func creditFillsTheSlotsAndNeverExceedsThem() {
        let core = Self.makeCore(slots: 3)
        #expect(Self.credit(core.start(now: 0)) == [3])
        // the coordinator sends two of the three
        #expect(Self.credit(core.receive(Self.task("a"), now: 0.1)).isEmpty)
        #expect(Self.credit(core.receive(Self.task("b"), now: 0.1)).isEmpty)
        #expect(core.outstandingCredit == 1)
        #expect(Self.credit(Self.report(core, Self.result("a"), now: 0.2)) == [1], "a's slot is free again")
        #expect(core.outstandingCredit == 2)
        // a duplicate task uses the credit it came with and starts nothing
        #expect(Self.submitted(core.receive(Self.task("b"), now: 0.3)).isEmpty)
        #expect(core.outstandingCredit == 1)
    }

    /// A task goes to the slot pool with the frames it came in, which the slot process
    /// reads as they are (no second encoding of its parameters).
    @Test func aTaskGoesToItsSlotAsItArrived() {
        let core = Self.makeCore(slots: 1)
        _ = core.start(now: 0)
        let frames = Codec.encode(Self.task("t1"))
        #expect(core.receive(frames: frames, now: 0.1) == [.submit(Self.assignment("t1"), encoded: frames)])
    }

    /// With prefetch, short tasks fill the slots plus `prefetch` queued, but one `ready`
    /// never grants more than the slots, and credit outstanding stays within them.
    @Test func prefetchQueuesShortTasksBeyondTheSlots() {
        let core = Self.makeCore(slots: 2, prefetch: 2)
        #expect(Self.credit(core.start(now: 0)) == [2], "no task has ended: no prefetch yet")
        _ = core.receive(Self.task("a"), now: 0)
        _ = core.receive(Self.task("b"), now: 0)
        #expect(Self.credit(Self.report(core, Self.result("a", seconds: 0.3), now: 0.3)) == [2],
                "one slot free and two to queue, but at most the slots at once")
        var now = 0.3
        var k = 0
        // the coordinator answers every credit; slots never finish: the worker fills up and stops asking
        while core.outstandingCredit > 0 {
            k += 1
            now += 0.01
            let e = core.receive(Self.task("q\(k)"), now: now)
            #expect(Self.credit(e).allSatisfy { $0 <= 2 })
            #expect(core.outstandingCredit <= 2)
        }
        #expect(core.running.count == 2 + 2, "two on the slots, two queued")
        #expect(k < 10)
    }

    /// Tasks of `Self.prefetchBelow` seconds or more (moving average) are never queued.
    @Test func longTasksAreNotPrefetched() {
        let core = Self.makeCore(slots: 1, prefetch: 2)
        _ = core.start(now: 0)
        _ = core.receive(Self.task("a"), now: 0)
        #expect(Self.credit(Self.report(core, Self.result("a", seconds: Self.prefetchBelow), now: 1)) == [1])
        #expect(Self.credit(core.receive(Self.task("b"), now: 1.1)).isEmpty, "no task beyond the slot")
        // short tasks bring the average under the bar: prefetch resumes…
        Self.report(core, Self.result("b", seconds: 0.1), now: 1.2)
        #expect(core.recentTaskSeconds! < Self.prefetchBelow)
        _ = core.receive(Self.task("c"), now: 1.3)
        #expect(core.running.count == 1 && core.outstandingCredit == 1, "one queued task asked for")
        // …and a long one ends it again (0.8 × 0.82 + 0.2 × 5 > 1)
        Self.report(core, Self.result("c", seconds: 5), now: 6.3)
        #expect(core.recentTaskSeconds! >= Self.prefetchBelow)
        _ = core.receive(Self.task("d"), now: 6.4)
        #expect(core.outstandingCredit == 0 && Self.credit(core.receive(Self.task("e"), now: 6.4)).isEmpty)
    }

    /// A hello resets the coordinator's view of the worker: credit granted on the old
    /// connection is gone, so the new one asks again for every free slot.
    @Test func aHelloResetsCredit() {
        let core = Self.makeCore(slots: 2)
        #expect(Self.credit(core.start(now: 0)) == [2])
        #expect(core.outstandingCredit == 2)
        let (effects, _) = Self.reconnect(core, from: 0)
        #expect(Self.credit(effects) == [2])
        #expect(core.outstandingCredit == 2)
    }

    // MARK: stopping (SIGTERM)

    /// Queued tasks are taken back (never begun, not held any longer: the bye hands them
    /// back); the running one finishes within the grace period; its result is acknowledged;
    /// then the bye.
    @Test func aStopHandsQueuedTasksBackAndLetsRunningOnesFinish() {
        let core = Self.makeCore(slots: 1, prefetch: 2, grace: 10)
        _ = core.start(now: 0)
        _ = core.receive(Self.task("t0"), now: 0)
        Self.report(core, Self.result("t0", seconds: 0.1), now: 0.1)
        _ = core.receive(.ack(taskID: "t0"), now: 0.1)
        for id in ["t1", "t2", "t3"] { _ = core.receive(Self.task(id), now: 0.2) }
        Self.report(core, .started(taskID: "t1", attempt: 1), now: 0.3)
        #expect(core.holding == ["t1", "t2", "t3"])

        let stop = core.stop(now: 1, queued: [Self.assignment("t2"), Self.assignment("t3")])
        #expect(Self.logs(stop) == ["stopping: letting 1 task(s) finish (grace 10 s)"])
        #expect(core.holding == ["t1"])
        #expect(core.tick(now: 1).isEmpty)
        // a task that arrives now is not started, and no credit is asked for
        let late = core.receive(Self.task("t4"), now: 1.5)
        #expect(Self.submitted(late).isEmpty && Self.credit(late).isEmpty && core.holding == ["t1"])
        let ended = Self.report(core, Self.result("t1"), now: 2)
        #expect(Self.sent(ended) == [Self.result("t1")], "its result goes out; no credit while stopping")
        #expect(Self.exit(core.tick(now: 2)) == nil, "its result is not acknowledged yet")
        _ = core.receive(.ack(taskID: "t1"), now: 2.1)
        let bye = core.tick(now: 2.1)
        #expect(bye == [.bye, .exit(done: false)])
        #expect(core.tick(now: 3).isEmpty, "once out, nothing more")
    }

    @Test func afterTheGracePeriodRunningTasksAreHandedBack() {
        let core = Self.coreTrainingT1()   // grace 10 s
        _ = core.stop(now: 1, queued: [])
        for t in stride(from: 1.0, to: 10.99, by: 0.25) {
            _ = core.receive(.heartbeat, now: t)
            #expect(Self.exit(core.tick(now: t)) == nil, "within the grace period at \(t)")
        }
        let e = core.tick(now: 11)
        #expect(Self.logs(e) == ["grace period over: handing 1 task(s) back"])
        #expect(Array(e.suffix(2)) == [.bye, .exit(done: false)])
    }

    /// An idle worker says bye at once; one whose coordinator said done reports it.
    @Test func anIdleWorkerSaysByeAtOnce() {
        let core = Self.makeCore()
        _ = core.start(now: 0)
        _ = core.receive(.done, now: 0.5)
        #expect(core.stop(now: 1, queued: []).isEmpty)
        #expect(core.tick(now: 1) == [.bye, .exit(done: true)])
    }

    /// A stop during a reconnect's backoff connects first: the bye needs a connection, and
    /// the unacknowledged results go out ahead of it.
    @Test func aStopDuringTheBackoffConnectsForTheBye() {
        let core = Self.makeCore(grace: 0)
        _ = core.start(now: 0)
        _ = core.receive(Self.task("t1"), now: 0)
        Self.report(core, Self.result("t1"), now: 0.5)
        #expect(core.tick(now: 3.1).contains(.disconnect))
        _ = core.stop(now: 3.2, queued: [])
        let e = core.tick(now: 3.2)
        #expect(e.first == .connect)
        #expect(Self.sent(e) == [.hello(Hello(workerID: "w", host: "h", pid: 1, cores: 2, slots: 1, holding: ["t1"], reportsStarts: true)),
                                 Self.result("t1"), .bye])
        #expect(e.last == .exit(done: false))
    }

    // MARK: the sweep's end

    @Test func withExitWhenDoneTheWorkerLeavesOnceItsTasksEnded() {
        let core = Self.makeCore(slots: 1, exitWhenDone: true)
        _ = core.start(now: 0)
        _ = core.receive(Self.task("t1"), now: 0)
        _ = core.receive(.done, now: 0.1)
        #expect(Self.exit(core.tick(now: 0.1)) == nil, "t1 still runs")
        Self.report(core, Self.result("t1"), now: 0.2)
        #expect(core.tick(now: 0.2) == [.exit(done: true)], "no bye, and the unacknowledged result is moot")

        let staying = Self.makeCore(slots: 1)
        _ = staying.start(now: 0)
        _ = staying.receive(.done, now: 0.1)
        #expect(Self.exit(staying.tick(now: 0.2)) == nil)
    }

    // MARK: a silent coordinator

    /// Silence past heartbeat × liveness closes the connection; the next one opens after a
    /// backoff that doubles up to `Wire.reconnectMax` and starts over once the coordinator
    /// answers. No heartbeat goes out while disconnected.
    @Test func aSilentCoordinatorIsReconnectedToWithDoublingBackoff() {
        let core = Self.makeCore()
        _ = core.start(now: 0)
        #expect(core.tick(now: 3).filter { $0 == .disconnect }.isEmpty, "3 s is not past the expiry yet")
        var now = 3.0
        var disconnectedAt: Double?
        var waits: [Double] = []
        var heartbeats = 0
        while waits.count < 8 {
            now += core.nextDeadline(now: now) + 0.001
            for e in core.tick(now: now) {
                switch e {
                case .disconnect: disconnectedAt = now
                case .connect:
                    waits.append(((now - disconnectedAt!) * 100).rounded() / 100)
                    disconnectedAt = nil
                case .send(.heartbeat): heartbeats += disconnectedAt == nil ? 1 : 1000
                default: break
                }
            }
        }
        #expect(waits == [0.25, 0.5, 1, 2, 4, 8, 8, 8])
        #expect(heartbeats > 0 && heartbeats < 1000, "heartbeats while connected only")
        // the coordinator answers: the next silence starts from the initial backoff again
        _ = core.receive(.heartbeat, now: now)
        #expect(core.backoff == Wire.reconnectInitial)
    }

    /// A coordinator gone for good: the worker keeps reconnecting, and says so at a falling
    /// rate (10 s, 30 s, 1, 2, 5, 10 min, then every 10 min), not once per reconnect; one line
    /// when it is back.
    @Test func anUnreachableCoordinatorIsReportedAtAFallingRate() {
        let core = Self.makeCore()
        _ = core.start(now: 0)
        var now = 0.0
        var lines: [(Double, String)] = []
        var reconnects = 0
        while now < 31 * 60 {
            now += core.nextDeadline(now: now) + 0.001
            let e = core.tick(now: now)
            if e.contains(.connect) { reconnects += 1 }
            lines += Self.logs(e).map { (now, $0) }
        }
        let retrying = "; still retrying (\(Self.endpoint))"
        #expect(lines.first.map { $0.1.hasPrefix("coordinator silent for 300") && $0.1.hasSuffix(" ms; reconnecting in 250 ms") } == true)
        #expect(lines.dropFirst().map(\.1) ==
                ["10 s", "30 s", "1 min", "2 min", "5 min", "10 min", "20 min", "30 min"].map { "coordinator unreachable for \($0)" + retrying })
        // each line on time, not at the next reconnect
        let at = lines.dropFirst().map { ($0.0 * 10).rounded() / 10 }
        #expect(at == [10, 30, 60, 120, 300, 600, 1200, 1800])
        #expect(reconnects > 100, "it kept retrying: \(reconnects) reconnects")

        let back = core.receive(.heartbeat, now: now)
        #expect(Self.logs(back) == ["coordinator back after 31 min"])
        #expect(Self.logs(core.receive(.heartbeat, now: now + 0.5)).isEmpty)
    }

    /// A short outage: one line when it starts, one when it ends.
    @Test func aShortSilenceIsReportedTwice() {
        let core = Self.makeCore()
        _ = core.start(now: 0)
        #expect(Self.logs(core.tick(now: 3.5)) == ["coordinator silent for 3500 ms; reconnecting in 250 ms"])
        #expect(Self.logs(core.tick(now: 3.75)).isEmpty)
        #expect(Self.logs(core.receive(.heartbeat, now: 5)) == ["coordinator back after 5 s"])
    }

    @Test func unreachableReportsFallInRate() {
        let next = [0, 9.9, 10, 29, 30, 61, 300, 599, 600, 601, 1199, 1200, 5000].map { WorkerCore.nextReport(after: $0) }
        #expect(next == [10, 10, 30, 30, 60, 120, 600, 600, 1200, 1200, 1200, 1800, 5400])
        #expect(WorkerCore.duration(59.9) == "59 s" && WorkerCore.duration(60) == "1 min" && WorkerCore.duration(7260) == "121 min")
    }

    /// Heartbeats go out when nothing else did for a heartbeat interval; nothing else
    /// keeps the connection from expiring but a word from the coordinator.
    @Test func heartbeatsFillSilenceOnly() {
        let core = Self.makeCore()
        _ = core.start(now: 0)
        #expect(core.tick(now: 0.5).isEmpty)
        #expect(core.tick(now: 1) == [.send(.heartbeat)])
        _ = core.receive(Self.task("t1"), now: 1.2)
        Self.report(core, .started(taskID: "t1", attempt: 1), now: 1.5)
        #expect(core.tick(now: 2.2).isEmpty, "a report went out at 1.5 s")
        #expect(abs(core.nextDeadline(now: 2.2) - 0.3) < 1e-9)
        #expect(core.tick(now: 2.5) == [.send(.heartbeat)])
    }

    @Test func malformedAndMisdirectedMessagesAreLoggedAndDropped() {
        let core = Self.makeCore()
        _ = core.start(now: 0)
        let e = core.receive(frames: [[1, 2, 3]], now: 1)
        #expect(Self.logs(e).count == 1 && e.count == 1)
        #expect(core.tick(now: 3.1).contains(.disconnect), "a malformed message is no sign of life")
        let core2 = Self.makeCore()
        _ = core2.start(now: 0)
        #expect(Self.logs(core2.receive(.bye, now: 1)) == ["dropped bye from the coordinator: not a coordinator message"])
    }
}
