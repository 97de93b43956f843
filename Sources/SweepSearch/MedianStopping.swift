/// The median stopping rule of Google Vizier (Golovin et al., "Google Vizier: A
/// Service for Black-Box Optimization", KDD 2017, §3.2.2), as Katib's medianstop
/// also runs it: at each epoch s ≥ minIter, a task is stopped when its best value
/// so far is strictly worse than the median of the running averages (the mean of
/// the values at epochs 1…s) of the other tasks that have reached epoch s.
///
/// Vizier takes the averages of completed tasks only; here every other task that
/// reached epoch s counts, running or stopped, so that stopping starts while the
/// first tasks are still in flight. The rule waits for `minTasks` such tasks
/// (Katib's min_trials_required, 3). NaN is the worst value; a NaN average ranks
/// last; a task whose best is NaN is stopped.
public struct MedianStopping: EarlyStopping {
    public let minIter: Int
    public let minTasks: Int
    public let maximize: Bool
    public private(set) var records: [StopRecord] = []
    /// Stopped tasks and the epoch they were stopped at.
    public private(set) var stopped: [String: Int] = [:]
    /// Each task's reports, in epoch order.
    private var curves: [String: [(epoch: Int, value: Double)]] = [:]
    private let goal: Goal

    public init(minIter: Int, minTasks: Int = 3, maximize: Bool) {
        precondition(minIter >= 1 && minTasks >= 1)
        self.minIter = minIter
        self.minTasks = minTasks
        self.maximize = maximize
        goal = Goal(maximize: maximize)
    }

    public init(minIter: Int, minTasks: Int = 3, maximize: Bool, replaying records: [StopRecord]) {
        self.init(minIter: minIter, minTasks: minTasks, maximize: maximize)
        replay(records)
    }

    public mutating func report(taskID: String, epoch: Int, value: Double) -> Decision {
        if let at = stopped[taskID] { return .stop(epoch: at) }
        if let last = curves[taskID]?.last, epoch <= last.epoch { return .continue }   // seen already
        curves[taskID, default: []].append((epoch, value))
        let judged = epoch >= minIter
        let stop = judged && shouldStop(taskID, epoch: epoch)
        let cutoff = judged ? median(excluding: taskID, epoch: epoch) : nil
        records.append(StopRecord(taskID: taskID, epoch: epoch, value: value, stopped: stop, cutoff: cutoff))
        if stop { stopped[taskID] = epoch }
        return stop ? .stop(epoch: epoch) : .continue
    }

    public mutating func replay(_ records: [StopRecord]) {
        for record in records {
            curves[record.taskID, default: []].append((record.epoch, record.value))
            if record.stopped { stopped[record.taskID] = record.epoch }
            self.records.append(record)
        }
    }

    /// The median of the other tasks' running averages at `epoch`, or nil while
    /// fewer than `minTasks` tasks have reached it.
    public func median(excluding taskID: String, epoch: Int) -> Double? {
        var averages: [Double] = []
        for (id, curve) in curves where id != taskID {
            guard let last = curve.last, last.epoch >= epoch else { continue }
            let upTo = curve.prefix { $0.epoch <= epoch }
            averages.append(upTo.reduce(0) { $0 + $1.value } / Double(upTo.count))
        }
        guard averages.count >= minTasks else { return nil }
        averages.sort { goal.isBetter($0, than: $1) }   // best first, NaN last
        let middle = averages.count / 2
        if averages.count % 2 == 1 { return averages[middle] }
        let (a, b) = (averages[middle - 1], averages[middle])
        return b.isNaN ? a : (a + b) / 2
    }

    private func shouldStop(_ taskID: String, epoch: Int) -> Bool {
        let best = curves[taskID]!.reduce(Double.nan) { goal.best($0, $1.value) }
        if best.isNaN { return true }
        guard let median = median(excluding: taskID, epoch: epoch) else { return false }
        return goal.isBetter(median, than: best)
    }
}
