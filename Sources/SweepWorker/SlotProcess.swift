import CLinux
import Foundation
import SweepProtocol
import SweepTrain
#if canImport(Glibc)
import Glibc
#endif

/// One training slot's child process (`sweep slot`), as the worker sees it: tasks go
/// down its stdin, its progress, weights and result come up its stdout, and its
/// stderr is kept (the last lines) to say why it died. A task that crashes the
/// process (a trap, an allocation the memory limit refuses, a signal) costs only
/// itself: the run ends as a `failed` result naming the signal, and a new process
/// is started at once, ahead of the next task.
///
/// No thread of its own: the worker's loop polls `output` and `errors` beside its
/// socket and calls `readOutput` and `readErrors` when they are readable, so a task's
/// reports reach the coordinator without a hop through another thread (a thread per
/// slot woke twice per task and took a sixth of the worker's CPU on no-op tasks).
final class SlotProcess {
    /// What starts the child: the `sweep` executable and its arguments.
    let command: [String]
    let memoryLimit: MemoryLimit
    let slot: Int
    private let host = ProcessInfo.processInfo.hostName

    private(set) var pid: pid_t = 0
    private var input: Int32 = -1
    /// The child's stdout, where its messages come; -1 while no child runs.
    private(set) var output: Int32 = -1
    /// The child's stderr, -1 once it ended.
    private(set) var errors: Int32 = -1
    private var reader = FrameReader()
    /// The end of what the child wrote to stderr, for the error of a crash.
    private var stderrTail: [UInt8] = []
    /// Counts the children started: a descriptor polled before a restart belongs to the old one.
    private(set) var generation = 0
    /// The task the child is training, and since when.
    private(set) var current: (assignment: Assignment, since: Date)?

    init(slot: Int, command: [String], memoryLimit: MemoryLimit) {
        self.slot = slot
        self.command = command
        self.memoryLimit = memoryLimit
    }

    var isIdle: Bool { current == nil }

