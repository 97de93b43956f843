/// The sweep store: one SQLite file holding sweeps, tasks, per-epoch metrics
/// and final results. It is built on GRDB rather than the raw sqlite3 C API
/// because GRDB gives, ready-made and tested, the three things the store must
/// get right: a versioned schema (`DatabaseMigrator` records every applied
/// migration in the file and refuses files written by a newer schema), WAL
/// with one serialized writer and concurrent readers (`DatabasePool`, with
/// pragmas set per connection through `Configuration`), and typed rows and
/// bound statements (no SQL built from strings, no manual `sqlite3_finalize`).
import Foundation
import GRDB

/// How hard a commit pushes to disk.
public enum Durability: String, Sendable, CaseIterable {
    /// `synchronous = FULL`: the WAL is fsynced at every commit, so a committed
    /// result survives power loss. The default.
    case full
    /// `synchronous = NORMAL`: in WAL mode a commit survives a crash of the
    /// process but not of the machine.
    case normal
}

/// Threading: a `Store` may be shared by any number of threads. Writes
/// (`openSweep`, `addTasks`, `apply`) are serialized by GRDB on the single
/// writer connection; reads run on a pool of reader connections and see the
/// last committed state, even while a write is under way (WAL). Call `close()`
/// once no other call is in flight; later calls throw.
public final class Store: Sendable {
    public let path: String
    public let durability: Durability
    let db: any DatabaseWriter

