import SweepConfig

/// One training run of a sweep: a full configuration and an id derived from it.
public struct SweepTask: Sendable, Equatable {
    /// `SweepTask.id(of:)` of the configuration: equal configurations, equal ids.
    public let id: String
    /// Position in expansion order.
    public let index: Int
    public let config: TrainConfig

    /// The full training configuration, every key in the order of docs/keys.md.
    public var params: JSON { config.canonical }

    public init(index: Int, config: TrainConfig) {
        self.init(index: index, config: config, hash: Self.hash(of: config.canonical))
    }

    init(index: Int, config: TrainConfig, hash: UInt64) {
        self.id = Self.hex(hash)
        self.index = index
        self.config = config
    }

    /// 64-bit FNV-1a of `config.canonical.encoded` (JSON, keys in the order of docs/keys.md),
    /// as 16 lowercase hex digits.
    public static func id(of config: TrainConfig) -> String {
        hex(hash(of: config.canonical))
    }

    static func id(ofCanonical text: String) -> String { hex(fnv1a(text)) }

    /// FNV-1a of `json.encoded`. Hashing the encoding as it is produced, rather than
    /// building the String, makes a 100,000-task grid several times faster; the
    /// streaming encoder is checked once against `JSON.encoded` and stands down
    /// if the two ever disagree.
    static func hash(of json: JSON) -> UInt64 {
        guard streamingAgrees else { return fnv1a(json.encoded) }
        var hasher = FNV1a()
        hasher.write(json)
        return hasher.value
    }

    static let streamingAgrees: Bool = {
        var rich = TrainConfig()
        rich.dataDir = "/tmp/d\"ir\\with\tescapes\u{1}é"
        rich.trainPerClass = 7
        rich.clipNorm = 0.25
        rich.learningRate = 1e-5
        rich.weightDecay = 3e20
        rich.dropout = 0.5
        let samples: [JSON] = [TrainConfig().canonical, rich.canonical,
                               .array([.null, .bool(true), .double(.nan), .double(-0.0), .int(-3), .raw("{\"a\":1}")])]
        return samples.allSatisfy { json in
            var hasher = FNV1a()
            hasher.write(json)
            return hasher.value == fnv1a(json.encoded)
        }
    }()

    static func fnv1a(_ text: String) -> UInt64 {
        var hasher = FNV1a()
        hasher.write(text)
        return hasher.value
    }

    static func hex(_ value: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 16)
        var v = value
        for i in stride(from: 15, through: 0, by: -1) {
            out[i] = digits[Int(v & 0xf)]
            v >>= 4
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// 64-bit FNV-1a (Fowler, Noll, Vo), fed with the bytes `JSON.encoded` would produce.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func byte(_ b: UInt8) {
        value ^= UInt64(b)
        value &*= 0x0000_0100_0000_01b3
    }

    mutating func write(_ text: String) {
        for b in text.utf8 { byte(b) }
    }

    /// The same bytes as `JSON.write(to:)`.
    mutating func write(_ json: JSON) {
        switch json {
        case .null: write("null")
        case .bool(let b): write(b ? "true" : "false")
        case .int(let i): write(String(i))
        case .double(let d):
            if !d.isFinite { write("null") }
            else if d == d.rounded(), abs(d) < 1e15 { write(String(Int(d))); write(".0") }
            else { write("\(d)") }
        case .string(let s): writeString(s)
        case .raw(let text): write(text)
        case .array(let items):
            byte(UInt8(ascii: "["))
            for (i, v) in items.enumerated() {
                if i > 0 { byte(UInt8(ascii: ",")) }
                write(v)
            }
            byte(UInt8(ascii: "]"))
        case .object(let fields):
            byte(UInt8(ascii: "{"))
            for (i, (k, v)) in fields.enumerated() {
                if i > 0 { byte(UInt8(ascii: ",")) }
                writeString(k)
                byte(UInt8(ascii: ":"))
                write(v)
            }
            byte(UInt8(ascii: "}"))
        }
    }

    private mutating func writeString(_ s: String) {
        byte(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): write("\\\"")
            case UInt8(ascii: "\\"): write("\\\\")
            case UInt8(ascii: "\n"): write("\\n")
            case UInt8(ascii: "\r"): write("\\r")
            case UInt8(ascii: "\t"): write("\\t")
            case ..<0x20:
                let hex = String(b, radix: 16)
                write("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: byte(b)
            }
        }
        byte(UInt8(ascii: "\""))
    }
}
