import Foundation
import GRDB
import Testing
@testable import SweepStore

@Suite struct InsightsTests {
    @Test func insightsAreStoredOnceWithTheResult() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/sweep.db")
            let s = try store.openSweep(name: "s", spec: "", metric: "test_accuracy", maximize: true, tasks: newTasks(2)).id
            try store.apply([.handedOut(sweepID: s, taskID: "t0", worker: "w", at: 1), .attemptStarted(sweepID: s, taskID: "t0", attempts: 1),
                             .epoch(sweepID: s, taskID: "t0", epoch: 1, metrics: #"{"epoch":1}"#),
                             .epoch(sweepID: s, taskID: "t0", epoch: 2, metrics: #"{"epoch":2}"#)])
            let took = try store.apply([
                .finished(sweepID: s, taskID: "t0", status: .completed, metrics: metrics(testAccuracy: 0.5, testLoss: 1),
                          error: nil, wallSeconds: 1, worker: "w", at: 2),
                .insights(sweepID: s, taskID: "t0", data: #"{"first":true}"#),
                .insights(sweepID: s, taskID: "t0", data: #"{"first":false}"#),
                .insights(sweepID: s, taskID: "nope", data: "{}"),
            ])
            #expect(took == [true, true, false, false])
            #expect(try store.insights(sweepID: s) == ["t0": #"{"first":true}"#])
            #expect(try store.allEpochs(sweepID: s) == ["t0": [#"{"epoch":1}"#, #"{"epoch":2}"#]])
        }
    }

    /// A file written before the insights migration migrates when opened for writing, and reads (without insights) when opened read-only.
    @Test func aVersion1FileStillReads() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/old.db"
            let queue = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(queue, upTo: "v1")
            try queue.close()

            let readOnly = try Store(path: path, readOnly: true)
            #expect(try readOnly.schemaVersions() == ["v1"])
            #expect(try readOnly.insights(sweepID: 1) == [:])
            #expect(try readOnly.unsavedWeights(sweepID: 1) == [:])
            try readOnly.close()
            let writer = try Store(path: path)
            #expect(try writer.schemaVersions() == ["v1", "stop-decisions", "insights", "unsaved-weights", "workers", "pbt"])
        }
    }
}
