import Foundation
import Testing
import SweepConfig
import SweepProtocol
import SweepSpec
import SweepStore
import TestSupport
@testable import SweepCoordinator

/// Method pbt in the coordinator's state machine, over a real store: intervals handed out,
/// their results and checkpoints, and what late or duplicate answers of an interval do.
@Suite struct PopulationCoreTests {
    static let yaml = """
        name: s
        method: pbt
        seed: 1
        metric: {name: test_accuracy, goal: maximize}
        pbt: {population: 2, interval: 1, quantile: 0.25}
        parameters:
          model: {value: noop}
          epochs: {value: 3}
          optimizer: {value: adam}
          learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1}
        """

    /// A pbt core over a store in a fresh directory; every round's updates are committed
    /// as the coordinator's loop commits them, and its checkpoints kept as its disk would.
    final class Harness {
        let dir: String
        let db: String
        let store: Store
        let core: CoordinatorCore
        /// The members' task ids, in index order.
        let members: [String]
        /// The checkpoint files as the coordinator's disk would hold them ("<task id>@<epoch>"):
        /// written before a round's commit, removed after it.
        var onDisk: Set<String> = []

        init(_ yaml: String = PopulationCoreTests.yaml, saveWeights: Bool = false) throws {
            dir = makeTemporaryDirectory("sweep-pbt-core")
            db = dir + "/sweep.db"
            store = try Store(path: db)
            let spec = try SweepSpec.parse(yaml, path: "test.yaml")
            let tasks = try spec.expand()
            members = tasks.map(\.id)
            let sweep = try store.openSweep(name: "s", spec: yaml, metric: "test_accuracy", maximize: true,
                                            tasks: tasks.map { NewTask(id: $0.id, index: $0.index, params: $0.params.encoded) })
            core = CoordinatorCore(sweep: sweep, tasks: try store.tasks(sweepID: sweep.id),
                                   settings: .init(heartbeatInterval: 1, liveness: 3, saveWeights: saveWeights),
                                   population: PopulationRestore(spec: spec))
        }

        deinit { try? FileManager.default.removeItem(atPath: dir) }

        /// One message in; its round committed.
        @discardableResult
        func send(_ peer: PeerID, _ m: Message, now: Double) throws -> [Effect] {
            try commit(core.receive(from: peer, message: m, now: now))
        }

        @discardableResult
        func tick(now: Double) throws -> [Effect] { try commit(core.tick(now: now)) }

        private func commit(_ effects: [Effect]) throws -> [Effect] {
            try store.apply(Round(effects).updates)
            for case .checkpoint(let id, let epoch, _) in effects { onDisk.insert("\(id)@\(epoch)") }
            for case .checkpointsRemoved(let id, let epochs) in effects { onDisk.subtract(epochs.map { "\(id)@\($0)" }) }
            return effects
        }

        func hello(_ peer: PeerID, _ worker: String, holding: [String] = [], now: Double) throws {
            try send(peer, .hello(Hello(workerID: worker, host: "h", pid: 1, cores: 1, slots: 1, holding: holding,
                                        reportsStarts: true)), now: now)
        }

        /// The epochs of an interval's run, one message each (started, progress), as a slot reports them.
        func train(_ peer: PeerID, _ a: Assignment, score: Double, now: Double) throws {
            try send(peer, .started(taskID: a.taskID, attempt: a.attempt), now: now)
            for epoch in a.interval!.from + 1...a.interval!.to {
                try send(peer, .progress(TaskProgress(taskID: a.taskID, attempt: a.attempt, epoch: epoch,
                                                      metrics: Self.metrics(epoch: epoch, score: score))), now: now)
            }
        }

        /// The end of an interval's run: its checkpoint in one weights message, then the result.
        @discardableResult
        func finish(_ peer: PeerID, _ a: Assignment, score: Double, status: String = "completed", now: Double) throws -> [Effect] {
            let checkpoint = Array("checkpoint of \(a.taskID) after epoch \(a.interval!.to)".utf8)
            var digest: WeightsDigest?
            if status == "completed" {
                try send(peer, .weights(WeightsChunk(taskID: a.taskID, attempt: a.attempt, offset: 0, total: checkpoint.count,
                                                     bytes: checkpoint)), now: now)
                digest = WeightsDigest(of: checkpoint)
            }
            return try send(peer, .result(Outcome(taskID: a.taskID, attempt: a.attempt, status: status,
                                                  metrics: Self.metrics(epoch: a.interval!.to, score: score), error: nil,
                                                  wallSeconds: 1, weights: digest)), now: now)
        }

