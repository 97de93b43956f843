import SweepConfig
import SweepSpec

/// Where a task stands, as a sampler sees it. The values are those of the spec's first
/// metric; a sweep with several metrics gives all of them to `TaskHistory` as well.
public enum TaskOutcome: Sendable, Equatable {
    /// Proposed and not finished: queued or running.
    case pending
    /// Finished with this metric value.
    case completed(Double)
    /// Stopped early after `epoch`, with its metric then.
    case stopped(epoch: Int, value: Double)
    /// Failed for good: it says nothing of its configuration.
    case failed
}

/// Proposes a sweep's tasks one at a time from what is known so far: the tasks
/// already proposed (pending or finished) and the results that came back. The
/// caller decides how many tasks are in flight; a sampler never proposes a
/// configuration it knows already (same task id) nor more than `run_cap` tasks.
///
/// After a restart, a fresh sampler is given the stored tasks in index order with
/// `add` and proposes what the first one would have proposed next.
public protocol Sampler: Sendable {
    var spec: SweepSpec { get }
    /// Every task known, in index order (a task's index is its position).
    var history: TaskHistory { get set }
    /// The next new task, added to the history as pending; nil when run_cap tasks are
    /// known or no new configuration can be found (the space is exhausted).
    mutating func propose() throws -> SweepTask?
}

extension Sampler {
    public var tasks: [SweepTask] { history.tasks }

    /// Up to `count` new tasks (fewer at run_cap or when the space runs out).
    public mutating func propose(count: Int) throws -> [SweepTask] {
        var proposed: [SweepTask] = []
        while proposed.count < count, let task = try propose() { proposed.append(task) }
        return proposed
    }

    /// Makes a task known that this sampler did not propose (a stored one, after a
    /// restart), with its outcome so far and, for several metrics, the values of all of
    /// them (`SweepSpec.objectiveValues(in:)`); returns it (also when known already).
    @discardableResult
    public mutating func add(_ config: TrainConfig, outcome: TaskOutcome = .pending, values: [Double] = []) -> SweepTask {
        history.add(config, outcome: outcome, values: values)
    }

    /// A known task's result (or its return to pending), with the values of all the
    /// spec's metrics when it has several; unknown ids are ignored.
    public mutating func update(taskID: String, outcome: TaskOutcome, values: [Double] = []) {
        history.update(taskID: taskID, outcome: outcome, values: values)
    }

    var runCap: Int { spec.runCap ?? Int.max }
}

/// Known tasks and their outcomes, keyed by task id (SweepTask.id, the hash of the
/// canonical configuration).
public struct TaskHistory: Sendable {
    public private(set) var tasks: [SweepTask] = []
    public private(set) var outcomes: [TaskOutcome] = []
    /// Per task, the values of every metric of the spec, in `spec.metrics` order, as
    /// given with its outcome ([] when none were).
    public private(set) var values: [[Double]] = []
    private var indexByID: [String: Int] = [:]

    public init() {}

    public var count: Int { tasks.count }

    public func contains(taskID: String) -> Bool { indexByID[taskID] != nil }

    public func outcome(taskID: String) -> TaskOutcome? { indexByID[taskID].map { outcomes[$0] } }

    @discardableResult
    public mutating func add(_ config: TrainConfig, outcome: TaskOutcome = .pending, values: [Double] = []) -> SweepTask {
        let id = SweepTask.id(of: config)
        if let i = indexByID[id] { return tasks[i] }
        let task = SweepTask(index: tasks.count, config: config)
        indexByID[id] = tasks.count
        tasks.append(task)
        outcomes.append(outcome)
        self.values.append(values)
        return task
    }

    public mutating func update(taskID: String, outcome: TaskOutcome, values: [Double] = []) {
        guard let i = indexByID[taskID] else { return }
        outcomes[i] = outcome
        self.values[i] = values
    }

    /// Task i's values of `count` metrics: those given, else its outcome's value (the
    /// first metric) with NaN for the others — which ranks it after every task whose
    /// values are all known.
    func objectives(_ i: Int, count: Int) -> [Double] {
        if values[i].count == count { return values[i] }
        let first: Double
        switch outcomes[i] {
        case .completed(let value), .stopped(_, let value): first = value
        case .pending, .failed: first = .nan
        }
        return [first] + Array(repeating: .nan, count: count - 1)
    }
}

/// The configurations of `enqueue:` that are not known yet, in order: a sampler proposes
/// them before any of its own.
struct EnqueuedStream: Sendable {
    private var configs: [TrainConfig]?
    private var next = 0

    mutating func next(_ spec: SweepSpec, known: TaskHistory) throws -> TrainConfig? {
        if configs == nil { configs = try spec.enqueuedConfigurations() }
        while next < configs!.count {
            let config = configs![next]
            next += 1
            if !known.contains(taskID: SweepTask.id(of: config)) { return config }
        }
        return nil
    }
}

extension SweepSpec {
    /// The spec's sampler: its grid, random draws, TPE for bayes, or for pbt the
    /// population (`PopulationBasedTraining`, which also exploits and explores).
    public func sampler() throws -> any Sampler {
        switch method {
        case .grid: try GridSampler(spec: self)
        case .random: RandomSampler(spec: self)
        case .bayes: TPESampler(spec: self)
        case .pbt: PopulationBasedTraining(spec: self)
        }
    }

    /// The values of the spec's metrics in a task's metrics object (docs/metrics.md), in
    /// `metrics` order: NaN for one that is absent, null or not a number.
    public func objectiveValues(in metrics: JSON) -> [Double] {
        self.metrics.map { goal in
            guard let v = metrics[goal.name], v != .null else { return .nan }
            return v.doubleValue ?? .nan
        }
    }
}
