import Foundation
import Synchronization
import SweepConfig
import SweepProtocol
import SweepTrain
import ZeroMQ

/// A worker process: one DEALER connection to the coordinator and `slots`
/// training slots, each task on its own thread. Slots report through an inproc
/// socket, so the socket loop never blocks on training. The loop, in order:
/// poll → handle what arrived → reconnect if the coordinator went silent →
/// send heartbeats that are due.
///
/// Reliability stays here: a slot sees "train this, report progress, report the
/// result", never frames. Results are kept until acknowledged, and a task's progress
/// while it runs or its result is unacknowledged; both are resent after a reconnect,
/// and so is `started` for every task a slot has begun (the coordinator charges an
/// attempt only for those when it loses this worker; queued tasks cost nothing).
public final class Worker {
    /// Prefetch only while tasks take less than this (seconds, moving average): a
    /// slot that frees up then finds its next task already queued here instead of
    /// waiting a round trip to the coordinator, which commits a result before it
    /// hands out more work. A queued task can delay the end of a sweep by one
    /// task's duration, so long tasks are never queued.
    public static let prefetchBelow = 1.0

    public struct Options: Sendable {
        public var endpoint: String
        public var slots: Int
        public var exitWhenDone: Bool
        public var heartbeatInterval: Double
        public var liveness: Int
        /// On a stop request: seconds to let running tasks finish before handing them back.
        public var grace: Double
        /// CURVE: coordinator public key, own public and secret keys (Z85).
        public var curve: (serverKey: String, publicKey: String, secretKey: String)?
        /// Tasks to hold beyond the slots while tasks are short (see `Worker.prefetchBelow`).
        public var prefetch: Int
        /// What starts a slot process: the `sweep` executable and `slot`.
        public var slotCommand: [String]
        /// What each slot's task may use (`--max-task-memory`).
        public var taskMemory: MemoryLimit
        public init(endpoint: String, slots: Int, slotCommand: [String], taskMemory: MemoryLimit, exitWhenDone: Bool = false,
                    heartbeatInterval: Double = Wire.heartbeatInterval, liveness: Int = Wire.liveness,
                    grace: Double = 30, curve: (serverKey: String, publicKey: String, secretKey: String)? = nil,
                    prefetch: Int = 0) {
            self.slotCommand = slotCommand
            self.taskMemory = taskMemory
            self.prefetch = prefetch
            self.grace = grace
            self.endpoint = endpoint
            self.slots = slots
            self.exitWhenDone = exitWhenDone
            self.heartbeatInterval = heartbeatInterval
            self.liveness = liveness
            self.curve = curve
        }
    }

    public let options: Options
    public let workerID: String
    public var log: (String) -> Void = { line in FileHandle.standardError.write(Data(("worker: " + line + "\n").utf8)) }

    private let context: Context
    private var dealer: Socket?
    private let events: Socket
    private let eventsEndpoint: String
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    /// Tasks the coordinator cancelled that have not ended yet: their further epochs matter to no one.
    private var cancelled: Set<String> = []
    private let slots: SlotPool

    /// Tasks given to this worker and not yet ended, begun on a slot or queued: id → attempt.
    private var running: [String: Int] = [:]
    /// Those of `running` a slot has begun (it said `started`).
    private var begun: Set<String> = []
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
    /// Credit granted to the coordinator that no task has used yet.
    private var outstandingCredit = 0
    /// Moving average of the tasks' wall time, once one has ended.
    private var recentTaskSeconds: Double?
    private var lastHeard = 0.0
    private var lastSent = 0.0
    private var backoff = Wire.reconnectInitial
    private var coordinatorDone = false
    /// Stopping: no new tasks are taken.
    private var draining = false

    public init(options: Options, context: Context) throws {
        self.options = options
        self.context = context
        let host = ProcessInfo.processInfo.hostName
        workerID = "\(host)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        eventsEndpoint = "inproc://sweep-worker-\(workerID)"
        events = try context.socket(.pull)
        try events.setLinger(milliseconds: 0)
        try events.bind(eventsEndpoint)
        slots = try SlotPool(count: options.slots, context: context, endpoint: eventsEndpoint,
                             command: options.slotCommand, memoryLimit: options.taskMemory)
        start = clock.now
    }

