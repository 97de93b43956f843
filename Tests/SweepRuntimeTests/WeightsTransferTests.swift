import Testing
import Foundation
import SweepConfig
import SweepProtocol
import SweepStore
import TestSupport
@testable import SweepCoordinator

/// Trained weights crossing from worker to coordinator in chunks, ahead of their result.
@Suite struct WeightsTransferTests {
    static let a: PeerID = [1], b: PeerID = [2]

    static func makeCore(tasks n: Int, saveWeights: Bool = false, finished: [(String, Double)] = []) -> CoordinatorCore {
        let sweep = SweepRecord(id: 1, name: "s", spec: "", metric: "test_accuracy", maximize: true, createdAt: 0)
        var records = (0..<n).map { TaskRecord(sweepID: 1, taskID: "t\($0)", index: $0, params: #"{"model":"noop"}"#) }
        for (k, (id, accuracy)) in finished.enumerated() {
            records.append(TaskRecord(sweepID: 1, taskID: id, index: n + k, params: "{}", status: .completed,
                                      metrics: #"{"test_accuracy":\#(accuracy)}"#))
        }
        return CoordinatorCore(sweep: sweep, tasks: records,
                               settings: .init(heartbeatInterval: 1, liveness: 3, maxAttempts: 3, saveWeights: saveWeights))
    }

    static func start(_ core: CoordinatorCore, _ peer: PeerID, worker: String, credit: Int = 1) -> [Assignment] {
        _ = core.receive(from: peer, message: .hello(Hello(workerID: worker, host: "h", pid: 1, cores: 1, slots: credit)), now: 0)
        return core.receive(from: peer, message: .ready(credit: credit), now: 0).compactMap {
            if case .send(_, .task(let t)) = $0 { return t } else { return nil }
        }
    }

    static let file: [UInt8] = (0..<2_500).map { UInt8(truncatingIfNeeded: $0 &* 31) }

    static func outcome(_ id: String, accuracy: Double, digest: WeightsDigest?) -> Message {
        .result(Outcome(taskID: id, attempt: 1, status: "completed", metrics: .object([("test_accuracy", .double(accuracy))]),
                        error: nil, wallSeconds: 1, insights: .object([("loss_every", .int(1))]), weights: digest))
    }

    static func written(_ effects: [Effect]) -> [(String, [UInt8], Bool, Bool)] {
        effects.compactMap { if case .weights(let id, let file, let t, let b) = $0 { return (id, file, t, b) } else { return nil } }
    }

    @Test func assignmentsCarryTheBestSoFarAndTheSaveAllFlag() {
        let core = Self.makeCore(tasks: 2, finished: [("old", 0.4), ("older", 0.7)])
        #expect(core.best == 0.7)
        let tasks = Self.start(core, Self.a, worker: "wa")
        #expect(tasks.first?.weights == WeightsRequest(all: false, metric: "test_accuracy", maximize: true, best: 0.7))
        let all = Self.makeCore(tasks: 1, saveWeights: true)
        #expect(Self.start(all, Self.a, worker: "wa").first?.weights == WeightsRequest(all: true, metric: "test_accuracy", maximize: true, best: nil))
        // the worker's side of the rule
        let request = WeightsRequest(all: false, metric: "test_accuracy", maximize: true, best: 0.7)
        #expect(request.wants(finalMetrics: .object([("test_accuracy", .double(0.71))])))
        #expect(!request.wants(finalMetrics: .object([("test_accuracy", .double(0.7))])))
        #expect(!request.wants(finalMetrics: .object([("test_accuracy", .null)])))
    }

    /// Chunks reassemble into the file, written (as best) before the result's store
    /// update and its ACK; insights are stored with the result.
    @Test func chunksBecomeOneFileWrittenBeforeTheCommitAndTheAck() {
        let core = Self.makeCore(tasks: 1)
        _ = Self.start(core, Self.a, worker: "wa")
        for chunk in WeightsChunk.split(Self.file, taskID: "t0", attempt: 1, chunkSize: 1000) {
            #expect(core.receive(from: Self.a, message: .weights(chunk), now: 1).isEmpty)
        }
        let e = core.receive(from: Self.a, message: Self.outcome("t0", accuracy: 0.8, digest: WeightsDigest(of: Self.file)), now: 2)
        let w = Self.written(e)
        #expect(w.count == 1 && w[0].0 == "t0" && w[0].1 == Self.file && !w[0].2 && w[0].3)
        let weightsAt = e.firstIndex { if case .weights = $0 { return true } else { return false } }!
        let finishedAt = e.firstIndex { if case .store(.finished) = $0 { return true } else { return false } }!
        let ackAt = e.firstIndex { if case .send(_, .ack) = $0 { return true } else { return false } }!
        #expect(weightsAt < finishedAt && finishedAt < ackAt)
        #expect(e.contains { if case .store(.insights(1, "t0", #"{"loss_every":1}"#)) = $0 { return true } else { return false } })
        #expect(core.best == 0.8)
    }

    /// Only a run that beats the best is kept without --save-weights; with it, every run.
    @Test func onlyTheBestIsKeptUnlessEveryRunIsAskedFor() {
        for saveAll in [false, true] {
            let core = Self.makeCore(tasks: 2, saveWeights: saveAll)
            _ = Self.start(core, Self.a, worker: "wa", credit: 2)
            var writes: [(String, [UInt8], Bool, Bool)] = []
            for (id, accuracy) in [("t0", 0.9), ("t1", 0.6)] {
                for chunk in WeightsChunk.split(Self.file, taskID: id, attempt: 1, chunkSize: 700) {
                    _ = core.receive(from: Self.a, message: .weights(chunk), now: 1)
                }
                writes += Self.written(core.receive(from: Self.a, message: Self.outcome(id, accuracy: accuracy, digest: WeightsDigest(of: Self.file)), now: 2))
            }
            if saveAll {
                #expect(writes.map(\.0) == ["t0", "t1"] && writes.map(\.2) == [true, true] && writes.map(\.3) == [true, false])
            } else {
                #expect(writes.map(\.0) == ["t0"] && writes[0].3)
            }
        }
    }

    /// A missing or corrupted chunk: the result is stored and acknowledged without weights.
    @Test func incompleteWeightsAreNotWritten() {
        let core = Self.makeCore(tasks: 2)
        _ = Self.start(core, Self.a, worker: "wa", credit: 2)
        let chunks = WeightsChunk.split(Self.file, taskID: "t0", attempt: 1, chunkSize: 1000)
        _ = core.receive(from: Self.a, message: .weights(chunks[0]), now: 1)
        let skipped = core.receive(from: Self.a, message: .weights(chunks[2]), now: 1)   // chunk 1 lost
        #expect(skipped.contains { if case .log(let l) = $0 { return l.contains("expected 1000") } else { return false } })
        let e = core.receive(from: Self.a, message: Self.outcome("t0", accuracy: 0.8, digest: WeightsDigest(of: Self.file)), now: 2)
        #expect(Self.written(e).isEmpty)
        #expect(e.contains { if case .store(.finished) = $0 { return true } else { return false } })
        #expect(e.contains { if case .send(_, .ack("t0")) = $0 { return true } else { return false } })

        var corrupt = WeightsChunk.split(Self.file, taskID: "t1", attempt: 1, chunkSize: 1000)
        corrupt[1].bytes[5] ^= 0xFF
        for c in corrupt { _ = core.receive(from: Self.a, message: .weights(c), now: 3) }
        #expect(Self.written(core.receive(from: Self.a, message: Self.outcome("t1", accuracy: 0.9, digest: WeightsDigest(of: Self.file)), now: 4)).isEmpty)
    }

    /// Weights from a worker that was never given the task are dropped.
    @Test func weightsFromAStrangerAreDropped() {
        let core = Self.makeCore(tasks: 1)
        _ = Self.start(core, Self.a, worker: "wa")
        _ = core.receive(from: Self.b, message: .hello(Hello(workerID: "wb", host: "h", pid: 2, cores: 1, slots: 1)), now: 0)
        let e = core.receive(from: Self.b, message: .weights(WeightsChunk(taskID: "t0", attempt: 1, offset: 0, total: 3, bytes: [1, 2, 3])), now: 1)
        #expect(e.contains { if case .log(let l) = $0 { return l.contains("does not hold it") } else { return false } })
    }

    /// A weights file that cannot be written (here a plain file stands where the weights
    /// directory's parent should be, which stops root too): the result is stored all the
    /// same, a warning names the task, the path and errno's text, and the store marks the
    /// task so that `sweep status` says its weights were not saved.
    @Test func anUnwritableFileKeepsTheResultAndMarksTheTask() throws {
        let stored = try StoredCore("sweep-weights-fail", saveWeights: true)
        defer { stored.remove() }
        let (dir, store, sweep, core) = (stored.dir, stored.store, stored.sweep, stored.core)
        _ = core.receive(from: Self.a, message: .hello(Hello(workerID: "wa", host: "h", pid: 1, cores: 1, slots: 1)), now: 0)
        var effects = core.receive(from: Self.a, message: .ready(credit: 1), now: 0)
        for chunk in WeightsChunk.split(Self.file, taskID: "t0", attempt: 1, chunkSize: 1000) {
            effects += core.receive(from: Self.a, message: .weights(chunk), now: 1)
        }
        effects += core.receive(from: Self.a, message: Self.outcome("t0", accuracy: 0.8, digest: WeightsDigest(of: Self.file)), now: 2)
        #expect(Self.written(effects).count == 1)

        #expect(FileManager.default.createFile(atPath: dir + "/weights", contents: Data()))
        let directory = WeightsFiles.directory(store: store.path, sweep: sweep.name)
        var lines: [String] = []
        let unsaved = Coordinator.writeWeights(effects, sweepID: sweep.id, directory: directory) { lines.append($0) }
        let reason = dir + "/weights: Not a directory"
        #expect(lines == ["warning: task t0: its weights were not saved under \(directory): \(reason); its result is kept"])
        try store.apply(Round(effects).updates + unsaved)   // as the loop commits a round
        let tasks = try store.tasks(sweepID: sweep.id)
        #expect(tasks.map(\.status) == [.completed])
        #expect(try store.unsavedWeights(sweepID: sweep.id) == ["t0": reason])
        let status = StatusReport.render(sweep: sweep, tasks: tasks, unsavedWeights: try store.unsavedWeights(sweepID: sweep.id))
        #expect(status.hasSuffix("  weights not saved for t0: \(reason)\n"), "\(status)")

        // once the directory can be made, the same effects write the files and mark nothing
        try FileManager.default.removeItem(atPath: dir + "/weights")
        #expect(Coordinator.writeWeights(effects, sweepID: sweep.id, directory: directory) { lines.append($0) }.isEmpty)
        #expect(FileManager.default.contents(atPath: directory + "/t0.safetensors") == Data(Self.file))
        #expect(lines.count == 1)
    }

    /// The startup check: a directory that can be made and written passes and is left as it
    /// was found (nothing created stays); one that cannot names itself and the reason.
    @Test func theStartupCheckNamesTheDirectoryAndTheReason() throws {
        let dir = makeTemporaryDirectory("sweep-weights-check")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = WeightsFiles.directory(store: dir + "/sweep.db", sweep: "s")
        try WeightsFiles.checkWritable(directory: target)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try WeightsFiles.checkWritable(directory: target)
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)

        try FileManager.default.removeItem(atPath: dir + "/weights")
        #expect(FileManager.default.createFile(atPath: dir + "/weights", contents: Data()))
        let parent = #expect(throws: WeightsFiles.UnwritableDirectory.self) { try WeightsFiles.checkWritable(directory: target) }
        #expect(parent?.description == "weights directory \(target) is not writable: \(dir)/weights: Not a directory")
        #expect(FileManager.default.createFile(atPath: dir + "/file", contents: Data()))
        let itself = #expect(throws: WeightsFiles.UnwritableDirectory.self) { try WeightsFiles.checkWritable(directory: dir + "/file") }
        #expect(itself?.description == "weights directory \(dir)/file is not writable: Not a directory")
    }

    /// Files land durably under <db dir>/weights/<sweep>/, best.txt naming the task.
    @Test func filesAreWrittenNextToTheStore() throws {
        let dir = NSTemporaryDirectory() + "sweep-weights-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = WeightsFiles.directory(store: dir + "/sweep.db", sweep: "a/b")
        #expect(target == dir + "/weights/a_b")
        try WeightsFiles.write(Self.file, taskID: "t0", asTask: true, asBest: true, directory: target)
        try WeightsFiles.write([1, 2], taskID: "t1", asTask: true, asBest: false, directory: target)
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).sorted() == ["best.safetensors", "best.txt", "t0.safetensors", "t1.safetensors"])
        #expect(FileManager.default.contents(atPath: target + "/best.safetensors") == Data(Self.file))
        #expect(FileManager.default.contents(atPath: target + "/best.txt") == Data("t0\n".utf8))
    }
}
