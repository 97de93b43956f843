import Foundation
import SweepConfig
import SweepRandom
import SweepSearch
import SweepSpec
import SweepStore

/// What a spec adds to a fixed task list (issue 8): a sampler that proposes tasks
/// from the results so far while the sweep runs (`method: bayes`), and an
/// early-stopping rule fed with every task's per-epoch metric (`early_terminate`).
/// Both are pure (SweepSearch); the coordinator core owns them, stores each stopping
/// decision with the round that made it, and replays the decisions after a restart.
public struct Search: Sendable {
    public var sampler: (any Sampler)?
    public var stopping: (any EarlyStopping)?
    /// The spec's seed: orders the hand-out under early stopping (`handOutOrder`).
    public var seed: Int

    public init(sampler: (any Sampler)? = nil, stopping: (any EarlyStopping)? = nil, seed: Int = 0) {
        self.sampler = sampler
        self.stopping = stopping
        self.seed = seed
    }

    /// The search a spec asks for. Grid and random specs list their tasks up front
    /// (`expand()`); a bayes spec proposes them as results come in.
    public init(spec: SweepSpec) throws {
        self.init(sampler: spec.method == .bayes ? try spec.sampler() : nil, stopping: spec.earlyStopping(),
                  seed: spec.seed)
    }

    /// The order in which listed tasks are handed out. Under early stopping, a seeded
    /// shuffle: ASHA judges each task against those that reached the rung before it,
    /// which is fair only if they arrive in random order. A grid in expansion order
    /// sends all of one cell first and the next cell's tasks then beat a low bar
    /// (measured on fashion-rnn-cells-hyperband.yaml: 31 of 54 tasks passed rung 1
    /// instead of about a third).
    func handOutOrder(_ pending: [Int]) -> [Int] {
        guard stopping != nil else { return pending }
        var order = pending
        var rng = SplitMix64(seed: seed ^ 0x5eed_a5a5)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(rng.below(UInt64(i + 1))))
        }
        return order
    }

    /// Whether tasks are proposed while the sweep runs.
    public var proposesTasks: Bool { sampler != nil }

    /// The values of every metric of the spec in a task's final metrics, in `metric:`
    /// order (NaN where absent), as the sampler takes them with a result: multi-objective
    /// TPE ranks by all of them. [] without a sampler.
    func objectiveValues(in metrics: JSON) -> [Double] { sampler?.spec.objectiveValues(in: metrics) ?? [] }

    /// A finished task as the sampler sees it: `value` is the sweep metric in its
    /// final metrics (nil: absent).
    static func outcome(status: TaskStatus, metrics: JSON, value: Double?) -> TaskOutcome {
        switch status {
        case .completed, .diverged: return .completed(value ?? .nan)
        case .stopped: return .stopped(epoch: metrics["epoch"]?.intValue ?? 0, value: value ?? .nan)
        case .failed: return .failed
        case .pending, .running: return .pending
        }
    }

    static func encode(_ record: StopRecord) -> String {
        String(decoding: (try? JSONEncoder().encode(record)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decode(_ text: String) -> StopRecord? {
        try? JSONDecoder().decode(StopRecord.self, from: Data(text.utf8))
    }
}
