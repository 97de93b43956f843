import SweepConfig

/// Protocol constants and timing (after the ZeroMQ guide's Paranoid Pirate).
public enum Wire {
    /// First frame of every message; a peer speaking another version is dropped.
    public static let version = "sweep/1"
    /// Seconds between heartbeats when nothing else was sent.
    public static let heartbeatInterval = 1.0
    /// Heartbeats a peer may miss before it is declared dead (3–5 is reasonable).
    public static let liveness = 3
    /// Largest message a coordinator accepts (ZMQ_MAXMSGSIZE).
    public static let maxMessageSize = 1 << 20
    /// Bytes of trained weights per `weights` message: well under `maxMessageSize`,
    /// so a 17 MB LeNet5 checkpoint crosses in 34 messages and nothing else waits long behind one.
    public static let weightsChunkSize = 512 << 10
    /// Largest checkpoint a coordinator accepts (a hostile `total` cannot make it allocate more).
    public static let maxWeightsSize = 1 << 30
    /// Reconnect backoff of a worker whose coordinator went silent, in seconds.
    public static let reconnectInitial = 0.25
    public static let reconnectMax = 8.0
}

/// What a worker says when it connects (or reconnects).
public struct Hello: Sendable, Equatable {
    public var workerID: String
    public var host: String
    public var pid: Int
    public var cores: Int
    public var slots: Int
    /// Tasks the worker is still training or holds unacknowledged results for:
    /// after a reconnect the coordinator keeps them with this worker.
    public var holding: [String]
    /// Optional (absent from older workers): the worker sends `started` when a slot
    /// begins a task, and again after this hello for every task it holds that has begun.
    /// The coordinator then charges a task an attempt only once it has begun; a worker
    /// that does not say so is charged at hand-out, as before.
    public var reportsStarts: Bool

    public init(workerID: String, host: String, pid: Int, cores: Int, slots: Int, holding: [String] = [],
                reportsStarts: Bool = false) {
        self.workerID = workerID
        self.host = host
        self.pid = pid
        self.cores = cores
        self.slots = slots
        self.holding = holding
        self.reportsStarts = reportsStarts
    }
}

/// Which trained weights the coordinator wants back with a result. The worker
/// sends them (as `weights` messages before its result) when `all` is set or when
/// its final `metric` beats `best`, the best final value stored when the task was handed out.
public struct WeightsRequest: Sendable, Equatable {
    public var all: Bool
    public var metric: String
    public var maximize: Bool
    public var best: Double?

    public init(all: Bool, metric: String, maximize: Bool, best: Double?) {
        self.all = all
        self.metric = metric
        self.maximize = maximize
        self.best = best
    }

    /// Whether a run that ended with these final metrics should send its weights.
    public func wants(finalMetrics: JSON) -> Bool {
        if all { return true }
        guard let value = finalMetrics[metric]?.doubleValue, value.isFinite else { return false }
        guard let best else { return true }
        return maximize ? value > best : value < best
    }
}

/// A task handed to a worker.
public struct Assignment: Sendable, Equatable {
    public var sweep: String
    public var taskID: String
    public var attempt: Int
    /// The full training configuration (canonical JSON object).
    public var params: JSON
    /// Optional (absent from older coordinators): which weights to send back.
    public var weights: WeightsRequest?
    /// Optional (method pbt): train only these epochs, from this checkpoint, and send the
    /// checkpoint after them back as the run's weights.
    public var interval: Interval?

    public init(sweep: String, taskID: String, attempt: Int, params: JSON, weights: WeightsRequest? = nil,
                interval: Interval? = nil) {
        self.sweep = sweep
        self.taskID = taskID
        self.attempt = attempt
        self.params = params
        self.weights = weights
        self.interval = interval
    }
}

/// One interval of a population-based training member: epochs `from`+1 through `to`,
/// starting from `checkpoint` (a `Checkpoint` file: the member's own after epoch `from`,
/// or, after an exploit, the one of the member it copied; nil when `from` is 0). The
/// checkpoint travels as the task message's fourth frame, with its size and FNV-1a hash
/// in the body, checked on arrival. The worker sends the checkpoint after `to` back in
/// `weights` messages, as trained weights go, before the result.
public struct Interval: Sendable, Equatable {
    public var from: Int
    public var to: Int
    public var checkpoint: [UInt8]?

    public init(from: Int, to: Int, checkpoint: [UInt8]?) {
        self.from = from
        self.to = to
        self.checkpoint = checkpoint
    }
}

