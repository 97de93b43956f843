import SweepConfig
import SweepProtocol
import SweepSearch
import SweepSpec
import SweepStore

extension Message {
    /// Messages that promise nothing about the store, so they may leave before the
    /// round's commit: a new task (its hand-out is redone if the commit never happens)
    /// and a heartbeat. ACK and done must follow the commit.
    var mayLeaveBeforeCommit: Bool {
        switch self {
        // a pbt interval waits for the commit: its hand-out keeps the epochs before it (see `intervalHandedOut`)
        case .task(let a): a.interval == nil
        case .heartbeat: true
        default: false
        }
    }
}

/// A worker connection as the ROUTER socket names it.
public typealias PeerID = [UInt8]

/// Timing and retry settings of a coordinator.
public struct CoordinatorSettings: Sendable {
    public var heartbeatInterval = Wire.heartbeatInterval
    public var liveness = Wire.liveness
    public var maxAttempts = 3
    /// Keep every task's trained weights (`--save-weights`), not only the best task's.
    public var saveWeights = false
    /// Whether workers that held tasks before this coordinator started may come back for
    /// them (then those tasks wait a lease for them). Not for `sweep run`: its endpoint is
    /// new each time and its workers die with it.
    public var holdersMayReturn = true
    public init(heartbeatInterval: Double = Wire.heartbeatInterval, liveness: Int = Wire.liveness, maxAttempts: Int = 3,
                saveWeights: Bool = false, holdersMayReturn: Bool = true) {
        self.heartbeatInterval = heartbeatInterval
        self.liveness = liveness
        self.maxAttempts = maxAttempts
        self.saveWeights = saveWeights
        self.holdersMayReturn = holdersMayReturn
    }
    /// Seconds of silence after which a peer is dead.
    var expiry: Double { heartbeatInterval * Double(liveness) }
}

/// What the coordinator does in answer to a message or the passing of time.
/// The loop applies every `store` effect of a round in one transaction before it
/// sends any message of that round, so an ACK always follows a durable commit.
public enum Effect: Sendable {
    case send(PeerID, Message)
    case store(StoreUpdate)
    case log(String)
    /// A task ended (for progress output); metrics is its final metrics JSON text, value
    /// the sweep metric's final value in it (nil when absent or not a number).
    case finished(taskID: String, status: TaskStatus, metrics: String, value: Double?)
    /// A task's trained weights (a safetensors file) to write durably before the
    /// round's store commit: as the task's own file (`--save-weights`) and/or as
    /// the sweep's best.
    case weights(taskID: String, file: [UInt8], asTask: Bool, asBest: Bool)
    /// Method pbt: a member's checkpoint after `epoch`, to write durably before the round's
    /// store commit (`CheckpointFiles`).
    case checkpoint(taskID: String, epoch: Int, file: [UInt8])
    /// Method pbt: a member's checkpoints after these epochs are no longer needed; their files
    /// go after the round's commit (which stored the checkpoints that replace them).
    case checkpointsRemoved(taskID: String, epochs: [Int])
}

/// The coordinator's state machine: tasks, workers, leases. It takes time as a
/// parameter and returns effects, so tests drive it without sockets or sleeps.
public final class CoordinatorCore {
    struct Peer {
        let id: PeerID
        var workerID: String
        var host: String
        var slots: Int
        var credit = 0
        var lastSeen: Double
        var lastSent: Double
        /// Its process id on `host` (from its hello): `sweep run` reports its local workers' deaths by it.
        var pid = 0
        var holding: Set<Int> = []
        /// Says when a slot begins a task (`started`); an older worker's tasks count from hand-out.
        var reportsStarts = false
        /// When its `last_seen` was last stored (`CoordinatorCore.seenInterval`).
        var seenStored: Double = 0
        var name: String { "\(workerID)@\(host)" }
    }

    /// How often a worker's `last_seen` is stored at most (seconds): a heartbeat each
    /// second from every worker must not cost a write each.
    public static let seenInterval = 5.0

    struct Task {
        let id: String
        let params: String
        var status: TaskStatus
        /// Runs that began (as stored): the current holder's counts once it begins the task.
        var attempts: Int
        var holder: PeerID?
        /// Whether the current holder began the task, so `attempts` counts its run. A task
        /// handed out but still queued on its worker (prefetch) has not: losing that worker
        /// sends it back to pending without spending an attempt.
        var begun = false
        /// Workers this task was ever handed to: only they may report its result.
        var assignedTo: Set<String> = []
        /// The worker that held it last (from the store after a restart): only it may
        /// claim the task back when it says hello holding it.
        var lastWorkerID: String?
        /// Hosts of the runs that failed (or lost their worker), for the error of the last one.
        var failedOn: [String] = []
    }

