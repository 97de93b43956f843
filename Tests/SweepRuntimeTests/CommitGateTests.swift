import Testing
import SweepProtocol
import SweepStore
@testable import SweepCoordinator

/// The coordinator's promises wait for the store: a round whose commit fails on a full
/// disk is held with everything after it, in order, retried once a second, and let out
/// whole when a commit succeeds; one line when holding starts, one when it ends.
@Suite struct CommitGateTests {
    /// A store that fails while `full`, recording what it committed.
    final class FakeStore {
        var full = false
        var committed: [[StoreUpdate]] = []
        var attempts = 0
        func apply(_ updates: [StoreUpdate]) throws {
            attempts += 1
            if full { throw StoreError("/s/sweep.db: database or disk is full", condition: .diskFull) }
            committed.append(updates)
        }
    }

    static let peer: PeerID = [1]
    static func result(_ id: String) -> [StoreUpdate] {
        [.finished(sweepID: 1, taskID: id, status: .completed, metrics: "{}", error: nil, wallSeconds: 1, worker: "w@h", at: 0)]
    }
    static func ack(_ id: String) -> Effect { .send(peer, .ack(taskID: id)) }

    static func describe(_ effects: [Effect]) -> [String] {
        effects.map { e in
            switch e {
            case .send(_, .ack(let id)): "ack \(id)"
            case .send(_, let m): m.kind
            case .log(let line): "log \(line)"
            case .finished(let id, _, _, _): "finished \(id)"
            case .store, .weights, .checkpoint, .checkpointsRemoved: "?"
            }
        }
    }

    @Test func aFullDiskHoldsEveryPromiseInOrderUntilACommitSucceeds() throws {
        let store = FakeStore()
        var gate = CommitGate(path: "/s/sweep.db")
        var out = try gate.commit(Self.result("a"), then: [Self.ack("a"), .log("fine")], now: 0, store: store.apply)
        #expect(Self.describe(out) == ["ack a", "log fine"])

        store.full = true
        out = try gate.commit(Self.result("b"), then: [Self.ack("b"), .finished(taskID: "b", status: .completed, metrics: "{}", value: nil)],
                              now: 1, store: store.apply)
        #expect(gate.isHolding)
        #expect(Self.describe(out) == ["log store: disk full (/s/sweep.db): holding 1 result(s) unacknowledged; retrying every 1 s"])
        // later rounds queue behind it; logs still go out; no retry before a second has passed
        out = try gate.commit(Self.result("c"), then: [Self.ack("c"), .log("c came"), .send(Self.peer, .done)], now: 1.5, store: store.apply)
        #expect(Self.describe(out) == ["log c came"])
        out = try gate.commit([], then: [], now: 1.9, store: store.apply)
        #expect(out.isEmpty && store.attempts == 2)
        out = try gate.commit([], then: [], now: 2.0, store: store.apply)
        #expect(out.isEmpty && store.attempts == 3 && gate.heldResults == 2)

        store.full = false
        out = try gate.commit([], then: [], now: 2.5, store: store.apply)
        #expect(out.isEmpty && store.attempts == 3, "the next try is a second after the last")
        out = try gate.commit(Self.result("d"), then: [Self.ack("d")], now: 3.0, store: store.apply)
        #expect(!gate.isHolding)
        #expect(Self.describe(out) == ["log store: committing again after 2 s (/s/sweep.db): 3 update(s) stored, 3 result(s) acknowledged",
                                       "ack b", "finished b", "ack c", "done", "ack d"])
        // one transaction with the held rounds' updates in their order
        #expect(store.committed.count == 2)
        let ids = store.committed[1].map { u -> String in
            if case .finished(_, let id, _, _, _, _, _, _) = u { return id }
            return "?"
        }
        #expect(ids == ["b", "c", "d"])

        out = try gate.commit(Self.result("e"), then: [Self.ack("e")], now: 3.1, store: store.apply)
        #expect(Self.describe(out) == ["ack e"])
    }

    @Test func anErrorThatIsNoPassingConditionStaysFatal() {
        var gate = CommitGate(path: "/s/sweep.db")
        #expect(throws: StoreError.self) {
            _ = try gate.commit(Self.result("a"), then: [Self.ack("a")], now: 0) { _ in throw StoreError("/s/sweep.db: constraint failed") }
        }
        #expect(!gate.isHolding)
    }

    @Test func theCoreHandsOutNothingWhileTheStoreCannotCommit() {
        let core = WeightsTransferTests.makeCore(tasks: 3)
        let peer: PeerID = [7]
        _ = core.receive(from: peer, message: .hello(Hello(workerID: "w", host: "h", pid: 1, cores: 1, slots: 2, reportsStarts: true)), now: 0)
        core.handsOutTasks = false
        var effects = core.receive(from: peer, message: .ready(credit: 2), now: 0.1) + core.tick(now: 0.2)
        #expect(!effects.contains { if case .send(_, .task) = $0 { true } else { false } })
        core.handsOutTasks = true
        effects = core.tick(now: 1.5)
        let tasks = effects.filter { if case .send(_, .task) = $0 { true } else { false } }
        #expect(tasks.count == 2, "the credit waited: \(effects)")
    }
}
