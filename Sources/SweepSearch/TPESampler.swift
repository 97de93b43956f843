import Foundation
import SweepConfig
import SweepRandom
import SweepSpec

/// `method: bayes`: the Tree-structured Parzen Estimator (Bergstra et al.,
/// "Algorithms for Hyper-Parameter Optimization", NIPS 2011) as Optuna's default
/// TPESampler runs it — univariate, 10 random startup tasks, γ(n) = min(⌈n/10⌉, 25),
/// 24 candidates, prior weight 1, magic clip, no endpoints — with constant liar on.
///
/// For each parameter, the finished tasks are split into the γ(n) best ("below")
/// and the rest ("above"); a Parzen estimator l(x) is fitted to the below tasks'
/// values and g(x) to the above ones' (a parameter a task's `when:` left unset is
/// simply absent); 24 candidates are drawn from l and the one with the largest
/// log l(x) − log g(x) is taken. Stopped tasks rank after completed ones (the later
/// the epoch, the better), as Optuna ranks pruned trials; failed tasks are ignored;
/// a NaN value is the worst (Optuna drops such trials as failed).
///
/// With several metrics (`metric:` as a list) it is Optuna's multi-objective TPE
/// (MOTPE, Ozaki et al., 2020/2022, as Optuna ≥ 3 runs it): γ(n) = ⌈n/10⌉ without the
/// cap of 25; the below tasks are the best Pareto fronts of the completed tasks
/// (`ParetoFront`), the front that does not fit whole cut by greedy hypervolume subset
/// selection (`Hypervolume.greedySubset`); every below task weighs the same in l(x).
/// Stopped tasks then rank as in a single-objective sweep, by the first metric.
///
/// Tasks of `enqueue:` come first, then the random startup tasks. Proposal n draws from
/// a generator seeded by (seed, n), so the same history gives the same proposal, also in
/// a restarted coordinator.
///
/// Warm start (`--warm-start`): finished tasks of earlier sweeps (`addWarmStart`) count as
/// finished tasks of this one for the split, the estimators and the startup count, so
/// with 10 of them TPE proposes from the first task on. They are not this sweep's tasks:
/// they count for no `run_cap`, never come back from `tasks`, and are never proposed again.
public struct TPESampler: Sampler {
    public struct Options: Sendable {
        public var startupTasks = 10
        public var candidates = 24
        public var parzen = ParzenOptions()
        /// Optuna's constant liar: pending tasks count as "above" (bad) tasks, which
        /// spreads out proposals made while tasks are in flight. Off by default in
        /// Optuna, whose docs advise it for distributed runs — a sweep always is one.
        /// Without it, the tasks proposed while others run pile up on one spot
        /// (SearchQualityTests: with 4 in flight, TPE then lost to random on some seeds).
        public var constantLiar = true
        /// Redraws when a proposal repeats a known configuration, before falling back to random draws.
        public var duplicateRetries = 100

        public init() {}

        /// Optuna's `default_gamma`: how many finished tasks count as good.
        public static func gamma(_ n: Int) -> Int { min(Int((0.1 * Double(n)).rounded(.up)), 25) }

        /// Optuna's `default_gamma_multiobjective`: the same without the cap.
        public static func gammaMultiObjective(_ n: Int) -> Int { Int((0.1 * Double(n)).rounded(.up)) }
    }

    public let spec: SweepSpec
    public var history = TaskHistory()
    /// Finished tasks of earlier sweeps that inform the search (`addWarmStart`), in the order given.
    public private(set) var warmStartTasks = TaskHistory()
    public var options: Options
    private let dimensions: [SearchDimension]
    private let goal: Goal
    private var enqueued = EnqueuedStream()
    private var startup: RandomStream

    public init(spec: SweepSpec, options: Options = Options()) {
        self.spec = spec
        self.options = options
        dimensions = spec.parameters.map(SearchDimension.init)
        goal = Goal(maximize: spec.metric.maximize)
        startup = RandomStream(seed: spec.seed)
    }

