import SweepConfig

/// A message that cannot be decoded: logged and dropped by the receiver.
public struct ProtocolError: Error, CustomStringConvertible, Sendable, Equatable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Frames of a message: [version, kind, body]; the body is a JSON object (empty
/// for bodiless kinds). `weights` alone has a fourth frame, its raw bytes.
/// A ROUTER sees the peer identity before these frames.
///
/// Fields added since the first release (task.weights, result.insights,
/// result.weights, hello.reports_started, the weights and started messages) are
/// optional: a peer that does not send them is understood, and only a coordinator
/// that asks for weights gets them.
public enum Codec {
    public static func encode(_ message: Message) -> [[UInt8]] {
        let frames = [Array(Wire.version.utf8), Array(message.kind.utf8), body(message)]
        if case .weights(let w) = message { return frames + [w.bytes] }
        if case .task(let a) = message, let checkpoint = a.interval?.checkpoint { return frames + [checkpoint] }
        return frames
    }

    static func body(_ message: Message) -> [UInt8] {
        switch message {
        case .hello(let h):
            return JSON.object([
                ("worker_id", .string(h.workerID)), ("host", .string(h.host)), ("pid", .int(h.pid)),
                ("cores", .int(h.cores)), ("slots", .int(h.slots)), ("holding", .array(h.holding.map(JSON.string))),
                ("reports_started", .bool(h.reportsStarts)),
            ]).encodedBytes
        case .ready(let credit):
            return JSON.object([("credit", .int(credit))]).encodedBytes
        case .task(let a):
            var fields: [(String, JSON)] = [
                ("sweep", .string(a.sweep)), ("task_id", .string(a.taskID)), ("attempt", .int(a.attempt)), ("params", a.params),
            ]
            if let w = a.weights {
                fields.append(("weights", .object([("all", .bool(w.all)), ("metric", .string(w.metric)),
                                                   ("maximize", .bool(w.maximize)), ("best", w.best.map(JSON.double) ?? .null)])))
            }
            if let interval = a.interval {
                let checkpoint: JSON = interval.checkpoint.map { c in
                    let d = WeightsDigest(of: c)
                    return .object([("bytes", .int(d.bytes)), ("fnv1a", .string(String(d.fnv1a, radix: 16)))])
                } ?? .null
                fields.append(("interval", .object([("from", .int(interval.from)), ("to", .int(interval.to)), ("checkpoint", checkpoint)])))
            }
            return JSON.object(fields).encodedBytes
        case .weights(let w):
            return JSON.object([
                ("task_id", .string(w.taskID)), ("attempt", .int(w.attempt)), ("offset", .int(w.offset)), ("total", .int(w.total)),
            ]).encodedBytes
        case .started(let id, let attempt):
            return JSON.object([("task_id", .string(id)), ("attempt", .int(attempt))]).encodedBytes
        case .progress(let p):
            return JSON.object([
                ("task_id", .string(p.taskID)), ("attempt", .int(p.attempt)), ("epoch", .int(p.epoch)), ("metrics", p.metrics),
            ]).encodedBytes
        case .result(let o):
            var fields: [(String, JSON)] = [
                ("task_id", .string(o.taskID)), ("attempt", .int(o.attempt)), ("status", .string(o.status)),
                ("metrics", o.metrics), ("error", o.error.map(JSON.string) ?? .null), ("wall_seconds", .double(o.wallSeconds)),
            ]
            if let insights = o.insights { fields.append(("insights", insights)) }
            if let w = o.weights {
                // the hash as hex text: JSON numbers do not hold 64 bits
                fields.append(("weights", .object([("bytes", .int(w.bytes)), ("fnv1a", .string(String(w.fnv1a, radix: 16)))])))
            }
            return JSON.object(fields).encodedBytes
        case .ack(let id), .cancel(let id):
            return JSON.object([("task_id", .string(id))]).encodedBytes
        case .done, .bye, .heartbeat:
            return []
        }
    }

    /// `rawMembers`: body members checked but kept as their text (`JSON.raw`), for a reader that
    /// only passes them on: a worker reads a task's `params` so, and its slot process parses them.
    public static func decode(_ frames: [[UInt8]], rawMembers: Set<String> = []) throws(ProtocolError) -> Message {
        let isWeights = frames.count == 4 && frames[1].elementsEqual("weights".utf8)
        // a task of method pbt carries its checkpoint as a fourth frame
        let isTaskWithCheckpoint = frames.count == 4 && frames[1].elementsEqual("task".utf8)
        guard frames.count == 3 || isWeights || isTaskWithCheckpoint else { throw ProtocolError("expected 3 frames, got \(frames.count)") }
        guard frames[0].elementsEqual(Wire.version.utf8) else {
            throw ProtocolError("unknown protocol version '\(printable(frames[0]))'")
        }
        let kind = String(decoding: frames[1], as: UTF8.self)
        if kind == "weights" && !isWeights { throw ProtocolError("weights: expected 4 frames, got \(frames.count)") }
        let bodyless = ["done", "bye", "heartbeat"]
        if bodyless.contains(kind) {
            guard frames[2].isEmpty else { throw ProtocolError("\(kind) carries a body") }
            switch kind {
            case "done": return .done
            case "bye": return .bye
            default: return .heartbeat
            }
        }
        let body: JSON
        do { body = try JSON.parse(frames[2], rawMembers: rawMembers) } catch { throw ProtocolError("\(kind): \(error)") }
        guard case .object = body else { throw ProtocolError("\(kind): body is not a JSON object") }
        var fields = Fields(kind: kind, body: body)
        switch kind {
        case "hello":
            let holding = try fields.array("holding").map { (v: JSON) throws(ProtocolError) -> String in
                guard let s = v.stringValue else { throw ProtocolError("hello: holding must hold strings") }
                return s
            }
            return .hello(Hello(workerID: try fields.string("worker_id"), host: try fields.string("host"),
                                pid: try fields.int("pid"), cores: try fields.int("cores"),
                                slots: try fields.int("slots", min: 1), holding: holding,
                                reportsStarts: try fields.optionalBool("reports_started") ?? false))
        case "ready":
            return .ready(credit: try fields.int("credit", min: 1))
        case "task":
            var request: WeightsRequest?
            if let w = body["weights"], w != .null {
                let f = Fields(kind: "task: weights", body: w)
                guard case .bool(let all)? = w["all"], case .bool(let maximize)? = w["maximize"] else {
                    throw ProtocolError("task: weights needs booleans all and maximize")
                }
                let best: Double? = w["best"] == nil || w["best"] == .null ? nil : try f.double("best")
                request = WeightsRequest(all: all, metric: try f.string("metric"), maximize: maximize, best: best)
            }
            var interval: Interval?
            if let i = body["interval"], i != .null {
                let f = Fields(kind: "task: interval", body: i)
                let from = try f.int("from", min: 0), to = try f.int("to", min: from + 1)
                var checkpoint: [UInt8]?
                if let c = i["checkpoint"], c != .null {
                    let cf = Fields(kind: "task: interval: checkpoint", body: c)
                    guard isTaskWithCheckpoint, let hash = UInt64(try cf.string("fnv1a"), radix: 16) else {
                        throw ProtocolError("task: interval: checkpoint needs a 64-bit hex fnv1a and the checkpoint frame")
                    }
                    guard WeightsDigest(of: frames[3]) == WeightsDigest(bytes: try cf.int("bytes", min: 0), fnv1a: hash) else {
                        throw ProtocolError("task: interval: the checkpoint frame does not match its size and hash")
                    }
                    checkpoint = frames[3]
                }
                interval = Interval(from: from, to: to, checkpoint: checkpoint)
            }
            if isTaskWithCheckpoint && interval?.checkpoint == nil { throw ProtocolError("task: a fourth frame without interval.checkpoint") }
            return .task(Assignment(sweep: try fields.string("sweep"), taskID: try fields.string("task_id"),
                                    attempt: try fields.int("attempt", min: 1), params: try fields.object("params"),
                                    weights: request, interval: interval))
        case "weights":
            let total = try fields.int("total", min: 0), offset = try fields.int("offset", min: 0)
            let bytes = frames[3]
            guard total <= Wire.maxWeightsSize else { throw ProtocolError("weights: total \(total) exceeds \(Wire.maxWeightsSize)") }
            // total - count, not offset + count: a peer's offset may be near Int.max
            guard offset <= total - bytes.count else {
                throw ProtocolError("weights: \(bytes.count) bytes at offset \(offset) lie beyond total \(total)")
            }
            return .weights(WeightsChunk(taskID: try fields.string("task_id"), attempt: try fields.int("attempt", min: 1),
                                         offset: offset, total: total, bytes: bytes))
        case "started":
            return .started(taskID: try fields.string("task_id"), attempt: try fields.int("attempt", min: 1))
        case "progress":
            return .progress(TaskProgress(taskID: try fields.string("task_id"), attempt: try fields.int("attempt", min: 1),
                                      epoch: try fields.int("epoch", min: 0), metrics: try fields.object("metrics")))
        case "result":
            let status = try fields.string("status")
            guard ["completed", "failed", "diverged", "stopped"].contains(status) else {
                throw ProtocolError("result: unknown status '\(status)'")
            }
            let error: String?
            if case .null? = body["error"] { error = nil } else { error = try fields.string("error") }
            let insights: JSON? = body["insights"] == nil || body["insights"] == .null ? nil : try fields.object("insights")
            var weights: WeightsDigest?
            if let w = body["weights"], w != .null {
                let f = Fields(kind: "result: weights", body: w)
                guard let hash = UInt64(try f.string("fnv1a"), radix: 16) else {
                    throw ProtocolError("result: weights: fnv1a must be a 64-bit hex number")
                }
                weights = WeightsDigest(bytes: try f.int("bytes", min: 0), fnv1a: hash)
            }
            return .result(Outcome(taskID: try fields.string("task_id"), attempt: try fields.int("attempt", min: 1),
                                   status: status, metrics: try fields.object("metrics"), error: error,
                                   wallSeconds: try fields.double("wall_seconds"), insights: insights, weights: weights))
        case "ack": return .ack(taskID: try fields.string("task_id"))
        case "cancel": return .cancel(taskID: try fields.string("task_id"))
        default: throw ProtocolError("unknown message kind '\(printable(frames[1]))'")
        }
    }

    /// Up to 32 bytes of a frame, safe to log.
    static func printable(_ bytes: [UInt8]) -> String {
        String(bytes.prefix(32).map { $0 >= 0x20 && $0 < 0x7F ? Character(Unicode.Scalar($0)) : "?" })
    }
}

/// Typed access to a message body, with errors that name the field.
private struct Fields {
    let kind: String
    let body: JSON

    func field(_ name: String) throws(ProtocolError) -> JSON {
        guard let v = body[name] else { throw ProtocolError("\(kind): missing \(name)") }
        return v
    }

    func string(_ name: String) throws(ProtocolError) -> String {
        guard let s = try field(name).stringValue, !s.isEmpty, s.utf8.count <= 4096 else {
            throw ProtocolError("\(kind): \(name) must be a non-empty string")
        }
        return s
    }

    func int(_ name: String, min: Int = Int.min) throws(ProtocolError) -> Int {
        guard case .int(let i) = try field(name), i >= min else { throw ProtocolError("\(kind): \(name) must be an integer >= \(min)") }
        return i
    }

    /// nil when absent or null.
    func optionalBool(_ name: String) throws(ProtocolError) -> Bool? {
        switch body[name] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        default: throw ProtocolError("\(kind): \(name) must be a boolean")
        }
    }

    func double(_ name: String) throws(ProtocolError) -> Double {
        guard let d = try field(name).doubleValue else { throw ProtocolError("\(kind): \(name) must be a number") }
        return d
    }

    func object(_ name: String) throws(ProtocolError) -> JSON {
        let v = try field(name)
        switch v {
        case .object: return v
        case .raw(let text) where text.utf8.first == UInt8(ascii: "{"): return v   // checked, kept as text
        default: throw ProtocolError("\(kind): \(name) must be an object")
        }
    }

    mutating func array(_ name: String) throws(ProtocolError) -> [JSON] {
        guard case .array(let items) = try field(name) else { throw ProtocolError("\(kind): \(name) must be an array") }
        return items
    }
}
