import Foundation
import SweepConfig
import SweepProtocol
import SweepSpec
import SweepStore
import ZeroMQ

/// The coordinator process: binds a ROUTER socket, hands tasks out by credit and
/// records everything in the store. One poll loop, always in the same order:
/// poll → handle what arrived → purge expired peers → send heartbeats that are
/// due; then the round's store updates are committed in one transaction and only
/// then are its messages (ack, done, …) sent. The commit runs on a thread of its own
/// (`Committer`), so the loop goes on handing out tasks while it waits for the disk,
/// and rounds that queue up meanwhile are committed together. A commit refused by a
/// full disk or an I/O error is not fatal: the coordinator holds its promises back and
/// retries (`CommitGate`), and hands out no task meanwhile.
public final class Coordinator {
    public struct Options: Sendable {
        public var bind: String
        public var settings: CoordinatorSettings
        /// Z85 secret key: enables CURVE (the caller sets up ZAP).
        public var curveSecret: String?
        public init(bind: String, settings: CoordinatorSettings = .init(), curveSecret: String? = nil) {
            self.bind = bind
            self.settings = settings
            self.curveSecret = curveSecret
        }
    }

    public let core: CoordinatorCore
    public let store: Store
    public let options: Options
    private let context: Context
    private let router: Socket
    private let committer: Committer
    private let handOuts: HandOutLog
    private let metrics: CoordinatorMetrics
    /// The core's count of malformed messages already passed to `metrics`.
    private var malformedCounted = 0
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let startWall = Date().timeIntervalSince1970
    /// The endpoint actually bound (tcp://127.0.0.1:* resolved).
    public let endpoint: String
    public var log: (String) -> Void = { line in FileHandle.standardError.write(Data(("coordinator: " + line + "\n").utf8)) }
    /// Called for every task that ends: id, status, final metrics JSON text, and the sweep
    /// metric's final value in them (nil when absent or not a number).
    public var onFinished: (String, TaskStatus, String, Double?) -> Void = { _, _, _, _ in }
    /// Called once per loop round, on the loop's thread (progress display).
    public var onRound: () -> Void = {}

    /// `search`: the spec's sampler and early-stopping rule; the rule's stored
    /// decisions are replayed, so a restarted coordinator decides as before.
    /// `population`: the spec of a `method: pbt` sweep; its stored lineage and members
    /// are read, so a restarted coordinator continues the population.
    public init(store: Store, sweep: SweepRecord, options: Options, context: Context, search: Search = Search(),
                population: SweepSpec? = nil) throws {
        self.store = store
        self.options = options
        self.context = context
        handOuts = HandOutLog(store: store.path)
        let weights = WeightsFiles.directory(store: store.path, sweep: sweep.name)
        let restore = try population.map { spec in
            PopulationRestore(spec: spec, lineage: try store.lineage(sweepID: sweep.id),
                              members: try store.populationMembers(sweepID: sweep.id),
                              load: { CheckpointFiles.read(weights: weights, taskID: $0, epoch: $1) })
        }
        core = CoordinatorCore(sweep: sweep, tasks: handOuts.withLastHolders(try store.tasks(sweepID: sweep.id, initialParams: true)),
                               settings: options.settings,
                               search: search,
                               stopDecisions: search.stopping == nil ? [] : try store.stopDecisions(sweepID: sweep.id),
                               population: restore)
        router = try context.socket(.router)
        try router.setLinger(milliseconds: 0)
        try router.setRouterMandatory(true)
        try router.setMaxMessageSize(Int64(Wire.maxMessageSize))
        try router.setSendHighWaterMark(0)
        try router.setReceiveHighWaterMark(0)
        if let secret = options.curveSecret {
            try router.setZapDomain("sweep")
            try router.setCurveServer(secretKey: secret)
        }
        try router.bind(options.bind)
        endpoint = try router.lastEndpoint
        let (clock, start, startWall) = (clock, clock.now, startWall)
        self.start = start
        let metrics = CoordinatorMetrics(sweep: sweep.name)
        self.metrics = metrics
        committer = Committer(store: store, now: { Self.wallTime(clock: clock, start: start, startWall: startWall) },
                              onCommit: { d in
                                  let (seconds, atto) = d.components
                                  metrics.commit.recordNanoseconds(seconds * 1_000_000_000 + atto / 1_000_000_000)
                              })
    }