    /// Starts the child (ahead of its first task, and again after a crash). With `fork`,
    /// the caller has one thread: the child is a copy of this process that serves as a
    /// slot at once, without exec (see `SlotPool.init`).
    func start(fork: Bool = false) throws {
        var toChild: [Int32] = [-1, -1], fromChild: [Int32] = [-1, -1], errFromChild: [Int32] = [-1, -1]
        guard sweep_pipe_cloexec(&toChild) == 0, sweep_pipe_cloexec(&fromChild) == 0, sweep_pipe_cloexec(&errFromChild) == 0 else {
            let e = errno
            for fd in toChild + fromChild + errFromChild where fd >= 0 { close(fd) }
            throw SlotStartError(reason: "pipe: \(String(cString: strerror(e)))")
        }
        if fork {
            let pid = forkSlot(stdin: toChild[0], stdout: fromChild[1], stderr: errFromChild[1])
            close(toChild[0])
            close(fromChild[1])
            close(errFromChild[1])
            guard pid > 0 else {
                close(toChild[1]); close(fromChild[0]); close(errFromChild[0])
                throw SlotStartError(reason: "fork: \(String(cString: strerror(errno)))")
            }
            started(pid: pid, input: toChild[1], output: fromChild[0], errors: errFromChild[0])
            return
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errFromChild[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // no signal blocked, and the ones this worker handles or ignores back to their defaults
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let arguments = command + ["--parent", String(getpid()), "--slot", String(slot),
                                   "--max-memory", String(format: "%.0f", memoryLimit.bytes), "--memory-source=" + memoryLimit.source]
        // a slot takes its settings from its arguments, not from this worker's SWEEP_* options
        var environment = ChildEnvironment.filtered(ProcessInfo.processInfo.environment)
        // a crash is reported in one line by the worker; Swift's backtracer would spend seconds on a trace nobody reads
        environment["SWIFT_BACKTRACE"] = "enable=no"
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
        close(toChild[0])
        close(fromChild[1])
        close(errFromChild[1])
        guard rc == 0 else {
            close(toChild[1]); close(fromChild[0]); close(errFromChild[0])
            throw SlotStartError(reason: "\(command[0]): \(String(cString: strerror(rc)))")
        }
        started(pid: pid, input: toChild[1], output: fromChild[0], errors: errFromChild[0])
    }

    private func started(pid: pid_t, input: Int32, output: Int32, errors: Int32) {
        generation += 1
        self.output = output
        self.errors = errors
        self.input = input
        self.pid = pid
        reader = FrameReader()
        stderrTail = []
        current = nil
    }

    /// Forks this process into a slot: the child takes the pipes' ends as its stdin, stdout
    /// and stderr, drops every other descriptor and this worker's signal handling and
    /// SWEEP_* options (as a `sweep slot` started by exec would start), and serves. A
    /// fork costs a fraction of a millisecond, an exec of `sweep slot` 4 to 5 ms of CPU
    /// (the dynamic linker, the runtime's start), and 256 slots start at once on 2 cores.
    /// Returns the child's pid, or -1.
    private func forkSlot(stdin: Int32, stdout: Int32, stderr: Int32) -> pid_t {
        let worker = getpid()
        let title = ([CommandLine.arguments.first ?? "sweep", "slot", "--parent", String(worker), "--slot", String(slot)]
            .joined(separator: "\0") + "\0").utf8CString
        fflush(nil)   // nothing this process buffered may be written twice
        let pid = sweep_fork()
        guard pid == 0 else { return pid }
        // the child: one thread, a copy of the worker before it connected
        dup2(stdin, 0)
        dup2(stdout, 1)
        dup2(stderr, 2)
        _ = sweep_close_from(3)
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        // the worker's handlers, and any crash handler of the runtime: a crash ends the slot
        // with its signal, which the worker reports in one line
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT] { signal(s, SIG_DFL) }
        for key in ProcessInfo.processInfo.environment.keys where !ChildEnvironment.keeps(key) { unsetenv(key) }
        title.withUnsafeBufferPointer { t in
            sweep_set_command_line(CommandLine.argc, CommandLine.unsafeArgv, t.baseAddress, UInt(t.count - 1))
        }
        _ = sweep_set_thread_name("sweep-slot")
        SlotServer.run(parent: worker, memoryLimit: memoryLimit)
    }

    /// Waits until the child says it is ready (its first message), so that the worker
    /// connects only once its slots can train: 256 slot processes starting while tasks
    /// already ran took their CPU. A child that dies first cannot start.
    func awaitReady() throws {
        while true {
            if let frames = reader.next(), Self.kind(of: frames, is: "heartbeat") { return }
            guard !reader.corrupt, reader.fill(from: output) else {
                let status = reap()
                let words = lastWords().map { ": " + $0 } ?? ""
                throw SlotStartError(reason: "the slot process \(status) before it was ready\(words)")
            }
        }
    }

    /// Sends `a` to the child (`encoded`: the task message as it arrived, passed on as it
    /// is), which must be idle. Returns what to report at once: nothing, or the task's
    /// `failed` result when no child could take it (it died, or none could be started).
    func begin(_ a: Assignment, encoded: [[UInt8]]? = nil, cancelled: Bool) -> [[[UInt8]]] {
        let t0 = Date()
        if pid == 0 {
            do { try start() } catch {
                return [Codec.encode(.result(failure(a, since: t0, error: "could not start a slot process on host \(host): \(error)")))]
            }
        }
        current = (a, t0)
        let sent = PipeFrames.write(encoded ?? Codec.encode(.task(a)), to: input)
            && (!cancelled || PipeFrames.write(Codec.encode(.cancel(taskID: a.taskID)), to: input))
        return sent ? [] : died()
    }

    /// Reads what the child wrote (its stdout is readable) and returns its messages to
    /// forward, in order; its result ends the task. When its stdout ends (or breaks the
    /// format), the child died: the task it was training ends `failed`, naming how, and a
    /// new child is started.
    func readOutput() -> [[[UInt8]]] {
        guard output >= 0 else { return [] }
        let open = reader.fill(from: output)
        var out: [[[UInt8]]] = []
        while let frames = reader.next() {
            // its first message says it is ready (a restarted slot's is read here)
            if Self.kind(of: frames, is: "heartbeat") { continue }
            if Self.kind(of: frames, is: "result") { current = nil }
            out.append(frames)
        }
        if !open || reader.corrupt { out += died() }
        return out
    }

    /// The child is gone: its last words, its exit status, a failed result for its task
    /// if it had one, and a new child for the next task.
    private func died() -> [[[UInt8]]] {
        let status = reap()
        var out: [[[UInt8]]] = []
        if let (a, t0) = current {
            current = nil
            var error = "the slot process \(status) on host \(host)"
            if let words = lastWords() {
                error += ": " + words
                if words.contains("allocate") { error += "; the task memory limit is \(memoryLimit)" }
            }
            out.append(Codec.encode(.result(failure(a, since: t0, error: error))))
        }
        do { try start() } catch {
            // tried again at the next task
        }
        return out
    }

    /// Whether a message is of this kind, read from its frames without decoding its body.
    static func kind(of frames: [[UInt8]], is kind: String) -> Bool {
        frames.count >= 2 && frames[1].elementsEqual(kind.utf8)
    }

    /// Appends what the child's stderr holds to the kept tail; at its end, stops reading it.
    func readErrors() {
        guard errors >= 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = chunk.withUnsafeMutableBytes { Glibc.read(errors, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { return }
        guard n > 0 else {
            close(errors)
            errors = -1
            return
        }
        stderrTail += chunk[0..<n]
        if stderrTail.count > 8192 { stderrTail.removeFirst(stderrTail.count - 8192) }
    }

    private func failure(_ a: Assignment, since t0: Date, error: String) -> Outcome {
        Outcome(taskID: a.taskID, attempt: a.attempt, status: "failed", metrics: .object([]), error: error,
                wallSeconds: Date().timeIntervalSince(t0))
    }

    /// Asks the child to stop `taskID` (early termination) if it is training it.
    func cancel(_ taskID: String) {
        guard current?.assignment.taskID == taskID, input >= 0 else { return }
        _ = PipeFrames.write(Codec.encode(.cancel(taskID: taskID)), to: input)
    }

    /// Waits for the child to end (it has closed its stdout, or is being killed) and says
    /// how it ended: "died (signal 9, SIGKILL)" or "exited with status 3".
    private func reap() -> String {
        if input >= 0 { close(input) }
        input = -1
        let pid = self.pid
        self.pid = 0
        var status: Int32 = 0
        // its stdout closed: it is exiting, or wedged after closing it
        let deadline = Date().addingTimeInterval(2)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(1000)
        }
        // dead now: the rest of its stderr (its last words) ends at EOF
        while errors >= 0 { readErrors() }
        if output >= 0 { close(output) }
        output = -1
        return Self.describe(status: status)
    }

    /// "died (signal 11, SIGSEGV)", "exited with status 1".
    static func describe(status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        let names: [Int32: String] = [SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGILL: "SIGILL",
                                      SIGTRAP: "SIGTRAP", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGTERM: "SIGTERM",
                                      SIGINT: "SIGINT", SIGPIPE: "SIGPIPE"]
        return "died (signal \(signal)\(names[signal].map { ", " + $0 } ?? ""))"
    }

    /// The line of the child's stderr that says what went wrong ("Fatal error: …"), else its last line.
    private func lastWords() -> String? {
        let lines = String(decoding: stderrTail, as: UTF8.self).split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        let line = lines.last { $0.hasPrefix("Fatal error") } ?? lines.last
        return line.map { String($0.prefix(300)) }
    }

    /// Ends the child, idle or not (the worker is leaving and has handed its task back).
    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        _ = reap()
        current = nil
    }
}

struct SlotStartError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
