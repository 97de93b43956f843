/// A bad sweep spec, on one line: `<path>:<line>: <key path>: <problem>`,
/// e.g. `sweeps/x.yaml:12: parameters.learning_rate.min: expected a number, got 'abc'`.
/// The CLI prints it and exits with code 2, like a `ConfigError`.
public struct SpecError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    /// Control characters of the spec's text that the message quotes (a multi-line scalar
    /// or key) are escaped (`\n`, `\t`, `\u{1b}`), so the message stays one line.
    public init(_ message: String) { self.message = SpecError.oneLine(message) }
    public var description: String { message }

    init(path: String, line: Int, keyPath: String, _ problem: String) {
        self.init("\(path):\(line): \(keyPath): \(problem)")
    }

    private static func oneLine(_ text: String) -> String {
        func isControl(_ u: Unicode.Scalar) -> Bool { u.value < 0x20 || u.value == 0x7F }
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for u in text.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where isControl(u): out += "\\u{\(String(u.value, radix: 16))}"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