    /// Seconds since the Unix epoch, advancing with the monotonic clock: store
    /// timestamps are wall-clock times and survive restarts, while leases and
    /// heartbeats never see the wall clock jump.
    private var now: Double { Self.wallTime(clock: clock, start: start, startWall: startWall) }

    private static func wallTime(clock: ContinuousClock, start: ContinuousClock.Instant, startWall: Double) -> Double {
        let (s, a) = (clock.now - start).components
        return startWall + Double(s) + Double(a) * 1e-18
    }

    /// Messages read before their effects are applied (tasks sent, updates handed to the
    /// committer) while more wait: about eight tasks' worth (started, progress, result, ready).
    static let messagesPerRound = 32

    /// Seconds the coordinator stays after the last task ended, so `done` reaches every worker.
    private var linger: Double { min(0.2, options.settings.heartbeatInterval) }

    /// Runs until every task has ended (and workers were told), or `shouldStop` says so.
    /// Returns true when the sweep finished.
    public func run(shouldStop: () -> Bool = { false }) throws -> Bool {
        var doneAt: Double?
        defer { committer.stop() }
        while !shouldStop() {
            var wait = core.nextDeadline(now: now)
            if let doneAt { wait = min(wait, max(0, doneAt + linger - now)) }
            let timeout = Int((wait * 1000).rounded(.up))
            let ready = try poll([PollItem(router), PollItem(fileDescriptor: committer.wakeDescriptor)],
                                 timeoutMilliseconds: max(1, min(timeout, 1000)))
            var effects: [Effect] = []
            if ready[0].readable {
                // drain what arrived, up to a bound so heartbeats and commits keep their pace; a burst
                // (256 slots ending their tasks together) is applied every `messagesPerRound` messages,
                // so the first results' next tasks leave while the rest are read
                var n = 0
                while n < 4096, let frames = try router.receive(dontWait: true) {
                    n += 1
                    if frames.count >= 2 { effects += core.receive(from: frames[0], frames: Array(frames.dropFirst()), now: now) }
                    if n % Self.messagesPerRound == 0 {
                        try apply(effects)
                        effects = []
                    }
                }
            }
            effects += core.tick(now: now)
            try apply(effects)
            onRound()
            if core.isFinished && committer.isIdle {
                // linger briefly so `done` reaches every worker, then exit
                if doneAt == nil { doneAt = now }
                if now - doneAt! >= linger {
                    // the workers still here are told done: the workers table says they left with the sweep
                    try apply(core.farewell(now: now))
                    committer.stop()
                    try release(committer.ready())
                    handOuts.remove()
                    // pbt: no member needs a checkpoint any more (those left by an earlier coordinator included)
                    if core.isPopulation && !options.settings.saveWeights { CheckpointFiles.removeAll(weights: weightsDirectory) }
                    return true
                }
            }
        }
        // what is queued is committed and its promises kept before the socket closes; the
        // workers table no longer counts the workers as connected (they reconnect to the next coordinator)
        try apply(core.farewell(now: now))
        committer.stop()
        try release(committer.ready())
        if committer.isHolding {
            let held = committer.held
            log("store: stopping with \(held.updates) update(s) not committed; workers keep their \(held.results) unacknowledged result(s)")
        }
        return core.isFinished && committer.isIdle
    }

    /// A worker process this coordinator's owner saw die (`sweep run`'s local workers):
    /// its tasks go back to pending now, not after the heartbeat timeout. Returns them.
    public func workerDied(pid: Int32, reason: String) throws -> [(id: String, pending: Bool)] {
        let (tasks, effects) = core.workerDied(pid: Int(pid), host: ProcessInfo.processInfo.hostName, reason: reason, now: now)
        try apply(effects)
        return tasks
    }

    /// Where trained weights go: `<db dir>/weights/<sweep>/` (see `WeightsFiles`).
    public var weightsDirectory: String { WeightsFiles.directory(store: store.path, sweep: core.sweep.name) }

