import Foundation
import Testing
import TestSupport

/// docker/, checked without a Docker engine: the Dockerfile with hadolint, the
/// compose files with `docker-compose config`, the Kubernetes manifests with
/// docker/k8s/validate.py (all three installed by `make deps-containers`), the
/// Debian package lists against the Makefile's, and the image's entrypoint run
/// here as the container would run it.
@Suite(.serialized) struct ContainerTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static let docker = repo + "/docker"
    static let entrypoint = docker + "/entrypoint.sh"
    static let validateManifests = docker + "/k8s/validate.py"
    /// The venv of `make deps-containers`, which has kubernetes-validate and jsonschema.
    static let containerPython = repo + "/.build/container-tools/bin/python3"
    static let isCI = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty && $0 != "false" } ?? false

    /// A checking tool: where `make deps-containers` installs it, or on PATH.
    static func tool(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs = [repo + "/.build/container-tools/bin"] + path.split(separator: ":").map(String.init)
        return dirs.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The tool's path; on CI a missing tool fails the test (make test installs it) instead of skipping it.
    static func requireTool(_ name: String) throws -> String {
        try #require(tool(name), "\(name) is missing: `make deps-containers` installs it")
    }

    static func has(_ name: String) -> Bool { tool(name) != nil || isCI }

    // MARK: - static checks

    @Test(.enabled(if: has("hadolint"), "hadolint is not installed (make deps-containers installs it)"))
    func hadolintPassesOnTheDockerfile() throws {
        let hadolint = try Self.requireTool("hadolint")
        let r = try runCommand(hadolint, [Self.docker + "/Dockerfile"])
        #expect(r.status == 0, "hadolint:\n\(r.stdout)\(r.stderr)")
        // and it does catch something: the control below breaks two rules
        let dir = makeTemporaryDirectory("hadolint")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "FROM debian:latest\nRUN cd /tmp && apt-get install curl\n".write(toFile: dir + "/Dockerfile", atomically: true, encoding: .utf8)
        #expect(try runCommand(hadolint, [dir + "/Dockerfile"]).status != 0)
    }

    @Test(.enabled(if: has("docker-compose"), "docker-compose is not installed (make deps-containers installs it)"))
    func composeConfigAcceptsTheComposeFiles() throws {
        let compose = try Self.requireTool("docker-compose")
        let base = try runCommand(compose, ["-f", Self.docker + "/compose.yaml", "config"])
        #expect(base.status == 0, "\(base.stderr)")
        #expect(base.stdout.contains("SWEEP_CONNECT: tcp://coordinator:5555"), "workers find the coordinator by service name")
        #expect(base.stdout.contains("store:/data"), "the coordinator's store is on a volume")
        #expect(!base.stdout.contains("container_name"), "a fixed container name would stop --scale worker=8")
        let curve = try runCommand(compose, ["-f", Self.docker + "/compose.yaml", "-f", Self.docker + "/compose.curve.yaml", "config"])
        #expect(curve.status == 0, "\(curve.stderr)")
        #expect(curve.stdout.contains("SWEEP_CURVE_SERVER_KEY: /run/secrets/coordinator.pub"))
        #expect(curve.stdout.contains("SWEEP_AUTHORIZED_KEYS"))
        // the workers' options are the worker command's own (SWEEP_ + long name)
        let help = try runSweep(["worker", "--help"]).stdout
        for option in ["--connect", "--concurrency", "--exit-when-done", "--grace", "--curve-server-key", "--curve-secret"] {
            #expect(help.contains(option), "\(option) is not an option of sweep worker")
        }
    }

    /// docker/k8s/validate.py, on the Python of `make deps-containers`: every manifest
    /// against its schema (the built-in kinds with kubernetes-validate's, KEDA's
    /// ScaledObject with its CRD's in docker/k8s/schemas), and the autoscalers
    /// against the workers' slots and the coordinator's /metrics.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: containerPython) || isCI,
                   "kubernetes-validate is not installed (make deps-containers installs it)"))
    func everyManifestMatchesItsSchema() throws {
        let python = Self.containerPython
        try #require(FileManager.default.isExecutableFile(atPath: python), "\(python) is missing: `make deps-containers` makes it")
        let r = try runCommand(python, [Self.validateManifests, Self.docker + "/k8s"])
        #expect(r.status == 0, "docker/k8s/validate.py:\n\(r.stdout)\(r.stderr)")
        for kind in ["persistentvolumeclaim/", "deployment/sweep-coordinator", "service/sweep-coordinator",
                     "deployment/sweep-worker", "horizontalpodautoscaler/sweep-worker", "scaledobject/sweep-worker"] {
            #expect(r.stdout.contains("passed for resource \(kind)"), "no \(kind) validated:\n\(r.stdout)")
        }
        #expect(r.stdout.contains("count the same backlog"), "the manifests were not checked together:\n\(r.stdout)")
        #expect(!r.stdout.contains("ERROR"), "\(r.stdout)")
        // and it does reject bad ones: a wrong value, a misspelt field of a custom
        // resource, a trigger key KEDA would ignore, a kind without a schema
        let dir = makeTemporaryDirectory("k8s")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = [
            "deployment": """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: bad}
                spec: {replicas: many, selector: {}, template: {}}
                """,
            "scaledobject": """
                apiVersion: keda.sh/v1alpha1
                kind: ScaledObject
                metadata: {name: bad}
                spec:
                  scaleTargetRef: {name: sweep-worker}
                  pollingIntervall: 15
                  triggers: [{type: prometheus, metadata: {serverAddress: "http://p", query: "1", threshold: "2"}}]
                """,
            "trigger": """
                apiVersion: keda.sh/v1alpha1
                kind: ScaledObject
                metadata: {name: bad}
                spec:
                  scaleTargetRef: {name: sweep-worker}
                  triggers: [{type: prometheus, metadata: {serverAddress: "http://p", query: "1", treshold: "2"}}]
                """,
            "servicemonitor": """
                apiVersion: monitoring.coreos.com/v1
                kind: ServiceMonitor
                metadata: {name: bad}
                spec: {}
                """,
        ]
        for (name, manifest) in bad {
            try manifest.write(toFile: dir + "/\(name).yaml", atomically: true, encoding: .utf8)
            let b = try runCommand(python, [Self.validateManifests, dir + "/\(name).yaml"])
            #expect(b.status == 1 && b.stdout.contains("ERROR"), "\(name) passed:\n\(b.stdout)\(b.stderr)")
        }
    }

    /// What each package of the Makefile's DEB_PACKAGES is to the image: whether
    /// the build stage compiles against it, and the package the runtime stage
    /// installs for it. A package added to DEB_PACKAGES must be placed here.
    static let imageRole: [String: (build: Bool, runtime: String?)] = [
        "pkg-config": (true, nil),
        "libopenblas-dev": (true, "libopenblas0"),
        "libzmq3-dev": (true, "libzmq5"),
        "libsqlite3-dev": (true, "libsqlite3-0"),
        "zlib1g-dev": (true, "zlib1g"),
        "libpng-dev": (true, "libpng16-16"),
        "dataset-fashion-mnist": (false, "dataset-fashion-mnist"),
        // the tests read stores with the sqlite3 command; the image has `sweep leaderboard`
        "sqlite3": (false, nil),
    ]

    @Test func dockerfileAndMakefileAgreeOnDebianPackages() throws {
        let makefile = try String(contentsOfFile: Self.repo + "/Makefile", encoding: .utf8)
        let line = try #require(makefile.split(separator: "\n").first { $0.hasPrefix("DEB_PACKAGES") && $0.contains(":=") })
        let wanted = line.split(separator: "=", maxSplits: 1)[1].split(separator: " ").map(String.init)
        #expect(wanted.count >= 5)
        for p in wanted { #expect(Self.imageRole[p] != nil, "DEB_PACKAGES has \(p): say in imageRole what the image needs of it") }

        let stages = try Self.aptInstalls(inStagesOf: String(contentsOfFile: Self.docker + "/Dockerfile", encoding: .utf8))
        #expect(stages.count == 2, "a build stage and a runtime stage")
        let build = Set(wanted.filter { Self.imageRole[$0]?.build == true })
        let runtime = Set(wanted.compactMap { Self.imageRole[$0]?.runtime })
        #expect(Set(stages.first ?? []) == build, "the build stage installs \(stages.first ?? []), DEB_PACKAGES builds with \(build.sorted())")
        #expect(Set(stages.last ?? []) == runtime, "the runtime stage installs \(stages.last ?? []), DEB_PACKAGES needs \(runtime.sorted()) at run time")

        // the runtime package is the one Debian's -dev package depends on (when it is installed here)
        for (dev, role) in Self.imageRole where role.build && role.runtime != nil && dev.hasSuffix("-dev") {
            let r = try runCommand("/usr/bin/dpkg-query", ["-W", "-f=${Depends}", dev])
            guard r.status == 0 else { continue }
            let depends = r.stdout.split(separator: ",").map { $0.split(separator: " ").first.map(String.init) ?? "" }
            #expect(depends.contains(role.runtime!), "\(dev) depends on \(r.stdout), not \(role.runtime!)")
        }
    }

    /// The packages of each stage's `apt-get install`, stage by stage.
    static func aptInstalls(inStagesOf dockerfile: String) -> [[String]] {
        let joined = dockerfile.replacingOccurrences(of: "\\\n", with: " ")
        var stages: [[String]] = []
        for line in joined.split(separator: "\n") {
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            if words.first?.uppercased() == "FROM" { stages.append([]); continue }
            guard words.first?.uppercased() == "RUN", let install = words.firstIndex(of: "install"),
                  install > 0, words[install - 1] == "apt-get", !stages.isEmpty else { continue }
            let packages = words[(install + 1)...].prefix { $0 != "&&" && $0 != ";" }.filter { !$0.hasPrefix("-") }
            stages[stages.count - 1] += packages
        }
        return stages
    }

    // MARK: - the entrypoint, outside Docker

    /// Coordinator and two workers, each started as `entrypoint.sh` with no
    /// argument and configured only by environment variables, finish a sweep;
    /// the HEALTHCHECK sees the coordinator listening and the workers connected.
    @Test func entrypointRunsASweepConfiguredOnlyByEnvironment() throws {
        let dir = makeTemporaryDirectory("sweep-entrypoint")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = SecurityTests.noopSpec(dir, tasks: 16, durationMs: 300, name: "entrypoint")
        let binDir = URL(fileURLWithPath: sweepBinary()).deletingLastPathComponent().path
        let path = binDir + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let processes = TestProcesses()
        defer { processes.endAll() }

        // a port nothing listens on: the health check must fail there
        let unused = try UnusedPort()
        let unusedPort = ["SWEEP_ROLE": "coordinator", "SWEEP_BIND": "tcp://127.0.0.1:\(unused.port)", "TMPDIR": dir]
        #expect(try runCommand(Self.entrypoint, ["health"], environment: unusedPort).status != 0, "healthy with nothing listening")

        // the coordinator finds sweep on PATH, the workers through SWEEP_BIN
        // TMPDIR: where the entrypoint marks a finished sweep (SWEEP_STAY_UP), private to this test
        var coordinatorEnv = ["SWEEP_ROLE": "coordinator", "SWEEP_SPEC": spec, "SWEEP_BIND": "tcp://127.0.0.1:*",
                              "SWEEP_DB": dir + "/sweep.db", "SWEEP_BIN": "", "PATH": path, "TMPDIR": dir]
        let coordinator = try processes.start(Self.entrypoint, [], environment: coordinatorEnv)
        let endpoint = try coordinator.listeningEndpoint()
        coordinatorEnv["SWEEP_BIND"] = endpoint   // as a container knows its port, for the health check
        let workerEnv = ["SWEEP_ROLE": "worker", "SWEEP_CONNECT": endpoint, "SWEEP_CONCURRENCY": "2",
                         "SWEEP_EXIT_WHEN_DONE": "true", "SWEEP_BIN": sweepBinary(), "TMPDIR": dir]
        let workers = try (0..<2).map { _ in try processes.start(Self.entrypoint, [], environment: workerEnv) }
        #expect(Self.becomesHealthy(coordinatorEnv), "the coordinator's health check never passed")
        #expect(Self.becomesHealthy(workerEnv), "the workers' health check never passed")

        let c = coordinator.wait(timeout: 60)
        #expect(c.status == 0, "coordinator: \(c.stderr)")
        for w in workers {
            let r = w.wait(timeout: 20)
            #expect(r.status == 0, "worker (exits when done): \(r.stderr)")
            #expect(r.stderr.contains("2 slot(s)"), "SWEEP_CONCURRENCY=2: \(r.stderr)")
        }
        // other sweep commands go through the entrypoint too, with SWEEP_DB from the environment
        let board = try runCommand(Self.entrypoint, ["leaderboard", "--format", "json"], environment: coordinatorEnv)
        #expect(board.status == 0, "\(board.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(board.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(rows.count == 16)
        #expect(rows.allSatisfy { $0["status"] as? String == "completed" && $0["attempts"] as? Int == 1 })
        #expect(Set(rows.compactMap { $0["worker"] as? String }).count == 2, "both workers trained")
    }

    /// SIGTERM from an orchestrator: the worker takes no new task, lets running
    /// ones finish for SWEEP_GRACE seconds, hands the rest back and exits 0;
    /// another worker finishes them and no attempt is lost.
    @Test func entrypointWorkerHandsTasksBackOnSIGTERM() throws {
        let dir = makeTemporaryDirectory("sweep-entrypoint-term")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = SecurityTests.noopSpec(dir, tasks: 4, durationMs: 2000, name: "entrypoint-term")
        let db = dir + "/sweep.db"
        let processes = TestProcesses()
        defer { processes.endAll() }
        let bin = ["SWEEP_BIN": sweepBinary(), "TMPDIR": dir]
        let coordinatorEnv = bin.merging(["SWEEP_ROLE": "coordinator", "SWEEP_SPEC": spec, "SWEEP_BIND": "tcp://127.0.0.1:*",
                                          "SWEEP_DB": db]) { $1 }
        let coordinator = try processes.start(Self.entrypoint, [], environment: coordinatorEnv)
        let endpoint = try coordinator.listeningEndpoint()
        let workerEnv = bin.merging(["SWEEP_ROLE": "worker", "SWEEP_CONNECT": endpoint, "SWEEP_EXIT_WHEN_DONE": "yes"]) { $1 }

        let first = try processes.start(Self.entrypoint, [], environment: workerEnv.merging(["SWEEP_CONCURRENCY": "2", "SWEEP_GRACE": "0.3"]) { $1 })
        // stop it once both its slots have begun a task (2 s each: far from done when the 0.3 s grace ends)
        let begun = "select count(*) from tasks where status = 'running' and attempts > 0 and worker like '%-\(first.pid)-%'"
        #expect(waitUntil(timeout: 20) { storeValue(db, begun) == "2" }, "worker: \(first.stderr)")
        first.signal(SIGTERM)
        let r1 = first.wait(timeout: 10)
        #expect(r1.status == 0, "\(r1.stderr)")
        #expect(r1.stderr.contains("handing 2 task(s) back"), "\(r1.stderr)")

        let second = try processes.start(Self.entrypoint, [], environment: workerEnv.merging(["SWEEP_CONCURRENCY": "4"]) { $1 })
        let r2 = second.wait(timeout: 30)
        #expect(r2.status == 0, "\(r2.stderr)")
        let c = coordinator.wait(timeout: 30)
        #expect(c.status == 0, "\(c.stderr)")
        let rows = try DistributedRunTests.leaderboard(db)
        #expect(rows.count == 4)
        #expect(rows.allSatisfy { $0["status"] as? String == "completed" && $0["attempts"] as? Int == 1 },
                "a hand-back is not an attempt: \(rows.map { $0["attempts"] ?? "-" })")
        // exec: the entrypoint's pid is the worker's, and its id names the pid
        #expect(rows.allSatisfy { !(($0["worker"] as? String) ?? "").contains("-\(first.pid)-") }, "the stopped worker finished a task")
    }

    /// SWEEP_STAY_UP (Kubernetes): once the sweep has ended the coordinator's
    /// container stays up and healthy, so a Deployment does not restart it and
    /// `kubectl exec` can read the store; SIGTERM then ends it with 0.
    @Test func entrypointCoordinatorStaysUpAfterTheSweep() throws {
        let dir = makeTemporaryDirectory("sweep-entrypoint-stay")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = SecurityTests.noopSpec(dir, tasks: 2, durationMs: 10, name: "stay")
        let processes = TestProcesses()
        defer { processes.endAll() }
        var env = ["SWEEP_SPEC": spec, "SWEEP_BIND": "tcp://127.0.0.1:*", "SWEEP_DB": dir + "/sweep.db",
                   "SWEEP_STAY_UP": "true", "SWEEP_EXIT_WHEN_DONE": "true", "SWEEP_BIN": sweepBinary(), "TMPDIR": dir]
        let coordinator = try processes.start(Self.entrypoint, ["coordinator"], environment: env)
        let endpoint = try coordinator.listeningEndpoint()
        env["SWEEP_BIND"] = endpoint
        env["SWEEP_CONNECT"] = endpoint
        let worker = try runCommand(Self.entrypoint, ["worker"], environment: env)
        #expect(worker.status == 0, "\(worker.stderr)")
        #expect(waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: dir + "/sweep-coordinator-ended") },
                "the entrypoint never marked the sweep ended: \(coordinator.stderr)")
        #expect(try runCommand(Self.entrypoint, ["health"], environment: env.merging(["SWEEP_ROLE": "coordinator"]) { $1 }).status == 0,
                "healthy once the sweep has ended")
        let status = try runCommand(Self.entrypoint, ["status"], environment: env)
        #expect(status.status == 0 && status.stdout.contains("stay"), "\(status.stdout)\(status.stderr)")
        coordinator.signal(SIGTERM)
        let c = coordinator.wait(timeout: 10)
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.stderr.contains("staying up"), "\(c.stderr)")
        #expect(c.stdout.contains("2 of 2 tasks finished"), "the leaderboard went to the log: \(c.stdout)")
    }

    /// Polls `entrypoint.sh health` with a role's environment for up to 10 s.
    static func becomesHealthy(_ environment: [String: String]) -> Bool {
        waitUntil(timeout: 10, poll: 0.05) { (try? runCommand(entrypoint, ["health"], environment: environment))?.status == 0 }
    }
}
