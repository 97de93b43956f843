import Foundation
import SweepConfig
import SweepProtocol
import SweepTrain
import ZeroMQ

/// A worker process: one DEALER connection to the coordinator and `slots`
/// training slots, each a child process (see `SlotPool`) whose pipes the loop polls
/// beside its socket, so it never blocks on training. The loop, in order:
/// poll → handle what arrived → reconnect if the coordinator went silent →
/// send heartbeats that are due.
///
/// The loop is thin: what arrives goes to `WorkerCore`, which holds every task,
/// result and credit and decides what to send, and the loop applies its effects.
/// A slot sees "train this, report progress, report the result", never frames.
public final class Worker {
    /// By default, prefetch only while tasks take less than this (seconds, moving
    /// average; `Options.prefetchBelow`): a slot that frees up then finds its next task
    /// already queued here instead of waiting a round trip to the coordinator, which
    /// commits a result before it hands out more work. A queued task can delay the end
    /// of a sweep by one task's duration while other slots idle, which outweighs the
    /// round trip (a millisecond or two) once tasks take tens of milliseconds:
    /// bench/scale.sh (256 slots, 50 ms tasks, quiet 2-core Xeon) ran +9.5%, +44% and
    /// +47% over the ideal time with a limit of 1 s, +7.9%, +10.9% and +10.9% with this one.
    public static let prefetchBelow = 0.02

    /// Longest poll (seconds): the stop request is a flag set by a signal handler,
    /// and a signal may land on any thread, so the loop looks at it this often.
    static let stopCheckInterval = 0.25

    /// How long a `bye` may hold up the socket's close (milliseconds).
    static let byeLinger = 1000

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
        /// Seconds (moving average of task durations) under which tasks are prefetched.
        public var prefetchBelow: Double
        /// What starts a slot process: the `sweep` executable and `slot`.
        public var slotCommand: [String]
        /// What each slot's task may use (`--max-task-memory`).
        public var taskMemory: MemoryLimit
        public init(endpoint: String, slots: Int, slotCommand: [String], taskMemory: MemoryLimit, exitWhenDone: Bool = false,
                    heartbeatInterval: Double = Wire.heartbeatInterval, liveness: Int = Wire.liveness,
                    grace: Double = 30, curve: (serverKey: String, publicKey: String, secretKey: String)? = nil,
                    prefetch: Int = 0, prefetchBelow: Double = Worker.prefetchBelow) {
            self.slotCommand = slotCommand
            self.taskMemory = taskMemory
            self.prefetch = prefetch
            self.prefetchBelow = prefetchBelow
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
    let core: WorkerCore

    private let context: Context
    private var dealer: Socket?
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let slots: SlotPool
    /// Reports of the slots not yet handed to the core (a task reaching its slot says `started`).
    private var slotReports: [SlotReport] = []
    /// Credit the core granted in this loop round, sent as one `ready` before the next poll:
    /// several results in one round ask for their next tasks in one message.
    private var credit = 0

    public init(options: Options, context: Context) throws {
        self.options = options
        self.context = context
        let host = ProcessInfo.processInfo.hostName
        workerID = "\(host)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        core = WorkerCore(options: options,
                          identity: Hello(workerID: workerID, host: host, pid: Int(getpid()),
                                          cores: ProcessInfo.processInfo.activeProcessorCount, slots: options.slots,
                                          reportsStarts: true))
        slots = try SlotPool(count: options.slots, command: options.slotCommand, memoryLimit: options.taskMemory)
        start = clock.now
    }

    private var now: Double {
        let (s, a) = (clock.now - start).components
        return Double(s) + Double(a) * 1e-18
    }