    private var now: Double {
        let (s, a) = (clock.now - start).components
        return Double(s) + Double(a) * 1e-18
    }

    private var expiry: Double { options.heartbeatInterval * Double(options.liveness) }

    /// Tasks to hold beyond the slots now.
    private var prefetch: Int {
        guard let t = recentTaskSeconds, t < Self.prefetchBelow else { return 0 }
        return options.prefetch
    }

    /// Asks for tasks up to the slots plus the prefetch, counting credit already
    /// granted. The coordinator keeps at most `slots` of credit per worker, so no
    /// more than that is ever outstanding.
    private func grantCredit() throws {
        guard !draining else { return }
        let wanted = options.slots + prefetch - running.count - outstandingCredit
        let n = min(wanted, options.slots - outstandingCredit)
        guard n > 0 else { return }
        outstandingCredit += n
        try send(.ready(credit: n))
    }

    /// Runs until the coordinator says the sweep is over (with `exitWhenDone`) or
    /// `shouldStop` says so. Returns true when the sweep was reported done.
    public func run(shouldStop: () -> Bool = { false }) throws -> Bool {
        try connect()
        var stopAt: Double?
        while true {
            if stopAt == nil && shouldStop() {
                // take no new task; let running ones finish within the grace period
                stopAt = now
                draining = true
                // queued tasks never start: the bye below hands them back
                for a in slots.takeQueued() { running.removeValue(forKey: a.taskID) }   // never begun
                if !running.isEmpty { log("stopping: letting \(running.count) task(s) finish (grace \(Int(options.grace)) s)") }
            }
            if let stopAt, (running.isEmpty && unacked.isEmpty) || now - stopAt >= options.grace {
                if !running.isEmpty { log("grace period over: handing \(running.count) task(s) back") }
                // the bye must get out before close(): with linger 0 an unsent bye was dropped now and
                // then, and the coordinator, taking this worker for lost after the heartbeat timeout,
                // charged an attempt to every task it had handed back (PrefetchTests saw attempts 2)
                try? dealer?.setLinger(milliseconds: 1000)
                try? send(.bye)
                return coordinatorDone
            }
            guard let dealer else { return false }
            let timeout = Int(min(options.heartbeatInterval, 0.25) * 1000)
            let ready = try poll([PollItem(dealer), PollItem(events)], timeoutMilliseconds: timeout)
            if ready[0].readable {
                while let frames = try dealer.receive(dontWait: true) { try handle(frames) }
            }
            if ready[1].readable {
                while let frames = try events.receive(dontWait: true) { try slotReported(frames) }
            }
            // once every task of the sweep has ended, results still unacknowledged are moot
            if coordinatorDone && options.exitWhenDone && running.isEmpty { return true }
            if now - lastHeard > expiry {
                log("coordinator silent for \(Int((now - lastHeard) * 1000)) ms; reconnecting in \(Int(backoff * 1000)) ms")
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, Wire.reconnectMax)
                try connect()
                continue
            }
            if now - lastSent >= options.heartbeatInterval { try send(.heartbeat) }
        }
    }

    /// (Re)connects: a new DEALER, hello with the tasks still held, their progress,
    /// weights and unacknowledged results resent, credit for the free slots.
    private func connect() throws {
        dealer?.close()
        let s = try context.socket(.dealer)
        try s.setLinger(milliseconds: 0)
        try s.setSendHighWaterMark(0)
        try s.setReceiveHighWaterMark(0)
        try s.setReconnectInterval(milliseconds: 100, max: Int(Wire.reconnectMax * 1000))
        if let c = options.curve { try s.setCurveClient(serverKey: c.serverKey, publicKey: c.publicKey, secretKey: c.secretKey) }
        try s.connect(options.endpoint)
        dealer = s
        lastHeard = now
        let holding = Array(Set(running.keys).union(unacked.keys)).sorted()
        try send(.hello(Hello(workerID: workerID, host: ProcessInfo.processInfo.hostName, pid: Int(getpid()),
                              cores: ProcessInfo.processInfo.activeProcessorCount, slots: options.slots, holding: holding,
                              reportsStarts: true)))
        // per task: that it began, its epochs, its weights, then its result (the coordinator ignores
        // the epochs of a task that has ended). A task still training sends the rest on this connection.
        for id in Set(progressMessages.keys).union(weightsMessages.keys).union(unacked.keys).union(begun).sorted() {
            if begun.contains(id), let attempt = running[id] { try send(.started(taskID: id, attempt: attempt)) }
            for frames in progressMessages[id] ?? [] { try sendRaw(frames) }
            for chunk in weightsMessages[id] ?? [] { try sendRaw(chunk) }
            if let result = unacked[id] { try sendRaw(result) }
        }
        outstandingCredit = 0   // a hello resets the coordinator's view of this worker
        try grantCredit()
    }

    private func handle(_ frames: [[UInt8]]) throws {
        let message: Message
        do { message = try Codec.decode(frames) } catch {
            log("dropped a message from the coordinator: \(error)")
            return
        }
        lastHeard = now
        backoff = Wire.reconnectInitial
        switch message {
        case .task(let a):
            outstandingCredit = max(0, outstandingCredit - 1)
            guard running[a.taskID] == nil else { return }
            guard !draining else { return }   // handed back by the bye that ends the drain
            // more tasks than slots (credit granted across a reconnect) wait in the slot queue: never dropped
            running[a.taskID] = a.attempt
            progressMessages[a.taskID] = nil   // an earlier attempt's, whose result is still unacknowledged
            slots.submit(a, encoded: frames)
            try grantCredit()   // the credit this task used may be due again (prefetch)
        case .ack(let id):
            unacked.removeValue(forKey: id)
            weightsMessages.removeValue(forKey: id)
            // the next attempt may run here already (a task goes out before the ack of a failed
            // attempt's result): its epochs stay
            if running[id] == nil { progressMessages.removeValue(forKey: id) }
        case .cancel(let id):
            guard running[id] != nil else { break }
            cancelled.insert(id)
            slots.cancel(id)
            // the coordinator cancels after committing the round that decided it (or after storing
            // another worker's result): it holds every epoch it judged, and later ones matter to no one
            progressMessages.removeValue(forKey: id)
        case .done:
            coordinatorDone = true
        case .heartbeat:
            break
        case .hello, .ready, .started, .progress, .result, .weights, .bye:
            log("dropped \(message.kind) from the coordinator: not a coordinator message")
        }
    }

    /// A slot's start, progress or result, to forward to the coordinator.
    private func slotReported(_ frames: [[UInt8]]) throws {
        let message = try? Codec.decode(frames)
        if case .started(let id, _)? = message, running[id] != nil { begun.insert(id) }
        if case .weights(let w)? = message { weightsMessages[w.taskID, default: []].append(frames) }
        if case .progress(let p)? = message, !cancelled.contains(p.taskID) {
            progressMessages[p.taskID, default: []].append(frames)
        }
        guard case .result(let o)? = message else {
            try sendRaw(frames)   // started, progress, weights
            return
        }
        running.removeValue(forKey: o.taskID)
        begun.remove(o.taskID)   // its result says it began from now on
        cancelled.remove(o.taskID)
        unacked[o.taskID] = frames
        recentTaskSeconds = recentTaskSeconds.map { 0.8 * $0 + 0.2 * o.wallSeconds } ?? o.wallSeconds
        try sendRaw(frames)
        try grantCredit()
    }

    private func send(_ m: Message) throws { try sendRaw(Codec.encode(m)) }

    private func sendRaw(_ frames: [[UInt8]]) throws {
        guard let dealer else { return }
        do {
            try dealer.send(frames, dontWait: true)
            lastSent = now
        } catch let e as ZMQError where e == .again {
            // not connected yet: heartbeats and resends after reconnect cover it
        }
    }

    public func close() {
        slots.stop()
        dealer?.close()
        events.close()
    }
}