    /// Opens the store at `path`, creating the file and migrating the schema
    /// when needed. With `readOnly`, the file must exist and nothing is
    /// created or migrated (for `leaderboard` and `status`).
    public init(path: String, readOnly: Bool = false, durability: Durability = .full) throws {
        self.path = path
        self.durability = durability
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.readonly = readOnly
        do {
            if readOnly {
                guard FileManager.default.fileExists(atPath: path) else { throw StoreError("\(path): no such file") }
                db = try DatabaseQueue(path: path, configuration: config)
                try db.read { db in try Self.checkSchema(db, path: path, complete: true) }
            } else {
                db = try DatabasePool(path: path, configuration: config)
                // After opening: DatabasePool sets NORMAL on its writer once WAL is on,
                // after any `prepareDatabase` hook. Only the writer commits, so only it matters.
                try db.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
                    // 32 MiB instead of 2: a 100k-task grid's tables and indexes mostly stay in memory.
                    try db.execute(sql: "PRAGMA cache_size = -32768")
                }
                try db.read { db in try Self.checkSchema(db, path: path, complete: false) }
                try Schema.migrator.migrate(db)
            }
        } catch {
            throw Self.storeError(error, path: path)
        }
    }

    /// Refuses a file written by a newer schema; a read-only store also needs every migration applied.
    private static func checkSchema(_ db: Database, path: String, complete: Bool) throws {
        if try Schema.migrator.hasBeenSuperseded(db) {
            throw StoreError("\(path): written by a newer version of sweep (schema \(try Schema.migrator.appliedIdentifiers(db).sorted().joined(separator: ", ")))")
        }
        // a file from before later migrations (insights) still reads: it merely lacks what they add
        if complete, try !Schema.migrator.appliedIdentifiers(db).contains("v1") {
            throw StoreError("\(path): not a sweep database")
        }
    }

    /// The schema migrations recorded in the file, oldest first ("v1", …).
    public func schemaVersions() throws -> [String] {
        try run { try db.read { try Schema.migrator.appliedMigrations($0) } }
    }

    /// `PRAGMA synchronous` on the writer connection (2 FULL, 1 NORMAL), for tests.
    func writerSynchronous() throws -> Int {
        try run { try db.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 } }
    }

    /// Caps the file at `pages` pages (`PRAGMA max_page_count` on the writer), for tests:
    /// a write that needs more fails as on a full disk (SQLITE_FULL). Returns the cap in force.
    @discardableResult
    func limitPages(_ pages: Int) throws -> Int {
        try run { try db.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA max_page_count = \(pages)") ?? -1 } }
    }

    /// Pages in the file now.
    func pageCount() throws -> Int {
        try run { try db.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA page_count") ?? -1 } }
    }

    // MARK: sweeps

    /// Creates the sweep or returns the existing one with that name (resume).
    /// On resume the spec, metric and goal are those given now. New task ids are
    /// inserted as pending; existing tasks keep their state, except that tasks
    /// left `running` by a previous coordinator go back to pending (the
    /// coordinator is starting anew; their attempts, the runs that began, are kept).
    public func openSweep(name: String, spec: String, metric: String, maximize: Bool, tasks: [NewTask]) throws -> SweepRecord {
        try run {
            try db.write { db in
                let sweep: SweepRecord
                let old = try Self.fetchSweep(db, name: name)
                if let old {
                    sweep = SweepRecord(id: old.id, name: name, spec: spec, metric: metric, maximize: maximize, createdAt: old.createdAt)
                    try db.execute(sql: "UPDATE sweeps SET spec = ?, metric = ?, maximize = ? WHERE id = ?",
                                   arguments: [spec, metric, maximize, old.id])
                    try db.execute(sql: """
                        UPDATE tasks SET status = 'pending'
                        WHERE sweep_id = ? AND status = 'running'
                        """, arguments: [old.id])
                } else {
                    let now = Date().timeIntervalSince1970
                    try db.execute(sql: "INSERT INTO sweeps (name, spec, metric, maximize, created_at) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [name, spec, metric, maximize, now])
                    sweep = SweepRecord(id: db.lastInsertedRowID, name: name, spec: spec, metric: metric, maximize: maximize, createdAt: now)
                }
                _ = try Self.insert(tasks, sweepID: sweep.id, skippingStored: old != nil, db)
                try Self.createMetricIndex(metric, db)
                return sweep
            }
        }
    }

    /// Inserts tasks proposed while the sweep runs (random, bayes) as pending,
    /// without touching existing ones. Returns how many were new.
    @discardableResult
    public func addTasks(sweepID: Int64, _ tasks: [NewTask]) throws -> Int {
        try run { try db.write { db in try Self.insert(tasks, sweepID: sweepID, skippingStored: false, db) } }
    }

    /// Inserts the tasks not yet stored. With `skippingStored` (a resumed grid)
    /// the stored ids are read first, in one index scan, rather than probed one
    /// insert at a time: 0.1 s instead of 0.5 s for 100k tasks.
    private static func insert(_ tasks: [NewTask], sweepID: Int64, skippingStored: Bool, _ db: Database) throws -> Int {
        var known = Set<String>()
        if skippingStored {
            let ids = try String.fetchCursor(db, sql: "SELECT task_id FROM tasks WHERE sweep_id = ?", arguments: [sweepID])
            while let id = try ids.next() { known.insert(id) }
        }
        let statement = try db.cachedStatement(sql: """
            INSERT INTO tasks (sweep_id, task_id, idx, params) VALUES (?, ?, ?, ?)
            ON CONFLICT (sweep_id, task_id) DO NOTHING
            """)
        var inserted = 0
        for task in tasks where !known.contains(task.id) {
            try statement.execute(arguments: [sweepID, task.id, task.index, task.params])
            inserted += db.changesCount
        }
        return inserted
    }

    /// Every sweep, oldest first.
    public func sweeps() throws -> [SweepRecord] {
        try run {
            try db.read { db in
                try Row.fetchAll(db, sql: "SELECT \(Self.sweepColumns) FROM sweeps ORDER BY created_at, id").map(Self.sweep)
            }
        }
    }

    public func sweep(named name: String) throws -> SweepRecord? {
        try run { try db.read { db in try Self.fetchSweep(db, name: name) } }
    }

    /// The sweep a read-only command should show: the one named, else the only
    /// one, else the most recently created. `note` says which was picked when
    /// there was a choice.
    public func selectSweep(named name: String?) throws -> (sweep: SweepRecord, note: String?) {
        let all = try sweeps()
        if let name {
            guard let sweep = all.first(where: { $0.name == name }) else {
                throw StoreError("\(path): no sweep named '\(name)' (sweeps: \(all.isEmpty ? "none" : all.map(\.name).joined(separator: ", ")))")
            }
            return (sweep, nil)
        }
        guard let latest = all.last else { throw StoreError("\(path): holds no sweep yet") }
        let note = all.count > 1 ? "\(path) holds \(all.count) sweeps; showing the most recent, '\(latest.name)' (choose with --sweep NAME)" : nil
        return (latest, note)
    }

    private static let sweepColumns = "id, name, spec, metric, maximize, created_at"

    private static func fetchSweep(_ db: Database, name: String) throws -> SweepRecord? {
        try Row.fetchOne(db, sql: "SELECT \(sweepColumns) FROM sweeps WHERE name = ?", arguments: [name]).map(sweep)
    }

    private static func sweep(_ row: Row) -> SweepRecord {
        SweepRecord(id: row[0], name: row[1], spec: row[2], metric: row[3], maximize: row[4], createdAt: row[5])
    }

    // MARK: tasks

    /// Every task of the sweep, in index order. `params` is the configuration a task trains
    /// with now: a pbt member's current one (`taskColumns`); with `initialParams`, the one it
    /// started with, as stored (a restarted coordinator replays the lineage from it).
    public func tasks(sweepID: Int64, initialParams: Bool = false) throws -> [TaskRecord] {
        var all: [TaskRecord] = []
        try forEachTask(sweepID: sweepID, initialParams: initialParams) { all.append($0) }
        return all
    }

    /// Visits every task of the sweep in index order without holding them all
    /// in memory (a 100,000-task sweep, on resume). Runs inside one read.
    public func forEachTask(sweepID: Int64, initialParams: Bool = false, _ body: (TaskRecord) throws -> Void) throws {
        let columns = initialParams ? Self.storedTaskColumns : Self.taskColumns
        try run {
            try db.read { db in
                let rows = try Row.fetchCursor(db, sql: "SELECT \(columns) FROM tasks WHERE sweep_id = ? ORDER BY idx, task_id",
                                               arguments: [sweepID])
                while let row = try rows.next() { try body(Self.task(row)) }
            }
        }
    }

    /// One task of the sweep, or nil.
    public func task(sweepID: Int64, taskID: String) throws -> TaskRecord? {
        try run {
            try db.read { db in
                try Row.fetchOne(db, sql: "SELECT \(Self.taskColumns) FROM tasks WHERE sweep_id = ? AND task_id = ?",
                                 arguments: [sweepID, taskID]).map(Self.task)
            }
        }
    }

    /// A task's columns as `task` reads them, from a query over `tasks`. A pbt member's params
    /// are its current configuration (`pbt_members`, set by its last step), which the
    /// leaderboard, report, status and live page show; `tasks.params` keeps the initial one.
    static let taskColumns = """
        sweep_id, task_id, idx, COALESCE((SELECT config FROM pbt_members m WHERE m.sweep_id = tasks.sweep_id
            AND m.task_id = tasks.task_id), params), status, attempts, worker, started_at, finished_at, error, metrics, wall_seconds
        """

    /// `taskColumns` with every task's params as stored.
    static let storedTaskColumns = """
        sweep_id, task_id, idx, params, status, attempts, worker, started_at, finished_at, error, metrics, wall_seconds
        """

    /// A row of `taskColumns` as a record.
    static func task(_ row: Row) throws -> TaskRecord {
        TaskRecord(sweepID: row[0], taskID: row[1], index: row[2], params: row[3],
                   status: try status(row[4]), attempts: row[5], worker: row[6],
                   startedAt: row[7], finishedAt: row[8], error: row[9], metrics: row[10], wallSeconds: row[11])
    }

    /// The per-epoch metrics JSON of one task, in epoch order.
    public func epochs(sweepID: Int64, taskID: String) throws -> [String] {
        try run {
            try db.read { db in
                try String.fetchAll(db, sql: "SELECT metrics FROM epochs WHERE sweep_id = ? AND task_id = ? ORDER BY epoch",
                                    arguments: [sweepID, taskID])
            }
        }
    }

    /// The per-epoch metrics JSON of every task of the sweep that has any, by task id, in epoch order.
    public func allEpochs(sweepID: Int64) throws -> [String: [String]] {
        try run {
            try db.read { db in
                var all: [String: [String]] = [:]
                let rows = try Row.fetchCursor(db, sql: "SELECT task_id, metrics FROM epochs WHERE sweep_id = ? ORDER BY task_id, epoch",
                                               arguments: [sweepID])
                while let row = try rows.next() { all[row[0], default: []].append(row[1]) }
                return all
            }
        }
    }

    /// The insights JSON (step losses, activation statistics, filters) of every task that stored one, by task id.
    public func insights(sweepID: Int64) throws -> [String: String] {
        try run {
            try db.read { db in
                var all: [String: String] = [:]
                guard try db.tableExists("insights") else { return all }   // an older file, opened read-only
                let rows = try Row.fetchCursor(db, sql: "SELECT task_id, data FROM insights WHERE sweep_id = ?", arguments: [sweepID])
                while let row = try rows.next() { all[row[0]] = row[1] }
                return all
            }
        }
    }

    /// Why the trained weights of a task were not saved (the file and the reason), by task id.
    public func unsavedWeights(sweepID: Int64) throws -> [String: String] {
        try run {
            try db.read { db in
                var all: [String: String] = [:]
                guard try db.tableExists("unsaved_weights") else { return all }   // an older file, opened read-only
                let rows = try Row.fetchCursor(db, sql: "SELECT task_id, error FROM unsaved_weights WHERE sweep_id = ?",
                                               arguments: [sweepID])
                while let row = try rows.next() { all[row[0]] = row[1] }
                return all
            }
        }
    }

    /// The early-stopping decisions of a sweep, in the order they were made (JSON text).
    public func stopDecisions(sweepID: Int64) throws -> [String] {
        try run {
            try db.read { db in
                try String.fetchAll(db, sql: "SELECT record FROM stop_decisions WHERE sweep_id = ? ORDER BY seq",
                                    arguments: [sweepID])
            }
        }
    }

    /// How many tasks are in each status; every status is present.
    public func counts(sweepID: Int64) throws -> [TaskStatus: Int] {
        try run {
            try db.read { db in
                var counts = Dictionary(uniqueKeysWithValues: TaskStatus.allCases.map { ($0, 0) })
                let rows = try Row.fetchCursor(db, sql: "SELECT status, COUNT(*) FROM tasks WHERE sweep_id = ? GROUP BY status",
                                               arguments: [sweepID])
                while let row = try rows.next() { counts[try Self.status(row[0]), default: 0] += row[1] as Int }
                return counts
            }
        }
    }

    private static func status(_ text: String) throws -> TaskStatus {
        guard let status = TaskStatus(rawValue: text) else { throw UnknownStatus(text: text) }
        return status
    }

    private struct UnknownStatus: Error { let text: String }

    // MARK: updates

    /// Applies all updates in one transaction and returns once it is committed
    /// (with `Durability.full`, on disk: the coordinator may acknowledge the
    /// results after). Returns, for each update, whether it took effect: false
    /// for a duplicate `finished`, or any update aimed at a finished or unknown task.
    @discardableResult
    public func apply(_ updates: [StoreUpdate]) throws -> [Bool] {
        for case .finished(_, let taskID, let status, _, _, _, _, _) in updates where !status.isFinished {
            throw StoreError("\(path): task \(taskID) cannot finish with status \(status.rawValue)")
        }
        if updates.isEmpty { return [] }
        return try run {
            try db.write { db in
                let folded = Self.foldedStarts(updates)
                var took: [Bool] = []
                took.reserveCapacity(updates.count)
                for (i, update) in updates.enumerated() {
                    if let attempts = folded.byHandOut[i], case let .handedOut(sweepID, taskID, worker, at) = update {
                        took.append(try Self.handOut(sweepID: sweepID, taskID: taskID, worker: worker, at: at, attempts: attempts, db))
                    } else if let handOut = folded.byStart[i] {
                        took.append(took[handOut])   // set with its hand-out, under the same condition
                    } else {
                        took.append(try Self.apply(update, db))
                    }
                }
                return took
            }
        }
    }

    /// Each `handedOut` followed, before any other update of the same task, by the task's
    /// `attemptStarted`: a worker says it began a task moments after it got it, so one
    /// commit often holds both, and one UPDATE then sets both (the same row, the same
    /// condition). `byHandOut`: the attempts to set with the hand-out at that index;
    /// `byStart`: the hand-out that stands for the start at that index.
    static func foldedStarts(_ updates: [StoreUpdate]) -> (byHandOut: [Int: Int], byStart: [Int: Int]) {
        var byHandOut: [Int: Int] = [:], byStart: [Int: Int] = [:]
        var lastHandOut: [String: Int] = [:]   // by task, the hand-out not yet followed by another update of it
        for (i, u) in updates.enumerated() {
            switch u {
            case .handedOut(_, let taskID, _, _):
                lastHandOut[taskID] = i
            case .attemptStarted(_, let taskID, let attempts):
                if let h = lastHandOut.removeValue(forKey: taskID), case .handedOut(let sweep, _, _, _) = updates[h],
                   case .attemptStarted(sweep, _, _) = u {
                    byHandOut[h] = attempts
                    byStart[i] = h
                }
            case .epoch(_, let taskID, _, _), .epochsCleared(_, let taskID, _), .finished(_, let taskID, _, _, _, _, _, _),
                 .resumed(_, let taskID, _), .requeued(_, let taskID, _, _), .insights(_, let taskID, _),
                 .weightsNotSaved(_, let taskID, _):
                lastHandOut[taskID] = nil
            case .intervalHandedOut(_, let taskID, _, _, _), .populationMember(_, let taskID, _, _, _, _):
                lastHandOut[taskID] = nil
            case .added, .stopDecision, .workerJoined, .workerSeen, .workerLeft, .lineage:
                break   // new rows, decisions and workers: no task's row changes
            }
        }
        return (byHandOut, byStart)
    }

    /// `handedOut`, with the attempts of the start folded into it when given.
    private static func handOut(sweepID: Int64, taskID: String, worker: String, at: Double, attempts: Int?,
                                _ db: Database) throws -> Bool {
        if let attempts {
            try db.cachedStatement(sql: """
                UPDATE tasks SET status = 'running', worker = ?, started_at = ?, attempts = ?
                WHERE sweep_id = ? AND task_id = ? AND \(unfinished)
                """).execute(arguments: [worker, at, attempts, sweepID, taskID])
        } else {
            try db.cachedStatement(sql: """
                UPDATE tasks SET status = 'running', worker = ?, started_at = ?
                WHERE sweep_id = ? AND task_id = ? AND \(unfinished)
                """).execute(arguments: [worker, at, sweepID, taskID])
        }
        guard db.changesCount > 0 else { return false }
        try db.cachedStatement(sql: "DELETE FROM epochs WHERE sweep_id = ? AND task_id = ?")
            .execute(arguments: [sweepID, taskID])
        return true
    }

    private static let unfinished = "status IN ('pending', 'running')"

    private static func apply(_ update: StoreUpdate, _ db: Database) throws -> Bool {
        switch update {
        case let .handedOut(sweepID, taskID, worker, at):
            return try handOut(sweepID: sweepID, taskID: taskID, worker: worker, at: at, attempts: nil, db)
        case let .attemptStarted(sweepID, taskID, attempts):
            try db.cachedStatement(sql: """
                UPDATE tasks SET attempts = ? WHERE sweep_id = ? AND task_id = ? AND \(unfinished)
                """).execute(arguments: [attempts, sweepID, taskID])
        case let .resumed(sweepID, taskID, worker):
            try db.cachedStatement(sql: """
                UPDATE tasks SET status = 'running', worker = ?
                WHERE sweep_id = ? AND task_id = ? AND \(unfinished)
                """).execute(arguments: [worker, sweepID, taskID])
            return db.changesCount > 0
        case let .epochsCleared(sweepID, taskID, after):
            try db.cachedStatement(sql: """
                DELETE FROM epochs WHERE sweep_id = ? AND task_id = ? AND epoch > ?
                AND EXISTS (SELECT 1 FROM tasks WHERE sweep_id = ? AND task_id = ? AND \(unfinished))
                """).execute(arguments: [sweepID, taskID, after, sweepID, taskID])
        case let .epoch(sweepID, taskID, epoch, metrics):
            try db.cachedStatement(sql: """
                INSERT INTO epochs (sweep_id, task_id, epoch, metrics)
                SELECT sweep_id, task_id, ?, ? FROM tasks WHERE sweep_id = ? AND task_id = ? AND \(unfinished)
                ON CONFLICT (sweep_id, task_id, epoch) DO UPDATE SET metrics = excluded.metrics
                """).execute(arguments: [epoch, metrics, sweepID, taskID])
        case let .finished(sweepID, taskID, status, metrics, error, wallSeconds, worker, at):
            try db.cachedStatement(sql: """
                UPDATE tasks SET status = ?, metrics = ?, error = ?, wall_seconds = ?, worker = ?, finished_at = ?
                WHERE sweep_id = ? AND task_id = ? AND \(unfinished)
                """).execute(arguments: [status.rawValue, metrics, error, wallSeconds, worker, at, sweepID, taskID])
        case let .insights(sweepID, taskID, data):
            try db.cachedStatement(sql: """
                INSERT INTO insights (sweep_id, task_id, data)
                SELECT sweep_id, task_id, ? FROM tasks WHERE sweep_id = ? AND task_id = ?
                ON CONFLICT (sweep_id, task_id) DO NOTHING
                """).execute(arguments: [data, sweepID, taskID])
        case let .weightsNotSaved(sweepID, taskID, error):
            try db.cachedStatement(sql: """
                INSERT INTO unsaved_weights (sweep_id, task_id, error)
                SELECT sweep_id, task_id, ? FROM tasks WHERE sweep_id = ? AND task_id = ?
                ON CONFLICT (sweep_id, task_id) DO NOTHING
                """).execute(arguments: [error, sweepID, taskID])
        case let .requeued(sweepID, taskID, attempts, error):
            try db.cachedStatement(sql: """
                UPDATE tasks SET status = 'pending', attempts = ?, error = COALESCE(?, error)
                WHERE sweep_id = ? AND task_id = ? AND status = 'running'
                """).execute(arguments: [attempts, error, sweepID, taskID])
        case let .added(sweepID, tasks):
            return try insert(tasks, sweepID: sweepID, skippingStored: false, db) > 0
        case let .stopDecision(sweepID, seq, record):
            try db.cachedStatement(sql: """
                INSERT INTO stop_decisions (sweep_id, seq, record) VALUES (?, ?, ?)
                ON CONFLICT (sweep_id, seq) DO NOTHING
                """).execute(arguments: [sweepID, seq, record])
        case let .workerJoined(sweepID, worker, host, pid, slots, at):
            try db.cachedStatement(sql: """
                INSERT INTO workers (sweep_id, worker, host, pid, slots, connected_at, last_seen, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'connected')
                ON CONFLICT (sweep_id, worker) DO UPDATE SET host = excluded.host, pid = excluded.pid,
                    slots = excluded.slots, last_seen = excluded.last_seen, state = 'connected'
                """).execute(arguments: [sweepID, worker, host, pid, slots, at, at])
        case let .workerSeen(sweepID, worker, at):
            try db.cachedStatement(sql: """
                UPDATE workers SET last_seen = max(last_seen, ?) WHERE sweep_id = ? AND worker = ?
                """).execute(arguments: [at, sweepID, worker])
        case let .workerLeft(sweepID, worker, state, lost, at):
            try db.cachedStatement(sql: """
                UPDATE workers SET state = ?, tasks_lost = tasks_lost + ?, last_seen = max(last_seen, ?)
                WHERE sweep_id = ? AND worker = ?
                """).execute(arguments: [state.rawValue, lost, at, sweepID, worker])
        case .intervalHandedOut, .populationMember, .lineage:
            return try applyPopulation(update, db)
        }
        return db.changesCount > 0
    }

    /// A number that changes whenever another connection commits to the file (SQLite's
    /// `PRAGMA data_version`): a reader polls it to learn that there is something new.
    public func dataVersion() throws -> Int {
        try run { try db.read { db in try Int.fetchOne(db, sql: "PRAGMA data_version") ?? 0 } }
    }

    /// The workers the sweep has seen, the connected first, then by when they connected.
    public func workers(sweepID: Int64) throws -> [WorkerRecord] {
        try run {
            try db.read { db in
                guard try db.tableExists("workers") else { return [] }   // a store from before, opened read-only
                return try Row.fetchAll(db, sql: """
                    SELECT w.worker, w.host, w.pid, w.slots, w.connected_at, w.last_seen, w.state, w.tasks_lost,
                        (SELECT count(*) FROM tasks t WHERE t.sweep_id = w.sweep_id AND t.worker = w.worker
                            AND t.status IN ('completed', 'failed', 'diverged', 'stopped')),
                        (SELECT count(*) FROM tasks t WHERE t.sweep_id = w.sweep_id AND t.worker = w.worker
                            AND t.status = 'running')
                    FROM workers w WHERE w.sweep_id = ?
                    ORDER BY w.state != 'connected', w.connected_at, w.worker
                    """, arguments: [sweepID]).map { row in
                    WorkerRecord(worker: row[0], host: row[1], pid: row[2], slots: row[3], connectedAt: row[4],
                                 lastSeen: row[5], state: WorkerState(rawValue: row[6]) ?? .lost,
                                 done: row[8], running: row[9], lost: row[7])
                }
            }
        }
    }

    public func close() throws {
        try run { try db.close() }
    }

    // MARK: errors

    /// Runs `body`, turning any database error into a one-line `StoreError` naming the file.
    func run<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw Self.storeError(error, path: path) }
    }

    /// Whether a failed write may succeed later as it is (see `StoreError.condition`). GRDB
    /// rolls the transaction back on any error, including a failed COMMIT.
    private static func condition(of error: DatabaseError) -> StoreError.Condition? {
        switch error.resultCode {
        case .SQLITE_FULL: .diskFull
        case .SQLITE_IOERR, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_READONLY, .SQLITE_CANTOPEN: .unavailable
        default: nil
        }
    }

    private static func storeError(_ error: any Error, path: String) -> StoreError {
        switch error {
        case let error as StoreError: return error
        case let error as UnknownStatus: return StoreError("\(path): unknown task status '\(error.text)'")
        case let error as DatabaseError:
            let text = error.message ?? "SQLite error \(error.resultCode.rawValue)"
            return StoreError("\(path): \(text)", condition: condition(of: error))
        default:
            let line = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            return StoreError("\(path): \(line)")
        }
    }
}
