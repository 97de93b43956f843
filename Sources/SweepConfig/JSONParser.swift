/// Parses JSON text into `JSON`, keeping object key order and the difference
/// between integers and doubles — Foundation's JSONSerialization loses both on
/// Linux (NSNumber, unordered dictionaries), and the protocol and the store need
/// them to reproduce canonical configurations byte for byte.
extension JSON {
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let offset: Int
        public let reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    public static func parse(_ text: String) throws(ParseError) -> JSON {
        try parse(Array(text.utf8))
    }

    /// `rawMembers`: members of the top-level object whose values are checked but kept as the
    /// text they came in (`.raw`), for a reader that only passes them on (a worker hands a task's
    /// parameters to its slot process, which reads them itself).
    public static func parse(_ bytes: [UInt8], rawMembers: Set<String> = []) throws(ParseError) -> JSON {
        var p = Parser(bytes: bytes, rawMembers: rawMembers)
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == bytes.count else { throw p.fail("trailing characters") }
        return v
    }

    private struct Parser {
        let bytes: [UInt8]
        var rawMembers: Set<String> = []
        var i = 0
        static let maxDepth = 64

        func fail(_ reason: String) -> ParseError { ParseError(offset: i, reason: reason) }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func literal(_ word: StaticString, _ v: JSON) throws(ParseError) -> JSON {
            let n = word.utf8CodeUnitCount
            guard i + n <= bytes.count else { throw fail("unexpected end") }
            for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw fail("unexpected character") }
            i += n
            return v
        }

        /// Opens a container (`{` or `[`): true when it closes at once (empty).
        mutating func open(closing close: UInt8) -> Bool {
            i += 1
            skipSpace()
            guard i < bytes.count, bytes[i] == close else { return false }
            i += 1
            return true
        }

