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
    /// The spec's metric, as named in progress and result metrics.
    public var metric: String
    /// The spec's seed: orders the hand-out under early stopping (`handOutOrder`).
    public var seed: Int

    public init(sampler: (any Sampler)? = nil, stopping: (any EarlyStopping)? = nil, metric: String = "", seed: Int = 0) {
        self.sampler = sampler
        self.stopping = stopping
        self.metric = metric
        self.seed = seed
    }

    /// The search a spec asks for. Grid and random specs list their tasks up front
    /// (`expand()`); a bayes spec proposes them as results come in.
    public init(spec: SweepSpec) throws {
        self.init(sampler: spec.method == .bayes ? try spec.sampler() : nil, stopping: spec.earlyStopping(),
                  metric: spec.metric.name, seed: spec.seed)
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

    /// The spec's metric in a metrics object; nil when absent or null (e.g.
    /// val_accuracy with no validation split): the rule then ignores the report.
    func value(in metrics: JSON) -> Double? {
        guard let v = metrics[metric], v != .null else { return nil }
        return v.doubleValue ?? .nan
    }

    /// A finished task as the sampler sees it.
    func outcome(status: TaskStatus, metrics: String) -> TaskOutcome {
        let json = (try? JSON.parse(metrics)) ?? .object([])
        switch status {
        case .completed, .diverged: return .completed(value(in: json) ?? .nan)
        case .stopped: return .stopped(epoch: json["epoch"]?.intValue ?? 0, value: value(in: json) ?? .nan)
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
