/// A store failure, one line naming the database file.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    /// Set when the file system, not the request, refused the write (disk full, I/O
    /// error, file locked or read-only): the transaction was rolled back, and the same
    /// updates may succeed once the condition passes.
    public let condition: Condition?
    public init(_ message: String, condition: Condition? = nil) {
        self.message = message
        self.condition = condition
    }
    public var description: String { message }

    public enum Condition: Sendable, Equatable {
        /// SQLITE_FULL: no space left for the database or its WAL.
        case diskFull
        /// SQLITE_IOERR, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_CANTOPEN.
        case unavailable
    }
}

/// Where a task stands (docs/metrics.md § Statuses). The last four are final: once a task reaches
/// one of them the store never changes it again.
public enum TaskStatus: String, Sendable, CaseIterable {
    case pending, running, completed, failed, diverged, stopped

    public var isFinished: Bool {
        switch self {
        case .pending, .running: false
        case .completed, .failed, .diverged, .stopped: true
        }
    }
}

/// One sweep: its name, the spec text it was started from and its objective.
public struct SweepRecord: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let spec: String
    public let metric: String
    public let maximize: Bool
    /// Seconds since 1970.
    public let createdAt: Double

    public init(id: Int64, name: String, spec: String, metric: String, maximize: Bool, createdAt: Double) {
        self.id = id
        self.name = name
        self.spec = spec
        self.metric = metric
        self.maximize = maximize
        self.createdAt = createdAt
    }
}

/// A task to insert as pending when a sweep opens.
public struct NewTask: Sendable, Equatable {
    public let id: String
    /// Position in expansion order; the leaderboard breaks ties by it.
    public let index: Int
    /// The task's full training configuration, canonical JSON text.
    public let params: String

    public init(id: String, index: Int, params: String) {
        self.id = id
        self.index = index
        self.params = params
    }
}

/// One task as stored.
public struct TaskRecord: Sendable, Equatable {
    public let sweepID: Int64
    public let taskID: String
    public let index: Int
    public let params: String
    public var status: TaskStatus
    public var attempts: Int
    public var worker: String?
    public var startedAt: Double?
    public var finishedAt: Double?
    public var error: String?
    /// The final metrics, a JSON object with the names of docs/metrics.md; nil until finished.
    public var metrics: String?
    public var wallSeconds: Double?

    public init(sweepID: Int64, taskID: String, index: Int, params: String, status: TaskStatus = .pending,
                attempts: Int = 0, worker: String? = nil, startedAt: Double? = nil, finishedAt: Double? = nil,
                error: String? = nil, metrics: String? = nil, wallSeconds: Double? = nil) {
        self.sweepID = sweepID
        self.taskID = taskID
        self.index = index
        self.params = params
        self.status = status
        self.attempts = attempts
        self.worker = worker
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.error = error
        self.metrics = metrics
        self.wallSeconds = wallSeconds
    }
}

