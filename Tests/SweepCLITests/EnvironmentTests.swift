import Foundation
import Testing
import TestSupport

/// Every option and flag can come from SWEEP_<OPTION> (Sources/sweep/Environment.swift):
/// the command line wins, a bad value exits 2 with one line naming the variable,
/// and variables no option of the command has are left alone.
@Suite struct EnvironmentTests {
    static let spec = """
        name: env
        method: grid
        parameters:
          model: {value: noop}
          seed: {values: [1, 2, 3]}
        """

    @Test func optionsComeFromTheEnvironment() throws {
        let dir = makeTemporaryDirectory("sweep-env")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, Self.spec)
        let r = try runSweep(["run", spec], environment: ["SWEEP_DB": dir + "/env.db", "SWEEP_WORKERS": "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/env.db"), "SWEEP_DB gave --db")
        let board = try runSweep(["leaderboard", "--format", "csv"], environment: ["SWEEP_DB": dir + "/env.db", "SWEEP_TOP": "2"])
        #expect(board.status == 0, "\(board.stderr)")
        #expect(board.stdout.split(separator: "\n").count == 3, "SWEEP_TOP=2: a header and two rows\n\(board.stdout)")
    }

    @Test func theCommandLineWins() throws {
        let dir = makeTemporaryDirectory("sweep-env-wins")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, Self.spec)
        let env = ["SWEEP_DB": dir + "/missing/nowhere.db"]
        #expect(try runSweep(["run", spec, "--workers", "1", "--db", dir + "/given.db"], environment: env).status == 0)
        #expect(try runSweep(["status", "--db=" + dir + "/given.db"], environment: env).status == 0)
        let fromEnv = try runSweep(["status"], environment: env)
        #expect(fromEnv.status == 2)
        #expect(fromEnv.stderr.contains("nowhere.db") && fromEnv.stderr.contains("(from SWEEP_DB)"), "\(fromEnv.stderr)")
    }

    /// `sweep run`'s own workers are configured by its arguments: worker options in the
    /// environment (here CURVE keys that do not exist) must not reach them.
    @Test func localWorkersOfRunIgnoreWorkerVariables() throws {
        let dir = makeTemporaryDirectory("sweep-env-run")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, Self.spec)
        let env = ["SWEEP_CURVE_SERVER_KEY": dir + "/none.pub", "SWEEP_CURVE_SECRET": dir + "/none.key",
                   "SWEEP_HEARTBEAT": "-1"]
        let r = try startSweep(["run", spec, "--workers", "1", "--db", dir + "/run.db"], environment: env).wait(timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(SecurityTests.sql(dir + "/run.db", "select count(*) from tasks where status = 'completed'") == "3")
    }

    @Test func flagsTakeTrueOrFalse() throws {
        for value in ["1", "true", "YES", "on"] {
            let r = try runSweep(["train", "model=noop"], environment: ["SWEEP_JSON": value])
            #expect(r.status == 0 && r.stdout.hasPrefix("{"), "SWEEP_JSON=\(value): \(r.stdout)")
        }
        for value in ["0", "false", "no", "off", ""] {
            let r = try runSweep(["train", "model=noop"], environment: ["SWEEP_JSON": value])
            #expect(r.status == 0 && !r.stdout.hasPrefix("{"), "SWEEP_JSON=\(value): \(r.stdout)")
        }
    }

    @Test(arguments: [
        (["worker"], ["SWEEP_CONNECT": "tcp://127.0.0.1:1", "SWEEP_CONCURRENCY": "lots"], "SWEEP_CONCURRENCY"),
        (["worker"], ["SWEEP_CONNECT": "tcp://127.0.0.1:1", "SWEEP_HEARTBEAT": "often"], "SWEEP_HEARTBEAT"),
        (["worker"], ["SWEEP_CONNECT": "tcp://127.0.0.1:1", "SWEEP_EXIT_WHEN_DONE": "maybe"], "SWEEP_EXIT_WHEN_DONE"),
        (["worker", "--quiet"], ["SWEEP_CONNECT": "not-an-endpoint"], "SWEEP_CONNECT"),
        (["run", "/nonexistent/spec.yaml"], ["SWEEP_WORKERS": "0"], "SWEEP_WORKERS"),
    ])
    func aBadValueExitsTwoWithOneLineNamingTheVariable(_ arguments: [String], _ env: [String: String], _ variable: String) throws {
        let r = try runSweep(arguments, environment: env)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("sweep: ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.contains(variable), "\(r.stderr)")
    }

    /// SWEEP_DATA_DIR is a training setting and SWEEP_SPEC the entrypoint's; an
    /// option of another command (SWEEP_CONNECT for `expand`) means nothing here.
    @Test func variablesNoOptionHasAreLeftAlone() throws {
        let dir = makeTemporaryDirectory("sweep-env-unknown")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, Self.spec)
        let env = ["SWEEP_DATA_DIR": dir, "SWEEP_SPEC": "/nowhere.yaml", "SWEEP_NOT_AN_OPTION": "x",
                   "SWEEP_CONNECT": "tcp://127.0.0.1:1", "SWEEP_HELP": "1"]
        let r = try runSweep(["expand", spec, "--format", "json"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("["))
        #expect(try runSweep(["--help"], environment: env).status == 0)
    }
}
