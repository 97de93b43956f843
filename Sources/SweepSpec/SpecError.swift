/// A bad sweep spec, on one line: `<path>:<line>: <key path>: <problem>`,
/// e.g. `sweeps/x.yaml:12: parameters.learning_rate.min: expected a number, got 'abc'`.
/// The CLI prints it and exits with code 2, like a `ConfigError`.
public struct SpecError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    init(path: String, line: Int, keyPath: String, _ problem: String) {
        self.init("\(path):\(line): \(keyPath): \(problem)")
    }
}
