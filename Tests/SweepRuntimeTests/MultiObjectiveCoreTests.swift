import Foundation
import Testing
import SweepConfig
import SweepProtocol
import SweepSearch
import SweepSpec
import SweepStore
import TestSupport
@testable import SweepCoordinator

/// Issue 18 in the coordinator: a sweep of several metrics hands every metric's value to
/// its sampler (multi-objective TPE), with each result and when a restarted coordinator
/// replays the store; early stopping still judges the first metric; a warm start reads
/// another store's finished tasks into TPE.
@Suite struct MultiObjectiveCoreTests {
    static let twoMetrics = """
        name: s
        method: bayes
        run_cap: 6
        metric: [{name: test_accuracy, goal: maximize}, {name: wall_seconds, goal: minimize}]
        parameters:
          model: {value: noop}
          learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1}
        """

    static func metrics(_ accuracy: Double, _ seconds: Double?) -> JSON {
        .object([("epoch", .int(1)), ("test_accuracy", .double(accuracy))] + (seconds.map { [("wall_seconds", .double($0))] } ?? []))
    }

    func tasksSent(_ effects: [Effect]) -> [String] {
        effects.compactMap { if case .send(_, .task(let t)) = $0 { t.taskID } else { nil } }
    }

    @Test func everyMetricReachesTheSamplerWithResultsAndOnRestart() throws {
        let spec = try SearchCoreTests.spec(Self.twoMetrics)
        let core = CoordinatorCore(sweep: SearchCoreTests.sweep(spec), tasks: [], settings: .init(), search: try Search(spec: spec))
        let a: PeerID = [1]
        _ = core.receive(from: a, message: .hello(Hello(workerID: "w", host: "h", pid: 1, cores: 1, slots: 3)), now: 0)
        var effects = core.receive(from: a, message: .ready(credit: 3), now: 0)
        let ids = tasksSent(effects)
        #expect(ids.count == 3)
        let outcomes: [(status: String, metrics: JSON)] = [
            ("completed", Self.metrics(0.8, 2.5)), ("stopped", Self.metrics(0.6, 1.0)), ("completed", Self.metrics(0.9, nil)),
        ]
        for (id, o) in zip(ids, outcomes) {
            effects += core.receive(from: a, message: .result(Outcome(taskID: id, attempt: 1, status: o.status, metrics: o.metrics,
                                                                       error: nil, wallSeconds: 1)), now: 1)
        }
        let history = try #require(core.search.sampler).history
        #expect(history.values.prefix(3).map { $0.map { $0.isNaN ? -1 : $0 } } == [[0.8, 2.5], [0.6, 1.0], [0.9, -1]],
                "each metric's value, NaN where absent")
        #expect(history.outcomes.prefix(3) == [.completed(0.8), .stopped(epoch: 1, value: 0.6), .completed(0.9)])

