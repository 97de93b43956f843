import SweepStore

/// Lets a round's durable promises (ACK, done, cancel, progress output) out only once
/// the round's store updates are committed. When a commit fails for a reason that
/// passes (disk full, I/O error: `StoreError.condition`), that round and every later
/// one are held back, in order, their updates appended after the failed ones, and the
/// whole backlog is retried every `retryInterval` seconds as one transaction; one line
/// says when holding starts and one when it ends. Log lines are not promises and go
/// out at once. Takes time as a parameter and the commit as a function, so tests
/// drive it without a store or sockets.
struct CommitGate {
    /// Seconds between commits of a held backlog: a failed commit on a full disk costs
    /// little, and a second is short beside the wait for space.
    static let retryInterval = 1.0

    private(set) var updates: [StoreUpdate] = []
    private(set) var effects: [Effect] = []
    /// When holding began; nil while commits succeed.
    private(set) var since: Double?
    private(set) var nextTry = 0.0
    let path: String

    init(path: String) { self.path = path }

    var isHolding: Bool { since != nil }

    /// Results held unacknowledged (their ACKs wait here).
    var heldResults: Int {
        effects.reduce(0) { n, e in
            if case .send(_, .ack) = e { return n + 1 }
            return n
        }
    }

    /// Commits a round's `updates` (or adds them to the backlog), then returns the
    /// effects that may go out now, in order: `late` when the commit succeeded, the
    /// whole backlog when a retry did, log lines always. A failure that is not a passing
    /// condition (a bug, a corrupt file) is thrown, as before.
    mutating func commit(_ updates: [StoreUpdate], then late: [Effect], now: Double,
                         store: ([StoreUpdate]) throws -> Void) throws -> [Effect] {
        let logs = late.filter { if case .log = $0 { true } else { false } }
        let promises = late.filter { if case .log = $0 { false } else { true } }
        guard let since else {
            do {
                if !updates.isEmpty { try store(updates) }
                return late
            } catch let e as StoreError where e.condition != nil {
                self.updates = updates
                effects = promises
                self.since = now
                nextTry = now + Self.retryInterval
                return logs + [.log(holdingLine(e))]
            }
        }
        self.updates += updates
        effects += promises
        guard now >= nextTry else { return logs }
        do {
            try store(self.updates)
        } catch let e as StoreError where e.condition != nil {
            nextTry = now + Self.retryInterval
            return logs
        }
        let released = effects
        let line = "store: committing again after \(Int((now - since).rounded())) s (\(path)): " +
            "\(self.updates.count) update(s) stored, \(heldResults) result(s) acknowledged"
        self.updates = []
        effects = []
        self.since = nil
        return logs + [.log(line)] + released
    }

    private func holdingLine(_ e: StoreError) -> String {
        let what = e.condition == .diskFull ? "disk full (\(path))" : "cannot commit (\(e.message))"
        return "store: \(what): holding \(heldResults) result(s) unacknowledged; retrying every \(Int(Self.retryInterval)) s"
    }
}