/// One piece of a task's trained weights (a safetensors file), sent before its
/// result. The bytes travel as a fourth, binary frame.
public struct WeightsChunk: Sendable, Equatable {
    public var taskID: String
    public var attempt: Int
    public var offset: Int
    /// Size of the whole file.
    public var total: Int
    public var bytes: [UInt8]

    public init(taskID: String, attempt: Int, offset: Int, total: Int, bytes: [UInt8]) {
        self.taskID = taskID
        self.attempt = attempt
        self.offset = offset
        self.total = total
        self.bytes = bytes
    }

    /// The chunks of a file, in order.
    public static func split(_ file: [UInt8], taskID: String, attempt: Int,
                             chunkSize: Int = Wire.weightsChunkSize) -> [WeightsChunk] {
        stride(from: 0, to: max(file.count, 1), by: chunkSize).map { start in
            WeightsChunk(taskID: taskID, attempt: attempt, offset: start, total: file.count,
                         bytes: Array(file[start..<min(start + chunkSize, file.count)]))
        }
    }
}

/// What a result says of the weights sent before it: their size and FNV-1a hash,
/// so the coordinator writes them only when every chunk arrived intact.
public struct WeightsDigest: Sendable, Equatable {
    public var bytes: Int
    public var fnv1a: UInt64

    public init(bytes: Int, fnv1a: UInt64) {
        self.bytes = bytes
        self.fnv1a = fnv1a
    }

    public init(of file: [UInt8]) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in file { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        self.init(bytes: file.count, fnv1a: h)
    }
}

/// Per-epoch metrics of a running task.
public struct TaskProgress: Sendable, Equatable {
    public var taskID: String
    public var attempt: Int
    public var epoch: Int
    public var metrics: JSON

    public init(taskID: String, attempt: Int, epoch: Int, metrics: JSON) {
        self.taskID = taskID
        self.attempt = attempt
        self.epoch = epoch
        self.metrics = metrics
    }
}

/// The end of a task on a worker.
public struct Outcome: Sendable, Equatable {
    public var taskID: String
    public var attempt: Int
    /// completed, failed, diverged or stopped (docs/metrics.md § Statuses).
    public var status: String
    /// Final metrics (names of docs/metrics.md), an object.
    public var metrics: JSON
    public var error: String?
    public var wallSeconds: Double
    /// Optional: what the run recorded besides its metrics (step losses, activation
    /// statistics, filters), a JSON object stored with the result.
    public var insights: JSON?
    /// Optional: the weights sent before this result in `weights` messages.
    public var weights: WeightsDigest?

    public init(taskID: String, attempt: Int, status: String, metrics: JSON, error: String?, wallSeconds: Double,
                insights: JSON? = nil, weights: WeightsDigest? = nil) {
        self.taskID = taskID
        self.attempt = attempt
        self.status = status
        self.metrics = metrics
        self.error = error
        self.wallSeconds = wallSeconds
        self.insights = insights
        self.weights = weights
    }
}

/// Every message of the protocol. Worker → coordinator: hello, ready, started, progress,
/// weights, result, bye, heartbeat. Coordinator → worker: task, ack, cancel, done, heartbeat.
public enum Message: Sendable, Equatable {
    case hello(Hello)
    /// The worker has `credit` more free slots: one task per free slot.
    case ready(credit: Int)
    case task(Assignment)
    /// A slot took the task from the worker's queue and began it: from now on, losing
    /// this worker costs the task an attempt. Until then a prefetched task only waits.
    case started(taskID: String, attempt: Int)
    case progress(TaskProgress)
    case result(Outcome)
    /// A piece of a task's trained weights, ahead of its result.
    case weights(WeightsChunk)
    /// The result of `taskID` is durably stored; the worker may forget it.
    case ack(taskID: String)
    /// Stop training `taskID` (early termination); the worker reports it `stopped`.
    case cancel(taskID: String)
    /// Every task of the sweep has ended.
    case done
    /// The worker leaves; the tasks it holds go back to the queue.
    case bye
    case heartbeat

    public var kind: String {
        switch self {
        case .hello: "hello"
        case .ready: "ready"
        case .task: "task"
        case .started: "started"
        case .progress: "progress"
        case .result: "result"
        case .weights: "weights"
        case .ack: "ack"
        case .cancel: "cancel"
        case .done: "done"
        case .bye: "bye"
        case .heartbeat: "heartbeat"
        }
    }
}