/// A change to one task, applied by `Store.apply` in batches.
public enum StoreUpdate: Sendable {
    /// The task was handed to a worker: status running, the worker and the hand-out
    /// time (`started_at`). Epochs of an earlier attempt are dropped. Attempts are not
    /// touched: `running` means held by a worker, begun on a slot or still queued in
    /// its slot pool (prefetch); the attempt counts once the worker begins it
    /// (`attemptStarted`). Ignored for a finished task.
    case handedOut(sweepID: Int64, taskID: String, worker: String, at: Double)
    /// The task's holder began it: `attempts` (the runs that began, this one included)
    /// is stored, so a restarted coordinator charges exactly those. Ignored for a finished task.
    case attemptStarted(sweepID: Int64, taskID: String, attempts: Int)
    /// Inserts or replaces the metrics of one epoch. Ignored for a finished task.
    case epoch(sweepID: Int64, taskID: String, epoch: Int, metrics: String)
    /// Drops the task's epochs after `after` (another attempt's, before the epochs of the
    /// attempt whose result is stored; 0 for all of them, a pbt member's interval's start for
    /// those of its interval). Ignored for a finished task.
    case epochsCleared(sweepID: Int64, taskID: String, after: Int)
    /// The task ended with `status` (completed, failed, diverged or stopped).
    /// Takes effect exactly once: ignored if the task is already finished, so a
    /// duplicate or late result never overwrites the first one.
    case finished(sweepID: Int64, taskID: String, status: TaskStatus, metrics: String, error: String?,
                  wallSeconds: Double, worker: String, at: Double)
    /// A task a reconnecting worker still trains (after a coordinator restart): running
    /// again with that worker, same attempt, its epochs kept.
    case resumed(sweepID: Int64, taskID: String, worker: String)
    /// A running task goes back to pending (its worker died, its lease expired, it
    /// failed with attempts left) with `attempts` as the coordinator counts them: lower
    /// than stored when a worker's bye hands back a begun task, which does not count.
    /// `error`, when given, replaces the last error.
    case requeued(sweepID: Int64, taskID: String, attempts: Int, error: String?)
    /// What a finished task recorded besides its metrics (a JSON object), stored
    /// with its result, in the same transaction. The first one stored stays.
    case insights(sweepID: Int64, taskID: String, data: String)
    /// The task's trained weights could not be written (`error`: the file and the reason),
    /// stored with its result. The first one stored stays.
    case weightsNotSaved(sweepID: Int64, taskID: String, error: String)
    /// Tasks proposed while the sweep runs (`method: bayes`), inserted as pending.
    case added(sweepID: Int64, tasks: [NewTask])
    /// One decision of the early-stopping rule, `seq`-th of the sweep (JSON text, the
    /// rule's own record): a restarted coordinator replays them in order.
    case stopDecision(sweepID: Int64, seq: Int, record: String)
    /// A worker said hello: connected since `at` (its first hello of the sweep), with
    /// its host, process id and slots. `worker` is its name as `tasks.worker` holds it.
    case workerJoined(sweepID: Int64, worker: String, host: String, pid: Int, slots: Int, at: Double)
    /// A worker was heard from at `at` (stored every few seconds, not on every heartbeat).
    case workerSeen(sweepID: Int64, worker: String, at: Double)
    /// A worker went: it said bye (`left`), or it was taken for lost (`lost`) holding
    /// `lost` tasks that had begun.
    case workerLeft(sweepID: Int64, worker: String, state: WorkerState, lost: Int, at: Double)
    /// Method pbt: the member's next interval (epochs after `fromEpoch`) was handed to a
    /// worker, as `handedOut`, but only the epochs after `fromEpoch` are dropped: those
    /// before are the member's, trained in its earlier intervals. Ignored for a finished task.
    case intervalHandedOut(sweepID: Int64, taskID: String, worker: String, at: Double, fromEpoch: Int)
    /// Method pbt: a member reached `epoch` (its checkpoint is on disk) with `score`, the
    /// first metric (nil: NaN or absent), and trains on with `config` (canonical JSON);
    /// `attempts`: the task's attempts when the interval ended (the next interval's runs
    /// count from there). Inserted or replaced.
    case populationMember(sweepID: Int64, taskID: String, epoch: Int, score: Double?, config: String, attempts: Int)
    /// Method pbt: one exploit, the `seq`-th of the sweep (a `LineageEntry` as JSON).
    case lineage(sweepID: Int64, seq: Int, entry: String)
}

/// Where a worker stands in the `workers` table.
public enum WorkerState: String, Sendable, CaseIterable {
    case connected, left, lost
}

/// One row of the `workers` table, with its tasks counted from `tasks`.
public struct WorkerRecord: Sendable, Equatable {
    public var worker: String
    public var host: String
    public var pid: Int
    public var slots: Int
    public var connectedAt: Double
    public var lastSeen: Double
    public var state: WorkerState
    /// Tasks it ended (any final status), tasks it holds now, tasks it held when lost.
    public var done: Int
    public var running: Int
    public var lost: Int
}
