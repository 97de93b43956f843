import SweepConfig
import SweepRandom
import SweepSpec

/// `method: pbt`: population-based training (Jaderberg et al., "Population Based
/// Training of Neural Networks", 2017), synchronous (the paper's appendix A.1), with the
/// exploit and explore rules of Ray Tune's PopulationBasedTraining scheduler.
///
/// As a sampler it proposes the initial population: the tasks of `enqueue:`, then random
/// draws of the spec (the tasks `SweepSpec.expand()` lists), `pbt.population` in all. A
/// member is a task for good: its id is its initial configuration's, whatever explore
/// makes of the configuration later (`members`).
///
/// Members train in intervals of `pbt.interval` epochs. At each boundary (`boundaries`)
/// every member reports its first metric (`report`); once all of the population has,
/// the step is taken (`step`): each member of the bottom quantile copies one of the top
/// quantile — weights, optimizer state and configuration — and explores the copied
/// continuous parameters. The step returns one `LineageEntry` per member that copied;
/// the coordinator stores them, moves the weights, and hands out the next interval.
///
/// Decisions draw from a generator seeded by (seed, boundary, member), so a step taken
/// again on the same scores decides the same; after a restart, `replay` the stored
/// entries and report the stored scores again: boundaries already stepped are passed over.
public struct PopulationBasedTraining: Sampler {
    public let spec: SweepSpec
    public var history = TaskHistory()
    public let settings: PBTSettings
    /// Every exploit so far, in the order made.
    public private(set) var lineage: [LineageEntry] = []

    private var enqueued = EnqueuedStream()
    private var stream: RandomStream
    /// No further member can be drawn (a space smaller than the population).
    private var exhausted = false
    /// A member's configuration since its last exploit, by member index.
    private var current: [Int: TrainConfig] = [:]
    /// The entry of a member's last exploit, by member index.
    private var lastExploit: [Int: LineageEntry] = [:]
    /// Scores reported at boundaries not stepped yet: epoch → member index → score.
    private var reports: [Int: [Int: Double]] = [:]
    private var stepped: Set<Int> = []
    /// Members that left the population (failed for good).
    private var dropped: Set<Int> = []

    public init(spec: SweepSpec) {
        self.spec = spec
        settings = spec.pbt ?? PBTSettings()
        stream = RandomStream(seed: spec.seed)
    }

    /// The initial members, one at a time, until the population is complete.
    public mutating func propose() throws -> SweepTask? {
        guard history.count < populationSize else { return nil }
        if let config = try enqueued.next(spec, known: history) { return history.add(config) }
        guard let config = try stream.next(spec, known: history) else {
            exhausted = true
            return nil
        }
        return history.add(config)
    }

    // MARK: the population

    /// One member as it stands.
    public struct Member: Sendable, Equatable {
        /// Its task's id (that of its initial configuration).
        public var id: String
        /// Its position in the population (the task's index).
        public var index: Int
        /// The configuration it trains with now: its task's, or that of its last exploit.
        public var config: TrainConfig
        /// Its last exploit, if any: whose weights it continued from, after which epoch.
        public var lastExploit: LineageEntry?
    }

    public var members: [Member] { history.tasks.indices.map(member(at:)) }

    public func member(id: String) -> Member? { index(of: id).map(member(at:)) }

    private func member(at i: Int) -> Member {
        Member(id: history.tasks[i].id, index: i, config: config(ofMember: i), lastExploit: lastExploit[i])
    }

    /// The epochs every member trains.
    public var epochs: Int { spec.fixedEpochs ?? TrainConfig().epochs }

    /// The epochs after which members exploit and explore: interval, 2·interval, … below `epochs`.
    public var boundaries: [Int] { Array(stride(from: settings.interval, to: epochs, by: settings.interval)) }

    /// Whether a member that finished `epoch` may train on: the epoch is no boundary, or
    /// its step was taken (then train with `members[i].config`, from the weights its last
    /// exploit names if that was at this epoch).
    public func mayContinue(after epoch: Int) -> Bool { !boundaries.contains(epoch) || stepped.contains(epoch) }

