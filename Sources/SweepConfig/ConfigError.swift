/// Bad training configuration: one line naming the key and what is wrong.
/// The CLI prints it and exits with code 2.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
