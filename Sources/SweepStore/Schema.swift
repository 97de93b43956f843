import GRDB

/// The versioned schema. Each migration runs once per file and is recorded in
/// the file (table `grdb_migrations`); never edit a shipped migration, add one.
enum Schema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE sweeps (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    spec TEXT NOT NULL,
                    metric TEXT NOT NULL,
                    maximize INTEGER NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE tasks (
                    sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
                    task_id TEXT NOT NULL,
                    idx INTEGER NOT NULL,
                    params TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'running', 'completed', 'failed', 'diverged', 'stopped')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    worker TEXT,
                    started_at REAL,
                    finished_at REAL,
                    error TEXT,
                    metrics TEXT,
                    wall_seconds REAL,
                    PRIMARY KEY (sweep_id, task_id)
                );
                CREATE INDEX tasks_by_status ON tasks (sweep_id, status);
                CREATE INDEX tasks_by_index ON tasks (sweep_id, idx);
                CREATE TABLE epochs (
                    sweep_id INTEGER NOT NULL,
                    task_id TEXT NOT NULL,
                    epoch INTEGER NOT NULL,
                    metrics TEXT NOT NULL,
                    PRIMARY KEY (sweep_id, task_id, epoch),
                    FOREIGN KEY (sweep_id, task_id) REFERENCES tasks (sweep_id, task_id) ON DELETE CASCADE
                );
                """)
        }
        // early_terminate: every decision of the rule, so a restarted coordinator replays
        // them and decides as before (issue 8)
        migrator.registerMigration("stop-decisions") { db in
            try db.execute(sql: """
                CREATE TABLE stop_decisions (
                    sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,
                    record TEXT NOT NULL,
                    PRIMARY KEY (sweep_id, seq)
                );
                """)
        }
        // What a run records besides its metrics (step losses, activation statistics,
        // filters; see RunInsights), one JSON object per finished task, for `sweep report`.
        // A table of its own keeps the rows that leaderboards scan small.
        migrator.registerMigration("insights") { db in
            try db.execute(sql: """
                CREATE TABLE insights (
                    sweep_id INTEGER NOT NULL,
                    task_id TEXT NOT NULL,
                    data TEXT NOT NULL,
                    PRIMARY KEY (sweep_id, task_id),
                    FOREIGN KEY (sweep_id, task_id) REFERENCES tasks (sweep_id, task_id) ON DELETE CASCADE
                );
                """)
        }
        // A task whose trained weights the coordinator could not write (directory gone, disk
        // full): its result is kept, and `sweep status` says which file is missing and why.
        // A table of its own, as insights: files from before still read, tasks rows stay as they were.
        migrator.registerMigration("unsaved-weights") { db in
            try db.execute(sql: """
                CREATE TABLE unsaved_weights (
                    sweep_id INTEGER NOT NULL,
                    task_id TEXT NOT NULL,
                    error TEXT NOT NULL,
                    PRIMARY KEY (sweep_id, task_id),
                    FOREIGN KEY (sweep_id, task_id) REFERENCES tasks (sweep_id, task_id) ON DELETE CASCADE
                );
                """)
        }
        // The workers a sweep has seen, for `sweep status` and the live page: one row per
        // worker process (its name as tasks.worker holds it), its state and when it was
        // last heard from (stored every few seconds, not on every heartbeat), and the tasks
        // it held when it was lost. The tasks it finished and runs now are counted from
        // tasks, so a result costs no second write.
        migrator.registerMigration("workers") { db in
            try db.execute(sql: """
                CREATE TABLE workers (
                    sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
                    worker TEXT NOT NULL,
                    host TEXT NOT NULL,
                    pid INTEGER NOT NULL,
                    slots INTEGER NOT NULL,
                    connected_at REAL NOT NULL,
                    last_seen REAL NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('connected', 'left', 'lost')),
                    tasks_lost INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (sweep_id, worker)
                );
                CREATE INDEX tasks_by_worker ON tasks (sweep_id, worker, status);
                """)
        }
        // Method pbt (docs/spec.md § Population-based training): every exploit of the
        // sweep in order (a LineageEntry as JSON), which a restarted coordinator replays,
        // and each member's last checkpointed epoch, its score there and the configuration
        // it trains on with. The checkpoints themselves are files next to the store
        // (`<db dir>/weights/<sweep>/checkpoints/<task id>/epoch-<n>.safetensors`): they
        // hold a network and its optimizer state, megabytes each, which a table would copy
        // into every backup and vacuum. tasks.params stays the initial configuration.
        migrator.registerMigration("pbt") { db in
            try db.execute(sql: """
                CREATE TABLE pbt_lineage (
                    sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,
                    entry TEXT NOT NULL,
                    PRIMARY KEY (sweep_id, seq)
                );
                CREATE TABLE pbt_members (
                    sweep_id INTEGER NOT NULL,
                    task_id TEXT NOT NULL,
                    epoch INTEGER NOT NULL,
                    score REAL,
                    config TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    PRIMARY KEY (sweep_id, task_id),
                    FOREIGN KEY (sweep_id, task_id) REFERENCES tasks (sweep_id, task_id) ON DELETE CASCADE
                );
                """)
        }
        return migrator
    }()
}
