import Foundation
import SweepConfig
@testable import SweepStore
import Testing

@Suite struct StoreTests {
    @Test func openSweepCreatesPendingTasksInIndexOrder() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/sweep.db")
            let tasks = [NewTask(id: "b", index: 1, params: params([("seed", "2")])),
                         NewTask(id: "a", index: 0, params: params([("seed", "1")]))]
            let sweep = try store.openSweep(name: "s", spec: "name: s\n", metric: "test_accuracy", maximize: true, tasks: tasks)
            #expect(sweep.name == "s" && sweep.spec == "name: s\n" && sweep.metric == "test_accuracy" && sweep.maximize)
            let stored = try store.tasks(sweepID: sweep.id)
            #expect(stored.map(\.taskID) == ["a", "b"])
            #expect(stored.allSatisfy { $0.status == .pending && $0.attempts == 0 && $0.metrics == nil && $0.worker == nil })
            #expect(stored[1].params == tasks[0].params)
            #expect(try store.sweep(named: "s") == sweep)
            #expect(try store.sweep(named: "other") == nil)
            #expect(try store.sweeps() == [sweep])
            #expect(try store.counts(sweepID: sweep.id) == [.pending: 2, .running: 0, .completed: 0, .failed: 0, .diverged: 0, .stopped: 0])
        }
    }

    @Test func reopeningASweepResumesWithoutDuplicatesAndResetsRunningTasks() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/sweep.db")
            let first = try store.openSweep(name: "s", spec: "v1", metric: "test_accuracy", maximize: true, tasks: newTasks(3))
            try store.apply([
                .handedOut(sweepID: first.id, taskID: "t0", worker: "w1", at: 10), .attemptStarted(sweepID: first.id, taskID: "t0", attempts: 1),
                .finished(sweepID: first.id, taskID: "t0", status: .completed, metrics: metrics(testAccuracy: 0.9, testLoss: 0.3),
                          error: nil, wallSeconds: 2, worker: "w1", at: 12),
                .handedOut(sweepID: first.id, taskID: "t1", worker: "w2", at: 11), .attemptStarted(sweepID: first.id, taskID: "t1", attempts: 2),
            ])
            let again = try store.openSweep(name: "s", spec: "v2", metric: "test_loss", maximize: false, tasks: newTasks(4))
            #expect(again.id == first.id && again.createdAt == first.createdAt)
            #expect(again.spec == "v2" && again.metric == "test_loss" && !again.maximize)
            #expect(try store.sweeps().count == 1)
            let tasks = try store.tasks(sweepID: first.id)
            #expect(tasks.map(\.taskID) == ["t0", "t1", "t2", "t3"])
            #expect(tasks.map(\.status) == [.completed, .pending, .pending, .pending])
            // the last holder is kept: only it may claim the task back after the restart
            #expect(tasks[1].attempts == 2 && tasks[1].worker != nil)
            #expect(tasks[0].metrics == metrics(testAccuracy: 0.9, testLoss: 0.3))
        }
    }

    @Test func commitsAreSynchronousFullUnlessAskedOtherwise() throws {
        try withTemporaryDirectory { dir in
            let full = try Store(path: dir + "/full.db")
            let normal = try Store(path: dir + "/normal.db", durability: .normal)
            let value = try full.writerSynchronous()
            #expect(value == 2, "synchronous = \(value)")
            #expect(try normal.writerSynchronous() == 1)
        }
    }

    @Test func eachUpdateKindTakesEffect() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/sweep.db")
            let s = try store.openSweep(name: "s", spec: "", metric: "test_accuracy", maximize: true, tasks: newTasks(2)).id

            #expect(try store.apply([.handedOut(sweepID: s, taskID: "t0", worker: "host:1", at: 100), .attemptStarted(sweepID: s, taskID: "t0", attempts: 1)]) == [true, true])
            var t0 = try store.tasks(sweepID: s)[0]
            #expect(t0.status == .running && t0.attempts == 1 && t0.worker == "host:1" && t0.startedAt == 100)

            #expect(try store.apply([
                .epoch(sweepID: s, taskID: "t0", epoch: 2, metrics: #"{"epoch":2}"#),
                .epoch(sweepID: s, taskID: "t0", epoch: 1, metrics: #"{"epoch":1,"old":true}"#),
                .epoch(sweepID: s, taskID: "t0", epoch: 1, metrics: #"{"epoch":1}"#),
            ]) == [true, true, true])
            #expect(try store.epochs(sweepID: s, taskID: "t0") == [#"{"epoch":1}"#, #"{"epoch":2}"#])

            let m = metrics(testAccuracy: 0.8, testLoss: 0.4)
            #expect(try store.apply([.finished(sweepID: s, taskID: "t0", status: .completed, metrics: m, error: nil,
                                               wallSeconds: 3.5, worker: "host:1", at: 104)]) == [true])
            t0 = try store.tasks(sweepID: s)[0]
            #expect(t0.status == .completed && t0.metrics == m && t0.wallSeconds == 3.5 && t0.finishedAt == 104 && t0.error == nil)

            #expect(try store.apply([.handedOut(sweepID: s, taskID: "t1", worker: "w", at: 1), .attemptStarted(sweepID: s, taskID: "t1", attempts: 1),
                                     .requeued(sweepID: s, taskID: "t1", attempts: 1, error: "worker w silent for 3 s")]) == [true, true, true])
            let t1 = try store.tasks(sweepID: s)[1]
            #expect(t1.status == .pending && t1.attempts == 1 && t1.worker == "w" && t1.error == "worker w silent for 3 s")
            #expect(try store.apply([.resumed(sweepID: s, taskID: "t1", worker: "w2")]) == [true])
            let resumed = try store.tasks(sweepID: s)[1]
            #expect(resumed.status == .running && resumed.worker == "w2" && resumed.attempts == 1)
            #expect(try store.counts(sweepID: s)[.completed] == 1)
        }
    }

    @Test func aSecondResultForTheSameTaskIsIgnored() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/sweep.db")
            let s = try store.openSweep(name: "s", spec: "", metric: "test_accuracy", maximize: true, tasks: newTasks(2)).id
            func result(_ task: String, _ accuracy: Double, _ worker: String) -> StoreUpdate {
                .finished(sweepID: s, taskID: task, status: .completed, metrics: metrics(testAccuracy: accuracy, testLoss: 1),
                          error: nil, wallSeconds: 1, worker: worker, at: 1)
            }
            #expect(try store.apply([result("t0", 0.5, "a")]) == [true])
            #expect(try store.apply([result("t0", 0.9, "b")]) == [false])
            #expect(try store.apply([result("t1", 0.6, "a"), result("t1", 0.7, "b")]) == [true, false])
            let failed = StoreUpdate.finished(sweepID: s, taskID: "t0", status: .failed, metrics: "{}", error: "late",
                                              wallSeconds: 1, worker: "c", at: 2)
            #expect(try store.apply([failed]) == [false])
            // Nothing aimed at a finished task changes it.
            #expect(try store.apply([.handedOut(sweepID: s, taskID: "t0", worker: "c", at: 3), .attemptStarted(sweepID: s, taskID: "t0", attempts: 2),
                                     .epoch(sweepID: s, taskID: "t0", epoch: 1, metrics: "{}"),
                                     .requeued(sweepID: s, taskID: "t0", attempts: 2, error: "late")]) == [false, false, false, false])
            #expect(try store.apply([result("nope", 0.1, "a")]) == [false])
            let tasks = try store.tasks(sweepID: s)
            #expect(tasks[0].metrics == metrics(testAccuracy: 0.5, testLoss: 1) && tasks[0].worker == "a" && tasks[0].attempts == 0)
            #expect(tasks[1].metrics == metrics(testAccuracy: 0.6, testLoss: 1) && tasks[1].worker == "a")
            #expect(try store.epochs(sweepID: s, taskID: "t0").isEmpty)
        }
    }

    /// A hand-out leaves attempts alone (the task may only wait in a worker's queue);
    /// they count when the worker begins it, and a requeue stores them as the coordinator
    /// counts them, lower again when a bye handed a begun task back.
    @Test func attemptsCountWhenBegunAndARequeueStoresTheCount() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/sweep.db")
            let s = try store.openSweep(name: "s", spec: "", metric: "test_accuracy", maximize: true, tasks: newTasks(1)).id
            try store.apply([.handedOut(sweepID: s, taskID: "t0", worker: "a", at: 1)])
            #expect(try store.tasks(sweepID: s)[0].status == .running && store.tasks(sweepID: s)[0].attempts == 0)
            try store.apply([.attemptStarted(sweepID: s, taskID: "t0", attempts: 1)])
            #expect(try store.tasks(sweepID: s)[0].attempts == 1)
            try store.apply([.requeued(sweepID: s, taskID: "t0", attempts: 0, error: nil)])
            let t = try store.tasks(sweepID: s)[0]
            #expect(t.status == .pending && t.attempts == 0 && t.worker == "a")
        }
    }

    @Test func aRequeuedTaskFinishesOnItsNextAttempt() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/sweep.db")
            let s = try store.openSweep(name: "s", spec: "", metric: "test_accuracy", maximize: true, tasks: newTasks(1)).id
            try store.apply([.handedOut(sweepID: s, taskID: "t0", worker: "a", at: 1), .attemptStarted(sweepID: s, taskID: "t0", attempts: 1),
                             .epoch(sweepID: s, taskID: "t0", epoch: 1, metrics: #"{"from":"a"}"#)])
            #expect(try store.apply([.requeued(sweepID: s, taskID: "t0", attempts: 1, error: nil)]) == [true])
            #expect(try store.apply([.requeued(sweepID: s, taskID: "t0", attempts: 1, error: nil)]) == [false])  // already pending
            try store.apply([.handedOut(sweepID: s, taskID: "t0", worker: "b", at: 5), .attemptStarted(sweepID: s, taskID: "t0", attempts: 2)])
            #expect(try store.epochs(sweepID: s, taskID: "t0").isEmpty)  // a new attempt starts from scratch
            #expect(try store.apply([.finished(sweepID: s, taskID: "t0", status: .failed, metrics: "{}", error: "out of memory",
                                               wallSeconds: 1, worker: "b", at: 6)]) == [true])
            let t = try store.tasks(sweepID: s)[0]
            #expect(t.status == .failed && t.attempts == 2 && t.worker == "b" && t.error == "out of memory")
        }
    }

    @Test func finishingWithAnUnfinishedStatusIsRefused() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/sweep.db")
            let s = try store.openSweep(name: "s", spec: "", metric: "m", maximize: true, tasks: newTasks(1)).id
            #expect(throws: StoreError.self) {
                try store.apply([.finished(sweepID: s, taskID: "t0", status: .running, metrics: "{}", error: nil,
                                           wallSeconds: 0, worker: "w", at: 0)])
            }
            #expect(try store.tasks(sweepID: s)[0].status == .pending)
        }
    }

    @Test func reopeningTheFileShowsEverythingCommitted() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/sweep.db"
            var store: Store? = try Store(path: path)
            let s = try store!.openSweep(name: "s", spec: "spec", metric: "test_accuracy", maximize: true, tasks: newTasks(3)).id
            try store!.apply([.handedOut(sweepID: s, taskID: "t2", worker: "w", at: 1), .attemptStarted(sweepID: s, taskID: "t2", attempts: 1),
                              .epoch(sweepID: s, taskID: "t2", epoch: 1, metrics: "{}"),
                              .finished(sweepID: s, taskID: "t2", status: .diverged, metrics: metrics(testAccuracy: 0.1, testLoss: .nan),
                                        error: nil, wallSeconds: 1, worker: "w", at: 2)])
            let before = try store!.tasks(sweepID: s)
            try store!.close()
            store = nil

            let reopened = try Store(path: path)
            #expect(try reopened.schemaVersions() == ["v1", "stop-decisions", "insights", "unsaved-weights", "workers", "pbt"])
            #expect(try reopened.tasks(sweepID: s) == before)
            #expect(try reopened.epochs(sweepID: s, taskID: "t2") == ["{}"])
            let readOnly = try Store(path: path, readOnly: true)
            #expect(try readOnly.tasks(sweepID: s) == before)
            #expect(try readOnly.schemaVersions() == ["v1", "stop-decisions", "insights", "unsaved-weights", "workers", "pbt"])
        }
    }

    /// A task whose weights could not be written is marked once, in the transaction of its
    /// result; marks of unknown tasks are ignored; a read-only store sees them.
    @Test func unsavedWeightsAreMarkedOnce() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/sweep.db")
            let s = try store.openSweep(name: "s", spec: "", metric: "test_accuracy", maximize: true, tasks: newTasks(2)).id
            let took = try store.apply([
                .finished(sweepID: s, taskID: "t0", status: .completed, metrics: metrics(testAccuracy: 0.5, testLoss: 1),
                          error: nil, wallSeconds: 1, worker: "w", at: 2),
                .weightsNotSaved(sweepID: s, taskID: "t0", error: "/w/s/t0.safetensors.partial: No space left on device"),
                .weightsNotSaved(sweepID: s, taskID: "t0", error: "a second one"),
                .weightsNotSaved(sweepID: s, taskID: "nope", error: "unknown task"),
            ])
            #expect(took == [true, true, false, false])
            let marks = ["t0": "/w/s/t0.safetensors.partial: No space left on device"]
            #expect(try store.unsavedWeights(sweepID: s) == marks)
            #expect(try Store(path: dir + "/sweep.db", readOnly: true).unsavedWeights(sweepID: s) == marks)
        }
    }

    @Test func aReadOnlyStoreSeesCommitsAndCannotWrite() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/sweep.db"
            let writer = try Store(path: path)
            let s = try writer.openSweep(name: "s", spec: "", metric: "m", maximize: true, tasks: newTasks(2)).id
            let reader = try Store(path: path, readOnly: true)
            try writer.apply([.handedOut(sweepID: s, taskID: "t0", worker: "w", at: 1), .attemptStarted(sweepID: s, taskID: "t0", attempts: 1)])
            #expect(try reader.counts(sweepID: s)[.running] == 1)
            #expect(throws: StoreError.self) { try reader.apply([.requeued(sweepID: s, taskID: "t0", attempts: 1, error: nil)]) }
            #expect(try writer.counts(sweepID: s)[.running] == 1)
        }
    }

    @Test func aFileThatIsNotADatabaseGivesAStoreErrorNamingIt() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/notes.db"
            try String(repeating: "not a database at all\n", count: 100).write(toFile: path, atomically: true, encoding: .utf8)
            for readOnly in [false, true] {
                let error = #expect(throws: StoreError.self) { try Store(path: path, readOnly: readOnly) }
                #expect(error?.message.hasPrefix(path + ": ") == true, "\(error?.message ?? "")")
                #expect(error?.message.contains("\n") == false)
            }
        }
    }

    @Test func aMissingFileIsNotCreatedByAReadOnlyStore() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/missing.db"
            let error = #expect(throws: StoreError.self) { try Store(path: path, readOnly: true) }
            #expect(error?.message == "\(path): no such file")
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func anEmptySQLiteFileIsNotASweepDatabase() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/empty.db"
            _ = FileManager.default.createFile(atPath: path, contents: Data())
            let error = #expect(throws: StoreError.self) { try Store(path: path, readOnly: true) }
            #expect(error?.message == "\(path): not a sweep database")
        }
    }

    @Test func selectingASweepPrefersTheNamedThenTheLatest() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/sweep.db")
            #expect(throws: StoreError.self) { try store.selectSweep(named: nil) }
            let a = try store.openSweep(name: "a", spec: "", metric: "m", maximize: true, tasks: [])
            #expect(try store.selectSweep(named: nil).sweep == a)
            #expect(try store.selectSweep(named: nil).note == nil)
            let b = try store.openSweep(name: "b", spec: "", metric: "m", maximize: true, tasks: [])
            let latest = try store.selectSweep(named: nil)
            #expect(latest.sweep == b && latest.note?.contains("'b'") == true)
            #expect(try store.selectSweep(named: "a").sweep == a)
            let error = #expect(throws: StoreError.self) { try store.selectSweep(named: "c") }
            #expect(error?.message == "\(dir)/sweep.db: no sweep named 'c' (sweeps: a, b)")
        }
    }

    /// A pbt member's parameters as the readers show them: its current configuration (set at
    /// its last step) once it has one, in every query that reads tasks; the stored params stay
    /// the initial ones, which a restarted coordinator replays the lineage from.
    @Test func aPopulationMembersParamsAreItsCurrentConfiguration() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/sweep.db")
            let sweep = try store.openSweep(name: "s", spec: "", metric: "test_accuracy", maximize: true, tasks: newTasks(2))
            let initial = try store.tasks(sweepID: sweep.id).map(\.params)
            let explored = params([("learning_rate", "0.012")])
            try store.apply([.populationMember(sweepID: sweep.id, taskID: "t0", epoch: 2, score: 0.5, config: explored, attempts: 1),
                             .finished(sweepID: sweep.id, taskID: "t0", status: .completed, metrics: metrics(testAccuracy: 0.9, testLoss: 0.3),
                                       error: nil, wallSeconds: 2, worker: "w", at: 3)])
            #expect(try store.tasks(sweepID: sweep.id).map(\.params) == [explored, initial[1]])
            #expect(try store.tasks(sweepID: sweep.id, initialParams: true).map(\.params) == initial)
            #expect(try store.task(sweepID: sweep.id, taskID: "t0")?.params == explored)
            #expect(try store.leading(sweepID: sweep.id, metric: "test_accuracy", maximize: true, limit: 2).map(\.params)
                    == [explored, initial[1]])
            #expect(try store.tasks(sweepID: sweep.id, status: .completed).map(\.params) == [explored])
        }
    }
}