    public let sweep: SweepRecord
    public let settings: CoordinatorSettings
    /// Messages dropped because they did not decode, since the start.
    public private(set) var malformedMessages = 0
    var tasks: [Task]
    var indexOf: [String: Int]
    var peers: [PeerID: Peer] = [:]
    /// Pending task indices: `retry` (a stack of requeued tasks) is served before `queue[head...]`.
    var queue: [Int]
    private var head = 0
    var retry: [Int] = []
    /// Pending tasks that remember a holder (running when the last coordinator stopped, or
    /// requeued from a worker taken for lost): that worker may be alive and about to say
    /// hello holding it. They wait one lease (the heartbeat timeout, from the first round)
    /// before they may go to another worker, as a running task would; handed out at once
    /// after a crash, such a task ran twice and was charged an attempt for the crash (the
    /// chaos test saw tasks reach 3 attempts so). Tasks that remember no holder go first.
    var awaitingHolders: [Int] = []
    private var awaitingUntil: Double?
    public private(set) var finishedCount = 0
    public private(set) var failedCount = 0
    private var doneAnnounced = false
    /// The best final value of the sweep's metric among completed and stopped tasks.
    public private(set) var best: Double?
    /// Weights arriving ahead of a result, by task id.
    private var incomingWeights: [String: IncomingWeights] = [:]
    /// Epochs of a task from a worker it was given that no longer holds it (it reconnected
    /// after the task went to another worker), by task id, worker id and epoch: kept until a
    /// result decides whose epochs are the task's. If that worker's result is the one stored,
    /// they replace the other attempt's, whose start dropped them from the store.
    private var strayEpochs: [String: [String: [Int: String]]] = [:]

    struct IncomingWeights {
        let attempt: Int
        /// The file's announced size; `file` grows as its chunks arrive, in order.
        let total: Int
        var file: [UInt8] = []
        var complete: Bool { file.count == total }
    }
    /// Proposes tasks while the sweep runs and stops tasks early (both optional).
    private(set) var search: Search
    /// The sampler found no new configuration: the sweep ends with the tasks it has.
    private var exhausted = false
    /// Early-stopping decisions stored so far (the next one's sequence number).
    private var decisions = 0
    /// Method pbt: the population and its checkpoints (Population.swift).
    var population: PopulationRun?

    /// `stopDecisions`: the stored decisions of `search.stopping`, in order (JSON text).
    public init(sweep: SweepRecord, tasks records: [TaskRecord], settings: CoordinatorSettings,
                search: Search = Search(), stopDecisions: [String] = [], population restore: PopulationRestore? = nil) {
        self.sweep = sweep
        self.settings = settings
        self.search = search
        // a coordinator starting anew holds no leases: running tasks are pending again
        let list = records.map { r in
            var t = Task(id: r.taskID, params: r.params, status: r.status == .running ? .pending : r.status, attempts: r.attempts)
            // worker names are "<worker id>@<host>"
            if let w = r.worker, let at = w.lastIndex(of: "@") {
                t.lastWorkerID = String(w[..<at])
                t.assignedTo.insert(String(w[..<at]))
            }
            return t
        }
        tasks = list
        indexOf = Dictionary(uniqueKeysWithValues: list.enumerated().map { ($1.id, $0) })
        let waitsForHolder = { (i: Int) in settings.holdersMayReturn && list[i].lastWorkerID != nil }
        queue = search.handOutOrder(list.indices.filter { list[$0].status == .pending && !waitsForHolder($0) })
        awaitingHolders = list.indices.filter { list[$0].status == .pending && waitsForHolder($0) }
        finishedCount = list.filter { $0.status.isFinished }.count
        failedCount = list.filter { $0.status == .failed }.count
        // a restarted sampler learns the stored tasks in index order, with their outcomes so far
        let ordered = self.search.sampler == nil ? records : records.sorted { $0.index < $1.index }
        for r in ordered where r.status.isFinished || self.search.sampler != nil {
            let metrics = r.metrics.flatMap { try? JSON.parse($0) } ?? .object([])
            if r.status == .completed || r.status == .stopped { noteFinalMetrics(metrics) }
            guard self.search.sampler != nil, let params = try? JSON.parse(r.params),
                  let config = try? TrainConfig(json: params) else { continue }
            let outcome = r.status.isFinished
                ? Search.outcome(status: r.status, metrics: metrics, value: metricValue(in: metrics)) : .pending
            self.search.sampler!.add(config, outcome: outcome,
                                     values: r.status.isFinished ? self.search.objectiveValues(in: metrics) : [])
        }
        if self.search.stopping != nil {
            self.search.stopping!.replay(stopDecisions.compactMap(Search.decode))
            decisions = stopDecisions.count
        }
        if let restore { setUpPopulation(restore, records: records) }
    }