    /// Member `memberID` finished boundary `epoch` with `score`, the value of the first
    /// metric. When that completes the boundary — every member of the population (but
    /// those dropped) reported it — the step is taken and its entries returned (none when
    /// no member copies another); otherwise, or for an epoch that is no boundary, a
    /// boundary stepped already or an unknown member, nothing happens.
    public mutating func report(memberID: String, epoch: Int, score: Double) throws -> [LineageEntry] {
        guard let i = index(of: memberID), !dropped.contains(i), boundaries.contains(epoch), !stepped.contains(epoch) else { return [] }
        reports[epoch, default: [:]][i] = score
        return try stepIfComplete(epoch)
    }

    /// A member left the population for good (it failed on every attempt, or diverged):
    /// steps no longer wait for it, and it is no source to copy. Returns the entries of a
    /// step that was waiting only for it.
    public mutating func drop(memberID: String) throws -> [LineageEntry] {
        guard let i = index(of: memberID), dropped.insert(i).inserted else { return [] }
        var entries: [LineageEntry] = []
        for epoch in boundaries where reports[epoch] != nil && !stepped.contains(epoch) {
            reports[epoch]![i] = nil
            entries += try stepIfComplete(epoch)
        }
        return entries
    }

    /// Restores, on a fresh population whose members are known (`add` in index order),
    /// the exploits `entries` record, taking each as made. Entries of unknown members are
    /// passed over.
    public mutating func replay(_ entries: [LineageEntry]) throws {
        for entry in entries {
            guard let i = index(of: entry.memberID) else { continue }
            current[i] = try Self.configuration(entry.config)
            lastExploit[i] = entry
            stepped.insert(entry.epoch)
            reports[entry.epoch] = nil
            lineage.append(entry)
        }
    }

    private mutating func stepIfComplete(_ epoch: Int) throws -> [LineageEntry] {
        guard history.count == populationSize || exhausted else { return [] }
        let active = history.tasks.indices.filter { !dropped.contains($0) }
        guard let scores = reports[epoch], active.allSatisfy({ scores[$0] != nil }) else { return [] }
        let standings = active.map {
            Standing(memberID: history.tasks[$0].id, index: $0, config: config(ofMember: $0), score: scores[$0]!)
        }
        let entries = try Self.step(at: epoch, standings, spec: spec)
        stepped.insert(epoch)
        reports[epoch] = nil
        try replay(entries)
        return entries
    }

    /// `pbt.population`, which the reader makes the spec's run_cap.
    private var populationSize: Int { spec.runCap ?? settings.population }

    private func config(ofMember i: Int) -> TrainConfig { current[i] ?? history.tasks[i].config }

    private func index(of memberID: String) -> Int? { history.tasks.firstIndex { $0.id == memberID } }

    // MARK: the rules

    /// A member at a boundary, as a step sees it.
    public struct Standing: Sendable, Equatable {
        public var memberID: String
        /// Position in the population: orders ties and seeds the member's draws.
        public var index: Int
        public var config: TrainConfig
        /// The first metric at the boundary.
        public var score: Double

        public init(memberID: String, index: Int, config: TrainConfig, score: Double) {
            self.memberID = memberID
            self.index = index
            self.config = config
            self.score = score
        }
    }

    /// One step at boundary `epoch`, pure: each member of the bottom quantile that scores
    /// worse than every member of the top quantile copies one of them, chosen with the
    /// member's generator, and explores (`explore`). Members whose score ties the worst
    /// top one stay as they are: copying would gain nothing. Entries in member order.
    public static func step(at epoch: Int, _ standings: [Standing], spec: SweepSpec) throws -> [LineageEntry] {
        let settings = spec.pbt ?? PBTSettings()
        let goal = Goal(maximize: spec.metric.maximize)
        let (bottom, top) = quantiles(standings, fraction: settings.quantile, maximize: spec.metric.maximize)
        guard let worstTop = top.last else { return [] }
        var entries: [LineageEntry] = []
        for member in bottom.sorted(by: { $0.index < $1.index }) where goal.isBetter(worstTop.score, than: member.score) {
            var rng = generator(seed: spec.seed, epoch: epoch, member: member.index)
            let source = top[rng.below(top.count)]
            let (config, changes) = try explore(source.config, for: member.config, spec: spec, &rng)
            entries.append(LineageEntry(memberID: member.memberID, epoch: epoch, sourceID: source.memberID, score: member.score,
                                        sourceScore: source.score, changes: changes, config: config.canonical.encoded))
        }
        return entries
    }

