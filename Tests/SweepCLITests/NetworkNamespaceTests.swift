import Foundation
import Testing
import TestSupport

/// The real network test (issue 5, docs/runtime.md): the coordinator and two workers in
/// three network namespaces joined by veth pairs; one worker's link is cut in the
/// middle of a task, and that task must be finished by the other worker.
///
/// Needs root and `ip netns` (iproute2); skipped with a message otherwise. Nothing
/// is ever created in, or sent through, the host's own network namespace: every
/// address lives inside the test's namespaces.
@Suite(.serialized) struct NetworkNamespaceTests {
    @Test(.enabled(if: Netns.isRoot, "needs root to create network namespaces (run the tests as root)"),
          .enabled(if: Netns.ip != nil, "iproute2's `ip` is not installed"),
          .enabled(if: FileManager.default.isExecutableFile(atPath: Netns.sqlite3), "\(Netns.sqlite3) is not installed"),
          .enabled(if: Netns.probe == nil, "cannot create network namespaces and veth pairs here: \(Netns.probe ?? "")"),
          .timeLimit(.minutes(3)))
    func cutLinkHandsTheTaskToTheOtherWorker() throws {
        let tasks = 8
        let heartbeat = ["--heartbeat", "0.25", "--liveness", "3"]
        let lab = try NetnsLab()
        defer { lab.tearDown() }
        let dir = makeTemporaryDirectory("sweep-netns")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = dir + "/spec.yaml"
        try """
            name: netns-cut
            method: grid
            parameters:
              model: {value: noop}
              duration_ms: {value: 1500}
              seed: {values: [\((1...tasks).map(String.init).joined(separator: ", "))]}
            """.write(toFile: spec, atomically: true, encoding: .utf8)
        let db = dir + "/sweep.db"
        // the namespaces are the test's own and hold nothing else: any fixed port is free there
        let port = 5555

        let coordinator = try lab.start(in: lab.coordinatorNS, [sweepBinary(), "coordinator", spec,
            "--bind", "tcp://0.0.0.0:\(port)", "--db", db] + heartbeat)
        let workers = try [lab.worker1, lab.worker2].map { w in
            try lab.start(in: w.ns, [sweepBinary(), "worker", "--connect", "tcp://\(w.coordinatorAddress):\(port)",
                "--concurrency", "1", "--exit-when-done"] + heartbeat)
        }
        let (w1, w2) = (workers[0], workers[1])
        // `ip netns exec` execs the command in place, so the pid is the worker's own; its
        // name in the store is HOST-PID-RANDOM@HOST.
        func isWorker(_ p: RunningProcess, _ name: String?) -> Bool {
            guard let name, let id = name.split(separator: "@").first else { return false }
            let parts = id.split(separator: "-")
            return parts.count >= 3 && parts[parts.count - 2] == "\(p.pid)"
        }
        func diagnostics() -> String {
            "\ncoordinator:\n\(coordinator.stderr)\(coordinator.stdout)\nworker 1:\n\(w1.stderr)\(w1.stdout)\nworker 2:\n\(w2.stderr)\(w2.stdout)\nstore:\n\(Netns.query(db, "select * from tasks"))"
        }

        // wait until worker 1 is in the middle of a task: it has begun it (attempts counts the run)
        let held: (task: String, startedAt: Double)? = waitFor(timeout: 60, poll: 0.05) {
            guard coordinator.isRunning else { return nil }
            let rows = Netns.rows(db, "select task_id, worker, started_at from tasks where status = 'running' and attempts > 0")
            return rows.first { $0.count == 3 && isWorker(w1, $0[1]) }.map { (task: $0[0], startedAt: Double($0[2]) ?? 0) }
        }
        guard let held else {
            Issue.record("worker 1 never began a task\(diagnostics())")
            return
        }

        // cut worker 1's link on the coordinator's side
        try lab.ip(["-n", lab.coordinatorNS, "link", "set", lab.worker1.coordinatorLink, "down"])
        let cut = Date()
        let atCut = Netns.rows(db, "select status, worker from tasks where task_id = '\(held.task)'").first ?? []
        #expect(atCut.count == 2 && atCut[0] == "running" && isWorker(w1, atCut[1]),
                "the link was cut too late: task \(held.task) was no longer worker 1's: \(atCut)\(diagnostics())")

