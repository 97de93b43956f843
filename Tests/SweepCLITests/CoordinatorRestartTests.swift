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
        var processes: [LoggedProcess] = []
        defer {
            for p in processes where p.isRunning {
                p.signal(SIGKILL)
                _ = p.wait(timeout: 5)
            }
        }
        let (port, first) = try ChaosTests.startCoordinatorOnFreePort(specPath, db, logs: dir)
        processes.append(first)
        let endpoint = "tcp://127.0.0.1:\(port)"
        let worker = try LoggedProcess(["worker", "--connect", endpoint, "--concurrency", "1", "--exit-when-done",
                                        "--prefetch", "0"] + ChaosTests.heartbeat, logPrefix: dir + "/worker")
        processes.append(worker)

        // kill it once three epochs are stored, and keep it down for about four more: the worker
        // notices the silence after 0.6 s and reconnects, and what it sent until then is lost
        let deadline = Date().addingTimeInterval(20)
        while Self.storedEpochs(db).count < 3 && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        first.signal(SIGKILL)
        _ = first.wait(timeout: 5)
        let before = Self.storedEpochs(db)
        #expect(before.count >= 3 && before.count < Self.epochs, "epochs stored before the kill: \(before)")
        Thread.sleep(forTimeInterval: 1.2)
        let second = try ChaosTests.restartCoordinator(ChaosTests.coordinatorArguments(specPath, db, endpoint), port: port, logs: dir)
        processes.append(second)

        let c = second.wait(timeout: 30)
        #expect(c.status == 0, "restarted coordinator: \(ChaosTests.tail(c.stderr))")
        let w = worker.wait(timeout: 10)
        #expect(w.status == 0, "worker: \(ChaosTests.tail(w.stderr))")
        let rows = try ChaosTests.sqlite(db, "select task_id, epoch from epochs order by task_id, epoch")
        #expect(Set(rows.map { $0[0] }).count == 1, "one task")
        #expect(rows.map { Int($0[1]) ?? -1 } == Array(1...Self.epochs), "stored epochs: \(rows.map { $0[1] })")
        // reclaimed by its worker: one attempt, completed at the last epoch
        let task = try ChaosTests.sqlite(db, "select status, attempts, json_extract(metrics, '$.epoch') from tasks")
        #expect(task == [["completed", "1", "\(Self.epochs)"]])
        print("restart: \(before.count) of \(Self.epochs) epoch(s) stored before the kill, \(rows.count) after the restart")
    }

    /// The epochs the store holds now; none while the file or its tables do not exist yet.
    static func storedEpochs(_ db: String) -> [Int] {
        guard FileManager.default.fileExists(atPath: db),
              let rows = try? ChaosTests.sqlite(db, "select epoch from epochs order by epoch") else { return [] }
        return rows.compactMap { $0.first.flatMap { Int($0) } }
    }
}
