import Foundation
import Testing
import SweepConfig
import SweepProtocol
import SweepSearch
import SweepSpec
import SweepStore
@testable import SweepCoordinator

/// The coordinator core with a spec's search (issue 8): early-stopping decisions
/// cancel tasks, are stored, and replay after a restart; a bayes spec's tasks are
/// proposed as credit arrives, stored before they are handed out, up to run_cap.
@Suite struct SearchCoreTests {
    /// The sweep as the store records it: with the spec's metric and goal.
    static func sweep(_ spec: SweepSpec) -> SweepRecord {
        SweepRecord(id: 1, name: "s", spec: "", metric: spec.metric.name, maximize: spec.metric.maximize, createdAt: 0)
    }

    static func spec(_ yaml: String) throws -> SweepSpec { try SweepSpec.parse(yaml, path: "test.yaml") }

    func hello(_ id: String, slots: Int) -> Message {
        .hello(Hello(workerID: id, host: "h", pid: 1, cores: 1, slots: slots))
    }

    func progress(_ id: String, epoch: Int, accuracy: Double) -> Message {
        .progress(TaskProgress(taskID: id, attempt: 1, epoch: epoch,
                               metrics: .object([("epoch", .int(epoch)), ("test_accuracy", .double(accuracy))])))
    }

    func tasksSent(_ effects: [Effect]) -> [String] {
        effects.compactMap { if case .send(_, .task(let t)) = $0 { t.taskID } else { nil } }
    }

    func cancels(_ effects: [Effect]) -> [String] {
        effects.compactMap { if case .send(_, .cancel(let id)) = $0 { id } else { nil } }
    }

    func decisions(_ effects: [Effect]) -> [String] {
        effects.compactMap { if case .store(.stopDecision(_, _, let r)) = $0 { r } else { nil } }
    }

    static let hyperband = """
        name: s
        method: grid
        metric: {name: test_accuracy, goal: maximize}
        parameters:
          model: {value: noop}
          epochs: {value: 9}
          seed: {values: [1, 2, 3, 4]}
        early_terminate: {type: hyperband, min_iter: 1, eta: 2}
        """

    /// ASHA at rung epoch 1 with eta 2: a task goes on while fewer than n/2 of the n
    /// values there beat it. t0 0.5 (alone: on), t1 0.9 (best: on), t2 0.1 (two of three
    /// beat it: stopped), t3 0.7 (one of four beats it: 1·2 < 4, on).
    @Test func hyperbandCancelsTasksThatFallBehindAndReplaysItsDecisions() throws {
        let spec = try Self.spec(Self.hyperband)
        let records = try spec.expand().map { TaskRecord(sweepID: 1, taskID: $0.id, index: $0.index, params: $0.params.encoded) }
        let core = CoordinatorCore(sweep: Self.sweep(spec), tasks: records, settings: .init(), search: try Search(spec: spec))
        let a: PeerID = [1]
        _ = core.receive(from: a, message: hello("w", slots: 4), now: 0)
        let ids = tasksSent(core.receive(from: a, message: .ready(credit: 4), now: 0))
        #expect(ids.count == 4)
        var stored: [String] = []
        var cancelled: [String] = []
        for (id, accuracy) in zip(ids, [0.5, 0.9, 0.1, 0.7]) {
            let e = core.receive(from: a, message: progress(id, epoch: 1, accuracy: accuracy), now: 1)
            stored += decisions(e)
            cancelled += cancels(e)
        }
        #expect(cancelled == [ids[2]])
        #expect(stored.count == 4)

        // the stopped task reports `stopped`: it ends so, and its slot takes nothing new (none left)
        let end = core.receive(from: a, message: .result(Outcome(taskID: ids[2], attempt: 1, status: "stopped",
            metrics: .object([("epoch", .int(1)), ("test_accuracy", .double(0.1))]), error: nil, wallSeconds: 1)), now: 2)
        #expect(end.contains { if case .store(.finished(_, ids[2], .stopped, _, _, _, _, _)) = $0 { true } else { false } })

        // a restarted coordinator replays the stored decisions: t2 rerun is stopped again at once,
        // and a late report of t1 at the same rung is not judged twice
        let again = CoordinatorCore(sweep: Self.sweep(spec), tasks: records, settings: .init(), search: try Search(spec: spec),
                                    stopDecisions: stored)
        _ = again.receive(from: a, message: hello("w2", slots: 4), now: 10)
        let rerun = tasksSent(again.receive(from: a, message: .ready(credit: 4), now: 10))
        #expect(Set(rerun) == Set(ids))
        #expect(cancels(again.receive(from: a, message: progress(ids[2], epoch: 1, accuracy: 0.95), now: 11)) == [ids[2]])
        let t1 = again.receive(from: a, message: progress(ids[1], epoch: 1, accuracy: 0.0), now: 11)
        #expect(cancels(t1).isEmpty && decisions(t1).isEmpty)
    }