    /// The sweep metric in a metrics object; nil when absent or null (e.g. val_accuracy
    /// with no validation split), NaN when not a number.
    func metricValue(in metrics: JSON) -> Double? {
        guard let v = metrics[sweep.metric], v != .null else { return nil }
        return v.doubleValue ?? .nan
    }

    private func beatsBest(_ v: Double) -> Bool {
        guard let best else { return true }
        return sweep.maximize ? v > best : v < best
    }

    /// Moves `best` when these metrics beat it; returns whether they did.
    @discardableResult
    private func noteFinalMetrics(_ metrics: JSON) -> Bool {
        guard let v = metricValue(in: metrics), v.isFinite, beatsBest(v) else { return false }
        best = v
        return true
    }

    /// Tasks the sweep will have: those listed, or run_cap while a sampler proposes more.
    public var total: Int {
        guard let sampler = search.sampler, !exhausted, let cap = sampler.spec.runCap else { return tasks.count }
        return max(cap, tasks.count)
    }
    public internal(set) var running = 0
    public var pendingCount: Int { total - finishedCount - running }
    public var isFinished: Bool { finishedCount == total }
    public var workerCount: Int { peers.count }
    /// Off while the store cannot commit: no task is handed out (credit waits), since
    /// neither its hand-out nor its result could be stored. `tick` resumes once it is on.
    public var handsOutTasks = true

    // MARK: messages

    /// Handles one message from a peer: decodes it (malformed ones are logged and dropped).
    public func receive(from peer: PeerID, frames: [[UInt8]], now: Double) -> [Effect] {
        let message: Message
        // an epoch's metrics are stored as they came (checked, not built and written again),
        // unless the stopping rule reads them
        let asText: Set<String> = search.stopping == nil && frames.count == 3 && frames[1].elementsEqual("progress".utf8) ? ["metrics"] : []
        do { message = try Codec.decode(frames, rawMembers: asText) } catch {
            malformedMessages += 1
            return [.log("dropped a message from \(describe(peer)): \(error)")]
        }
        return receive(from: peer, message: message, now: now)
    }

    public func receive(from peer: PeerID, message: Message, now: Double) -> [Effect] {
        var effects: [Effect] = []
        if case .hello(let hello) = message {
            welcome(peer, hello, now: now, &effects)
            return effects
        }
        guard peers[peer] != nil else {
            // no hello on this connection (e.g. it outlived a coordinator restart): it will say hello again
            if case .heartbeat = message { return [] }
            return [.log("dropped \(message.kind) from \(describe(peer)), which has not said hello")]
        }
        peers[peer]!.lastSeen = now
        if now - peers[peer]!.seenStored >= Self.seenInterval {
            peers[peer]!.seenStored = now
            effects.append(.store(.workerSeen(sweepID: sweep.id, worker: peers[peer]!.name, at: now)))
        }
        switch message {
        case .hello: break
        case .heartbeat: break
        case .ready(let credit):
            peers[peer]!.credit = min(peers[peer]!.credit + credit, peers[peer]!.slots)
            dispatch(now: now, &effects)
        case .started(let taskID, let attempt):
            // from anyone else (the task went to another worker meanwhile) it changes nothing
            if let i = indexOf[taskID], tasks[i].holder == peer, !tasks[i].status.isFinished {
                begin(i, attempt: attempt, &effects)
            }
        case .progress(let p):
            // Workers resend a task's epochs after every reconnect (those sent while this
            // coordinator was down are lost otherwise), so a repeat is normal and must change
            // nothing: the store keeps one row per (task, epoch), written over with the same
            // metrics, and the stopping rule answers a report it has seen with the decision it
            // made, adding no record. A stop is sent again, in case the first cancel was lost.
            guard let i = indexOf[p.taskID], tasks[i].holder == peer, !tasks[i].status.isFinished else {
                if let i = indexOf[p.taskID], tasks[i].assignedTo.contains(peers[peer]!.workerID) {
                    // the epochs a worker resends ahead of the result it repeats: moot once the task
                    // has ended, and kept aside while another worker holds it (its result may win)
                    if !tasks[i].status.isFinished {
                        strayEpochs[p.taskID, default: [:]][peers[peer]!.workerID, default: [:]][p.epoch] = p.metrics.encoded
                    }
                    break
                }
                effects.append(.log("dropped progress for task \(p.taskID) from \(describe(peer)), which does not hold it"))
                break
            }
            // progress means it began, even if its `started` was lost
            begin(i, attempt: p.attempt, &effects)
            effects.append(.store(.epoch(sweepID: sweep.id, taskID: p.taskID, epoch: p.epoch, metrics: p.metrics.encoded)))
            judge(i, epoch: p.epoch, metrics: p.metrics, holder: peer, now: now, &effects)
        case .result(let outcome):
            result(outcome, from: peer, now: now, &effects)
        case .weights(let chunk):
            receiveWeights(chunk, from: peer, &effects)
        case .bye:
            effects.append(.log("\(describe(peer)) left"))
            gone(peer, .left, now: now, &effects)
            release(peer, reason: nil, countsAsAttempt: false, now: now, &effects)
            dispatch(now: now, &effects)
        case .task, .ack, .cancel, .done:
            effects.append(.log("dropped \(message.kind) from \(describe(peer)): not a worker message"))
        }
        return effects
    }

