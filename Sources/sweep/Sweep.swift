import ArgumentParser
import Foundation
import SweepConfig
import SweepData
import SweepEngine
import SweepSpec
import SweepStore
#if canImport(Glibc)
import Glibc
#endif

@main
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Hyperparameter sweeps of small neural networks across machines.",
        subcommands: [Train.self, Describe.self, Expand.self, Run.self, CoordinatorCommand.self, WorkerCommand.self, SlotCommand.self, Leaderboard.self, Status.self, Report.self, Dashboard.self, Keygen.self])

    /// Exit codes (docs/commands.md § Exit codes): 0 success, 1 the work failed, 2 bad usage or bad input
    /// (one line on stderr naming the culprit, never a trace).
    static func main() {
        // OpenBLAS started its thread pool as it loaded, and its threads spin for about 0.1 s of CPU;
        // these commands train nothing in this process (a slot's tasks start it again if they ask
        // for threads), and a worker must have one thread to fork its slots (SlotPool)
        if let command = CommandLine.arguments.dropFirst().first, ["worker", "slot", "coordinator", "run"].contains(command) {
            BLAS.endThreadPool()
        }
        // SWEEP_KERNELS naming a set this CPU cannot run is bad input, not a crash later
        if let error = Kernels.environmentError {
            printError("sweep: " + error)
            Glibc.exit(2)
        }
        // a worker starts one slot process per slot: its own arguments skip the parser's walk of every command
        if let slot = SlotCommand(workerArguments: Array(CommandLine.arguments.dropFirst())) { slot.run() }
        do {
            var command = try parseAsRoot(Environment.arguments())  // SWEEP_* variables as options
            try command.run()
        } catch let error as ConfigError {
            fail(error.message)
        } catch let error as DataError {
            fail(error.message)
        } catch let error as SpecError {
            fail(error.message)
        } catch let error as StoreError {
            fail(error.message)
        } catch let error as WorkFailed {
            if !error.message.isEmpty { printError("sweep: \(error.message)") }
            Glibc.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }  // --help, --version
            fail(message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)")
        }
    }

    /// This executable, for the processes it starts (local workers, slots).
    static let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path

    static func fail(_ message: String) -> Never {
        printError("sweep: \(Environment.annotated(message))")
        Glibc.exit(2)
    }
}

/// The work itself failed (exit code 1).
struct WorkFailed: Error {
    var message = ""
}

/// Writes one line to stderr, unbuffered.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line.hasSuffix("\n") ? line : line + "\n").utf8))
}

/// Writes one line to stdout, unbuffered, so progress shows as it happens.
func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