    /// Epochs resent after a reconnect or a coordinator restart: the rule answers each with
    /// the decision it made and adds no record; the stop is not logged again, but the stopped
    /// task is told to stop again (the first cancel may be what was lost); a task that went
    /// on is left alone, and its next new epoch is judged as usual.
    @Test func resentEpochsAreJudgedOnce() throws {
        let spec = try Self.spec(Self.hyperband)
        let records = try spec.expand().map { TaskRecord(sweepID: 1, taskID: $0.id, index: $0.index, params: $0.params.encoded) }
        let core = CoordinatorCore(sweep: Self.sweep(spec), tasks: records, settings: .init(), search: try Search(spec: spec))
        let a: PeerID = [1], b: PeerID = [2]
        _ = core.receive(from: a, message: hello("w", slots: 4), now: 0)
        let ids = tasksSent(core.receive(from: a, message: .ready(credit: 4), now: 0))
        var stored: [String] = []
        for (id, accuracy) in zip(ids, [0.5, 0.9, 0.1, 0.7]) {
            stored += decisions(core.receive(from: a, message: progress(id, epoch: 1, accuracy: accuracy), now: 1))
        }
        #expect(stored.count == 4)

        func resend(_ core: CoordinatorCore, from peer: PeerID, now: Double) {
            for (id, accuracy) in zip(ids, [0.5, 0.9, 0.1, 0.7]) {
                let e = core.receive(from: peer, message: progress(id, epoch: 1, accuracy: accuracy), now: now)
                #expect(decisions(e).isEmpty)
                #expect(cancels(e) == (id == ids[2] ? [id] : []))
                #expect(!e.contains { if case .log(let l) = $0 { l.contains("falls behind") } else { false } })
                #expect(e.filter { if case .store(.epoch) = $0 { true } else { false } }.count == 1)
            }
        }
        // the same connection, then the same worker on a new one
        resend(core, from: a, now: 2)
        _ = core.receive(from: b, message: .hello(Hello(workerID: "w", host: "h", pid: 1, cores: 1, slots: 4, holding: ids)), now: 3)
        resend(core, from: b, now: 3)

        // a restarted coordinator: the decisions replayed, the tasks reclaimed by their worker
        let held = records.map { r in
            var r = r
            r.status = .running
            r.attempts = 1
            r.worker = "w@h"
            return r
        }
        let again = CoordinatorCore(sweep: Self.sweep(spec), tasks: held, settings: .init(), search: try Search(spec: spec),
                                    stopDecisions: stored)
        _ = again.receive(from: a, message: .hello(Hello(workerID: "w", host: "h", pid: 1, cores: 1, slots: 4, holding: ids)), now: 10)
        #expect(again.running == 4)
        resend(again, from: a, now: 11)
        let next = again.receive(from: a, message: progress(ids[0], epoch: 2, accuracy: 0.6), now: 12)
        #expect(decisions(next).count == 1 && cancels(next).isEmpty)
    }