    private func welcome(_ peer: PeerID, _ hello: Hello, now: Double, _ effects: inout [Effect]) {
        // a reconnecting worker: its old connection's leases move to the new one where it still holds them
        let stale = peers.values.filter { $0.workerID == hello.workerID && $0.id != peer }.map(\.id)
        var adopted = Set<Int>()
        for old in stale {
            for i in peers[old]!.holding where hello.holding.contains(tasks[i].id) { adopted.insert(i) }
            peers[old]!.holding.subtract(adopted)
            release(old, reason: "worker \(hello.workerID) reconnected without it", countsAsAttempt: true, now: now, &effects)
        }
        var p = peers[peer] ?? Peer(id: peer, workerID: hello.workerID, host: hello.host, slots: hello.slots,
                                    lastSeen: now, lastSent: now)
        p.workerID = hello.workerID
        p.host = hello.host
        p.slots = hello.slots
        p.reportsStarts = hello.reportsStarts
        p.pid = hello.pid
        p.lastSeen = now
        p.credit = 0
        for taskID in hello.holding {
            guard let i = indexOf[taskID] else { continue }
            let wasItsOwn = tasks[i].lastWorkerID == hello.workerID
            if adopted.contains(i) || (tasks[i].status == .pending && wasItsOwn && removeFromPending(i)) {
                if tasks[i].status == .pending {
                    running += 1
                    effects.append(.store(.resumed(sweepID: sweep.id, taskID: tasks[i].id, worker: "\(hello.workerID)@\(hello.host)")))
                }
                if !adopted.contains(i) {
                    // reclaimed from pending: it counts once the worker says it began it (it resends
                    // `started` after this hello); a worker that does not say so keeps the count as stored
                    tasks[i].begun = !hello.reportsStarts
                }
                tasks[i].status = .running
                tasks[i].holder = peer
                tasks[i].assignedTo.insert(hello.workerID)
                p.holding.insert(i)
            } else if tasks[i].status == .running, wasItsOwn, tasks[i].holder == nil || tasks[i].holder == peer {
                tasks[i].holder = peer
                tasks[i].assignedTo.insert(hello.workerID)
                p.holding.insert(i)
            }
        }
        p.seenStored = now
        peers[peer] = p
        effects.append(.store(.workerJoined(sweepID: sweep.id, worker: p.name, host: p.host, pid: p.pid, slots: p.slots, at: now)))
        effects.append(.log("worker \(p.name) joined with \(hello.slots) slot(s)" +
                            (p.holding.isEmpty ? "" : ", holding \(p.holding.count) task(s)")))
        if isFinished { send(.done, to: peer, now: now, &effects) }
    }