        // watch the task: back in the queue (lease expired), then handed to worker 2
        var requeuedAfter: Double?, handedAfter: Double?, handedTo: String?
        waitUntil(timeout: 60) {
            guard coordinator.isRunning else { return true }
            let row = Netns.rows(db, "select status, worker, started_at from tasks where task_id = '\(held.task)'").first ?? []
            if row.count == 3 {
                let elapsed = Date().timeIntervalSince(cut)
                if row[0] == "pending" && requeuedAfter == nil { requeuedAfter = elapsed }
                if row[0] == "running" || row[0] == "completed", !isWorker(w1, row[1]) {
                    handedAfter = elapsed
                    handedTo = row[1]
                    if requeuedAfter == nil { requeuedAfter = elapsed }
                }
            }
            return handedAfter != nil
        }

        let c = coordinator.wait(timeout: 90)
        #expect(c.status == 0, "coordinator exit status \(c.status)\(diagnostics())")
        let r2 = w2.wait(timeout: 30)
        #expect(r2.status == 0, "worker 2 exit status \(r2.status)\(diagnostics())")
        // worker 1 cannot hear that the sweep is over: stop it
        w1.signal(SIGKILL)
        _ = w1.wait(timeout: 10)

        // every task completed exactly once; the cut task finished by worker 2
        let rows = Netns.rows(db, "select task_id, status, worker, attempts, finished_at from tasks order by idx")
        #expect(rows.count == tasks, "\(rows)")
        #expect(Set(rows.map { $0.first ?? "" }).count == tasks)
        for row in rows where row.count == 5 {
            #expect(row[1] == "completed" && !row[4].isEmpty, "task \(row[0]): \(row)\(diagnostics())")
        }
        let final = rows.first { $0.first == held.task } ?? []
        #expect(final.count == 5 && isWorker(w2, final[2]),
                "task \(held.task), cut from worker 1 (pid \(w1.pid)), was finished by \(final.count == 5 ? final[2] : "?"), not worker 2 (pid \(w2.pid))\(diagnostics())")
        #expect(final.count == 5 && final[3] == "2", "task \(held.task) should have taken 2 attempts: \(final)")
        #expect(handedTo.map { isWorker(w2, $0) } ?? false, "handed out again to \(handedTo ?? "nobody")")

        let byWorker2 = rows.filter { $0.count == 5 && isWorker(w2, $0[2]) }.count
        func s(_ t: Double?) -> String { t.map { String(format: "%.2f s", $0) } ?? "not seen" }
        print("netns: link of worker 1 cut while it held task \(held.task) (started at \(String(format: "%.2f", held.startedAt)) s); "
              + "lease expired after \(s(requeuedAfter)), task handed out again to worker 2 after \(s(handedAfter)) "
              + "(heartbeat 0.25 s x 3, worker 2 busy with 1.5 s tasks); \(rows.count) of \(tasks) tasks completed once, "
              + "\(byWorker2) by worker 2")
    }
}

// MARK: - namespaces

/// Probes and constants for the network-namespace test.
enum Netns {
    static let isRoot = geteuid() == 0
    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let sqlite3 = "/usr/bin/sqlite3"
    static let prefix = "sweep-\(getpid())"

    /// nil when a namespace with a veth pair can be created here, else why not.
    /// (A container without CAP_SYS_ADMIN or CAP_NET_ADMIN fails here.)
    static let probe: String? = {
        guard isRoot, let ip else { return "needs root and ip" }
        let ns = prefix + "-probe"
        defer { _ = try? runCommand(ip, ["netns", "delete", ns]) }
        for args in [["netns", "add", ns],
                     ["-n", ns, "link", "add", "probe0", "type", "veth", "peer", "name", "probe1"]] {
            guard let r = try? runCommand(ip, args) else { return "cannot run \(ip)" }
            if r.status != 0 { return "`ip \(args.joined(separator: " "))` failed: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))" }
        }
        return nil
    }()

    /// The rows of a query, read with the sqlite3 command (fields split on "|");
    /// none while the store does not exist yet or is busy.
    static func rows(_ db: String, _ sql: String) -> [[String]] {
        guard FileManager.default.fileExists(atPath: db) else { return [] }
        let out = query(db, sql)
        return out.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
    }

