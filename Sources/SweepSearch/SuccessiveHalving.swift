/// Asynchronous successive halving, ASHA (Li et al., "A System for Massively
/// Parallel Hyperparameter Tuning", 2018), used as a stopping rule the way Ray
/// Tune's AsyncHyperBandScheduler uses it (docs/spec.md § Early termination).
///
/// Rungs sit at epochs minIter·eta^k (k < `rungLimit` when given). A task is
/// judged once per rung, at the first report at or past the rung's epoch (and
/// below the next rung's): its value joins the rung, and the task goes on only if
/// it is among the best ⌈n/eta⌉ of the n values the rung holds, itself included —
/// that is, fewer than n/eta values are strictly better. Ties go on together. A
/// NaN value is worse than any number, and a task reporting NaN is always stopped
/// (a diverged run does not recover). Ray compares with an interpolated percentile
/// of the values recorded before; the rank form here is exact for small rungs.
public struct SuccessiveHalving: EarlyStopping {
    /// One rung: an epoch and the value each task had there.
    public struct Rung: Sendable, Equatable {
        public let epoch: Int
        public internal(set) var values: [String: Double] = [:]
    }

    public let minIter: Int
    public let eta: Int
    /// How many rungs there are at most (W&B's `s`); nil: as many as epochs reach.
    public let rungLimit: Int?
    public let maximize: Bool
    /// The rungs reached so far, lowest first.
    public private(set) var rungs: [Rung] = []
    public private(set) var records: [StopRecord] = []
    /// Stopped tasks and the epoch they were stopped at.
    public private(set) var stopped: [String: Int] = [:]
    private let goal: Goal

    public init(minIter: Int, eta: Int = 3, rungs rungLimit: Int? = nil, maximize: Bool) {
        precondition(minIter >= 1 && eta >= 2 && (rungLimit ?? 1) >= 1)
        self.minIter = minIter
        self.eta = eta
        self.rungLimit = rungLimit
        self.maximize = maximize
        goal = Goal(maximize: maximize)
    }

    /// A rule in the state `records` left it in (see `replay`).
    public init(minIter: Int, eta: Int = 3, rungs rungLimit: Int? = nil, maximize: Bool, replaying records: [StopRecord]) {
        self.init(minIter: minIter, eta: eta, rungs: rungLimit, maximize: maximize)
        replay(records)
    }

    /// The epoch of rung k, or nil past the last rung.
    public func rungEpoch(_ k: Int) -> Int? {
        guard k >= 0, k < (rungLimit ?? Int.max) else { return nil }
        var epoch = minIter
        for _ in 0..<k {
            let (next, overflow) = epoch.multipliedReportingOverflow(by: eta)
            if overflow { return nil }
            epoch = next
        }
        return epoch
    }

    /// The highest rung at or below `epoch`.
    func rungIndex(atEpoch epoch: Int) -> Int? {
        guard epoch >= minIter else { return nil }
        var k = 0
        while let next = rungEpoch(k + 1), next <= epoch { k += 1 }
        return k
    }

    public mutating func report(taskID: String, epoch: Int, value: Double) -> Decision {
        if let at = stopped[taskID] { return .stop(epoch: at) }
        guard let k = rungIndex(atEpoch: epoch) else { return .continue }
        reach(k)
        guard rungs[k].values[taskID] == nil else { return .continue }   // judged here already, and kept
        rungs[k].values[taskID] = value
        let better = rungs[k].values.values.count { goal.isBetter($0, than: value) }
        // better < n/eta keeps it; a spec's eta may be as large as Int allows
        let (scaled, overflow) = better.multipliedReportingOverflow(by: eta)
        let stop = value.isNaN || overflow || scaled >= rungs[k].values.count
        // the worst value kept at this rung now: the ceil(n / eta)-th best
        let n = rungs[k].values.count
        let kept = n / eta + (n % eta == 0 ? 0 : 1)
        let ranked = rungs[k].values.values.sorted { goal.isBetter($0, than: $1) }
        let cutoff = kept >= 1 && kept <= ranked.count ? ranked[kept - 1] : nil
        let record = StopRecord(taskID: taskID, epoch: epoch, value: value, stopped: stop, cutoff: cutoff)
        records.append(record)
        if stop { stopped[taskID] = epoch }
        return stop ? .stop(epoch: epoch) : .continue
    }

    public mutating func replay(_ records: [StopRecord]) {
        for record in records {
            guard let k = rungIndex(atEpoch: record.epoch) else { continue }
            reach(k)
            rungs[k].values[record.taskID] = record.value
            if record.stopped { stopped[record.taskID] = record.epoch }
            self.records.append(record)
        }
    }

    private mutating func reach(_ k: Int) {
        while rungs.count <= k { rungs.append(Rung(epoch: rungEpoch(rungs.count)!)) }
    }
}
