import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The store on a full disk, end to end: a real coordinator keeps its store on a small
/// tmpfs, and a ballast file fills that tmpfs mid-sweep. The coordinator says so in one
/// line, stores and acknowledges nothing more and hands out no task while it cannot
/// commit; the workers keep their results. Once the ballast is gone, it commits what it
/// held and the sweep finishes: every task completed once, none run twice.
/// Needs root (mount); skipped with a message otherwise.
@Suite(.serialized) struct FullDiskTests {
    static let taskCount = 80
    static let spec = """
        name: full-disk
        method: grid
        metric: {name: test_accuracy, goal: maximize}
        parameters:
          model: {value: noop}
          duration_ms: {value: 150}
          seed: {values: [\((1...taskCount).map(String.init).joined(separator: ", "))]}
        """

    /// Why a tmpfs cannot be mounted here, or nil when it can (tried once).
    static let probe: String? = {
        let dir = makeTemporaryDirectory("sweep-tmpfs-probe")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        if let error = mountTmpfs(at: dir, megabytes: 1) { return error }
        unmount(dir)
        return nil
    }()

    /// nil on success, else mount's complaint.
    static func mountTmpfs(at dir: String, megabytes: Int) -> String? {
        guard getuid() == 0 else { return "not root" }
        guard let r = try? runQuickCommand("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", dir]) else {
            return "/bin/mount did not run"
        }
        return r.status == 0 ? nil : r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func unmount(_ dir: String) {
        if (try? runQuickCommand("/bin/umount", [dir]))?.status != 0 { _ = try? runQuickCommand("/bin/umount", ["-l", dir]) }
    }

    /// Writes zeros to `path` until the file system refuses (ENOSPC); returns the bytes written.
    static func fill(_ path: String) -> Int {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var total = 0
        for chunk in [1 << 16, 1 << 12, 1 << 9] {
            let zeros = [UInt8](repeating: 0, count: chunk)
            while true {
                let n = zeros.withUnsafeBytes { write(fd, $0.baseAddress!, chunk) }
                if n <= 0 { break }
                total += n
            }
        }
        return total
    }

    static func completed(_ db: String) -> Int {
        Int(storeRowsIfAny(db, "select count(*) from tasks where status = 'completed'").first?.first ?? "") ?? -1
    }

    @Test(.enabled(if: probe == nil, "cannot mount a tmpfs here (\(probe ?? "")): run the tests as root where mount is permitted"),
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "/usr/bin/sqlite3 is not installed"))
    func theCoordinatorHoldsItsAcknowledgementsOnAFullDiskAndCarriesOnOnceThereIsRoom() throws {
        let dir = makeTemporaryDirectory("sweep-full-disk")
        let disk = dir + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        // 16 MB: the store and its WAL (which grows until a checkpoint at ~4 MB) fit with room to spare
        if let error = Self.mountTmpfs(at: disk, megabytes: 16) { Issue.record("mount: \(error)"); return }
        let processes = TestProcesses()
        defer {
            processes.endAll()
            Self.unmount(disk)
            try? FileManager.default.removeItem(atPath: dir)
        }
        let specPath = dir + "/spec.yaml"
        try Self.spec.write(toFile: specPath, atomically: true, encoding: .utf8)
        let db = disk + "/sweep.db", ballast = disk + "/ballast"

        let (endpoint, coordinator) = try ChaosTests.startCoordinator(specPath, db, logs: dir, processes)
        let workers = try (0..<2).map { k in
            try processes.logged(["worker", "--connect", endpoint, "--concurrency", "2", "--exit-when-done"] + ChaosTests.heartbeat,
                                 logPrefix: dir + "/worker-\(k)")
        }

        #expect(waitUntil(timeout: 30) { Self.completed(db) >= 10 }, "10 tasks completed before the disk fills")
        let filled = Self.fill(ballast)
        #expect(filled > 0)
        let holding = "coordinator: store: disk full (\(db)): holding "
        #expect(waitUntil(timeout: 30) { coordinator.stderr.contains(holding) || !coordinator.isRunning },
                "the coordinator says the disk is full: \(ChaosTests.tail(coordinator.stderr))")
        #expect(coordinator.isRunning, "the coordinator carries on: \(ChaosTests.tail(coordinator.stderr))")

        // while it holds: nothing more is stored (so nothing more acknowledged), whatever the workers send;
        // the tasks running when the disk filled (150 ms each) end meanwhile, their results held
        let stored = Self.completed(db)
        var samples: [Int] = []
        _ = waitUntil(timeout: 1.5) {
            samples.append(Self.completed(db))
            return false
        }
        #expect(Set(samples) == [stored], "completed tasks in the store while the disk is full: \(Set(samples).sorted())")
        #expect(stored < Self.taskCount)

        try FileManager.default.removeItem(atPath: ballast)
        let c = coordinator.wait(timeout: 60)
        #expect(c.status == 0, "coordinator: \(ChaosTests.tail(c.stderr))")
        for (k, w) in workers.enumerated() {
            let r = w.wait(timeout: 15)
            #expect(r.status == 0, "worker \(k): \(ChaosTests.tail(r.stderr))")
        }
        // one line when it starts holding, one when it commits again, with the results it held
        let lines = c.stderr.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix(holding) }.count == 1, "\(ChaosTests.tail(c.stderr, lines: 30))")
        let again = lines.filter { $0.hasPrefix("coordinator: store: committing again after ") }
        #expect(again.count == 1, "\(ChaosTests.tail(c.stderr, lines: 30))")
        let acknowledged = again.first.flatMap { line in
            line.split(separator: " ").firstIndex(of: "result(s)").flatMap { Int(line.split(separator: " ")[$0 - 1]) }
        } ?? 0
        #expect(acknowledged >= 1, "results were held while the disk was full: \(again)")

        // every task completed exactly once, none run twice
        let rows = try storeRows(db, "select status, attempts, count(*) from tasks group by status, attempts")
        #expect(rows == [["completed", "1", "\(Self.taskCount)"]], "status, attempts, tasks: \(rows)")
        print("full disk: \(filled >> 10) KiB of ballast after \(stored) task(s) stored; \(acknowledged) result(s) held, then acknowledged")
    }
}
