import Foundation
import Synchronization
import SweepProtocol
import SweepTrain
import ZeroMQ

/// The worker's training slots. Each is a child process (`SlotProcess`), started
/// ahead of time and restarted after a crash, so a task that crashes costs only
/// itself; a thread per slot drives its process and reports through its own PUSH
/// socket to the worker's loop. Tasks wait in one queue.
final class SlotPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [(assignment: Assignment, encoded: [[UInt8]]?)] = []
    private var stopping = false
    private var threads: [Thread] = []
    private let processes: [SlotProcess]
    /// Task ids the coordinator asked to stop, until their result.
    private let cancelled = Mutex<Set<String>>([])

    /// `command`: the `sweep` executable and the arguments that make it a slot.
    init(count: Int, context: Context, endpoint: String, command: [String], memoryLimit: MemoryLimit) throws {
        processes = (0..<count).map { SlotProcess(slot: $0, command: command, memoryLimit: memoryLimit) }
        for process in processes { try process.start() }
        for process in processes { try process.awaitReady() }
        for (k, process) in processes.enumerated() {
            let push = try context.socket(.push)
            try push.setLinger(milliseconds: -1)
            try push.setSendHighWaterMark(0)
            try push.connect(endpoint)
            let thread = Thread { [self] in
                defer { push.close() }
                while let (a, encoded) = next() {
                    // the task leaves the queue: from now on losing this worker costs it an attempt
                    try? push.send(Codec.encode(.started(taskID: a.taskID, attempt: a.attempt)))
                    process.run(a, encoded: encoded, cancelled: cancelled.withLock { $0.contains(a.taskID) },
                                forward: { frames in try? push.send(frames) })
                    cancelled.withLock { _ = $0.remove(a.taskID) }
                }
                process.stop()
            }
            thread.name = "slot-\(k)"
            threads.append(thread)
        }
        for t in threads { t.start() }
    }

    /// Queues a task for the next free slot. `encoded`: the task message as it arrived, passed
    /// on to the slot process as it is (encoding its parameters again costs more than the no-op task).
    func submit(_ a: Assignment, encoded: [[UInt8]]? = nil) {
        condition.lock()
        queue.append((a, encoded))
        condition.signal()
        condition.unlock()
    }

    /// The next task, or nil once the pool stops.
    private func next() -> (Assignment, [[UInt8]]?)? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !stopping { condition.wait() }
        return stopping ? nil : queue.removeFirst()
    }

    /// Asks the slot training `taskID` to stop (early termination): it reports the task `stopped`.
    /// A task still queued stops as soon as it begins.
    func cancel(_ taskID: String) {
        cancelled.withLock { _ = $0.insert(taskID) }
        for p in processes { p.cancel(taskID) }
    }

    /// Removes and returns the tasks still waiting for a slot.
    func takeQueued() -> [Assignment] {
        condition.lock()
        defer { condition.unlock() }
        let queued = queue.map(\.assignment)
        queue.removeAll()
        return queued
    }

    /// Idle slots end; a slot still training ends after its task, or with this process
    /// (its parent-death signal) when the worker leaves first, having handed the task back.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }
}