    @Test func aMetricMissingFromProgressIsNotJudged() throws {
        let spec = try Self.spec(Self.hyperband.replacingOccurrences(of: "test_accuracy", with: "val_accuracy"))
        let records = try spec.expand().map { TaskRecord(sweepID: 1, taskID: $0.id, index: $0.index, params: $0.params.encoded) }
        let core = CoordinatorCore(sweep: Self.sweep(spec), tasks: records, settings: .init(), search: try Search(spec: spec))
        let a: PeerID = [1]
        _ = core.receive(from: a, message: hello("w", slots: 4), now: 0)
        let ids = tasksSent(core.receive(from: a, message: .ready(credit: 4), now: 0))
        for id in ids {
            let e = core.receive(from: a, message: progress(id, epoch: 1, accuracy: 0.1), now: 1)
            #expect(decisions(e).isEmpty && cancels(e).isEmpty)
        }
    }

    static let bayes = """
        name: s
        method: bayes
        run_cap: 14
        metric: {name: test_accuracy, goal: maximize}
        parameters:
          model: {value: noop}
          learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1}
          optimizer: {values: [sgd, adam]}
        """

    /// Tasks are proposed one per credit, each stored (added) before it is handed out,
    /// and the sweep ends after run_cap results; a restarted core proposes the same
    /// next task from the same stored history.
    @Test func bayesProposesTasksAsCreditArrivesUpToRunCap() throws {
        let spec = try Self.spec(Self.bayes)
        let core = CoordinatorCore(sweep: Self.sweep(spec), tasks: [], settings: .init(), search: try Search(spec: spec))
        #expect(core.total == 14 && !core.isFinished)
        let a: PeerID = [1]
        _ = core.receive(from: a, message: hello("w", slots: 2), now: 0)
        var effects = core.receive(from: a, message: .ready(credit: 2), now: 0)
        var stored: [TaskRecord] = []
        var results = 0
        var sent = tasksSent(effects)
        #expect(sent.count == 2, "\(effects)")
        while !core.isFinished {
            for e in effects {
                if case .store(.added(_, let new)) = e {
                    stored += new.map { TaskRecord(sweepID: 1, taskID: $0.id, index: $0.index, params: $0.params) }
                }
            }
            let started = effects.firstIndex { if case .store(.handedOut) = $0 { true } else { false } }
            let added = effects.firstIndex { if case .store(.added) = $0 { true } else { false } }
            if let started, let added { #expect(added < started) }
            guard let id = sent.first else { Issue.record("no task in flight"); return }
            let lr = try #require(stored.first { $0.taskID == id }.flatMap { try? JSON.parse($0.params)["learning_rate"]?.doubleValue })
            results += 1
            effects = core.receive(from: a, message: .result(Outcome(taskID: id, attempt: 1, status: "completed",
                metrics: .object([("test_accuracy", .double(1 - abs(log10(lr) + 2.5)))]), error: nil, wallSeconds: 0)), now: Double(results))
            effects += core.receive(from: a, message: .ready(credit: 1), now: Double(results))
            sent = Array(sent.dropFirst()) + tasksSent(effects)
        }
        #expect(results == 14)
        #expect(Set(stored.map(\.taskID)).count == 14)
        #expect(effects.contains { if case .send(_, .done) = $0 { true } else { false } })

        // the same history, restored with the last task pending, gives the same next proposal
        var history = stored
        for i in history.indices.dropLast() { history[i].status = .completed }
        let first = CoordinatorCore(sweep: Self.sweep(spec), tasks: Array(history.prefix(12)), settings: .init(), search: try Search(spec: spec))
        let second = CoordinatorCore(sweep: Self.sweep(spec), tasks: Array(history.prefix(12)), settings: .init(), search: try Search(spec: spec))
        _ = first.receive(from: a, message: hello("w", slots: 1), now: 0)
        _ = second.receive(from: a, message: hello("w", slots: 1), now: 0)
        #expect(tasksSent(first.receive(from: a, message: .ready(credit: 1), now: 0)) ==
                tasksSent(second.receive(from: a, message: .ready(credit: 1), now: 0)))
    }
}
