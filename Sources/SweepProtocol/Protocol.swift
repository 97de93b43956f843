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

    public init(workerID: String, host: String, pid: Int, cores: Int, slots: Int, holding: [String] = []) {
        self.workerID = workerID
        self.host = host
        self.pid = pid
        self.cores = cores
        self.slots = slots
        self.holding = holding
    }
}

/// A task handed to a worker.
public struct Assignment: Sendable, Equatable {
    public var sweep: String
    public var taskID: String
    public var attempt: Int
    /// The full training configuration (canonical JSON object).
    public var params: JSON

    public init(sweep: String, taskID: String, attempt: Int, params: JSON) {
        self.sweep = sweep
        self.taskID = taskID
        self.attempt = attempt
        self.params = params
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
    /// completed, failed, diverged or stopped (SPEC §4).
    public var status: String
    /// Final metrics (SPEC §4 names), an object.
    public var metrics: JSON
    public var error: String?
    public var wallSeconds: Double

    public init(taskID: String, attempt: Int, status: String, metrics: JSON, error: String?, wallSeconds: Double) {
        self.taskID = taskID
        self.attempt = attempt
        self.status = status
        self.metrics = metrics
        self.error = error
        self.wallSeconds = wallSeconds
    }
}

/// Every message of the protocol. Worker → coordinator: hello, ready, progress,
/// result, bye, heartbeat. Coordinator → worker: task, ack, cancel, done, heartbeat.
public enum Message: Sendable, Equatable {
    case hello(Hello)
    /// The worker has `credit` more free slots: one task per free slot.
    case ready(credit: Int)
    case task(Assignment)
    case progress(TaskProgress)
    case result(Outcome)
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
        case .progress: "progress"
        case .result: "result"
        case .ack: "ack"
        case .cancel: "cancel"
        case .done: "done"
        case .bye: "bye"
        case .heartbeat: "heartbeat"
        }
    }
}