        // the store as the round left it: a restarted core replays the values too
        var records: [TaskRecord] = []
        for e in effects {
            if case .store(.added(_, let new)) = e {
                records += new.map { TaskRecord(sweepID: 1, taskID: $0.id, index: $0.index, params: $0.params) }
            }
            if case .store(.finished(_, let id, let status, let metrics, _, _, _, _)) = e, let i = records.firstIndex(where: { $0.taskID == id }) {
                records[i].status = status
                records[i].metrics = metrics
            }
        }
        let again = CoordinatorCore(sweep: SearchCoreTests.sweep(spec), tasks: records, settings: .init(), search: try Search(spec: spec))
        let replayed = try #require(again.search.sampler).history
        #expect(replayed.values.count == history.values.count)
        #expect(zip(replayed.values, history.values).allSatisfy { $0.elementsEqual($1) { $0 == $1 || ($0.isNaN && $1.isNaN) } })
        #expect(replayed.outcomes == history.outcomes)
    }

    /// ASHA with two metrics judges the first: the progress reports' wall_seconds play no part.
    @Test func earlyStoppingJudgesTheFirstMetric() throws {
        let spec = try SearchCoreTests.spec(SearchCoreTests.hyperband.replacingOccurrences(
            of: "metric: {name: test_accuracy, goal: maximize}",
            with: "metric: [{name: test_accuracy, goal: maximize}, {name: wall_seconds, goal: minimize}]"))
        #expect(spec.isMultiObjective)
        let records = try spec.expand().map { TaskRecord(sweepID: 1, taskID: $0.id, index: $0.index, params: $0.params.encoded) }
        let core = CoordinatorCore(sweep: SearchCoreTests.sweep(spec), tasks: records, settings: .init(), search: try Search(spec: spec))
        let a: PeerID = [1]
        _ = core.receive(from: a, message: .hello(Hello(workerID: "w", host: "h", pid: 1, cores: 1, slots: 4)), now: 0)
        let ids = tasksSent(core.receive(from: a, message: .ready(credit: 4), now: 0))
        var cancelled: [String] = []
        // as in SearchCoreTests: t2 (0.1) falls behind, though it is by far the fastest
        for (id, (accuracy, seconds)) in zip(ids, [(0.5, 9.0), (0.9, 9.0), (0.1, 0.1), (0.7, 9.0)]) {
            let e = core.receive(from: a, message: .progress(TaskProgress(taskID: id, attempt: 1, epoch: 1,
                metrics: .object([("epoch", .int(1)), ("test_accuracy", .double(accuracy)), ("wall_seconds", .double(seconds))]))), now: 1)
            cancelled += e.compactMap { if case .send(_, .cancel(let id)) = $0 { id } else { nil } }
        }
        #expect(cancelled == [ids[2]])
    }

    // MARK: warm start

    /// A store holding one sweep: tasks of these learning rates and statuses, task i with
    /// test_accuracy 0.5 + i/4 and wall_seconds 1 when it finished.
    static func store(_ dir: String, name: String = "old", learningRates: [(Double, TaskStatus)]) throws -> String {
        let path = dir + "/\(name).db"
        let store = try Store(path: path)
        let tasks = try learningRates.enumerated().map { i, lr in
            let config = try TrainConfig(pairs: [("model", "noop"), ("learning_rate", "\(lr.0)")])
            return NewTask(id: SweepTask.id(of: config), index: i, params: config.canonical.encoded)
        }
        let sweep = try store.openSweep(name: name, spec: "", metric: "test_accuracy", maximize: true, tasks: tasks)
        for (i, (task, lr)) in zip(tasks, learningRates).enumerated() where lr.1.isFinished {
            try store.apply([.handedOut(sweepID: sweep.id, taskID: task.id, worker: "w@h", at: 0),
                             .finished(sweepID: sweep.id, taskID: task.id, status: lr.1, metrics: Self.metrics(0.5 + Double(i) / 4, 1).encoded,
                                       error: nil, wallSeconds: 1, worker: "w@h", at: 1)])
        }
        try store.close()
        return path
    }

    @Test func aWarmStartSeedsTPEWithTheFinishedTasksThatFit() throws {
        let dir = makeTemporaryDirectory("sweep-warm")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // in range, in range and stopped, out of range (0.5), failed, still pending
        let path = try Self.store(dir, learningRates: [(0.01, .completed), (0.02, .stopped), (0.5, .completed), (0.03, .failed), (0.04, .pending)])
        var search = try Search(spec: try SearchCoreTests.spec(Self.twoMetrics))
        let seeded = try WarmStart.seed(&search, from: path)
        #expect((seeded.sweeps, seeded.finished, seeded.used) == (1, 3, 2))
        #expect(seeded.summary == "warm start: 2 of the 3 finished task(s) of \(path) fit this spec and seed its search"
                + " (the others vary a parameter outside this spec's values, or lack one)")
        let tpe = try #require(search.sampler as? TPESampler)
        #expect(tpe.warmStartTasks.outcomes == [.completed(0.5), .stopped(epoch: 1, value: 0.75)])
        #expect(tpe.warmStartTasks.values == [[0.5, 1], [0.75, 1]])
        #expect(tpe.history.count == 0, "no task of this sweep")

        // the sweep being run, in the same store, is skipped; a store of it alone has nothing to give
        var again = try Search(spec: try SearchCoreTests.spec(Self.twoMetrics))
        #expect(throws: WarmStart.Failure.self) { try WarmStart.seed(&again, from: path, skipping: "old") }
        do { _ = try WarmStart.seed(&again, from: path, skipping: "old") } catch {
            #expect(error.description == "--warm-start: \(path) holds no sweep but 'old', the one being run")
        }
        // missing, not a database, a store without a sweep
        #expect(throws: WarmStart.Failure.self) { try WarmStart.seed(&again, from: dir + "/missing.db") }
        try "junk".write(toFile: dir + "/junk.db", atomically: true, encoding: .utf8)
        #expect(throws: WarmStart.Failure.self) { try WarmStart.seed(&again, from: dir + "/junk.db") }
        try Store(path: dir + "/empty.db").close()
        do { _ = try WarmStart.seed(&again, from: dir + "/empty.db"); Issue.record("an empty store seeds nothing") } catch {
            #expect(error.description == "--warm-start: \(dir)/empty.db holds no sweep")
        }
        #expect((again.sampler as? TPESampler)?.warmStartTasks.count == 0)
    }
}