    /// Makes a finished task of an earlier sweep inform the search (warm start): a
    /// configuration that fits this spec (`SweepSpec.warmStartConfiguration`), completed or
    /// stopped (other outcomes say nothing and are ignored), with the values of every
    /// metric of this spec for several. A configuration given twice is kept once (the first).
    public mutating func addWarmStart(_ config: TrainConfig, outcome: TaskOutcome, values: [Double] = []) {
        switch outcome {
        case .completed, .stopped: warmStartTasks.add(config, outcome: outcome, values: values)
        case .pending, .failed: break
        }
    }

    public mutating func propose() throws -> SweepTask? {
        guard history.count < runCap else { return nil }
        if let config = try enqueued.next(spec, known: history) { return history.add(config) }
        let finished = (warmStartTasks.outcomes + history.outcomes).count {
            if case .completed = $0 { true } else if case .stopped = $0 { true } else { false }
        }
        if finished >= options.startupTasks, let config = try searched() {
            return history.add(config)
        }
        guard let config = try startup.next(spec, known: history, alsoKnown: warmStartTasks) else { return nil }
        return history.add(config)
    }

    /// A configuration chosen by TPE that is not known yet, if one is found.
    private func searched() throws -> TrainConfig? {
        var rng = Self.generator(seed: spec.seed, proposal: history.count)
        let (below, above) = split()
        let estimators = dimensions.indices.map { i in
            (l: dimensions[i].estimator(observations(i, below), options.parzen, flat: spec.isMultiObjective),
             g: dimensions[i].estimator(observations(i, above), options.parzen))
        }
        for _ in 0..<options.duplicateRetries {
            var choice: [String] = []
            for (i, dimension) in dimensions.enumerated() {
                guard let l = estimators[i].l, let g = estimators[i].g else {
                    choice.append(dimension.value(at: 0))   // fixed
                    continue
                }
                guard let value = best(dimension, spec.parameters[i].name, l, g, &rng) else { break }
                choice.append(value)
            }
            guard choice.count == dimensions.count else { continue }
            let config = try spec.configuration(choice)
            let id = SweepTask.id(of: config)
            if !history.contains(taskID: id) && !warmStartTasks.contains(taskID: id) { return config }
        }
        return nil
    }

    /// The candidate from l with the largest log l − log g whose value the training key accepts.
    private func best(_ dimension: SearchDimension, _ key: String, _ l: ParzenEstimator, _ g: ParzenEstimator,
                      _ rng: inout SplitMix64) -> String? {
        var best: (score: Double, value: String)?
        for _ in 0..<options.candidates {
            let x = l.sample(&rng)
            let ratio = l.logPDF(x) - g.logPDF(x)
            let score = ratio.isNaN ? -Double.infinity : ratio
            guard best.map({ score > $0.score }) ?? true else { continue }
            let value = dimension.value(at: x)
            guard (try? TrainConfig(pairs: [(key, value)])) != nil else { continue }
            best = (score, value)
        }
        return best?.value
    }

    /// The tasks TPE learns from: the warm start's, then the sweep's own. An observation's
    /// index j is into this sequence (the sweep's own task i is warmStartTasks.count + i).
    private var observed: Int { warmStartTasks.count + history.count }

    private func outcome(_ j: Int) -> TaskOutcome {
        j < warmStartTasks.count ? warmStartTasks.outcomes[j] : history.outcomes[j - warmStartTasks.count]
    }

    private func params(_ j: Int) -> JSON {
        j < warmStartTasks.count ? warmStartTasks.tasks[j].params : history.tasks[j - warmStartTasks.count].params
    }

    private func objectives(_ j: Int, count: Int) -> [Double] {
        j < warmStartTasks.count ? warmStartTasks.objectives(j, count: count)
            : history.objectives(j - warmStartTasks.count, count: count)
    }

