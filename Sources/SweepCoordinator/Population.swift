import Foundation
import SweepConfig
import SweepProtocol
import SweepSearch
import SweepSpec
import SweepStore

/// What a coordinator of a `method: pbt` sweep starts from: the spec, and what the store
/// holds of the population (empty for a new sweep). `load` reads a member's checkpoint
/// after an epoch (`CheckpointFiles`); the core calls it only while it starts, for the
/// checkpoints the members continue from.
public struct PopulationRestore {
    public var spec: SweepSpec
    /// The stored lineage entries, in order (JSON text).
    public var lineage: [String]
    public var members: [PopulationMemberRecord]
    public var load: (_ taskID: String, _ epoch: Int) -> [UInt8]?

    public init(spec: SweepSpec, lineage: [String] = [], members: [PopulationMemberRecord] = [],
                load: @escaping (String, Int) -> [UInt8]? = { _, _ in nil }) {
        self.spec = spec
        self.lineage = lineage
        self.members = members
        self.load = load
    }
}

/// Population-based training as the coordinator runs it. A member is a task; its
/// unit of work is one interval (`Interval`): a task attempt that trains epochs
/// from+1…to from a checkpoint and sends the checkpoint after them back in `weights`
/// messages. At a boundary the member waits, pending but queued nowhere, until every
/// live member reported that boundary (`PopulationBasedTraining.report`); then those
/// that exploit continue from their source's checkpoint with the explored configuration,
/// the others from their own. The checkpoints a step needs are held here in memory (the
/// latest of each member), so the added work of an exploit is the one transfer of the
/// source's checkpoint to the member's worker. Every checkpoint is also written to disk
/// before the round's commit, so a restarted coordinator continues each member from its
/// last one; a worker lost mid-interval costs that interval only.
final class PopulationRun {
    var pbt: PopulationBasedTraining
    /// By task index: the last epoch whose checkpoint is stored (absent: 0).
    var epoch: [Int: Int] = [:]
    /// By task index: the task's attempts when its last interval ended. Runs of the current
    /// interval are those above it: they count against max_attempts, and a result of an
    /// attempt at or below it is a late copy of an interval already stored.
    var base: [Int: Int] = [:]
    /// By task index: its checkpoint after `epoch`.
    var latest: [Int: [UInt8]] = [:]
    /// By task index: the checkpoint its next interval starts from (its own or its source's).
    var start: [Int: [UInt8]] = [:]
    /// Members at a boundary whose step has not been taken.
    var waiting: Set<Int> = []
    /// By task index: the epochs whose checkpoint files may be on disk (written, or left by an
    /// earlier coordinator) and have not been removed (`pruneCheckpoints`).
    var kept: [Int: Set<Int>] = [:]
    /// Lineage entries stored (the next one's sequence number).
    var seq = 0
    let load: (String, Int) -> [UInt8]?
    /// Effects of a step taken while the core started (stored at its first tick).
    var deferred: [Effect] = []

    init(pbt: PopulationBasedTraining, load: @escaping (String, Int) -> [UInt8]?) {
        self.pbt = pbt
        self.load = load
    }

    /// Where the interval after epoch `from` ends: the next boundary, or the last epoch.
    func end(after from: Int) -> Int { pbt.boundaries.first { $0 > from } ?? pbt.epochs }
}

