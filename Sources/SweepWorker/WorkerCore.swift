import SweepProtocol

/// The worker's state machine: what it holds for the coordinator and what it owes it.
/// It takes time as a parameter and returns effects, so tests drive it without sockets,
/// threads or sleeps; `Worker` is the socket loop that feeds it and applies its effects.
///
/// Reliability lives here: results are kept until acknowledged, and a task's progress
/// while it runs or its result is unacknowledged; both are resent after a reconnect, and
/// so is `started` for every task a slot has begun (the coordinator charges an attempt
/// only for those when it loses this worker; queued tasks cost nothing).
///
/// Inputs: `start`, a message from the coordinator (`receive`), a slot's report
/// (`slotReported`: started, progress, weights, result), the stop request (`stop`) and
/// the passing of time (`tick`). `nextDeadline` says when `tick` has something to do.
public final class WorkerCore {
    /// What the loop does in answer to an input, in order.
    public enum Effect: Equatable, Sendable {
        /// Open a DEALER to the coordinator (the hello and the resends follow as sends).
        case connect
        /// Close the DEALER: the coordinator went silent. A `connect` follows after the backoff.
        case disconnect
        case send(Message)
        /// Frames a slot encoded, sent unchanged (first, or again after a reconnect).
        case forward([[UInt8]])
        /// Hand a task to the slot pool (a free slot begins it, or it waits in the queue).
        /// `encoded`: the task message as it arrived, passed on to the slot process as it is.
        case submit(Assignment, encoded: [[UInt8]]?)
        /// Ask the slot training this task to stop (early termination).
        case cancel(taskID: String)
        /// Send `bye`, and let it get out before the socket closes.
        case bye
        case log(String)
        /// Leave the loop; `done`: the coordinator said the sweep is over.
        case exit(done: Bool)
    }

    /// While the coordinator stays unreachable the worker keeps reconnecting (under
    /// Kubernetes it comes back, maybe at another address behind the same name), and says
    /// so when the silence reaches each of these lengths (seconds since it was last heard),
    /// then every `unreachableReportEvery` seconds: often at first, when it matters, and
    /// rarely in a night-long outage.
    public static let unreachableReports: [Double] = [10, 30, 60, 120, 300, 600]
    public static let unreachableReportEvery = 600.0

    public let options: Worker.Options
    /// This worker as its hello names it; `holding` is filled in at each connect.
    public let identity: Hello

    /// Tasks given to this worker and not yet ended, begun on a slot or queued: id → attempt.
    public private(set) var running: [String: Int] = [:]
    /// Those of `running` a slot has begun (it said `started`).
    public private(set) var begun: Set<String> = []
    /// Encoded results not yet acknowledged, by task id.
    private var unacked: [String: [[UInt8]]] = [:]
    /// Encoded `weights` messages of a task, sent before its result and resent with
    /// it after a reconnect, until the result is acknowledged.
    private var weightsMessages: [String: [[[UInt8]]]] = [:]
    /// Encoded `progress` messages of a task (one per epoch), resent after a reconnect
    /// until its result is acknowledged: those sent while the coordinator was down are
    /// lost, and it stores epoch rows and judges early-stopping rungs from them. It takes
    /// a repeated epoch as a no-op.
    private var progressMessages: [String: [[[UInt8]]]] = [:]
    /// Tasks the coordinator cancelled that have not ended yet: their further epochs matter to no one.
    private var cancelled: Set<String> = []
    /// Tasks handed out again while their cancelled run here has not ended (a pbt member's
    /// next interval after another worker's result settled this one): each starts, with the
    /// frames it came in, once that run's answer is in.
    private var afterCancel: [String: (assignment: Assignment, frames: [[UInt8]]?)] = [:]
    /// Credit granted to the coordinator that no task has used yet.
    public private(set) var outstandingCredit = 0
    /// Moving average of the tasks' wall time, once one has ended.
    public private(set) var recentTaskSeconds: Double?
    private var lastHeard = 0.0
    private var lastSent = 0.0
    /// A DEALER is open (between `connect` and `disconnect`).
    private var connected = false
    /// While disconnected: when to connect again.
    private var reconnectAt: Double?
    /// Seconds to wait before the next reconnect; doubles up to `Wire.reconnectMax`, reset by any message.
    public private(set) var backoff = Wire.reconnectInitial
    /// While the coordinator is unreachable: when it was last heard (or connected to), and
    /// the silence at which to say so next.
    private var silentSince: Double?
    private var nextUnreachableReport = 0.0
    public private(set) var coordinatorDone = false
    /// When the stop request came: from then on no new task is taken.
    private var stopAt: Double?
    private var exited = false