        static func metrics(epoch: Int, score: Double) -> JSON {
            .object([("epoch", .int(epoch)), ("test_accuracy", .double(score))])
        }

        func rows(_ sql: String) throws -> [[String]] { try storeRows(db, sql) }

        func epochs(_ taskID: String) throws -> [Int] {
            try rows("select epoch from epochs where task_id = '\(taskID)' order by epoch").map { Int($0[0])! }
        }

        func status(_ taskID: String) throws -> String {
            try rows("select status from tasks where task_id = '\(taskID)'")[0][0]
        }
    }

    static let a: PeerID = [1], b: PeerID = [2]

    static func assignments(_ effects: [Effect], to peer: PeerID) -> [Assignment] {
        effects.compactMap { if case .send(peer, .task(let t)) = $0 { t } else { nil } }
    }

    static func cancels(_ effects: [Effect], to peer: PeerID) -> [String] {
        effects.compactMap { if case .send(peer, .cancel(let id)) = $0 { id } else { nil } }
    }

    static func acks(_ effects: [Effect], to peer: PeerID) -> [String] {
        effects.compactMap { if case .send(peer, .ack(let id)) = $0 { id } else { nil } }
    }

    /// Worker a goes silent mid-interval, its interval goes to b, then a comes back with the
    /// interval's result: that result is the interval's (epochs included), b is cancelled, and
    /// b's answer to the cancel (`stopped`, its `started` still on the way when a's result came)
    /// is a copy of an interval already stored: it neither ends the member nor clears its
    /// epochs. Once in the last interval too (the member's result, not an interval's). The
    /// restarted coordinator of PopulationRunTests met this when a worker reconnected late.
    @Test func aLateResultOfALostWorkerSettlesTheIntervalAndTheCancelledRunEndsNothing() throws {
        let h = try Harness()
        let (x, y) = (h.members[0], h.members[1])
        try h.hello(Self.a, "wa", now: 0)
        try h.hello(Self.b, "wb", now: 0)
        var toA = Self.assignments(try h.send(Self.a, .ready(credit: 1), now: 0), to: Self.a)
        var toB = Self.assignments(try h.send(Self.b, .ready(credit: 1), now: 0), to: Self.b)
        #expect(toA.map(\.taskID) == [x] && toB.map(\.taskID) == [y])
        // the first interval, on both
        try h.train(Self.a, toA[0], score: 0.5, now: 0.5)
        try h.finish(Self.a, toA[0], score: 0.5, now: 0.5)
        try h.train(Self.b, toB[0], score: 0.6, now: 0.6)
        try h.finish(Self.b, toB[0], score: 0.6, now: 0.6)
        var now = 0.7
        for round in 1...2 {
            toA = Self.assignments(try h.send(Self.a, .ready(credit: 1), now: now), to: Self.a)
            toB = Self.assignments(try h.send(Self.b, .ready(credit: 1), now: now), to: Self.b)
            let ax = try #require(toA.first { $0.taskID == x } ?? toB.first { $0.taskID == x })
            let ay = try #require(toA.first { $0.taskID == y } ?? toB.first { $0.taskID == y })
            #expect(ax.interval?.from == round && ay.interval?.from == round)
            let (xOn, yOn): (PeerID, PeerID) = toA.contains { $0.taskID == x } ? (Self.a, Self.b) : (Self.b, Self.a)
            // x's worker trains its epoch and goes silent; y's finishes its interval and stays
            try h.train(xOn, ax, score: 0.5, now: now + 0.1)
            try h.train(yOn, ay, score: 0.6, now: now + 0.2)
            try h.finish(yOn, ay, score: 0.6, now: now + 0.2)
            try h.send(yOn, .ready(credit: 1), now: now + 0.3)
            try h.send(yOn, .heartbeat, now: now + 3)
            // x's worker is lost: x goes to y's worker, which has not said it began it yet
            let again = Self.assignments(try h.tick(now: now + 3.2), to: yOn)
            #expect(again.map(\.taskID) == [x] && again.first?.interval?.from == round)
            #expect(again.first.map { $0.attempt > ax.attempt } == true)
            // x's worker comes back with its result (and the epochs it resends ahead of it)
            try h.hello(xOn, xOn == Self.a ? "wa" : "wb", holding: [x], now: now + 3.3)
            try h.train(xOn, ax, score: 0.5, now: now + 3.3)
            let late = try h.finish(xOn, ax, score: 0.5, now: now + 3.3)
            #expect(Self.cancels(late, to: yOn) == [x])
            #expect(Self.acks(late, to: xOn) == [x])
            // the cancelled run answers: it began, then stopped
            try h.send(yOn, .started(taskID: x, attempt: again[0].attempt), now: now + 3.4)
            let answer = try h.finish(yOn, again[0], score: 0.1, status: "stopped", now: now + 3.4)
            #expect(Self.acks(answer, to: yOn) == [x])
            #expect(try h.status(x) != "stopped", "round \(round): the cancelled run's answer ended the member")
            #expect(try h.epochs(x) == Array(1...round + 1), "round \(round): x's epochs")
            #expect(try h.epochs(y) == Array(1...round + 1), "round \(round): y's epochs")
            now += 4
        }
        #expect(try h.rows("select status, count(*) from tasks group by status") == [["completed", "2"]])
        #expect(h.core.isFinished)
    }

