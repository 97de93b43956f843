import Testing
import SweepConfig
@testable import SweepProtocol

@Suite struct CodecTests {
    static let messages: [Message] = [
        .hello(Hello(workerID: "w-1", host: "node7", pid: 42, cores: 8, slots: 4, holding: ["ab12"])),
        .hello(Hello(workerID: "w-1", host: "node7", pid: 42, cores: 8, slots: 4, holding: ["ab12"], reportsStarts: true)),
        .ready(credit: 2),
        .started(taskID: "00ff", attempt: 2),
        .task(Assignment(sweep: "s", taskID: "00ff", attempt: 1, params: .object([("model", .string("mlp")), ("learning_rate", .double(0.001))]))),
        .progress(TaskProgress(taskID: "00ff", attempt: 2, epoch: 3, metrics: .object([("train_loss", .double(0.5))]))),
        .result(Outcome(taskID: "00ff", attempt: 1, status: "completed", metrics: .object([("test_accuracy", .double(0.875))]), error: nil, wallSeconds: 1.5)),
        .result(Outcome(taskID: "00ff", attempt: 3, status: "failed", metrics: .object([]), error: "boom", wallSeconds: 0)),
        .ack(taskID: "00ff"), .cancel(taskID: "00ff"), .done, .bye, .heartbeat,
        // method pbt: an interval, from scratch and from a checkpoint (the fourth frame)
        .task(Assignment(sweep: "s", taskID: "00ff", attempt: 2, params: .object([]), interval: Interval(from: 0, to: 2, checkpoint: nil))),
        .task(Assignment(sweep: "s", taskID: "00ff", attempt: 4, params: .object([]), interval: Interval(from: 2, to: 4, checkpoint: [1, 2, 3, 0]))),
    ]

    @Test func aCheckpointThatDoesNotMatchItsHashIsRefused() throws {
        var frames = Codec.encode(.task(Assignment(sweep: "s", taskID: "00ff", attempt: 1, params: .object([]),
                                                   interval: Interval(from: 2, to: 4, checkpoint: [1, 2, 3]))))
        #expect(frames.count == 4)
        frames[3][1] = 9
        #expect(throws: ProtocolError.self) { try Codec.decode(frames) }
    }

    @Test(arguments: messages)
    func roundTrips(_ m: Message) throws {
        #expect(try Codec.decode(Codec.encode(m)) == m)
        // a worker keeps a task's params as text: the same message
        #expect(try Codec.decode(Codec.encode(m), rawMembers: ["params"]) == m)
    }

