import SweepSpec

/// What the coordinator does with a running task after one of its epoch reports.
public enum Decision: Sendable, Equatable {
    case `continue`
    /// Cancel the task: it fell behind when it reported this epoch.
    case stop(epoch: Int)
}

/// One report an early-stopping rule took into account, with the decision made.
/// The records, in order, are the rule's whole state: store each as it is made and
/// `replay` them after a restart to make the same decisions from then on.
public struct StopRecord: Sendable, Equatable, Codable {
    public var taskID: String
    public var epoch: Int
    /// The metric; NaN (a diverged task) is encoded as null.
    public var value: Double
    public var stopped: Bool
    /// What the task had to reach to go on, when the rule had one: the worst value still
    /// kept at the rung (successive halving), the median of the others (median stopping).
    /// Records from before have none.
    public var cutoff: Double?

    public init(taskID: String, epoch: Int, value: Double, stopped: Bool, cutoff: Double? = nil) {
        self.taskID = taskID
        self.epoch = epoch
        self.value = value
        self.stopped = stopped
        self.cutoff = cutoff
    }

    private enum CodingKeys: String, CodingKey { case taskID = "task_id", epoch, value, stopped, cutoff }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        taskID = try c.decode(String.self, forKey: .taskID)
        epoch = try c.decode(Int.self, forKey: .epoch)
        value = try c.decodeIfPresent(Double.self, forKey: .value) ?? .nan
        stopped = try c.decode(Bool.self, forKey: .stopped)
        cutoff = try c.decodeIfPresent(Double.self, forKey: .cutoff)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(taskID, forKey: .taskID)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(value.isNaN ? nil : value, forKey: .value)
        try c.encode(stopped, forKey: .stopped)
        if let cutoff, cutoff.isFinite { try c.encode(cutoff, forKey: .cutoff) }
    }
}

/// An early-stopping rule (`early_terminate:`), fed with every task's per-epoch
/// metric in the order the coordinator receives them. Pure: no clock, no store.
///
///     let before = rule.records.count
///     let decision = rule.report(taskID: id, epoch: epoch, value: metric)
///     store.save(rule.records[before...])   // at most one record
///     if case .stop = decision { cancel(id) }
public protocol EarlyStopping: Sendable {
    /// Every report that changed the state, in order.
    var records: [StopRecord] { get }

    /// Task `taskID` reported its metric after `epoch` (1-based). A report the rule
    /// has already seen (a retried message, a task rerun after a worker died) gets
    /// the decision already made and adds no record; a stopped task stays stopped.
    mutating func report(taskID: String, epoch: Int, value: Double) -> Decision

    /// Restores, on a fresh rule, the state `records` describe, taking each recorded
    /// decision as made (even if the rule would now decide otherwise).
    mutating func replay(_ records: [StopRecord])
}

extension SweepSpec {
    /// The spec's `early_terminate` rule on its metric, or nil without one.
    public func earlyStopping() -> (any EarlyStopping)? {
        guard let rule = earlyTerminate else { return nil }
        switch rule.kind {
        case .hyperband:
            return SuccessiveHalving(minIter: rule.minIter, eta: rule.eta, rungs: rule.s, maximize: metric.maximize)
        case .median:
            return MedianStopping(minIter: rule.minIter, maximize: metric.maximize)
        }
    }
}

/// Orders metric values by goal; NaN (a diverged task) is worse than any number.
struct Goal: Sendable {
    let maximize: Bool

    func isBetter(_ a: Double, than b: Double) -> Bool {
        if a.isNaN { return false }
        if b.isNaN { return true }
        return maximize ? a > b : a < b
    }

    func best(_ a: Double, _ b: Double) -> Double { isBetter(b, than: a) ? b : a }
}
