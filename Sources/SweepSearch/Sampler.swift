import SweepConfig
import SweepSpec

/// Where a task stands, as a sampler sees it.
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
    /// restart), with its outcome so far; returns it (also when known already).
    @discardableResult
    public mutating func add(_ config: TrainConfig, outcome: TaskOutcome = .pending) -> SweepTask {
        history.add(config, outcome: outcome)
    }

    /// A known task's result (or its return to pending); unknown ids are ignored.
    public mutating func update(taskID: String, outcome: TaskOutcome) {
        history.update(taskID: taskID, outcome: outcome)
    }

    var runCap: Int { spec.runCap ?? Int.max }
}

/// Known tasks and their outcomes, keyed by task id (SweepTask.id, the hash of the
/// canonical configuration).
public struct TaskHistory: Sendable {
    public private(set) var tasks: [SweepTask] = []
    public private(set) var outcomes: [TaskOutcome] = []
    private var indexByID: [String: Int] = [:]

    public init() {}

    public var count: Int { tasks.count }

    public func contains(taskID: String) -> Bool { indexByID[taskID] != nil }

    public func outcome(taskID: String) -> TaskOutcome? { indexByID[taskID].map { outcomes[$0] } }

    @discardableResult
    public mutating func add(_ config: TrainConfig, outcome: TaskOutcome = .pending) -> SweepTask {
        let id = SweepTask.id(of: config)
        if let i = indexByID[id] { return tasks[i] }
        let task = SweepTask(index: tasks.count, config: config)
        indexByID[id] = tasks.count
        tasks.append(task)
        outcomes.append(outcome)
        return task
    }

    public mutating func update(taskID: String, outcome: TaskOutcome) {
        guard let i = indexByID[taskID] else { return }
        outcomes[i] = outcome
    }
}

extension SweepSpec {
    /// The spec's sampler: its grid, random draws, or TPE for bayes.
    public func sampler() throws -> any Sampler {
        switch method {
        case .grid: try GridSampler(spec: self)
        case .random: RandomSampler(spec: self)
        case .bayes: TPESampler(spec: self)
        }
    }
}
