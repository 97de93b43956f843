import SweepConfig
import SweepRandom
import SweepSpec

/// `method: random` one task at a time: the tasks of `SweepSpec.expand()` (those of
/// `enqueue:`, then the draws), in the same order (so a fresh sampler proposes exactly
/// the tasks `expand()` lists).
public struct RandomSampler: Sampler {
    public let spec: SweepSpec
    public var history = TaskHistory()
    private var enqueued = EnqueuedStream()
    private var stream: RandomStream

    public init(spec: SweepSpec) {
        self.spec = spec
        stream = RandomStream(seed: spec.seed)
    }

    public mutating func propose() throws -> SweepTask? {
        guard history.count < runCap else { return nil }
        if let config = try enqueued.next(spec, known: history) { return history.add(config) }
        guard let config = try stream.next(spec, known: history) else { return nil }
        return history.add(config)
    }
}

/// The random draws of a spec, seeded by its `seed`, skipping configurations
/// known already. A restarted sampler replays the stream from the start: the
/// draws it made before come back as known and are passed over without counting
/// as duplicates, so it goes on where it stopped.
struct RandomStream: Sendable {
    private var rng: SplitMix64
    /// The ids this stream has drawn.
    private var drawn: Set<String> = []

    init(seed: Int) { rng = SplitMix64(seed: seed) }

    /// The next draw that is not known (nor among `alsoKnown`: a warm start's tasks), or nil
    /// after `maxDuplicateDraws` draws in a row that repeat an earlier draw (as `expand()`
    /// gives up: the space is smaller than run_cap).
    mutating func next(_ spec: SweepSpec, known: TaskHistory, alsoKnown: TaskHistory? = nil) throws -> TrainConfig? {
        var duplicates = 0
        while duplicates < Self.maxDuplicateDraws {
            let config = try spec.configuration(spec.randomChoice(&rng))
            let id = SweepTask.id(of: config)
            if !drawn.insert(id).inserted {
                duplicates += 1
            } else if !known.contains(taskID: id) && alsoKnown?.contains(taskID: id) != true {
                return config
            }
        }
        return nil
    }

    /// As `Expansion.maxDuplicateDraws`.
    static let maxDuplicateDraws = 1000
}
