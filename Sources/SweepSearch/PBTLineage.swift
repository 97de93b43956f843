/// One exploit of population-based training: at boundary `epoch`, member `memberID`
/// (bottom quantile) took the weights and optimizer state of `sourceID` (top quantile) as
/// they were after that epoch, and trains on from epoch+1 with `config` — the source's
/// configuration with the explored parameters changed as `changes` say.
///
/// The entries, in order, are the population's whole history: store each step's entries
/// together as it is taken, and `PopulationBasedTraining.replay` them after a restart.
public struct LineageEntry: Sendable, Equatable, Codable {
    /// The member's task id.
    public var memberID: String
    public var epoch: Int
    /// The task id of the member it copied.
    public var sourceID: String
    /// Both scores at `epoch` (the first metric; NaN, a diverged member, is encoded as null).
    public var score: Double
    public var sourceScore: Double
    /// The explored parameters, in the spec's order.
    public var changes: [ParameterChange]
    /// The member's configuration from epoch+1 on: canonical JSON (docs/keys.md).
    public var config: String

    public init(memberID: String, epoch: Int, sourceID: String, score: Double, sourceScore: Double,
                changes: [ParameterChange], config: String) {
        self.memberID = memberID
        self.epoch = epoch
        self.sourceID = sourceID
        self.score = score
        self.sourceScore = sourceScore
        self.changes = changes
        self.config = config
    }

    private enum CodingKeys: String, CodingKey {
        case memberID = "member_id", epoch, sourceID = "source_id", score, sourceScore = "source_score", changes, config
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        memberID = try c.decode(String.self, forKey: .memberID)
        epoch = try c.decode(Int.self, forKey: .epoch)
        sourceID = try c.decode(String.self, forKey: .sourceID)
        score = try c.decodeIfPresent(Double.self, forKey: .score) ?? .nan
        sourceScore = try c.decodeIfPresent(Double.self, forKey: .sourceScore) ?? .nan
        changes = try c.decode([ParameterChange].self, forKey: .changes)
        config = try c.decode(String.self, forKey: .config)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(memberID, forKey: .memberID)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(sourceID, forKey: .sourceID)
        try c.encode(score.isNaN ? nil : score, forKey: .score)
        try c.encode(sourceScore.isNaN ? nil : sourceScore, forKey: .sourceScore)
        try c.encode(changes, forKey: .changes)
        try c.encode(config, forKey: .config)
    }

    /// NaN equals NaN here: an entry equals itself after a trip through JSON.
    public static func == (a: LineageEntry, b: LineageEntry) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return a.memberID == b.memberID && a.epoch == b.epoch && a.sourceID == b.sourceID && same(a.score, b.score)
            && same(a.sourceScore, b.sourceScore) && a.changes == b.changes && a.config == b.config
    }
}

/// How explore changed one parameter of a member that exploited.
public struct ParameterChange: Sendable, Equatable, Codable {
    public enum How: String, Sendable, Codable {
        /// Multiplied by `factor` (0.8 or 1.2), then held within the distribution's bounds
        /// and rounded to its q.
        case perturb
        /// Drawn anew from the spec's distribution.
        case resample
    }

    /// The training key.
    public var key: String
    /// The member's own value before the exploit (nil: the key was unset).
    public var old: Double?
    /// The source's value, which explore started from.
    public var copied: Double
    public var new: Double
    public var how: How
    public var factor: Double?

    public init(key: String, old: Double?, copied: Double, new: Double, how: How, factor: Double? = nil) {
        self.key = key
        self.old = old
        self.copied = copied
        self.new = new
        self.how = how
        self.factor = factor
    }
}
