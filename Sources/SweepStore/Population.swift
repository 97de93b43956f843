import GRDB

/// A member of a population-based training sweep as `pbt_members` holds it.
public struct PopulationMemberRecord: Sendable, Equatable {
    public var taskID: String
    /// The last epoch whose checkpoint is on disk.
    public var epoch: Int
    /// The first metric at `epoch` (nil: NaN or absent).
    public var score: Double?
    /// The configuration it trains on with (canonical JSON).
    public var config: String
    /// The task's attempts when that interval ended.
    public var attempts: Int

    public init(taskID: String, epoch: Int, score: Double?, config: String, attempts: Int) {
        self.taskID = taskID
        self.epoch = epoch
        self.score = score
        self.config = config
        self.attempts = attempts
    }
}

extension Store {
    /// The lineage of a pbt sweep: its exploits in the order made (LineageEntry JSON).
    public func lineage(sweepID: Int64) throws -> [String] {
        try run {
            try db.read { db in
                try String.fetchAll(db, sql: "SELECT entry FROM pbt_lineage WHERE sweep_id = ? ORDER BY seq", arguments: [sweepID])
            }
        }
    }

    /// The members of a pbt sweep that reached a boundary, by task id.
    public func populationMembers(sweepID: Int64) throws -> [PopulationMemberRecord] {
        try run {
            try db.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT task_id, epoch, score, config, attempts FROM pbt_members WHERE sweep_id = ? ORDER BY task_id
                    """, arguments: [sweepID]).map {
                    PopulationMemberRecord(taskID: $0["task_id"], epoch: $0["epoch"], score: $0["score"], config: $0["config"],
                                           attempts: $0["attempts"])
                }
            }
        }
    }

    static func applyPopulation(_ update: StoreUpdate, _ db: Database) throws -> Bool {
        switch update {
        case let .intervalHandedOut(sweepID, taskID, worker, at, fromEpoch):
            try db.cachedStatement(sql: """
                UPDATE tasks SET status = 'running', worker = ?, started_at = ?
                WHERE sweep_id = ? AND task_id = ? AND status IN ('pending', 'running')
                """).execute(arguments: [worker, at, sweepID, taskID])
            guard db.changesCount > 0 else { return false }
            try db.cachedStatement(sql: "DELETE FROM epochs WHERE sweep_id = ? AND task_id = ? AND epoch > ?")
                .execute(arguments: [sweepID, taskID, fromEpoch])
        case let .populationMember(sweepID, taskID, epoch, score, config, attempts):
            try db.cachedStatement(sql: """
                INSERT INTO pbt_members (sweep_id, task_id, epoch, score, config, attempts) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (sweep_id, task_id) DO UPDATE SET epoch = excluded.epoch, score = excluded.score,
                    config = excluded.config, attempts = excluded.attempts
                """).execute(arguments: [sweepID, taskID, epoch, score, config, attempts])
        case let .lineage(sweepID, seq, entry):
            try db.cachedStatement(sql: """
                INSERT INTO pbt_lineage (sweep_id, seq, entry) VALUES (?, ?, ?) ON CONFLICT (sweep_id, seq) DO NOTHING
                """).execute(arguments: [sweepID, seq, entry])
        default:
            preconditionFailure("not an update of method pbt")
        }
        return true
    }
}
