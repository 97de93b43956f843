import Foundation
import Testing
import SweepStore
import TestSupport
@testable import SweepCoordinator

/// A hand-out the store had not committed when the coordinator died: the next coordinator
/// reads its holder from `<store>.handouts`, so that worker may claim the task back.
@Suite struct HandOutLogTests {
    @Test func theNextCoordinatorKnowsWhoHeldTasksTheStoreDidNotRecord() throws {
        let dir = makeTemporaryDirectory("sweep-handouts")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = dir + "/sweep.db"
        let records = ["t0", "t1", "t2"].enumerated().map { TaskRecord(sweepID: 1, taskID: $1, index: $0, params: "{}") }
        do {
            let first = HandOutLog(store: store)
            first.write([.handedOut(sweepID: 1, taskID: "t0", worker: "a@h", at: 1), .attemptStarted(sweepID: 1, taskID: "t0", attempts: 1),
                         .handedOut(sweepID: 1, taskID: "t1", worker: "a@h", at: 1)])
            first.write([.handedOut(sweepID: 1, taskID: "t1", worker: "b@h", at: 2)])
        }
        var finished = records
        finished[1].status = .completed
        let second = HandOutLog(store: store)
        #expect(second.withLastHolders(finished).map(\.worker) == ["a@h", nil, nil])
        // written again at start, for a third coordinator should this one die too
        #expect(HandOutLog(store: store).withLastHolders(records).map(\.worker) == ["a@h", nil, nil])
        let core = CoordinatorCore(sweep: SweepRecord(id: 1, name: "s", spec: "", metric: "test_accuracy", maximize: true, createdAt: 0),
                                   tasks: HandOutLog(store: store).withLastHolders(records), settings: .init())
        _ = core.receive(from: [9], message: .hello(.init(workerID: "a", host: "h", pid: 1, cores: 1, slots: 1, holding: ["t0"])), now: 0)
        #expect(core.running == 1, "the holder claims its task back")
        HandOutLog(store: store).remove()
        #expect(!FileManager.default.fileExists(atPath: store + ".handouts"))
    }
}
