import Testing
import SweepConfig
import SweepProtocol
import SweepStore
@testable import SweepCoordinator

/// A worker whose death is seen (`sweep run` watching its local workers) loses its tasks
/// at once, not after the heartbeat timeout; a task that fails for good names the hosts
/// of every failed run.
@Suite struct WorkerDeathTests {
    static let a: PeerID = [1], b: PeerID = [2]

    func hello(_ id: String, host: String, pid: Int) -> Message {
        .hello(Hello(workerID: id, host: host, pid: pid, cores: 1, slots: 1, reportsStarts: true))
    }

    func stored(_ s: StoredCore) throws -> [String: (TaskStatus, Int, String?)] {
        Dictionary(uniqueKeysWithValues: try s.store.tasks(sweepID: s.sweep.id).map { ($0.taskID, ($0.status, $0.attempts, $0.error)) })
    }

    @Test func aDeadWorkersTaskGoesBackToPendingAtOnceAndToTheOtherWorker() throws {
        let s = try StoredCore("sweep-death-now", tasks: 2, maxAttempts: 3)
        defer { s.remove() }
        try s.commit(s.core.receive(from: Self.a, message: hello("wa", host: "h", pid: 41), now: 0))
        try s.commit(s.core.receive(from: Self.b, message: hello("wb", host: "h", pid: 42), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .ready(credit: 1), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .started(taskID: "t0", attempt: 1), now: 0.1))

        // another host's process with the same pid is not this one
        let (none, _) = s.core.workerDied(pid: 41, host: "elsewhere", reason: "died (signal 9)", now: 0.2)
        #expect(none.isEmpty)

        let (tasks, effects) = s.core.workerDied(pid: 41, host: "h", reason: "died (signal 9)", now: 0.2)
        #expect(tasks.map(\.id) == ["t0"])
        #expect(tasks.map(\.pending) == [true])
        try s.commit(effects)
        #expect(try stored(s)["t0"]!.0 == .pending)
        #expect(try stored(s)["t0"]!.1 == 1, "the run that began counts")
        #expect(s.core.workerCount == 1)
        // well before the heartbeat timeout, the other worker gets it
        let handed = s.core.receive(from: Self.b, message: .ready(credit: 1), now: 0.3).compactMap { e -> String? in
            if case .send(let p, .task(let t)) = e, p == Self.b { t.taskID } else { nil }
        }
        #expect(handed == ["t0"])
    }

    @Test func aTaskThatFailsForGoodNamesTheHostsOfItsFailedRuns() throws {
        let s = try StoredCore("sweep-death-hosts", tasks: 1, maxAttempts: 2)
        defer { s.remove() }
        try s.commit(s.core.receive(from: Self.a, message: hello("wa", host: "alpha", pid: 1), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .ready(credit: 1), now: 0))
        try s.commit(s.core.receive(from: Self.a, message: .started(taskID: "t0", attempt: 1), now: 0))
        let crash = "the slot process died (signal 11, SIGSEGV) on host alpha"
        try s.commit(s.core.receive(from: Self.a, message: .result(Outcome(taskID: "t0", attempt: 1, status: "failed",
                                                                           metrics: .object([]), error: crash, wallSeconds: 1)), now: 1))
        #expect(try stored(s)["t0"]!.0 == .pending)

        try s.commit(s.core.receive(from: Self.b, message: hello("wb", host: "beta", pid: 2), now: 1))
        try s.commit(s.core.receive(from: Self.b, message: .ready(credit: 1), now: 1))
        try s.commit(s.core.receive(from: Self.b, message: .started(taskID: "t0", attempt: 2), now: 1))
        // the second run's worker dies with it
        let (_, effects) = s.core.workerDied(pid: 2, host: "beta", reason: "died (signal 9)", now: 2)
        try s.commit(effects)
        let (status, attempts, error) = try stored(s)["t0"]!
        #expect(status == .failed)
        #expect(attempts == 2)
        #expect(error == "failed on 2 attempt(s) (hosts: alpha, beta): worker wb@beta died (signal 9)")
    }
}