extension CoordinatorCore {
    /// Builds the population from the stored tasks (in index order), replays the stored
    /// lineage, drops members that ended without completing, and reports the stored scores
    /// at boundaries again (a boundary already stepped is passed over; one whose step the
    /// last coordinator could not take yet waits as before).
    func setUpPopulation(_ restore: PopulationRestore, records: [TaskRecord]) {
        var pbt = PopulationBasedTraining(spec: restore.spec)
        for r in records.sorted(by: { $0.index < $1.index }) {
            if let params = try? JSON.parse(r.params), let config = try? TrainConfig(json: params) { pbt.add(config) }
        }
        let run = PopulationRun(pbt: pbt, load: restore.load)
        let entries = restore.lineage.compactMap { try? JSONDecoder().decode(LineageEntry.self, from: Data($0.utf8)) }
        do { try run.pbt.replay(entries) } catch {
            run.deferred.append(.log("pbt: the stored lineage does not replay: \(error)"))
        }
        run.seq = restore.lineage.count
        population = run
        var effects: [Effect] = []
        for i in tasks.indices where tasks[i].status.isFinished && tasks[i].status != .completed { dropMember(i, &effects) }
        let stored = restore.members.compactMap { m in indexOf[m.taskID].map { (i: $0, m: m) } }
            .filter { !tasks[$0.i].status.isFinished }.sorted { ($0.m.epoch, $0.i) < ($1.m.epoch, $1.i) }
        for (i, m) in stored where m.epoch > 0 {
            run.epoch[i] = m.epoch
            run.kept[i] = Set(run.pbt.boundaries.filter { $0 <= m.epoch })
            run.base[i] = m.attempts
            run.latest[i] = run.load(m.taskID, m.epoch)
            if !run.pbt.mayContinue(after: m.epoch) { run.waiting.insert(i) }
        }
        queue.removeAll { run.waiting.contains($0) }
        awaitingHolders.removeAll { run.waiting.contains($0) }
        for (i, m) in stored where run.pbt.boundaries.contains(m.epoch) && run.waiting.contains(i) {
            let entries = (try? run.pbt.report(memberID: tasks[i].id, epoch: m.epoch, score: m.score ?? .nan)) ?? []
            recordStep(entries, at: m.epoch, &effects)
            continueMembers(at: m.epoch, &effects)
        }
        // members whose step was taken before the restart continue from the checkpoint it named
        for (i, m) in stored where m.epoch > 0 && !run.waiting.contains(i) && run.start[i] == nil {
            run.start[i] = startCheckpoint(i, at: m.epoch)
        }
        pruneCheckpoints(&effects)
        run.deferred += effects
    }

    /// Whether task `i` is a member of a pbt population.
    var isPopulation: Bool { population != nil }

    /// The runs of task `i` that count against max_attempts start above this.
    func attemptBase(_ i: Int) -> Int { population?.base[i] ?? 0 }

    /// The interval task `i` trains next, its configuration (the task's, or the one its
    /// last exploit set) and the checkpoint it starts from; nil, with the member failed, when
    /// that checkpoint is missing (its file was lost before a restart).
    func nextInterval(_ i: Int, now: Double, _ effects: inout [Effect]) -> (Interval, JSON)? {
        guard let run = population, let member = run.pbt.member(id: tasks[i].id) else { return nil }
        let from = run.epoch[i] ?? 0
        let checkpoint = from > 0 ? run.start[i] : nil
        if from > 0 && checkpoint == nil {
            finish(i, status: .failed, metrics: .object([]), error: "pbt: its checkpoint after epoch \(from) is missing",
                   wallSeconds: 0, worker: "", now: now, &effects)
            return nil
        }
        return (Interval(from: from, to: run.end(after: from), checkpoint: checkpoint), member.config.canonical)
    }

    /// Whether result `o` is a late copy of an interval of task `i` already stored (resent
    /// after a reconnect): acknowledged again, nothing else.
    func isEarlierInterval(_ i: Int, _ o: Outcome) -> Bool {
        guard let run = population else { return false }
        return o.attempt <= (run.base[i] ?? 0)
    }