    @Test(arguments: [
        ([["sweep/1"], ["ready"]].map { $0.flatMap { Array($0.utf8) } }, "expected 3 frames, got 2"),
        (["sweep/9", "ready", #"{"credit":1}"#].map { Array($0.utf8) }, "unknown protocol version 'sweep/9'"),
        (["sweep/1", "steal", "{}"].map { Array($0.utf8) }, "unknown message kind 'steal'"),
        (["sweep/1", "ready", "{credit"].map { Array($0.utf8) }, "ready: invalid JSON at byte 1: expected a key"),
        (["sweep/1", "ready", #"{"credit":0}"#].map { Array($0.utf8) }, "ready: credit must be an integer >= 1"),
        (["sweep/1", "ready", "[]"].map { Array($0.utf8) }, "ready: body is not a JSON object"),
        (["sweep/1", "result", #"{"task_id":"a","attempt":1,"status":"won","metrics":{},"error":null,"wall_seconds":1}"#].map { Array($0.utf8) }, "result: unknown status 'won'"),
        (["sweep/1", "task", #"{"sweep":"s","task_id":"a","attempt":1}"#].map { Array($0.utf8) }, "task: missing params"),
        (["sweep/1", "bye", "x"].map { Array($0.utf8) }, "bye carries a body"),
        (["sweep/1", "started", #"{"task_id":"a","attempt":0}"#].map { Array($0.utf8) }, "started: attempt must be an integer >= 1"),
        (["sweep/1", "started", #"{"attempt":1}"#].map { Array($0.utf8) }, "started: missing task_id"),
        (["sweep/1", "hello", #"{"worker_id":"w","host":"h","pid":1,"cores":1,"slots":1,"holding":[],"reports_started":1}"#]
            .map { Array($0.utf8) }, "hello: reports_started must be a boolean"),
    ])
    func rejectsMalformedMessages(frames: [[UInt8]], reason: String) {
        #expect(throws: ProtocolError(reason)) { try Codec.decode(frames) }
    }

    /// An older worker's hello has no reports_started: it is charged at hand-out, as before.
    @Test func aHelloWithoutReportsStartedIsAnOlderWorkers() throws {
        let frames = ["sweep/1", "hello", #"{"worker_id":"w","host":"h","pid":1,"cores":1,"slots":1,"holding":["t"]}"#]
            .map { Array($0.utf8) }
        #expect(try Codec.decode(frames) == .hello(Hello(workerID: "w", host: "h", pid: 1, cores: 1, slots: 1, holding: ["t"])))
    }

    @Test func survivesRandomBytes() {
        var state: UInt64 = 12345
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        for _ in 0..<2000 {
            let frames = (0..<Int(next() % 5)).map { _ in (0..<Int(next() % 40)).map { _ in UInt8(truncatingIfNeeded: next()) } }
            _ = try? Codec.decode(frames)
        }
        // mutated valid messages
        for m in Self.messages {
            var frames = Codec.encode(m)
            for _ in 0..<200 {
                let f = Int(next() % UInt64(frames.count))
                if !frames[f].isEmpty { frames[f][Int(next() % UInt64(frames[f].count))] = UInt8(truncatingIfNeeded: next()) }
                _ = try? Codec.decode(frames)
            }
        }
    }
}

/// The fields added for issue 7 (weights, insights): optional, so messages without them are unchanged.
@Suite struct CodecWeightsTests {
    static let messages: [Message] = [
        .task(Assignment(sweep: "s", taskID: "00ff", attempt: 1, params: .object([]),
                         weights: WeightsRequest(all: false, metric: "test_loss", maximize: false, best: 0.25))),
        .task(Assignment(sweep: "s", taskID: "00ff", attempt: 1, params: .object([]),
                         weights: WeightsRequest(all: true, metric: "test_accuracy", maximize: true, best: nil))),
        .weights(WeightsChunk(taskID: "00ff", attempt: 2, offset: 4, total: 10, bytes: [0, 255, 7, 1, 0, 0])),
        .result(Outcome(taskID: "00ff", attempt: 1, status: "completed", metrics: .object([]), error: nil, wallSeconds: 1,
                        insights: .object([("loss_every", .int(3))]), weights: WeightsDigest(bytes: 10, fnv1a: .max))),
    ]

    @Test(arguments: messages)
    func roundTrips(_ m: Message) throws {
        #expect(try Codec.decode(Codec.encode(m)) == m)
    }

    @Test func weightsTravelAsAFourthBinaryFrame() {
        let frames = Codec.encode(.weights(WeightsChunk(taskID: "t", attempt: 1, offset: 0, total: 3, bytes: [1, 2, 3])))
        #expect(frames.count == 4 && frames[3] == [1, 2, 3])
        // other messages keep three frames, and their bodies stay as before without the new fields
        let task = Codec.encode(.task(Assignment(sweep: "s", taskID: "t", attempt: 1, params: .object([]))))
        #expect(task.count == 3 && String(decoding: task[2], as: UTF8.self) == #"{"sweep":"s","task_id":"t","attempt":1,"params":{}}"#)
    }

    @Test(arguments: [
        (["sweep/1", "weights", #"{"task_id":"t","attempt":1,"offset":0,"total":3}"#].map { Array($0.utf8) }, "weights: expected 4 frames, got 3"),
        (["sweep/1", "weights", #"{"task_id":"t","attempt":1,"offset":2,"total":3}"#, "ab"].map { Array($0.utf8) }, "weights: 2 bytes at offset 2 lie beyond total 3"),
        (["sweep/1", "weights", #"{"task_id":"t","attempt":1,"offset":0,"total":9999999999}"#, ""].map { Array($0.utf8) }, "weights: total 9999999999 exceeds 1073741824"),
        (["sweep/1", "ready", #"{"credit":1}"#, "x"].map { Array($0.utf8) }, "expected 3 frames, got 4"),
        (["sweep/1", "result", #"{"task_id":"a","attempt":1,"status":"completed","metrics":{},"error":null,"wall_seconds":1,"weights":{"bytes":1,"fnv1a":"zz"}}"#].map { Array($0.utf8) }, "result: weights: fnv1a must be a 64-bit hex number"),
        (["sweep/1", "result", #"{"task_id":"a","attempt":1,"status":"completed","metrics":{},"error":null,"wall_seconds":1,"insights":[1]}"#].map { Array($0.utf8) }, "result: insights must be an object"),
        (["sweep/1", "task", #"{"sweep":"s","task_id":"a","attempt":1,"params":{},"weights":{"all":1}}"#].map { Array($0.utf8) }, "task: weights needs booleans all and maximize"),
    ])
    func rejectsMalformedWeightsFields(frames: [[UInt8]], reason: String) {
        #expect(throws: ProtocolError(reason)) { try Codec.decode(frames) }
    }

    @Test func chunksCoverTheFileInOrder() {
        let file = (0..<1234).map { UInt8($0 % 251) }
        let chunks = WeightsChunk.split(file, taskID: "t", attempt: 1, chunkSize: 500)
        #expect(chunks.map(\.offset) == [0, 500, 1000] && chunks.allSatisfy { $0.total == 1234 })
        #expect(chunks.flatMap(\.bytes) == file)
        #expect(WeightsChunk.split([], taskID: "t", attempt: 1).map(\.total) == [0])
    }
}
