import Foundation
import Synchronization
import SweepProtocol
import ZeroMQ

/// One long-lived thread per training slot, each with its own PUSH socket to the
/// worker's loop. Tasks wait in a queue; a thread and a socket per task would cost
/// more than a no-op task itself.
final class SlotPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Assignment] = []
    private var stopping = false
    private var threads: [Thread] = []
    /// Task ids the coordinator asked to stop; a slot polls it between steps.
    private let cancelled = CancelledTasks()

    init(count: Int, context: Context, endpoint: String, datasets: DatasetCache) throws {
        let cancelled = self.cancelled
        for k in 0..<count {
            let push = try context.socket(.push)
            try push.setLinger(milliseconds: -1)
            try push.setSendHighWaterMark(0)
            try push.connect(endpoint)
            let thread = Thread { [self] in
                defer { push.close() }
                while let a = next() {
                    // the task leaves the queue: from now on losing this worker costs it an attempt
                    try? push.send(Codec.encode(.started(taskID: a.taskID, attempt: a.attempt)))
                    let outcome = Slot.train(a, datasets: datasets, isCancelled: { cancelled.contains(a.taskID) },
                                             progress: { p in try? push.send(Codec.encode(.progress(p))) },
                                             weights: { file in
                                                 for chunk in WeightsChunk.split(file, taskID: a.taskID, attempt: a.attempt) {
                                                     try? push.send(Codec.encode(.weights(chunk)))
                                                 }
                                             })
                    cancelled.remove(a.taskID)
                    try? push.send(Codec.encode(.result(outcome)))
                }
            }
            thread.name = "slot-\(k)"
            // the engine keeps its buffers on the heap; 8 MiB leaves room for deep call chains
            thread.stackSize = 8 << 20
            threads.append(thread)
        }
        for t in threads { t.start() }
    }

    func submit(_ a: Assignment) {
        condition.lock()
        queue.append(a)
        condition.signal()
        condition.unlock()
    }

    /// The next task, or nil once the pool stops.
    private func next() -> Assignment? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !stopping { condition.wait() }
        return stopping ? nil : queue.removeFirst()
    }

    /// Asks the slot training `taskID` to stop (early termination): it reports the task `stopped`.
    func cancel(_ taskID: String) {
        cancelled.insert(taskID)
    }

    /// Removes and returns the tasks still waiting for a slot.
    func takeQueued() -> [Assignment] {
        condition.lock()
        defer { condition.unlock() }
        let queued = queue
        queue.removeAll()
        return queued
    }

    /// Idle threads end; a thread still training ends after its task.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Task ids the coordinator asked to stop; slots poll it between steps.
final class CancelledTasks: Sendable {
    private let ids = Mutex<Set<String>>([])
    func insert(_ id: String) { ids.withLock { _ = $0.insert(id) } }
    func remove(_ id: String) { ids.withLock { _ = $0.remove(id) } }
    func contains(_ id: String) -> Bool { ids.withLock { $0.contains(id) } }
}
