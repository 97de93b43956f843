import SweepConfig

/// A message that cannot be decoded: logged and dropped by the receiver.
public struct ProtocolError: Error, CustomStringConvertible, Sendable, Equatable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Frames of a message: [version, kind, body]; the body is a JSON object (empty
/// for bodiless kinds). A ROUTER sees the peer identity before these frames.
public enum Codec {
    public static func encode(_ message: Message) -> [[UInt8]] {
        [Array(Wire.version.utf8), Array(message.kind.utf8), Array(body(message).utf8)]
    }

    static func body(_ message: Message) -> String {
        switch message {
        case .hello(let h):
            return JSON.object([
                ("worker_id", .string(h.workerID)), ("host", .string(h.host)), ("pid", .int(h.pid)),
                ("cores", .int(h.cores)), ("slots", .int(h.slots)), ("holding", .array(h.holding.map(JSON.string))),
            ]).encoded
        case .ready(let credit):
            return JSON.object([("credit", .int(credit))]).encoded
        case .task(let a):
            return JSON.object([
                ("sweep", .string(a.sweep)), ("task_id", .string(a.taskID)), ("attempt", .int(a.attempt)), ("params", a.params),
            ]).encoded
        case .progress(let p):
            return JSON.object([
                ("task_id", .string(p.taskID)), ("attempt", .int(p.attempt)), ("epoch", .int(p.epoch)), ("metrics", p.metrics),
            ]).encoded
        case .result(let o):
            return JSON.object([
                ("task_id", .string(o.taskID)), ("attempt", .int(o.attempt)), ("status", .string(o.status)),
                ("metrics", o.metrics), ("error", o.error.map(JSON.string) ?? .null), ("wall_seconds", .double(o.wallSeconds)),
            ]).encoded
        case .ack(let id), .cancel(let id):
            return JSON.object([("task_id", .string(id))]).encoded
        case .done, .bye, .heartbeat:
            return ""
        }
    }

    public static func decode(_ frames: [[UInt8]]) throws(ProtocolError) -> Message {
        guard frames.count == 3 else { throw ProtocolError("expected 3 frames, got \(frames.count)") }
        guard frames[0].elementsEqual(Wire.version.utf8) else {
            throw ProtocolError("unknown protocol version '\(printable(frames[0]))'")
        }
        let kind = String(decoding: frames[1], as: UTF8.self)
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
        do { body = try JSON.parse(frames[2]) } catch { throw ProtocolError("\(kind): \(error)") }
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
                                slots: try fields.int("slots", min: 1), holding: holding))
        case "ready":
            return .ready(credit: try fields.int("credit", min: 1))
        case "task":
            return .task(Assignment(sweep: try fields.string("sweep"), taskID: try fields.string("task_id"),
                                    attempt: try fields.int("attempt", min: 1), params: try fields.object("params")))
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
            return .result(Outcome(taskID: try fields.string("task_id"), attempt: try fields.int("attempt", min: 1),
                                   status: status, metrics: try fields.object("metrics"), error: error,
                                   wallSeconds: try fields.double("wall_seconds")))
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

    func double(_ name: String) throws(ProtocolError) -> Double {
        guard let d = try field(name).doubleValue else { throw ProtocolError("\(kind): \(name) must be a number") }
        return d
    }

    func object(_ name: String) throws(ProtocolError) -> JSON {
        let v = try field(name)
        guard case .object = v else { throw ProtocolError("\(kind): \(name) must be an object") }
        return v
    }

    mutating func array(_ name: String) throws(ProtocolError) -> [JSON] {
        guard case .array(let items) = try field(name) else { throw ProtocolError("\(kind): \(name) must be an array") }
        return items
    }
}