    /// Result `o` completes member `i`'s interval: every run of that interval handed out so far
    /// counts as begun, the sender's (whose `started` may never have come, from a worker that no
    /// longer held it) and the holder's that is about to be cancelled (whose `started` may still
    /// be on its way). The next interval's base covers their attempts, so their late answers (a
    /// resent result, the cancelled run's `stopped`) are copies of this interval
    /// (`isEarlierInterval`), never taken for the next interval's nor ending the member.
    func spendAttempts(_ i: Int, settledBy o: Outcome, _ effects: inout [Effect]) {
        var spent = o.attempt
        if tasks[i].holder != nil && !tasks[i].begun { spent = max(spent, tasks[i].attempts + 1) }
        guard spent > tasks[i].attempts else { return }
        tasks[i].attempts = spent
        effects.append(.store(.attemptStarted(sweepID: sweep.id, taskID: tasks[i].id, attempts: spent)))
    }

    /// Whether result `o` of task `i` ends an interval before the last epoch.
    func endsInterval(_ i: Int, _ o: Outcome) -> Bool {
        guard let run = population, o.status == "completed" else { return false }
        return run.end(after: run.epoch[i] ?? 0) < run.pbt.epochs
    }

    /// An interval of member `i` completed: its checkpoint is stored (a file, written before
    /// the commit), its score reported; when that completes the boundary, the step's exploits
    /// are stored and the members it waited for are queued again.
    func intervalEnded(_ i: Int, _ o: Outcome, checkpoint: IncomingWeights?, from peer: PeerID, now: Double, _ effects: inout [Effect]) {
        guard let run = population else { return }
        let to = run.end(after: run.epoch[i] ?? 0)
        guard let c = checkpoint, c.attempt == o.attempt, c.complete, let digest = o.weights, WeightsDigest(of: c.file) == digest else {
            // the interval is run again from the same checkpoint
            let error = "pbt: its checkpoint after epoch \(to) did not arrive whole from \(peers[peer]?.name ?? "a worker")"
            tasks[i].failedOn.append(peers[peer]?.host ?? "?")
            if tasks[i].attempts - attemptBase(i) < settings.maxAttempts {
                effects.append(.log("task \(o.taskID): \(error); retrying the interval"))
                requeue(i, error: error, &effects)
            } else {
                finish(i, status: .failed, metrics: .object([]), error: failure(i, error), wallSeconds: o.wallSeconds,
                       worker: peers[peer]?.name ?? "", now: now, &effects)
            }
            return
        }
        if tasks[i].status == .running { running -= 1 }
        tasks[i].status = .pending
        tasks[i].holder = nil
        tasks[i].begun = false
        tasks[i].failedOn = []
        run.epoch[i] = to
        run.latest[i] = c.file
        run.base[i] = tasks[i].attempts
        run.start[i] = nil
        run.waiting.insert(i)
        let score = metricValue(in: o.metrics) ?? .nan
        let config = run.pbt.member(id: tasks[i].id)?.config.canonical.encoded ?? tasks[i].params
        effects.append(.checkpoint(taskID: tasks[i].id, epoch: to, file: c.file))
        run.kept[i, default: []].insert(to)
        effects.append(.store(.populationMember(sweepID: sweep.id, taskID: tasks[i].id, epoch: to,
                                                score: score.isFinite ? score : nil, config: config, attempts: tasks[i].attempts)))
        let entries: [LineageEntry]
        do { entries = try run.pbt.report(memberID: tasks[i].id, epoch: to, score: score) } catch {
            effects.append(.log("pbt: the step after epoch \(to) failed: \(error)"))
            entries = []
        }
        recordStep(entries, at: to, &effects)
        continueMembers(at: to, &effects)
        pruneCheckpoints(&effects)
    }

    /// The checkpoints the population may still need, by task index: each unfinished member's
    /// latest (its next interval, or that of a restarted coordinator, starts from it, and so
    /// may the exploits of the step there), and the one its next interval starts from after an
    /// exploit (its source's at that epoch, which a restarted coordinator reads from disk).
    func neededCheckpoints() -> [Int: Set<Int>] {
        guard let run = population else { return [:] }
        var needed: [Int: Set<Int>] = [:]
        for (i, epoch) in run.epoch where epoch > 0 && !tasks[i].status.isFinished {
            needed[i, default: []].insert(epoch)
            if let exploit = run.pbt.member(id: tasks[i].id)?.lastExploit, exploit.epoch == epoch,
               let source = indexOf[exploit.sourceID] {
                needed[source, default: []].insert(epoch)
            }
        }
        return needed
    }