    private func result(_ o: Outcome, from peer: PeerID, now: Double, _ effects: inout [Effect]) {
        guard let i = indexOf[o.taskID] else {
            effects.append(.log("dropped a result for unknown task \(o.taskID) from \(describe(peer))"))
            return
        }
        let workerID = peers[peer]!.workerID
        guard tasks[i].assignedTo.contains(workerID) else {
            // acknowledged all the same, so the sender stops resending it; nothing is stored
            effects.append(.log("dropped a result for task \(o.taskID) from \(describe(peer)), which was never given it"))
            send(.ack(taskID: o.taskID), to: peer, now: now, &effects)
            return
        }
        if isEarlierInterval(i, o) {
            // pbt: an interval stored already, resent after a reconnect (the member may be training its next one here)
            send(.ack(taskID: o.taskID), to: peer, now: now, &effects)
            return
        }
        peers[peer]!.holding.remove(i)
        if tasks[i].status.isFinished {
            // a duplicate (resent after a reconnect) or a late result: stored once, acknowledged again
            send(.ack(taskID: o.taskID), to: peer, now: now, &effects)
            return
        }
        if isPopulation && tasks[i].holder != peer && o.status != "completed" {
            // pbt: a run that no longer held its interval (cancelled, or lost and handed out again)
            // ended without completing it; the interval stays with its holder, or pending
            strayEpochs[o.taskID]?.removeValue(forKey: workerID)
            send(.ack(taskID: o.taskID), to: peer, now: now, &effects)
            return
        }
        // this result decides whose epochs are the task's: the sender's, if it no longer held it
        let stray = tasks[i].holder == peer ? nil : strayEpochs[o.taskID]?[workerID]
        strayEpochs.removeValue(forKey: o.taskID)
        // a result means its run began, even if its `started` was lost: a failure counts
        if tasks[i].holder == peer { begin(i, attempt: o.attempt, &effects) }
        let endsInterval = endsInterval(i, o)
        if endsInterval { spendAttempts(i, settledBy: o, &effects) }
        if let holder = tasks[i].holder, holder != peer, peers[holder] != nil {
            // the task had been handed to another worker after this one went silent: stop that one
            peers[holder]!.holding.remove(i)
            send(.cancel(taskID: o.taskID), to: holder, now: now, &effects)
        }
        tasks[i].holder = nil
        let weights = incomingWeights.removeValue(forKey: o.taskID)
        if endsInterval {
            storeStrayEpochs(stray, of: i, &effects)
            intervalEnded(i, o, checkpoint: weights, from: peer, now: now, &effects)
            send(.ack(taskID: o.taskID), to: peer, now: now, &effects)
            dispatch(now: now, &effects)
            return
        }
        if o.status == "failed" { tasks[i].failedOn.append(peers[peer]!.host) }
        if o.status == "failed" && tasks[i].attempts - attemptBase(i) < settings.maxAttempts {
            effects.append(.log("task \(o.taskID) failed on \(describe(peer)) (attempt \(tasks[i].attempts)): \(o.error ?? "no error text"); retrying"))
            requeue(i, error: o.error, &effects)
        } else {
            let status = TaskStatus(rawValue: o.status) ?? .failed
            let isBest = (status == .completed || status == .stopped) && noteFinalMetrics(o.metrics)
            if isBest || settings.saveWeights, let digest = o.weights {
                if let w = weights, w.attempt == o.attempt, w.complete, WeightsDigest(of: w.file) == digest {
                    // written before the round's commit, so an acknowledged result has its weights on disk
                    effects.append(.weights(taskID: o.taskID, file: w.file, asTask: settings.saveWeights, asBest: isBest))
                } else {
                    effects.append(.log("task \(o.taskID): its weights did not arrive whole from \(describe(peer)); stored without them"))
                }
            }
            storeStrayEpochs(stray, of: i, &effects)
            let error = status == .failed ? failure(i, o.error ?? "no error text") : o.error
            finish(i, status: status, metrics: o.metrics, error: error,
                   wallSeconds: o.wallSeconds, worker: peers[peer]!.name, now: now, &effects)
            if let insights = o.insights {
                effects.append(.store(.insights(sweepID: sweep.id, taskID: o.taskID, data: insights.encoded)))
            }
        }
        send(.ack(taskID: o.taskID), to: peer, now: now, &effects)
        dispatch(now: now, &effects)
    }

    /// The epochs a worker sent while another one held task `i` (`stray`), now that its result
    /// is the one stored: the other attempt's start dropped them from the store, and it may
    /// have written some of its own, so the curve of the stored result is the sender's. A pbt
    /// member's epochs before its interval are its earlier intervals': they stay.
    private func storeStrayEpochs(_ stray: [Int: String]?, of i: Int, _ effects: inout [Effect]) {
        guard let stray, !stray.isEmpty else { return }
        let from = population?.epoch[i] ?? 0
        effects.append(.store(.epochsCleared(sweepID: sweep.id, taskID: tasks[i].id, after: from)))
        for (epoch, metrics) in stray.sorted(by: { $0.key < $1.key }) where epoch > from {
            effects.append(.store(.epoch(sweepID: sweep.id, taskID: tasks[i].id, epoch: epoch, metrics: metrics)))
        }
    }