    static func query(_ db: String, _ sql: String) -> String {
        guard let r = try? runCommand(sqlite3, ["-cmd", ".timeout 2000", db, sql]), r.status == 0 else { return "" }
        return r.stdout
    }
}

/// Three namespaces, C (coordinator), W1 and W2, with a veth pair from C to each
/// worker namespace: 10.X.1.1/24 (C) ↔ 10.X.1.2/24 (W1) and 10.X.2.1/24 (C) ↔
/// 10.X.2.2/24 (W2). Every link is created inside the namespaces, never in the host's.
final class NetnsLab {
    struct WorkerSide {
        let ns: String
        /// The veth end in the coordinator's namespace.
        let coordinatorLink: String
        let coordinatorAddress: String
    }

    let coordinatorNS = Netns.prefix + "-c"
    let worker1: WorkerSide
    let worker2: WorkerSide
    private var namespaces: [String] = []
    private let processes = TestProcesses()
    private let ipPath: String

    init() throws {
        ipPath = Netns.ip ?? "/usr/sbin/ip"
        let x = 100 + Int(getpid()) % 100
        worker1 = WorkerSide(ns: Netns.prefix + "-w1", coordinatorLink: "to-w1", coordinatorAddress: "10.\(x).1.1")
        worker2 = WorkerSide(ns: Netns.prefix + "-w2", coordinatorLink: "to-w2", coordinatorAddress: "10.\(x).2.1")
        Self.removeStale(ipPath)
        do {
            for ns in [coordinatorNS, worker1.ns, worker2.ns] {
                try ip(["netns", "add", ns])
                namespaces.append(ns)
                try ip(["-n", ns, "link", "set", "lo", "up"])
            }
            for (n, w) in [(1, worker1), (2, worker2)] {
                try ip(["-n", coordinatorNS, "link", "add", w.coordinatorLink, "type", "veth",
                        "peer", "name", "to-c", "netns", w.ns])
                try ip(["-n", coordinatorNS, "addr", "add", "10.\(x).\(n).1/24", "dev", w.coordinatorLink])
                try ip(["-n", w.ns, "addr", "add", "10.\(x).\(n).2/24", "dev", "to-c"])
                try ip(["-n", coordinatorNS, "link", "set", w.coordinatorLink, "up"])
                try ip(["-n", w.ns, "link", "set", "to-c", "up"])
            }
        } catch {
            tearDown()
            throw error
        }
    }

    /// Runs `ip ARGS…`; throws with its stderr when it fails.
    func ip(_ arguments: [String]) throws {
        let r = try runCommand(ipPath, arguments)
        if r.status != 0 {
            throw NetnsError("ip \(arguments.joined(separator: " ")): exit \(r.status): \(r.stderr)")
        }
    }

    /// Starts `COMMAND…` inside namespace `ns` (`ip netns exec` execs it in place: same pid).
    func start(in ns: String, _ command: [String]) throws -> RunningProcess {
        try processes.start(ipPath, ["netns", "exec", ns] + command)
    }

    /// Kills what the test started, then deletes the links and namespaces.
    func tearDown() {
        processes.endAll()
        for ns in namespaces { Self.killProcesses(in: ns, ipPath) }
        for w in [worker1, worker2] where namespaces.contains(coordinatorNS) {
            _ = try? runCommand(ipPath, ["-n", coordinatorNS, "link", "delete", w.coordinatorLink])
        }
        for ns in namespaces.reversed() { _ = try? runCommand(ipPath, ["netns", "delete", ns]) }
        namespaces = []
    }

    /// Everything still running in one of our namespaces was started by this test.
    private static func killProcesses(in ns: String, _ ip: String) {
        guard let r = try? runCommand(ip, ["netns", "pids", ns]) else { return }
        for pid in r.stdout.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
    }

    /// Namespaces left by an earlier run of this test that died (sweep-PID-… whose PID is gone).
    private static func removeStale(_ ip: String) {
        guard let r = try? runCommand(ip, ["netns", "list"]) else { return }
        for line in r.stdout.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            let parts = name.split(separator: "-")
            guard parts.count == 3, parts[0] == "sweep", let pid = Int32(parts[1]),
                  ["c", "w1", "w2", "probe"].contains(String(parts[2])),
                  pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            killProcesses(in: name, ip)
            _ = try? runCommand(ip, ["netns", "delete", name])
        }
    }
}

struct NetnsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
