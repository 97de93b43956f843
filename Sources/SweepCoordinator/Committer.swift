import Foundation
import SweepStore
#if canImport(Glibc)
import Glibc
#endif

/// Commits the coordinator's rounds on a thread of its own, so the loop keeps handing out
/// tasks while a commit waits for its fsync: the rounds that queue up meanwhile go to disk
/// together in the next transaction (group commit), in order. Each round's promises (ACK,
/// done, …) come back to the loop, which alone owns the socket, once its updates are
/// committed: `ready()`, with `wakeDescriptor` readable to say there is something. A commit
/// the store refuses for a passing reason (disk full) is held back and retried (`CommitGate`).
final class Committer: @unchecked Sendable {
    /// The read end of a pipe the loop polls beside its socket: readable once `ready()`
    /// has something.
    let wakeDescriptor: Int32
    private let wakeWriter: Int32
    private let store: Store
    private let now: @Sendable () -> Double
    private let condition = NSCondition()
    // guarded by `condition`:
    private var queue: [(updates: [StoreUpdate], late: [Effect])] = []
    private var committed: [Effect] = []
    private var committing = false
    private var holding = false
    private var stopping = false
    private var failure: (any Error)?
    private var heldResults = 0
    private var heldUpdates = 0
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)
    // the committer thread's own:
    private var gate: CommitGate

    /// Told how long each commit took (`sweep_store_commit_seconds`).
    private let onCommit: @Sendable (Duration) -> Void

    init(store: Store, now: @escaping @Sendable () -> Double, onCommit: @escaping @Sendable (Duration) -> Void = { _ in }) {
        self.store = store
        self.now = now
        self.onCommit = onCommit
        gate = CommitGate(path: store.path)
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) != 0 { fatalError("committer: pipe: \(String(cString: strerror(errno)))") }
        for fd in ends {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        (wakeDescriptor, wakeWriter) = (ends[0], ends[1])
        // the thread holds the committer until stop() ends it
        let thread = Thread { [self] in self.loop() }
        thread.name = "sweep-committer"
        thread.start()
    }

    deinit {
        close(wakeDescriptor)
        close(wakeWriter)
    }

    /// Queues a round: its store updates, then what must wait for them.
    func submit(_ updates: [StoreUpdate], then late: [Effect]) {
        condition.lock()
        queue.append((updates, late))
        condition.signal()
        condition.unlock()
    }

    /// The effects of committed rounds, in order (and log lines); throws the error of a
    /// commit that failed for good.
    func ready() throws -> [Effect] {
        var drain = [UInt8](repeating: 0, count: 64)
        while read(wakeDescriptor, &drain, drain.count) == drain.count {}
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        let out = committed
        committed = []
        return out
    }

    /// The store refuses commits for now: hold, retrying.
    var isHolding: Bool {
        condition.lock()
        defer { condition.unlock() }
        return holding
    }

    /// Nothing queued, being committed, held or waiting to be taken.
    var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return queue.isEmpty && !committing && !holding && committed.isEmpty
    }

    /// Results held back while the store cannot commit, and the updates with them.
    var held: (results: Int, updates: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (heldResults, heldUpdates + queue.reduce(0) { $0 + $1.updates.count })
    }

    /// Commits what is queued (unless the store is refusing), then ends the thread.
    /// What committed is still to be taken with `ready()`.
    func stop() {
        condition.lock()
        if stopped {
            condition.unlock()
            return
        }
        stopped = true
        stopping = true
        condition.signal()
        condition.unlock()
        finished.wait()
    }

    private func loop() {
        condition.lock()
        while true {
            while queue.isEmpty && !stopping && failure == nil {
                if holding {
                    let wait = gate.nextTry - now()
                    if wait <= 0 { break }
                    _ = condition.wait(until: Date().addingTimeInterval(wait))
                } else {
                    condition.wait()
                }
            }
            if failure != nil || (stopping && (queue.isEmpty || holding)) { break }
            let rounds = queue
            queue = []
            committing = true
            condition.unlock()
            let result = Result { () throws -> [Effect] in
                try gate.commit(rounds.flatMap(\.updates), then: rounds.flatMap(\.late), now: now()) { updates in
                    let clock = ContinuousClock(), t0 = clock.now
                    try store.apply(updates)
                    onCommit(clock.now - t0)
                }
            }
            condition.lock()
            committing = false
            holding = gate.isHolding
            (heldResults, heldUpdates) = (gate.heldResults, gate.updates.count)
            switch result {
            case .success(let effects): committed += effects
            case .failure(let error): failure = error
            }
            var one: UInt8 = 1
            _ = write(wakeWriter, &one, 1)   // a full pipe is awake already
        }
        condition.unlock()
        finished.signal()
    }
}