    /// Collects a piece of a task's weights from a worker it was handed to. A chunk
    /// at offset 0, of another attempt or size, starts the file over (a resend after a reconnect).
    private func receiveWeights(_ c: WeightsChunk, from peer: PeerID, _ effects: inout [Effect]) {
        guard let i = indexOf[c.taskID], tasks[i].assignedTo.contains(peers[peer]!.workerID), !tasks[i].status.isFinished else {
            effects.append(.log("dropped weights for task \(c.taskID) from \(describe(peer)), which does not hold it"))
            return
        }
        if tasks[i].holder == peer { begin(i, attempt: c.attempt, &effects) }
        var w = incomingWeights[c.taskID]
        if w == nil || c.offset == 0 || w!.attempt != c.attempt || w!.total != c.total {
            // memory grows with the bytes received, not with what a peer announces
            w = IncomingWeights(attempt: c.attempt, total: c.total)
        }
        guard c.offset == w!.file.count else {
            effects.append(.log("dropped weights for task \(c.taskID) at offset \(c.offset): expected \(w!.file.count)"))
            return
        }
        w!.file += c.bytes
        incomingWeights[c.taskID] = w
    }

    // MARK: time

    /// Purges peers that have been silent too long, then sends heartbeats that are due.
    public func tick(now: Double) -> [Effect] {
        var effects: [Effect] = []
        if let run = population, !run.deferred.isEmpty {
            effects += run.deferred   // what the population's set-up decided, stored now
            run.deferred = []
        }
        // purge by scanning every peer (an ordered-list purge can miss dead workers)
        for (id, p) in peers where now - p.lastSeen > settings.expiry {
            effects.append(.log("worker \(p.name) silent for \(Int((now - p.lastSeen) * 1000)) ms: lost"))
            gone(id, .lost, now: now, &effects)
            release(id, reason: "worker \(p.name) was lost", countsAsAttempt: true, now: now, &effects)
        }
        dispatch(now: now, &effects)
        for (id, p) in peers where now - p.lastSent >= settings.heartbeatInterval {
            send(.heartbeat, to: id, now: now, &effects)
        }
        return effects
    }

    /// Seconds until the next thing `tick` must do (for the poll timeout).
    public func nextDeadline(now: Double) -> Double {
        var t = settings.heartbeatInterval
        for p in peers.values {
            t = min(t, max(0, p.lastSent + settings.heartbeatInterval - now), max(0, p.lastSeen + settings.expiry - now))
        }
        return t
    }

    // MARK: internals

    private func dispatch(now: Double, _ effects: inout [Effect]) {
        if isFinished {
            if !doneAnnounced {
                doneAnnounced = true
                for id in peers.keys { send(.done, to: id, now: now, &effects) }
            }
            return
        }
        guard handsOutTasks, pendingCount > 0 else { return }   // (queued entries may be stale; popPending skips them)
        if !awaitingHolders.isEmpty {
            awaitingUntil = awaitingUntil ?? now + settings.expiry
            if now >= awaitingUntil! {
                retry += awaitingHolders.reversed()   // served first, in index order
                awaitingHolders = []
            }
        }
        for (id, p) in peers where p.credit > 0 {
            var credit = p.credit
            while credit > 0, let i = popPending() ?? propose(&effects) {
                credit -= 1
                assign(i, to: id, now: now, &effects)
            }
            peers[id]!.credit = credit
            if pendingCount == 0 { break }
        }
        // the sampler ran out of new configurations: the sweep may have ended with what it has
        if exhausted && isFinished && !doneAnnounced { dispatch(now: now, &effects) }
    }

    /// A new task from the sampler (method: bayes), stored with the round; nil when the
    /// sweep has run_cap tasks or the sampler finds no new configuration.
    private func propose(_ effects: inout [Effect]) -> Int? {
        guard search.sampler != nil, !exhausted, tasks.count < total else { return nil }
        let proposed: SweepTask?
        do { proposed = try search.sampler!.propose() } catch {
            effects.append(.log("the sampler failed: \(error); the sweep ends with the \(tasks.count) task(s) it has"))
            proposed = nil
        }
        guard let task = proposed, indexOf[task.id] == nil else {
            exhausted = true
            return nil
        }
        let i = tasks.count
        let params = task.params.encoded
        tasks.append(Task(id: task.id, params: params, status: .pending, attempts: 0))
        indexOf[task.id] = i
        effects.append(.store(.added(sweepID: sweep.id, tasks: [NewTask(id: task.id, index: i, params: params)])))
        return i
    }

