import Foundation
import SweepProtocol
import SweepTrain

/// What a slot says about a task, for the worker's loop: the frames to forward (as the
/// slot process encoded them, or as the pool did for `started` and a crash's result).
struct SlotReport {
    let taskID: String
    let frames: [[UInt8]]
}

/// The worker's training slots. Each is a child process (`SlotProcess`), started
/// ahead of time and restarted after a crash, so a task that crashes costs only
/// itself. The worker's loop drives them: it polls `descriptors` beside its socket and
/// hands what is readable to `readable`; tasks wait in one queue for a free slot.
final class SlotPool {
    private var queue: [(assignment: Assignment, encoded: [[UInt8]]?)] = []
    private var head = 0
    private let processes: [SlotProcess]
    /// Task ids the coordinator asked to stop, until their result.
    private var cancelled: Set<String> = []

    /// `command`: the `sweep` executable and the arguments that make it a slot.
    /// Returns once every slot process said it is ready.
    ///
    /// A process with one thread (a `sweep worker` before it connects) forks its slots;
    /// any other (a test, a worker restarting a crashed slot) starts `command`. Only a
    /// process with one thread may fork and go on without exec: another thread could hold
    /// a lock (malloc's, the runtime's) that no thread of the child would ever release.
    init(count: Int, command: [String], memoryLimit: MemoryLimit) throws {
        processes = (0..<count).map { SlotProcess(slot: $0, command: command, memoryLimit: memoryLimit) }
        let fork = Self.threadCount() == 1
        for process in processes { try process.start(fork: fork) }
        for process in processes { try process.awaitReady() }
    }

    /// This process's threads (/proc/self/task), 0 if unknown.
    static func threadCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
    }

    /// A descriptor to poll for reading: a slot process's stdout or stderr.
    struct Pipe {
        let fd: Int32
        let slot: Int
        let isOutput: Bool
        /// Which child of the slot it belongs to.
        let generation: Int
    }

    /// What to poll for reading: each slot's stdout and, while open, its stderr.
    var descriptors: [Pipe] {
        var out: [Pipe] = []
        out.reserveCapacity(processes.count * 2)
        for (k, p) in processes.enumerated() {
            if p.output >= 0 { out.append(Pipe(fd: p.output, slot: k, isOutput: true, generation: p.generation)) }
            if p.errors >= 0 { out.append(Pipe(fd: p.errors, slot: k, isOutput: false, generation: p.generation)) }
        }
        return out
    }

    /// Queues a task for the next free slot. `encoded`: the task message as it arrived, passed
    /// on to the slot process as it is (encoding its parameters again costs more than the no-op task).
    /// Returns what the slots report meanwhile: `started` when a slot begins it at once.
    func submit(_ a: Assignment, encoded: [[UInt8]]? = nil) -> [SlotReport] {
        queue.append((a, encoded))
        return schedule()
    }

    /// What a readable descriptor brings: its slot's reports, its result, and the tasks that
    /// free slots begin next. One polled before its slot process died and was replaced is
    /// ignored: its number may be the new child's already, and a read would wait.
    func readable(_ pipe: Pipe) -> [SlotReport] {
        let p = processes[pipe.slot]
        guard p.generation == pipe.generation else { return [] }
        guard pipe.isOutput else {
            p.readErrors()
            return []
        }
        let taskID = p.current?.assignment.taskID
        var reports = p.readOutput().map { SlotReport(taskID: taskID ?? "", frames: $0) }
        if p.isIdle, let taskID {
            cancelled.remove(taskID)
            reports += schedule()
        }
        return reports
    }

    /// Free slots take queued tasks; each says `started` as it begins (from then on, losing
    /// this worker costs the task an attempt).
    private func schedule() -> [SlotReport] {
        var reports: [SlotReport] = []
        for p in processes where p.isIdle && head < queue.count {
            let (a, encoded) = queue[head]
            head += 1
            reports.append(SlotReport(taskID: a.taskID, frames: Codec.encode(.started(taskID: a.taskID, attempt: a.attempt))))
            let failed = p.begin(a, encoded: encoded, cancelled: cancelled.contains(a.taskID))
            if !failed.isEmpty { cancelled.remove(a.taskID) }
            reports += failed.map { SlotReport(taskID: a.taskID, frames: $0) }
        }
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
        // a slot that could not take its task is free again: the next one may go to a new process
        if reports.count > 0 && processes.contains(where: \.isIdle) && head < queue.count { reports += schedule() }
        return reports
    }

    /// Asks the slot training `taskID` to stop (early termination): it reports the task `stopped`.
    /// A task still queued stops as soon as it begins.
    func cancel(_ taskID: String) {
        cancelled.insert(taskID)
        for p in processes { p.cancel(taskID) }
    }

    /// Removes and returns the tasks still waiting for a slot.
    func takeQueued() -> [Assignment] {
        let queued = queue[head...].map(\.assignment)
        queue.removeAll()
        head = 0
        return queued
    }

    /// Ends every slot process (the worker is leaving; a task still training was handed back).
    func stop() {
        for p in processes { p.stop() }
    }
}