    /// Checkpoints go once no member can need them: a member's older ones once its next is
    /// stored, but not one another member's pending interval starts from (an exploit's
    /// source), and a member's last once it ended. `--save-weights` keeps them all.
    @Test func checkpointsNoMemberNeedsAreRemoved() throws {
        for saveWeights in [false, true] {
            let h = try Harness(saveWeights: saveWeights)
            let (x, y) = (h.members[0], h.members[1])
            func expectOnDisk(_ names: [String], _ when: String) {
                let expected = Set(names.map { $0.replacingOccurrences(of: "x", with: x).replacingOccurrences(of: "y", with: y) })
                if saveWeights {
                    #expect(h.onDisk.isSuperset(of: expected), "\(when), with --save-weights: \(h.onDisk.sorted())")
                } else {
                    #expect(h.onDisk == expected, "\(when): \(h.onDisk.sorted())")
                }
            }
            try h.hello(Self.a, "wa", now: 0)
            try h.hello(Self.b, "wb", now: 0)
            var now = 0.0
            // x scores below y at every boundary, so x copies y there
            for interval in 0..<3 {
                now += 1
                let toA = Self.assignments(try h.send(Self.a, .ready(credit: 1), now: now), to: Self.a)
                let toB = Self.assignments(try h.send(Self.b, .ready(credit: 1), now: now), to: Self.b)
                let ax = try #require((toA + toB).first { $0.taskID == x }), ay = try #require((toA + toB).first { $0.taskID == y })
                let (xOn, yOn): (PeerID, PeerID) = toA.contains { $0.taskID == x } ? (Self.a, Self.b) : (Self.b, Self.a)
                #expect(ax.interval?.from == interval)
                // y ends its interval first: x's interval still starts from y's checkpoint before
                try h.train(yOn, ay, score: 0.6, now: now)
                try h.finish(yOn, ay, score: 0.6, now: now)
                switch interval {
                case 0: expectOnDisk(["y@1"], "y after epoch 1")
                case 1: expectOnDisk(["x@1", "y@1", "y@2"], "y after epoch 2, x still training from y's epoch 1")
                default: expectOnDisk(["x@2", "y@2"], "y ended, x still training from y's epoch 2")
                }
                try h.train(xOn, ax, score: 0.5, now: now)
                try h.finish(xOn, ax, score: 0.5, now: now)
                switch interval {
                case 0: expectOnDisk(["x@1", "y@1"], "both after epoch 1 (x copies y)")
                case 1: expectOnDisk(["x@2", "y@2"], "both after epoch 2 (x copies y)")
                default: expectOnDisk([], "both ended")
                }
            }
            #expect(h.core.isFinished)
            #expect(try h.rows("select count(*) from pbt_lineage") == [["2"]], "x copies y at both boundaries")
            if saveWeights { #expect(h.onDisk.count == 4, "every checkpoint kept: \(h.onDisk.sorted())") }
        }
    }
}