    /// The bottom and top quantiles, as Ray Tune takes them: ⌈n·fraction⌉ members each,
    /// but at most ⌊n/2⌋, so none is in both. Best first; NaN is the worst score; equal
    /// scores rank by member index, the lower first.
    public static func quantiles(_ standings: [Standing], fraction: Double, maximize: Bool) -> (bottom: [Standing], top: [Standing]) {
        let goal = Goal(maximize: maximize)
        let ranked = standings.sorted { a, b in
            if goal.isBetter(a.score, than: b.score) { return true }
            if goal.isBetter(b.score, than: a.score) { return false }
            return a.index < b.index
        }
        var k = Int((Double(ranked.count) * fraction).rounded(.up))
        if 2 * k > ranked.count { k = ranked.count / 2 }
        return (Array(ranked.suffix(k)), Array(ranked.prefix(k)))
    }

    /// Explore: the source's configuration with each explorable parameter it sets
    /// (`SpecParameter.isExplorable`, in the spec's order) drawn anew from the spec's
    /// distribution with probability `resample_probability`, else multiplied by 0.8 or 1.2
    /// (even odds), held within the distribution's bounds and rounded to its q (as Ray Tune
    /// clips to a search space's bounds). A perturbed value the training key rejects (a
    /// normal's momentum below 0) is drawn anew instead. `member` gives the `old` values.
    public static func explore(_ source: TrainConfig, for member: TrainConfig, spec: SweepSpec,
                               _ rng: inout SplitMix64) throws -> (TrainConfig, [ParameterChange]) {
        let settings = spec.pbt ?? PBTSettings()
        let canonical = source.canonical
        guard var fields = canonical.objectFields else { return (source, []) }
        let before = member.canonical
        var changes: [ParameterChange] = []
        for parameter in spec.parameters where parameter.isExplorable && parameter.isActive(in: canonical) {
            guard let copied = canonical[parameter.name]?.doubleValue,
                  let slot = fields.firstIndex(where: { $0.0 == parameter.name }) else { continue }
            var how = ParameterChange.How.resample
            var factor: Double?
            var text: String?
            if rng.uniform() >= settings.resampleProbability {
                let f = rng.uniform() < 0.5 ? 0.8 : 1.2
                let perturbed = parameter.domain.value(near: copied * f)
                if (try? TrainConfig(pairs: [(parameter.name, perturbed)])) != nil { (how, factor, text) = (.perturb, f, perturbed) }
            }
            let value = try text ?? spec.randomValue(of: parameter, &rng)
            fields[slot].1 = .string(value)
            let new = try TrainConfig(pairs: [(parameter.name, value)]).canonical[parameter.name]?.doubleValue ?? copied
            changes.append(ParameterChange(key: parameter.name, old: before[parameter.name]?.doubleValue, copied: copied,
                                           new: new, how: how, factor: factor))
        }
        return (try TrainConfig(json: .object(fields)), changes)
    }

    /// A configuration from its canonical JSON text (a lineage entry's `config`).
    public static func configuration(_ text: String) throws -> TrainConfig {
        try TrainConfig(json: JSON.parse(text))
    }

    /// The generator of one member's decisions at one boundary.
    static func generator(seed: Int, epoch: Int, member: Int) -> SplitMix64 {
        var mixer = SplitMix64(seed: UInt64(bitPattern: Int64(seed)) ^ 0x5042_545F_5345_4544)   // "PBT_SEED"
        mixer = SplitMix64(seed: mixer.next() ^ UInt64(bitPattern: Int64(epoch)))
        mixer = SplitMix64(seed: mixer.next() ^ UInt64(bitPattern: Int64(member)))
        return SplitMix64(seed: mixer.next())
    }
}