    public init(options: Worker.Options, identity: Hello) {
        self.options = options
        self.identity = identity
    }

    private var expiry: Double { options.heartbeatInterval * Double(options.liveness) }
    private var draining: Bool { stopAt != nil }

    /// Tasks to hold beyond the slots now.
    private var prefetch: Int {
        guard let t = recentTaskSeconds, t < options.prefetchBelow else { return 0 }
        return options.prefetch
    }

    /// Tasks the hello names: still training or queued here, or with an unacknowledged result.
    public var holding: [String] { Set(running.keys).union(unacked.keys).sorted() }

    // MARK: inputs

    /// The first connection.
    public func start(now: Double) -> [Effect] {
        var effects: [Effect] = []
        connect(now: now, &effects)
        return effects
    }

    /// A message from the coordinator, as it arrived (malformed ones are logged and dropped).
    /// A task's parameters stay text (checked, not built): its slot process reads them.
    public func receive(frames: [[UInt8]], now: Double) -> [Effect] {
        let message: Message
        do { message = try Codec.decode(frames, rawMembers: ["params"]) } catch {
            return [.log("dropped a message from the coordinator: \(error)")]
        }
        return receive(message, frames: frames, now: now)
    }

    /// A message from the coordinator, decoded; `frames`, when given, go to the slot with a task.
    public func receive(_ message: Message, frames: [[UInt8]]? = nil, now: Double) -> [Effect] {
        var effects: [Effect] = []
        lastHeard = now
        backoff = Wire.reconnectInitial
        if let since = silentSince {
            effects.append(.log("coordinator back after \(Self.duration(now - since))"))
            silentSince = nil
        }
        switch message {
        case .task(let a):
            outstandingCredit = max(0, outstandingCredit - 1)
            if let current = running[a.taskID] {
                // a later attempt of a task whose cancelled run is still ending waits for it; any
                // other copy of a running task is a duplicate
                if cancelled.contains(a.taskID) && a.attempt > current && !draining { afterCancel[a.taskID] = (a, frames) }
                break
            }
            guard !draining else { break }   // handed back by the bye that ends the drain
            // more tasks than slots (credit granted across a reconnect) wait in the slot queue: never dropped
            running[a.taskID] = a.attempt
            progressMessages[a.taskID] = nil   // an earlier attempt's, whose result is still unacknowledged
            effects.append(.submit(a, encoded: frames))
            grantCredit(now: now, &effects)   // the credit this task used may be due again (prefetch)
        case .ack(let id):
            unacked.removeValue(forKey: id)
            weightsMessages.removeValue(forKey: id)
            // the next attempt may run here already (a task goes out before the ack of a failed
            // attempt's result): its epochs stay
            if running[id] == nil { progressMessages.removeValue(forKey: id) }
        case .cancel(let id):
            guard running[id] != nil else { break }
            cancelled.insert(id)
            effects.append(.cancel(taskID: id))
            // the coordinator cancels after committing the round that decided it (or after storing
            // another worker's result): it holds every epoch it judged, and later ones matter to no one
            progressMessages.removeValue(forKey: id)
        case .done:
            coordinatorDone = true
        case .heartbeat:
            break
        case .hello, .ready, .started, .progress, .result, .weights, .bye:
            effects.append(.log("dropped \(message.kind) from the coordinator: not a coordinator message"))
        }
        return effects
    }

    /// A slot's report as it encoded it (started, progress, weights or result), to forward unchanged.
    public func slotReported(frames: [[UInt8]], now: Double) -> [Effect] {
        let message = try? Codec.decode(frames)
        return report(kind: message?.kind, taskID: message.flatMap(Self.taskID), outcome: message.flatMap(Self.outcome),
                      frames: frames, now: now)
    }

