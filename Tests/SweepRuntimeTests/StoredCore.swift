import Foundation
import SweepStore
import TestSupport
@testable import SweepCoordinator

/// A coordinator core over a real store in a fresh directory, holding one noop task
/// "t0": for tests that check what the store makes of the core's updates.
struct StoredCore {
    let dir: String
    let store: Store
    let sweep: SweepRecord
    let core: CoordinatorCore

    init(_ prefix: String, saveWeights: Bool = false) throws {
        dir = makeTemporaryDirectory(prefix)
        store = try Store(path: dir + "/sweep.db")
        sweep = try store.openSweep(name: "s", spec: "", metric: "test_accuracy", maximize: true,
                                    tasks: [NewTask(id: "t0", index: 0, params: #"{"model":"noop"}"#)])
        core = CoordinatorCore(sweep: sweep, tasks: try store.tasks(sweepID: sweep.id),
                               settings: .init(heartbeatInterval: 1, liveness: 3, maxAttempts: 3, saveWeights: saveWeights))
    }

    /// Commits the store updates among `effects` in one transaction, as the coordinator's loop does.
    func commit(_ effects: [Effect]) throws { try store.apply(Round(effects).updates) }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}