    /// Feeds a running task's epoch metric to the early-stopping rule; stores the
    /// decision and cancels the task when the rule says stop.
    private func judge(_ i: Int, epoch: Int, metrics: JSON, holder: PeerID, now: Double, _ effects: inout [Effect]) {
        guard search.stopping != nil, let value = metricValue(in: metrics) else { return }
        let before = search.stopping!.records.count
        let decision = search.stopping!.report(taskID: tasks[i].id, epoch: epoch, value: value)
        for record in search.stopping!.records[before...] {
            effects.append(.store(.stopDecision(sweepID: sweep.id, seq: decisions, record: Search.encode(record))))
            decisions += 1
        }
        if case .stop(let at) = decision {
            // a report seen before (a resent epoch, a rerun) gets the old decision: said once in the log
            if search.stopping!.records.count > before {
                effects.append(.log("task \(tasks[i].id): \(sweep.metric) \(value) at epoch \(at) falls behind; stopping it"))
            }
            send(.cancel(taskID: tasks[i].id), to: holder, now: now, &effects)
        }
    }

    private func assign(_ i: Int, to peer: PeerID, now: Double, _ effects: inout [Effect]) {
        var interval: (Interval, JSON)?
        if isPopulation {
            interval = nextInterval(i, now: now, &effects)
            if interval == nil { return }   // its checkpoint is missing: the member failed
        }
        let p = peers[peer]!
        running += 1
        tasks[i].status = .running
        tasks[i].holder = peer
        tasks[i].begun = false
        tasks[i].assignedTo.insert(p.workerID)
        tasks[i].lastWorkerID = p.workerID
        peers[peer]!.holding.insert(i)
        let attempt = tasks[i].attempts + 1
        if let (interval, _) = interval {
            effects.append(.store(.intervalHandedOut(sweepID: sweep.id, taskID: tasks[i].id, worker: p.name, at: now,
                                                     fromEpoch: interval.from)))
        } else {
            effects.append(.store(.handedOut(sweepID: sweep.id, taskID: tasks[i].id, worker: p.name, at: now)))
        }
        if !p.reportsStarts { begin(i, attempt: attempt, &effects) }
        let weights = WeightsRequest(all: settings.saveWeights, metric: sweep.metric, maximize: sweep.maximize, best: best)
        send(.task(Assignment(sweep: sweep.name, taskID: tasks[i].id, attempt: attempt, params: interval?.1 ?? .raw(tasks[i].params),
                              weights: weights, interval: interval?.0)),
             to: peer, now: now, &effects)
    }

    /// The holder began task `i` as its `attempt`-th run: the run counts, once. The
    /// attempt it names is that of the hand-out, or, for a task reclaimed after a
    /// coordinator restart, one the store may count already (then it is not counted twice).
    private func begin(_ i: Int, attempt: Int, _ effects: inout [Effect]) {
        guard !tasks[i].begun else { return }
        tasks[i].begun = true
        guard attempt > tasks[i].attempts else { return }
        tasks[i].attempts += 1
        effects.append(.store(.attemptStarted(sweepID: sweep.id, taskID: tasks[i].id, attempts: tasks[i].attempts)))
    }