    /// A slot's report about `taskID` (the task the slot was given): only a result is decoded,
    /// the rest is forwarded as it came (decoding every epoch cost more than the no-op task).
    public func slotReported(frames: [[UInt8]], taskID: String, now: Double) -> [Effect] {
        let kind = frames.count == 3 || frames.count == 4 ? String(decoding: frames[1], as: UTF8.self) : nil
        guard kind == "result" else { return report(kind: kind, taskID: taskID, outcome: nil, frames: frames, now: now) }
        // its status, error and wall time matter here; its metrics and insights only to the coordinator
        let message = try? Codec.decode(frames, rawMembers: ["metrics", "insights"])
        return report(kind: message?.kind, taskID: taskID, outcome: message.flatMap(Self.outcome), frames: frames, now: now)
    }

    /// A slot's report, decoded, with the frames it came in.
    public func slotReported(_ message: Message, frames: [[UInt8]], now: Double) -> [Effect] {
        report(kind: message.kind, taskID: Self.taskID(message), outcome: Self.outcome(message), frames: frames, now: now)
    }

    private static func taskID(_ m: Message) -> String? {
        switch m {
        case .started(let id, _): id
        case .progress(let p): p.taskID
        case .weights(let w): w.taskID
        case .result(let o): o.taskID
        default: nil
        }
    }

    private static func outcome(_ m: Message) -> Outcome? {
        if case .result(let o) = m { return o }
        return nil
    }

    private func report(kind: String?, taskID: String?, outcome: Outcome?, frames: [[UInt8]], now: Double) -> [Effect] {
        var effects: [Effect] = []
        if let id = taskID {
            switch kind {
            case "started"?: if running[id] != nil { begun.insert(id) }
            case "weights"?: weightsMessages[id, default: []].append(frames)
            case "progress"?: if !cancelled.contains(id) { progressMessages[id, default: []].append(frames) }
            default: break
            }
        }
        guard let o = outcome else {
            forward(frames, now: now, &effects)   // started, progress, weights
            return effects
        }
        running.removeValue(forKey: o.taskID)
        begun.remove(o.taskID)   // its result says it began from now on
        cancelled.remove(o.taskID)
        unacked[o.taskID] = frames
        // a failure is this worker's news too (a crashed slot process names its signal; a new one has started)
        if o.status == "failed" { effects.append(.log("task \(o.taskID) failed: \(o.error ?? "no error text")")) }
        recentTaskSeconds = recentTaskSeconds.map { 0.8 * $0 + 0.2 * o.wallSeconds } ?? o.wallSeconds
        forward(frames, now: now, &effects)
        if let next = afterCancel.removeValue(forKey: o.taskID), stopAt == nil {
            running[o.taskID] = next.assignment.attempt
            progressMessages[o.taskID] = nil
            effects.append(.submit(next.assignment, encoded: next.frames))
        }
        grantCredit(now: now, &effects)
        return effects
    }

    /// The stop request (SIGTERM, SIGINT): take no new task, let running ones finish within
    /// the grace period. `queued`: the tasks the loop took back from the slot pool's queue;
    /// they never start, and the bye that ends the drain hands them back.
    public func stop(now: Double, queued: [Assignment]) -> [Effect] {
        guard stopAt == nil else { return [] }
        stopAt = now
        for a in queued { running.removeValue(forKey: a.taskID) }   // never begun
        afterCancel.removeAll()   // never begun either: the bye hands them back too
        guard !running.isEmpty else { return [] }
        return [.log("stopping: letting \(running.count) task(s) finish (grace \(Int(options.grace)) s)")]
    }

    /// What the passing of time calls for: the bye that ends a drain, the exit once the
    /// sweep is done, a reconnect when the coordinator went silent, heartbeats.
    public func tick(now: Double) -> [Effect] {
        guard !exited else { return [] }
        var effects: [Effect] = []
        if let stopAt, (running.isEmpty && unacked.isEmpty) || now - stopAt >= options.grace {
            if !running.isEmpty { effects.append(.log("grace period over: handing \(running.count) task(s) back")) }
            // the bye needs a connection: one in its backoff connects now, and its results go first
            if !connected { connect(now: now, &effects) }
            effects += [.bye, .exit(done: coordinatorDone)]
            exited = true
            return effects
        }
        // once every task of the sweep has ended, results still unacknowledged are moot
        if coordinatorDone && options.exitWhenDone && running.isEmpty {
            exited = true
            return [.exit(done: true)]
        }
        if let reconnectAt {
            if now >= reconnectAt { connect(now: now, &effects) }
        } else if now - lastHeard > expiry {
            if silentSince == nil {
                effects.append(.log("coordinator silent for \(Int((now - lastHeard) * 1000)) ms; reconnecting in \(Int(backoff * 1000)) ms"))
                silentSince = lastHeard
                nextUnreachableReport = Self.nextReport(after: now - lastHeard)
            }
            // no sleep: the loop polls until this deadline, still hearing its slots and the stop request
            effects.append(.disconnect)
            connected = false
            reconnectAt = now + backoff
            backoff = min(backoff * 2, Wire.reconnectMax)
        }
        if let since = silentSince, now - since >= nextUnreachableReport {
            effects.append(.log("coordinator unreachable for \(Self.duration(now - since)); still retrying (\(options.endpoint))"))
            nextUnreachableReport = Self.nextReport(after: now - since)
        }
        if connected && now - lastSent >= options.heartbeatInterval { send(.heartbeat, now: now, &effects) }
        return effects
    }