    /// Removes the checkpoints no member can need any more (`neededCheckpoints`): a member's
    /// older ones, and all of a member that ended, unless another continues from one of them.
    /// Not with `--save-weights`, which keeps every checkpoint beside the weights.
    func pruneCheckpoints(_ effects: inout [Effect]) {
        guard let run = population, !settings.saveWeights else { return }
        let needed = neededCheckpoints()
        for (i, kept) in run.kept.sorted(by: { $0.key < $1.key }) {
            let unneeded = kept.subtracting(needed[i] ?? [])
            guard !unneeded.isEmpty else { continue }
            run.kept[i] = kept.subtracting(unneeded)
            effects.append(.checkpointsRemoved(taskID: tasks[i].id, epochs: unneeded.sorted()))
        }
    }

    /// A member ended without completing (failed for good, diverged): the steps no longer
    /// wait for it.
    func dropMember(_ i: Int, _ effects: inout [Effect]) {
        guard let run = population else { return }
        run.waiting.remove(i)
        let entries = (try? run.pbt.drop(memberID: tasks[i].id)) ?? []
        for epoch in Set(entries.map(\.epoch)).sorted() { recordStep(entries.filter { $0.epoch == epoch }, at: epoch, &effects) }
        for epoch in run.pbt.boundaries { continueMembers(at: epoch, &effects) }
    }

    /// Stores a step's exploits: each entry in the lineage, and the member's new configuration.
    private func recordStep(_ entries: [LineageEntry], at epoch: Int, _ effects: inout [Effect]) {
        guard let run = population else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for e in entries {
            let text = (try? encoder.encode(e)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            effects.append(.store(.lineage(sweepID: sweep.id, seq: run.seq, entry: text)))
            run.seq += 1
            if let j = indexOf[e.memberID] {
                effects.append(.store(.populationMember(sweepID: sweep.id, taskID: e.memberID, epoch: epoch,
                                                        score: e.score.isFinite ? e.score : nil, config: e.config,
                                                        attempts: run.base[j] ?? tasks[j].attempts)))
            }
            let changes = e.changes.map { "\($0.key) \(Self.short($0.copied)) → \(Self.short($0.new))" }.joined(separator: ", ")
            effects.append(.log("pbt: after epoch \(epoch), task \(e.memberID) continues from task \(e.sourceID)" +
                                (changes.isEmpty ? "" : " with \(changes)")))
        }
    }

    private static func short(_ v: Double) -> String { String(format: "%.4g", v) }

    /// Once the step at `epoch` is taken, the members waiting there go back to the queue
    /// (in index order), each with the checkpoint it continues from.
    private func continueMembers(at epoch: Int, _ effects: inout [Effect]) {
        guard let run = population, run.pbt.mayContinue(after: epoch) else { return }
        let ready = run.waiting.filter { run.epoch[$0] == epoch && tasks[$0].status == .pending }.sorted()
        for j in ready {
            run.start[j] = startCheckpoint(j, at: epoch)
            run.waiting.remove(j)
        }
        retry += ready.reversed()   // a stack: the lowest index goes first
    }

    /// The checkpoint member `j` continues from after `epoch`: its source's, if it exploited
    /// there, else its own.
    private func startCheckpoint(_ j: Int, at epoch: Int) -> [UInt8]? {
        guard let run = population else { return nil }
        let member = run.pbt.member(id: tasks[j].id)
        let sourceID = member?.lastExploit.flatMap { $0.epoch == epoch ? $0.sourceID : nil } ?? tasks[j].id
        guard let s = indexOf[sourceID] else { return nil }
        if run.epoch[s] == epoch, let bytes = run.latest[s] { return bytes }
        return run.load(sourceID, epoch)
    }
}