    /// Sends the round's new tasks and heartbeats, writes its weights files durably,
    /// commits its store updates, then sends the rest. Everything that promises
    /// durability waits for the commit: an ACK (the worker forgets the result) and
    /// `done` (workers exit). A task goes out before its hand-out is stored: the
    /// commit's fsync (~4 ms here) would otherwise sit between every two tasks of a
    /// slot. Should the coordinator die in between, the task is still pending in the
    /// store; the hand-out log (written before the task goes out) tells the next
    /// coordinator who holds it, so that worker may claim it back (`HandOutLog`).
    ///
    /// The commit itself happens on the committer's thread; what waits for it comes back
    /// through `release`, in order, from this or a later round.
    ///
    /// While the store cannot commit (disk full), the committer holds the updates and what
    /// follows them, and the core hands out no task: its result could not be stored
    /// either, and a hand-out that is not stored would be run again by a restarted
    /// coordinator, which does not know the task's holder.
    private func apply(_ effects: [Effect]) throws {
        metrics.count(effects)
        if core.malformedMessages > malformedCounted {
            metrics.malformed.increment(by: Int64(core.malformedMessages - malformedCounted))
            malformedCounted = core.malformedMessages
        }
        let round = Round(effects)
        handOuts.write(round.updates)
        for (peer, m) in round.early { send(m, to: peer) }
        let unsaved = Self.writeWeights(effects, sweepID: core.sweep.id, directory: weightsDirectory, log: log)
        for case .checkpoint(let taskID, let epoch, let file) in effects {
            do { try CheckpointFiles.write(file, taskID: taskID, epoch: epoch, weights: weightsDirectory) } catch {
                // the member goes on from the copy in memory; only a restart before its next checkpoint would miss it
                log("warning: task \(taskID): its checkpoint after epoch \(epoch) was not saved: \(error)")
            }
        }
        if !round.updates.isEmpty || !unsaved.isEmpty || !round.late.isEmpty {
            committer.submit(round.updates + unsaved, then: round.late)
        }
        try release(committer.ready())
        core.handsOutTasks = !committer.isHolding
    }

    /// Applies what waited for a commit: messages, log lines, progress.
    private func release(_ effects: [Effect]) {
        for e in effects {
            switch e {
            case .send(let peer, let m): send(m, to: peer)
            case .log(let line): log(line)
            case .finished(let id, let status, let text, let value):
                metrics.results.increment()
                onFinished(id, status, text, value)
            case .checkpointsRemoved(let taskID, let epochs):
                CheckpointFiles.remove(taskID: taskID, epochs: epochs, weights: weightsDirectory)
            case .store, .weights, .checkpoint: break
            }
        }
    }

    /// Writes the weights files a round carries. A file that cannot be written (directory
    /// removed, disk full) does not hold back its result: the result is committed and
    /// acknowledged as always, a warning names the task, the file and errno's text, and the
    /// returned store updates (committed with the result, in the same backlog while the
    /// store is held back on a full disk) mark the task's weights as not saved, for `sweep status`.
    static func writeWeights(_ effects: [Effect], sweepID: Int64, directory: String,
                             log: (String) -> Void) -> [StoreUpdate] {
        var unsaved: [StoreUpdate] = []
        for case .weights(let taskID, let file, let asTask, let asBest) in effects {
            do {
                try WeightsFiles.write(file, taskID: taskID, asTask: asTask, asBest: asBest, directory: directory)
            } catch {
                log("warning: task \(taskID): its weights were not saved under \(directory): \(error); its result is kept")
                unsaved.append(.weightsNotSaved(sweepID: sweepID, taskID: taskID, error: "\(error)"))
            }
        }
        return unsaved
    }

    private func send(_ m: Message, to peer: PeerID) {
        do { try router.send([peer] + Codec.encode(m), dontWait: true) } catch {
            // the peer is gone or its queue is full: it will be purged when silent
        }
    }

    public func close() {
        committer.stop()
        router.close()
    }

    deinit { committer.stop() }
}

/// One round's effects in the order the loop applies them: messages that may leave
/// before the commit, the store updates committed in one transaction, then the rest.
struct Round {
    var early: [(PeerID, Message)] = []
    var updates: [StoreUpdate] = []
    var late: [Effect] = []

    init(_ effects: [Effect]) {
        for e in effects {
            switch e {
            case .send(let peer, let m) where m.mayLeaveBeforeCommit: early.append((peer, m))
            case .store(let u): updates.append(u)
            default: late.append(e)
            }
        }
    }
}
