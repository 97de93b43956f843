import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A coordinator SIGKILLed and started again with the same command while a worker
/// trains a multi-epoch task (real `sweep` processes over TCP, as in ChaosTests).
/// The epochs the worker reported while the coordinator was down went nowhere; the
/// worker keeps every running task's progress and resends it after its hello, so the
/// store ends with each epoch of the task exactly once.
@Suite(.serialized) struct CoordinatorRestartTests {
    static let epochs = 12
    static let epochMs = 300
    static let spec = """
        name: restart-epochs
        method: grid
        metric: {name: test_accuracy, goal: maximize}
        parameters:
          model: {value: noop}
          epochs: {value: \(epochs)}
          duration_ms: {value: \(epochs * epochMs)}
          seed: {value: 1}
        """

    @Test func epochsReportedWhileTheCoordinatorWasDownAreStoredOnce() throws {
        let dir = makeTemporaryDirectory("sweep-restart")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let specPath = dir + "/spec.yaml"
        try Self.spec.write(toFile: specPath, atomically: true, encoding: .utf8)
        let db = dir + "/sweep.db"
        let processes = TestProcesses()
        defer { processes.endAll() }
        let (endpoint, first) = try ChaosTests.startCoordinator(specPath, db, logs: dir, processes)
        let worker = try processes.logged(["worker", "--connect", endpoint, "--concurrency", "1", "--exit-when-done",
                                           "--prefetch", "0"] + ChaosTests.heartbeat, logPrefix: dir + "/worker")

        // kill it once three epochs are stored, and keep it down until the worker has noticed the
        // silence (0.6 s, two epochs) and reconnects: what it sent until then is lost
        #expect(waitUntil(timeout: 20) { Self.storedEpochs(db).count >= 3 }, "worker: \(ChaosTests.tail(worker.stderr))")
        first.signal(SIGKILL)
        _ = first.wait(timeout: 5)
        let before = Self.storedEpochs(db)
        #expect(before.count >= 3 && before.count < Self.epochs, "epochs stored before the kill: \(before)")
        #expect(worker.waitForLine(containing: "coordinator silent", timeout: 10) != nil,
                "the worker never noticed the coordinator was gone: \(ChaosTests.tail(worker.stderr))")
        let second = try ChaosTests.restartCoordinator(ChaosTests.coordinatorArguments(specPath, db, endpoint), logs: dir, processes)

        let c = second.wait(timeout: 30)
        #expect(c.status == 0, "restarted coordinator: \(ChaosTests.tail(c.stderr))")
        let w = worker.wait(timeout: 10)
        #expect(w.status == 0, "worker: \(ChaosTests.tail(w.stderr))")
        let rows = try storeRows(db, "select task_id, epoch from epochs order by task_id, epoch")
        #expect(Set(rows.map { $0[0] }).count == 1, "one task")
        #expect(rows.map { Int($0[1]) ?? -1 } == Array(1...Self.epochs), "stored epochs: \(rows.map { $0[1] })")
        // reclaimed by its worker: one attempt, completed at the last epoch
        let task = try storeRows(db, "select status, attempts, json_extract(metrics, '$.epoch') from tasks")
        #expect(task == [["completed", "1", "\(Self.epochs)"]])
        print("restart: \(before.count) of \(Self.epochs) epoch(s) stored before the kill, \(rows.count) after the restart")
    }

    /// The epochs the store holds now; none while the file or its tables do not exist yet.
    static func storedEpochs(_ db: String) -> [Int] {
        storeRowsIfAny(db, "select epoch from epochs order by epoch").compactMap { $0.first.flatMap { Int($0) } }
    }
}