        /// After a member or an item: true at the container's end, false after a comma.
        mutating func next(closing close: UInt8) throws(ParseError) -> Bool {
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; return false }
            if bytes[i] == close { i += 1; return true }
            throw fail(close == UInt8(ascii: "}") ? "expected ',' or '}'" : "expected ',' or ']'")
        }

        /// An object member's key and its colon; `read`: whether the key is wanted (else only checked).
        mutating func key(read: Bool) throws(ParseError) -> String? {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
            let key: String?
            if read { key = try string() } else { try skipString(); key = nil }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            i += 1
            return key
        }

        mutating func value(depth: Int) throws(ParseError) -> JSON {
            guard depth < Parser.maxDepth else { throw fail("nested too deeply") }
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                var fields: [(String, JSON)] = []
                if open(closing: UInt8(ascii: "}")) { return .object(fields) }
                repeat {
                    let key = try key(read: true)!
                    if depth == 0 && rawMembers.contains(key) {
                        skipSpace()
                        let start = i
                        try skipValue(depth: depth + 1)
                        fields.append((key, .raw(String(decoding: bytes[start..<i], as: UTF8.self))))
                    } else {
                        fields.append((key, try value(depth: depth + 1)))
                    }
                } while try !next(closing: UInt8(ascii: "}"))
                return .object(fields)
            case UInt8(ascii: "["):
                var items: [JSON] = []
                if open(closing: UInt8(ascii: "]")) { return .array(items) }
                repeat {
                    items.append(try value(depth: depth + 1))
                } while try !next(closing: UInt8(ascii: "]"))
                return .array(items)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default: return try number()
            }
        }

        /// Checks a value as `value` does, building nothing.
        mutating func skipValue(depth: Int) throws(ParseError) {
            guard depth < Parser.maxDepth else { throw fail("nested too deeply") }
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                if open(closing: UInt8(ascii: "}")) { return }
                repeat {
                    _ = try key(read: false)
                    try skipValue(depth: depth + 1)
                } while try !next(closing: UInt8(ascii: "}"))
            case UInt8(ascii: "["):
                if open(closing: UInt8(ascii: "]")) { return }
                repeat {
                    try skipValue(depth: depth + 1)
                } while try !next(closing: UInt8(ascii: "]"))
            case UInt8(ascii: "\""): try skipString()
            case UInt8(ascii: "t"): _ = try literal("true", .null)
            case UInt8(ascii: "f"): _ = try literal("false", .null)
            case UInt8(ascii: "n"): _ = try literal("null", .null)
            default: try skipNumber()
            }
        }

        /// Checks a number as `number` does. A plain decimal (digits, at most one point, no
        /// exponent, under 300 characters) is finite and is checked by its shape alone, as
        /// Double's reader would accept it; the rest goes through `number`.
        mutating func skipNumber() throws(ParseError) {
            let start = i
            var k = i
            if k < bytes.count, bytes[k] == UInt8(ascii: "-") { k += 1 }
            var digits = 0, points = 0
            while k < bytes.count {
                let c = bytes[k]
                if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") { digits += 1 }
                else if c == UInt8(ascii: ".") { points += 1 }
                else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                    _ = try number()   // an exponent, or a sign where none belongs: the general reader decides
                    return
                } else { break }
                k += 1
            }
            guard digits > 0, points <= 1, k - start < 300 else { _ = try number(); return }
            i = k
        }

        /// Checks a string as `string` does; one without escapes is not copied.
        mutating func skipString() throws(ParseError) {
            var end = i + 1
            while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
                i = end + 1
                return
            }
            _ = try string()
        }

        mutating func number() throws(ParseError) -> JSON {
            let start = i
            var isInteger = true
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
            while i < bytes.count {
                let c = bytes[i]
                if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") { i += 1; continue }
                if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                    isInteger = false; i += 1; continue
                }
                break
            }
            guard i > start else { throw fail("unexpected character") }
            if isInteger, i - start <= 18, let v = Self.smallInteger(bytes[start..<i]) { return .int(v) }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            if isInteger, let v = Int(text) { return .int(v) }
            guard let d = Double(text), d.isFinite else { i = start; throw fail("invalid number") }
            return .double(d)
        }

        /// An integer of up to 18 characters (it cannot overflow), read without making a String;
        /// nil for what is not one (a lone "-", a leading zero: left to the general path).
        static func smallInteger(_ digits: ArraySlice<UInt8>) -> Int? {
            var k = digits.startIndex
            let negative = digits[k] == UInt8(ascii: "-")
            if negative { k += 1 }
            guard k < digits.endIndex, digits[k] != UInt8(ascii: "0") || digits.endIndex - k == 1 else { return nil }
            var v = 0
            while k < digits.endIndex {
                v = v * 10 + Int(digits[k] - UInt8(ascii: "0"))
                k += 1
            }
            return negative ? -v : v
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard i + 4 <= bytes.count else { throw fail("unexpected end") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw fail("bad \\u escape")
                }
                v = v * 16 + d
                i += 1
            }
            return v
        }

        mutating func string() throws(ParseError) -> String {
            i += 1  // opening quote
            // fast path: no escape before the closing quote (keys, ids, most values) is decoded in place
            var end = i
            while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
                defer { i = end + 1 }
                return String(decoding: bytes[i..<end], as: UTF8.self)
            }
            var out: [UInt8] = Array(bytes[i..<end])
            i = end
            while true {
                guard i < bytes.count else { throw fail("unterminated string") }
                let c = bytes[i]
                i += 1
                switch c {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard i < bytes.count else { throw fail("unterminated string") }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "/"): out.append(0x2F)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if scalar >= 0xD800 && scalar < 0xDC00, i + 6 <= bytes.count,
                           bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                            let next = i
                            i += 2
                            let low = try hex4()
                            if low >= 0xDC00 && low < 0xE000 {
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                i = next   // a lone high surrogate (U+FFFD); the next escape stands alone
                            }
                        }
                        out.append(contentsOf: Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8))
                    default: throw fail("bad escape")
                    }
                case 0..<0x20:
                    throw fail("control character in string")
                default:
                    out.append(c)
                }
            }
        }
    }
}

extension JSON {
    /// The value as the text a `KEY=VALUE` word would carry (numbers in Swift's
    /// shortest form); nil for null, arrays and objects.
    public var scalarText: String? {
        switch self {
        case .null, .array, .object, .raw: return nil
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)"
        case .string(let s): return s
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 1e15: return Int(d)
        default: return nil
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }

    public var objectFields: [(String, JSON)]? { if case .object(let f) = self { return f } else { return nil } }
}

extension TrainConfig {
    /// A configuration from its canonical JSON object (as `canonical` writes it);
    /// null values keep the default.
    public init(json: JSON) throws(ConfigError) {
        guard let fields = json.objectFields else { throw ConfigError("configuration is not a JSON object") }
        var pairs: [(String, String)] = []
        for (k, v) in fields {
            if case .null = v { continue }
            guard let text = v.scalarText else { throw ConfigError("invalid value for \(k): expected a scalar") }
            pairs.append((k, text))
        }
        try self.init(pairs: pairs)
    }
}