    /// Seconds until `tick` has something to do (for the poll timeout).
    public func nextDeadline(now: Double) -> Double {
        var at = now + options.heartbeatInterval
        if connected { at = min(at, lastSent + options.heartbeatInterval, lastHeard + expiry) }
        if let reconnectAt { at = min(at, reconnectAt) }
        if let since = silentSince { at = min(at, since + nextUnreachableReport) }
        if let stopAt { at = min(at, stopAt + options.grace) }
        return max(0, at - now)
    }

    // MARK: internals

    /// (Re)connects: hello with the tasks still held, their progress, weights and
    /// unacknowledged results resent, credit for the free slots.
    private func connect(now: Double, _ effects: inout [Effect]) {
        effects.append(.connect)
        connected = true
        reconnectAt = nil
        lastHeard = now
        var hello = identity
        hello.holding = holding
        hello.reportsStarts = true
        send(.hello(hello), now: now, &effects)
        // per task: that it began, its epochs, its weights, then its result (the coordinator ignores
        // the epochs of a task that has ended). A task still training sends the rest on this connection.
        for id in Set(progressMessages.keys).union(weightsMessages.keys).union(unacked.keys).union(begun).sorted() {
            if begun.contains(id), let attempt = running[id] { send(.started(taskID: id, attempt: attempt), now: now, &effects) }
            for frames in progressMessages[id] ?? [] { forward(frames, now: now, &effects) }
            for chunk in weightsMessages[id] ?? [] { forward(chunk, now: now, &effects) }
            if let result = unacked[id] { forward(result, now: now, &effects) }
        }
        outstandingCredit = 0   // a hello resets the coordinator's view of this worker
        grantCredit(now: now, &effects)
    }

    /// Asks for tasks up to the slots plus the prefetch, counting credit already
    /// granted. The coordinator keeps at most `slots` of credit per worker, so no
    /// more than that is ever outstanding. Credit on no connection would be lost:
    /// the next hello grants it.
    private func grantCredit(now: Double, _ effects: inout [Effect]) {
        guard !draining, connected else { return }
        let wanted = options.slots + prefetch - running.count - outstandingCredit
        let n = min(wanted, options.slots - outstandingCredit)
        guard n > 0 else { return }
        outstandingCredit += n
        send(.ready(credit: n), now: now, &effects)
    }

    /// While disconnected nothing is sent: what matters is kept and resent after the hello.
    private func send(_ m: Message, now: Double, _ effects: inout [Effect]) {
        guard connected else { return }
        effects.append(.send(m))
        lastSent = now
    }

    private func forward(_ frames: [[UInt8]], now: Double, _ effects: inout [Effect]) {
        guard connected else { return }
        effects.append(.forward(frames))
        lastSent = now
    }

    /// The silence (seconds) at which to report an unreachable coordinator next, after `elapsed`.
    static func nextReport(after elapsed: Double) -> Double {
        if let t = unreachableReports.first(where: { $0 > elapsed }) { return t }
        let last = unreachableReports.last ?? 0
        return last + ((elapsed - last) / unreachableReportEvery).rounded(.down) * unreachableReportEvery + unreachableReportEvery
    }

    /// "42 s", or whole minutes from one minute on: "12 min".
    static func duration(_ seconds: Double) -> String {
        seconds < 60 ? "\(Int(seconds)) s" : "\(Int(seconds / 60)) min"
    }
}