    /// Takes every task of a peer away from it: each goes back to the queue, or
    /// fails when it has used its attempts (a task that keeps killing workers).
    /// `countsAsAttempt`: the peer was lost, so a task it had begun keeps its attempt;
    /// one still queued there (prefetch) never ran and spends nothing either way.
    /// This coordinator stops: every worker still connected is recorded as gone (`left`).
    public func farewell(now: Double) -> [Effect] {
        var effects: [Effect] = []
        for id in peers.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) { gone(id, .left, now: now, &effects) }
        return effects
    }

    /// The worker on `peer` is gone (`left` by its bye, or `lost`), as the workers table
    /// records it, with the tasks it held that had begun when it was lost. Not for a
    /// connection that a reconnecting worker replaced: the worker is still there.
    private func gone(_ peer: PeerID, _ state: WorkerState, now: Double, _ effects: inout [Effect]) {
        guard let p = peers[peer] else { return }
        let lost = state == .lost ? p.holding.filter { tasks[$0].holder == peer && tasks[$0].begun && !tasks[$0].status.isFinished }.count : 0
        effects.append(.store(.workerLeft(sweepID: sweep.id, worker: p.name, state: state, lost: lost, at: now)))
    }

    private func release(_ peer: PeerID, reason: String?, countsAsAttempt: Bool, now: Double, _ effects: inout [Effect]) {
        guard let p = peers.removeValue(forKey: peer) else { return }
        for i in p.holding.sorted() where tasks[i].holder == peer && !tasks[i].status.isFinished {
            tasks[i].holder = nil
            let ran = tasks[i].begun
            if !countsAsAttempt {
                // handed back: the run does not count, and the worker may not claim the task again
                // with a later hello (adopting it then bye-ing it again drove attempts below 0 when
                // every bye took one off, and a task sent with attempt -1 is dropped by every worker)
                if ran { tasks[i].attempts = max(0, tasks[i].attempts - 1) }
                if tasks[i].lastWorkerID == p.workerID { tasks[i].lastWorkerID = nil }
            }
            if countsAsAttempt && ran { tasks[i].failedOn.append(p.host) }
            if countsAsAttempt && ran && tasks[i].attempts - attemptBase(i) >= settings.maxAttempts {
                finish(i, status: .failed, metrics: .object([]), error: failure(i, reason ?? "worker lost"),
                       wallSeconds: 0, worker: p.name, now: now, &effects)
            } else {
                requeue(i, error: reason, &effects)
            }
        }
    }

    /// The error of a task that failed for good: its last run's error, after the hosts of
    /// every failed run (the same host again and again points at the task, several at the hosts).
    func failure(_ i: Int, _ last: String) -> String {
        let runs = tasks[i].failedOn
        guard !runs.isEmpty else { return last }
        return "failed on \(runs.count) attempt(s) (hosts: \(runs.joined(separator: ", "))): \(last)"
    }

    /// A worker process `sweep run` saw die (`reason`: how), taken for lost at once rather
    /// than after the heartbeat timeout. Returns the tasks it held, each with whether it
    /// went back to pending (or failed, out of attempts).
    public func workerDied(pid: Int, host: String, reason: String, now: Double) -> (tasks: [(id: String, pending: Bool)], effects: [Effect]) {
        var effects: [Effect] = []
        var held: [Int] = []
        for (id, p) in peers where p.pid == pid && p.host == host {
            held += p.holding.filter { tasks[$0].holder == id && !tasks[$0].status.isFinished }
            gone(id, .lost, now: now, &effects)
            release(id, reason: "worker \(p.name) \(reason)", countsAsAttempt: true, now: now, &effects)
        }
        dispatch(now: now, &effects)
        return (held.sorted().map { (tasks[$0].id, tasks[$0].status == .pending) }, effects)
    }

    func requeue(_ i: Int, error: String?, _ effects: inout [Effect]) {
        if tasks[i].status == .running { running -= 1 }
        incomingWeights.removeValue(forKey: tasks[i].id)
        tasks[i].status = .pending
        tasks[i].holder = nil
        tasks[i].begun = false
        retry.append(i)
        effects.append(.store(.requeued(sweepID: sweep.id, taskID: tasks[i].id, attempts: tasks[i].attempts, error: error)))
    }

    func finish(_ i: Int, status: TaskStatus, metrics json: JSON, error: String?, wallSeconds: Double,
                worker: String, now: Double, _ effects: inout [Effect]) {
        let metrics = json.encoded
        if tasks[i].status == .running { running -= 1 }
        incomingWeights.removeValue(forKey: tasks[i].id)
        tasks[i].status = status
        tasks[i].holder = nil
        finishedCount += 1
        if status == .failed { failedCount += 1 }
        if search.sampler != nil {
            search.sampler!.update(taskID: tasks[i].id, outcome: Search.outcome(status: status, metrics: json, value: metricValue(in: json)),
                                   values: search.objectiveValues(in: json))
        }
        effects.append(.store(.finished(sweepID: sweep.id, taskID: tasks[i].id, status: status, metrics: metrics,
                                        error: error, wallSeconds: wallSeconds, worker: worker, at: now)))
        effects.append(.finished(taskID: tasks[i].id, status: status, metrics: metrics,
                                 value: metricValue(in: json).flatMap { $0.isNaN ? nil : $0 }))
        if isPopulation && status != .completed { dropMember(i, &effects) }
        if isPopulation { pruneCheckpoints(&effects) }
    }

    private func popPending() -> Int? {
        while let i = retry.popLast() {
            if tasks[i].status == .pending { return i }
        }
        while head < queue.count {
            let i = queue[head]
            head += 1
            if tasks[i].status == .pending { return i }
        }
        return nil
    }

    /// Removes a pending task from the queue (a reconnecting worker still holds it).
    private func removeFromPending(_ i: Int) -> Bool {
        retry.removeAll { $0 == i }
        awaitingHolders.removeAll { $0 == i }
        // queued entries are skipped lazily by popPending once the task is no longer pending
        return tasks[i].status == .pending
    }

    private func send(_ m: Message, to peer: PeerID, now: Double, _ effects: inout [Effect]) {
        peers[peer]?.lastSent = now
        effects.append(.send(peer, m))
    }

    private func describe(_ peer: PeerID) -> String {
        if let p = peers[peer] { return "worker \(p.name)" }
        return "peer " + peer.prefix(8).map { String($0, radix: 16) }.joined()
    }

    /// Tasks per status as this coordinator sees them.
    public var runningTaskIDs: [String] { tasks.filter { $0.status == .running }.map(\.id) }
}
