import Foundation
import Testing
import TestSupport

/// Slots run in processes of their own: a task that crashes one costs only itself, is
/// charged an attempt, and fails for good naming the signal and the hosts; a network
/// that cannot fit fails before training; a task over the memory limit fails cleanly.
/// The real `sweep` binary, real ZeroMQ sockets, a real SQLite file.
@Suite(.serialized) struct SlotProcessTests {
    struct Row { let id: String; let status: String; let attempts: Int; let error: String; let hidden: String }

    static func rows(_ db: String) throws -> [Row] {
        guard FileManager.default.fileExists(atPath: db) else { return [] }
        return try storeRows(db, "select task_id, status, attempts, coalesce(error, ''), coalesce(json_extract(params, '$.hidden'), '') from tasks order by idx")
            .map { Row(id: $0[0], status: $0[1], attempts: Int($0[2]) ?? -1, error: $0[3], hidden: $0[4]) }
    }

    /// The slot processes of a worker: its `sweep slot` children.
    static func slots(of worker: Int32) -> [Int32] {
        descendants(of: worker).filter { commandLine($0).contains(" slot ") }
    }

    /// The poison grid: the 2,000,000-wide task fails alone, with its reason;
    /// no other task is charged an attempt.
    @Test func aNetworkThatCannotFitFailsAloneWithItsSize() throws {
        let dir = makeTemporaryDirectory("sweep-test-poison")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, """
            name: poison
            method: grid
            metric: {name: test_accuracy, goal: maximize}
            parameters:
              dataset: {value: synthetic}
              model: {value: mlp}
              layers: {value: 3}
              hidden: {values: [8, 16, 2000000, 32]}
              train_per_class: {value: 20}
              test_per_class: {value: 5}
            """)
        let db = dir + "/sweep.db"
        let r = try runSweep(["run", spec, "--workers", "2", "--db", db])
        #expect(r.status == 1, "a sweep with a failed task exits 1: \(r.stderr)")
        let rows = try Self.rows(db)
        #expect(rows.filter { $0.status == "completed" }.map(\.hidden).sorted() == ["16", "32", "8"])
        #expect(rows.filter { $0.status == "completed" }.allSatisfy { $0.attempts == 1 })
        let poison = try #require(rows.first { $0.hidden == "2000000" })
        #expect(poison.status == "failed")
        #expect(poison.error.contains("the network needs at least 116.4 TiB"), "\(poison.error)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrac"), "no crash trace: \(r.stderr)")
    }

    /// `sweep train` with a network far too big: exit 2, one line naming the size.
    @Test func trainRefusesANetworkThatCannotFit() throws {
        let r = try runSweep(["train", "model=rnn", "hidden=100000000", "dataset=synthetic", "train_per_class=2", "test_per_class=1"])
        #expect(r.status == 2)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("needs at least") && r.stderr.contains("PiB"), "\(r.stderr)")
    }

    /// A slot killed mid-task (SIGSEGV) costs its task one attempt and nothing else: the
    /// other slot's task runs on, the slot is started again, the sweep completes.
    @Test func aCrashedSlotCostsOnlyItsTask() throws {
        let dir = makeTemporaryDirectory("sweep-test-crash")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, """
            name: crash
            method: grid
            parameters:
              model: {value: noop}
              duration_ms: {value: 1500}
              seed: {values: [1, 2, 3, 4]}
            """)
        let db = dir + "/sweep.db"
        let (endpoint, coordinator) = try Self.coordinator(spec, db, dir)
        let worker = try LoggedProcess(["worker", "--connect", endpoint, "--concurrency", "2", "--exit-when-done"],
                                       logPrefix: dir + "/worker")
        defer { worker.end(); coordinator.end() }
        #expect(waitUntil(timeout: 30) { (try? Self.rows(db))?.filter { $0.status == "running" && $0.attempts == 1 }.count == 2 })
        let before = Self.slots(of: worker.pid)
        #expect(before.count == 2)
        kill(before[0], SIGSEGV)
        // a new slot process takes the dead one's place
        #expect(waitUntil(timeout: 10) { Set(Self.slots(of: worker.pid)).subtracting(before).count == 1 && Self.slots(of: worker.pid).count == 2 })
        let c = coordinator.wait(timeout: 60)
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.stderr.contains("the slot process died (signal 11, SIGSEGV) on host"), "\(c.stderr)")
        let rows = try Self.rows(db)
        #expect(rows.allSatisfy { $0.status == "completed" })
        #expect(rows.map(\.attempts).sorted() == [1, 1, 1, 2], "only the crashed task spent a second attempt")
        #expect(worker.wait(timeout: 20).status == 0)
    }

    /// A worker forks its slots before it connects: each is a process of one thread that
    /// holds its own pipes and nothing else (no other slot's pipe, no socket of the worker),
    /// and ps shows it as a slot.
    @Test func aWorkerForksSlotsThatHoldOnlyTheirOwnPipes() throws {
        let dir = makeTemporaryDirectory("sweep-test-fork")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, """
            name: fork
            method: grid
            parameters:
              model: {value: noop}
              duration_ms: {value: 200}
              seed: {values: [1, 2, 3]}
            """)
        let db = dir + "/sweep.db"
        let (endpoint, coordinator) = try Self.coordinator(spec, db, dir)
        let worker = try LoggedProcess(["worker", "--connect", endpoint, "--concurrency", "3", "--exit-when-done"],
                                       logPrefix: dir + "/worker")
        defer { worker.end(); coordinator.end() }
        #expect(waitUntil(timeout: 20) { Self.slots(of: worker.pid).count == 3 })
        let slots = Self.slots(of: worker.pid)
        #expect(Set(slots.map { commandLine($0).split(separator: " ").suffix(4).joined(separator: " ") })
                == Set((0..<3).map { "--parent \(worker.pid) --slot \($0)" }), "\(slots.map(commandLine))")
        for slot in slots {
            let comm = (try? String(contentsOfFile: "/proc/\(slot)/comm", encoding: .utf8)) ?? ""
            #expect(comm == "sweep-slot\n", "forked, named for ps: \(comm)")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(slot)/task").count) == 1)
            let fds = Set((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(slot)/fd")) ?? [])
            #expect(fds == ["0", "1", "2", "3"], "its stdin, its messages' stdout (3), stdout to stderr: \(fds)")
        }
        #expect(coordinator.wait(timeout: 30).status == 0)
        #expect(worker.wait(timeout: 20).status == 0)
    }

    /// A task whose slot dies on every attempt ends `failed`, naming the signal and the hosts.
    @Test func aTaskThatKeepsCrashingFailsNamingTheSignalAndHosts() throws {
        let dir = makeTemporaryDirectory("sweep-test-crash-always")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, """
            name: crash-always
            method: grid
            max_attempts: 2
            parameters:
              model: {value: noop}
              duration_ms: {value: 3000}
            """)
        let db = dir + "/sweep.db"
        let (endpoint, coordinator) = try Self.coordinator(spec, db, dir)
        let worker = try LoggedProcess(["worker", "--connect", endpoint, "--concurrency", "1", "--exit-when-done"],
                                       logPrefix: dir + "/worker")
        defer { worker.end(); coordinator.end() }
        for attempt in 1...2 {
            #expect(waitUntil(timeout: 30) { (try? Self.rows(db))?.first.map { $0.status == "running" && $0.attempts == attempt } == true },
                    "attempt \(attempt) began")
            let slot = try #require(Self.slots(of: worker.pid).first)
            kill(slot, SIGKILL)
        }
        let c = coordinator.wait(timeout: 30)
        #expect(c.status == 1, "the sweep ends with a failed task: \(c.stderr)")
        let row = try #require(try Self.rows(db).first)
        #expect(row.status == "failed")
        #expect(row.attempts == 2)
        let host = ProcessInfo.processInfo.hostName
        #expect(row.error == "failed on 2 attempt(s) (hosts: \(host), \(host)): the slot process died (signal 9, SIGKILL) on host \(host)",
                "\(row.error)")
    }

    /// A task that allocates past `--max-task-memory` dies in its slot, not in the host's OOM
    /// killer: failed, naming the allocation and the limit. (lenet5's parameters fit in 64 MiB;
    /// the Fashion-MNIST images it loads do not.)
    @Test func aTaskOverTheMemoryLimitFailsCleanly() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") else {
            print("skipped: Fashion-MNIST is not installed (make deps)")
            return
        }
        let dir = makeTemporaryDirectory("sweep-test-memory")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, """
            name: memory
            method: grid
            max_attempts: 1
            parameters:
              model: {value: lenet5}
            """)
        let db = dir + "/sweep.db"
        let (endpoint, coordinator) = try Self.coordinator(spec, db, dir)
        let worker = try LoggedProcess(["worker", "--connect", endpoint, "--concurrency", "1", "--exit-when-done",
                                        "--max-task-memory", "64M"], logPrefix: dir + "/worker")
        defer { worker.end(); coordinator.end() }
        let c = coordinator.wait(timeout: 60)
        #expect(c.status == 1, "\(c.stderr)")
        let row = try #require(try Self.rows(db).first)
        #expect(row.status == "failed")
        #expect(row.error.contains("failed to allocate") && row.error.contains("the task memory limit is 64.0 MiB (--max-task-memory)"),
                "\(row.error)")
        #expect(worker.wait(timeout: 20).status == 0)
    }

    /// A coordinator on a free port (bound with :*, read back from its first line).
    static func coordinator(_ spec: String, _ db: String, _ dir: String) throws -> (String, LoggedProcess) {
        let c = try LoggedProcess(["coordinator", spec, "--bind", "tcp://127.0.0.1:*", "--db", db, "--heartbeat", "0.5"],
                                  logPrefix: dir + "/coordinator")
        let endpoint = try c.listeningEndpoint(timeout: 20)
        return (endpoint, c)
    }
}