    /// Runs until the coordinator says the sweep is over (with `exitWhenDone`) or
    /// `shouldStop` says so. Returns true when the sweep was reported done.
    public func run(shouldStop: () -> Bool = { false }) throws -> Bool {
        try apply(core.start(now: now))
        var stopRequested = false
        while true {
            sendCredit()
            let wait = min(core.nextDeadline(now: now), Self.stopCheckInterval)
            let timeout = max(1, Int((wait * 1000).rounded(.up)))
            // no DEALER during a reconnect's backoff: the slots are still heard
            let pipes = slots.descriptors
            let items = pipes.map { PollItem(fileDescriptor: $0.fd) } + (dealer.map { [PollItem($0)] } ?? [])
            let ready = try poll(items, timeoutMilliseconds: timeout)
            // each input's effects are applied before the next is read: a task reaches its slot,
            // and a result the coordinator, without waiting for the rest of the drain
            if ready.count > pipes.count && ready[pipes.count].readable, let dealer {
                while let frames = try dealer.receive(dontWait: true) { try apply(core.receive(frames: frames, now: now)) }
            }
            for (k, pipe) in pipes.enumerated() where ready[k].readable {
                slotReports += slots.readable(pipe)
                try applySlotReports()
            }
            if !stopRequested && shouldStop() {
                stopRequested = true
                try apply(core.stop(now: now, queued: slots.takeQueued()))
            }
            if let done = try apply(core.tick(now: now)) { return done }
        }
    }

    /// Applies the core's effects in order, then hands the core what the slots reported
    /// meanwhile; returns `exit`'s answer when there is one.
    @discardableResult
    private func apply(_ effects: [WorkerCore.Effect]) throws -> Bool? {
        let exit = try applyEffects(effects)
        try applySlotReports()
        return exit
    }

    /// The slots' reports, in order, to the core (which forwards them), and its answers applied.
    private func applySlotReports() throws {
        var k = 0
        while k < slotReports.count {
            let r = slotReports[k]
            k += 1
            _ = try applyEffects(core.slotReported(frames: r.frames, taskID: r.taskID, now: now))
        }
        slotReports.removeAll(keepingCapacity: true)
    }

    private func applyEffects(_ effects: [WorkerCore.Effect]) throws -> Bool? {
        for e in effects {
            switch e {
            case .connect:
                credit = 0   // the hello resets the coordinator's view; the core grants again after it
                try connect()
            case .disconnect:
                credit = 0
                dealer?.close()
                dealer = nil
            case .send(.ready(let n)): credit += n
            case .send(let m): try send(Codec.encode(m))
            case .forward(let frames): try send(frames)
            case .submit(let a, let encoded): slotReports += slots.submit(a, encoded: encoded)
            case .cancel(let id): slots.cancel(id)
            case .bye:
                // the bye must get out before close(): with linger 0 an unsent bye was dropped now and
                // then, and the coordinator, taking this worker for lost after the heartbeat timeout,
                // charged an attempt to every task it had handed back (PrefetchTests saw attempts 2)
                try? dealer?.setLinger(milliseconds: Self.byeLinger)
                try? send(Codec.encode(.bye))
            case .log(let line): log(line)
            case .exit(let done): return done
            }
        }
        return nil
    }

    /// The round's credit, in one `ready`.
    private func sendCredit() {
        guard credit > 0 else { return }
        try? send(Codec.encode(.ready(credit: credit)))
        credit = 0
    }

    /// A new DEALER; the core's hello and resends follow on it.
    private func connect() throws {
        dealer?.close()
        dealer = nil
        let s = try context.socket(.dealer)
        try s.setLinger(milliseconds: 0)
        try s.setSendHighWaterMark(0)
        try s.setReceiveHighWaterMark(0)
        try s.setReconnectInterval(milliseconds: 100, max: Int(Wire.reconnectMax * 1000))
        if let c = options.curve { try s.setCurveClient(serverKey: c.serverKey, publicKey: c.publicKey, secretKey: c.secretKey) }
        try s.connect(options.endpoint)
        dealer = s
    }

    private func send(_ frames: [[UInt8]]) throws {
        guard let dealer else { return }
        do {
            try dealer.send(frames, dontWait: true)
        } catch where error == .again {
            // not connected yet: heartbeats and resends after reconnect cover it
        }
    }

    public func close() {
        slots.stop()
        dealer?.close()
    }
}