    /// Observation indices (warm start first, then the sweep's tasks), oldest first: the
    /// γ(n) best finished tasks, and the rest (with the pending ones under constant liar) —
    /// Optuna's `_split_trials`; with several metrics the completed tasks are ranked by
    /// `paretoRanked`. Without a warm start an index is the task's.
    func split() -> (below: [Int], above: [Int]) {
        var completed: [(index: Int, value: Double)] = []
        var stopped: [(index: Int, epoch: Int, value: Double)] = []
        var pending: [Int] = []
        for i in 0..<observed {
            switch outcome(i) {
            case .completed(let value): completed.append((i, value))
            case .stopped(let epoch, let value): stopped.append((i, epoch, value))
            case .pending: pending.append(i)
            case .failed: break
            }
        }
        let finished = completed.count + stopped.count
        var quota = spec.isMultiObjective ? Options.gammaMultiObjective(finished) : Options.gamma(finished)
        let rankedCompleted: [Int]
        if spec.isMultiObjective {
            rankedCompleted = paretoRanked(completed.map(\.index), below: min(quota, completed.count))
        } else {
            completed.sort { goal.isBetter($0.value, than: $1.value) || (!goal.isBetter($1.value, than: $0.value) && $0.index < $1.index) }
            rankedCompleted = completed.map(\.index)
        }
        stopped.sort { a, b in
            if a.epoch != b.epoch { return a.epoch > b.epoch }
            if goal.isBetter(a.value, than: b.value) { return true }
            if goal.isBetter(b.value, than: a.value) { return false }
            return a.index < b.index
        }
        let ranked = rankedCompleted + stopped.map(\.index)
        quota = min(quota, ranked.count)
        let below = ranked.prefix(quota).sorted()
        let above = (ranked.dropFirst(quota) + (options.constantLiar ? pending : [])).sorted()
        return (below, above)
    }

    /// Completed tasks (observation indices) with `below` of them first: Optuna's
    /// `_split_complete_trials_multi_objective`. The best fronts that fit whole, then from
    /// the next front the subset that adds the most hypervolume.
    func paretoRanked(_ tasks: [Int], below: Int) -> [Int] {
        guard below > 0, below < tasks.count else { return tasks }
        let maximize = spec.metrics.map(\.maximize)
        let losses = tasks.map { ParetoFront.losses(objectives($0, count: maximize.count), maximize: maximize) }
        let ranks = ParetoFront.ranks(losses: losses, enough: below)
        var lastWhole = 0
        while ranks.count(where: { $0 <= lastWhole + 1 }) <= below { lastWhole += 1 }
        var chosen = Set(tasks.indices.filter { ranks[$0] <= lastWhole })
        if chosen.count < below {
            let tied = tasks.indices.filter { ranks[$0] == lastWhole + 1 }
            let picked = Hypervolume.greedySubset(losses: tied.map { losses[$0].map(ParetoFront.nanAsWorst) }, count: below - chosen.count)
            chosen.formUnion(picked.map { tied[$0] })
        }
        return tasks.indices.filter { chosen.contains($0) }.map { tasks[$0] } + tasks.indices.filter { !chosen.contains($0) }.map { tasks[$0] }
    }

    /// The coordinates of parameter i in these tasks, skipping tasks where it is unset.
    func observations(_ i: Int, _ taskIndices: [Int]) -> [Double] {
        let parameter = spec.parameters[i]
        return taskIndices.compactMap { t in
            let config = params(t)
            guard parameter.isActive(in: config), let value = config[parameter.name] else { return nil }
            return dimensions[i].coordinate(of: value)
        }
    }

    /// A generator for proposal n of a sweep: independent streams per proposal.
    static func generator(seed: Int, proposal: Int) -> SplitMix64 {
        var mixer = SplitMix64(seed: UInt64(bitPattern: Int64(seed)) ^ (UInt64(proposal) &* 0xD1B5_4A32_D192_ED03))
        return SplitMix64(seed: mixer.next())
    }
}
