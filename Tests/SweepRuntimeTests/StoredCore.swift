import Foundation
import SweepStore
import TestSupport
@testable import SweepCoordinator

/// A coordinator core over a real store in a fresh directory, holding noop tasks
/// "t0", "t1", …: for tests that check what the store makes of the core's updates.
struct StoredCore {
    let dir: String
    let store: Store
    let sweep: SweepRecord
    let core: CoordinatorCore

    init(_ prefix: String, tasks n: Int = 1, maxAttempts: Int = 3, saveWeights: Bool = false) throws {
        dir = makeTemporaryDirectory(prefix)
        store = try Store(path: dir + "/sweep.db")
        sweep = try store.openSweep(name: "s", spec: "", metric: "test_accuracy", maximize: true,
                                    tasks: (0..<n).map { NewTask(id: "t\($0)", index: $0, params: #"{"model":"noop"}"#) })
        core = CoordinatorCore(sweep: sweep, tasks: try store.tasks(sweepID: sweep.id),
                               settings: .init(heartbeatInterval: 1, liveness: 3, maxAttempts: maxAttempts, saveWeights: saveWeights))
    }

    /// A coordinator started anew over the same store (after a SIGKILL: the store as last committed).
    func restarted() throws -> CoordinatorCore {
        let reopened = try store.openSweep(name: "s", spec: "", metric: "test_accuracy", maximize: true, tasks: [])
        return CoordinatorCore(sweep: reopened, tasks: try store.tasks(sweepID: sweep.id), settings: core.settings)
    }

    /// Commits the store updates among `effects` in one transaction, as the coordinator's loop does.
    func commit(_ effects: [Effect]) throws { try store.apply(Round(effects).updates) }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}
