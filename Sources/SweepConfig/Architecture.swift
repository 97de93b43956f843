/// A network written in the architecture language (docs/architecture.md): one
/// line of layers separated by spaces, run in order, with
/// `residual[ … ]` and `concat[ … | … ]` for branches. This is the line parsed,
/// positions kept for errors; the graph is built from it elsewhere, where shapes are known.
///
///     conv(C, K[, S[, valid]])  dense(N)  maxpool(K[, S])  avgpool(K[, S])
///     globalavgpool  flatten  batchnorm  dropout(P)  relu  tanh  sigmoid  act
///     rnn(H)  lstm(H)  gru(H)  residual[ A ]  concat[ A | B | … ]
public struct Architecture: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case conv, dense, maxpool, avgpool, globalavgpool, flatten, batchnorm, dropout
        case relu, tanh, sigmoid, act, rnn, lstm, gru

        /// How many arguments the layer takes, at least and at most.
        var arity: ClosedRange<Int> {
            switch self {
            case .conv: 2...4
            case .maxpool, .avgpool: 1...2
            case .dense, .dropout, .rnn, .lstm, .gru: 1...1
            case .globalavgpool, .flatten, .batchnorm, .relu, .tanh, .sigmoid, .act: 0...0
            }
        }

        var signature: String {
            switch self {
            case .conv: "conv(C, K[, S[, valid]])"
            case .maxpool, .avgpool: "\(rawValue)(K[, S])"
            case .dense: "dense(N)"
            case .dropout: "dropout(P)"
            case .rnn, .lstm, .gru: "\(rawValue)(H)"
            default: rawValue
            }
        }
    }

    /// A layer's argument: a number, the name of a numeric key, or conv's `valid`.
    public enum Argument: Sendable, Equatable, CustomStringConvertible {
        case number(Double)
        case key(String)
        case valid

        public var description: String {
            switch self {
            case .number(let v): v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
            case .key(let k): k
            case .valid: "valid"
            }
        }
    }

    public struct Layer: Sendable, Equatable {
        public var kind: Kind
        public var arguments: [Argument]
        /// 1-based column of the layer's name in the line.
        public var position: Int
    }

    public indirect enum Node: Sendable, Equatable, CustomStringConvertible {
        case layer(Layer)
        /// input + body(input)
        case residual([Node], position: Int)
        /// each branch on the same input, joined on channels
        case concat([[Node]], position: Int)

        public var description: String {
            switch self {
            case .layer(let l):
                l.arguments.isEmpty ? l.kind.rawValue : "\(l.kind.rawValue)(\(l.arguments.map(\.description).joined(separator: ", ")))"
            case .residual(let body, _):
                "residual[\(body.map(\.description).joined(separator: " "))]"
            case .concat(let branches, _):
                "concat[\(branches.map { $0.map(\.description).joined(separator: " ") }.joined(separator: " | "))]"
            }
        }
    }

    /// Keys an argument may name: their value is read from the configuration.
    public static let argumentKeys = ["hidden", "dropout", "classes"]

    public let nodes: [Node]

    /// The line in canonical form: single spaces, `, ` between arguments.
    public var description: String { nodes.map(\.description).joined(separator: " ") }

    /// The same line with every `act` written as the activation it stands for (`relu`,
    /// `tanh` or `sigmoid`): `act` follows the configuration's model, so only the resolved
    /// line builds the same network wherever it goes (`sweep describe` shows it).
    public func resolvingAct(_ activation: ActivationName) -> Architecture {
        let kind: Kind
        switch activation {
        case .relu: kind = .relu
        case .tanh: kind = .tanh
        case .sigmoid: kind = .sigmoid
        }
        func resolve(_ node: Node) -> Node {
            switch node {
            case .layer(var l):
                if l.kind == .act { l.kind = kind }
                return .layer(l)
            case .residual(let body, let position): return .residual(body.map(resolve), position: position)
            case .concat(let branches, let position): return .concat(branches.map { $0.map(resolve) }, position: position)
            }
        }
        return Architecture(nodes: nodes.map(resolve))
    }

    private init(nodes: [Node]) { self.nodes = nodes }

    /// Parses a line; a bad one throws one line naming the token and its position.
    public init(parsing line: String) throws(ConfigError) {
        var parser = Parser(line)
        nodes = try parser.sequence(depth: 0)
        if let t = parser.peek() { throw parser.error(t, "unexpected '\(t.text)'") }
        guard !nodes.isEmpty else { throw ConfigError("architecture: the line has no layers") }
    }

    struct Token {
        enum Kind { case name, number, symbol }
        let kind: Kind
        let text: String
        let position: Int
    }

    struct Parser {
        let tokens: [Token]
        let lexError: ConfigError?
        var at = 0

        init(_ line: String) {
            var tokens: [Token] = []
            var lexError: ConfigError?
            let chars = Array(line)
            var i = 0
            while i < chars.count {
                let c = chars[i]
                if c.isWhitespace { i += 1; continue }
                let start = i
                if "()[],|".contains(c) {
                    tokens.append(Token(kind: .symbol, text: String(c), position: i + 1))
                    i += 1
                } else if c.isLetter || c == "_" {
                    while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { i += 1 }
                    tokens.append(Token(kind: .name, text: String(chars[start..<i]), position: start + 1))
                } else if c.isNumber || c == "." || c == "-" {
                    i += 1
                    while i < chars.count, chars[i].isNumber || ".eE".contains(chars[i])
                            || ("+-".contains(chars[i]) && "eE".contains(chars[i - 1])) { i += 1 }
                    tokens.append(Token(kind: .number, text: String(chars[start..<i]), position: start + 1))
                } else {
                    lexError = ConfigError("architecture: unexpected character '\(c)' at position \(start + 1)")
                    break
                }
            }
            self.tokens = tokens
            self.lexError = lexError
        }

        func peek() -> Token? { at < tokens.count ? tokens[at] : nil }

        func error(_ t: Token, _ what: String) -> ConfigError {
            ConfigError("architecture: \(what) at position \(t.position)")
        }

        /// The position just past the line, for what is missing at its end.
        var end: Int { tokens.last.map { $0.position + $0.text.count } ?? 1 }

        /// Layers up to `]`, `|` or the end of the line.
        mutating func sequence(depth: Int) throws(ConfigError) -> [Node] {
            if let lexError { throw lexError }
            guard depth < 32 else { throw ConfigError("architecture: branches nested more than 32 deep at position \(peek()?.position ?? end)") }
            var nodes: [Node] = []
            while let t = peek(), t.text != "]", t.text != "|" {
                nodes.append(try node(depth: depth))
            }
            return nodes
        }

        mutating func node(depth: Int) throws(ConfigError) -> Node {
            let t = tokens[at]
            at += 1
            guard t.kind == .name else { throw error(t, "expected a layer, found '\(t.text)'") }
            if t.text == "residual" || t.text == "concat" {
                guard let open = peek(), open.text == "[" else {
                    throw ConfigError("architecture: \(t.text) needs '[' after it at position \(peek()?.position ?? end)")
                }
                at += 1
                var branches: [[Node]] = []
                while true {
                    let branch = try sequence(depth: depth + 1)
                    guard let close = peek() else {
                        throw ConfigError("architecture: '[' at position \(open.position) is never closed")
                    }
                    if branch.isEmpty { throw error(close, "empty branch in \(t.text)") }
                    branches.append(branch)
                    at += 1
                    if close.text == "]" { break }
                    if t.text == "residual" { throw error(close, "residual takes one branch; '|' separates concat's") }
                }
                if t.text == "residual" { return .residual(branches[0], position: t.position) }
                guard branches.count >= 2 else { throw error(t, "concat needs at least two branches separated by '|'") }
                return .concat(branches, position: t.position)
            }
            guard let kind = Kind(rawValue: t.text) else { throw error(t, "unknown layer '\(t.text)'") }
            var arguments: [Argument] = []
            if let open = peek(), open.text == "(" {
                at += 1
                while true {
                    guard let a = peek() else { throw ConfigError("architecture: '(' at position \(open.position) is never closed") }
                    at += 1
                    switch a.kind {
                    case .number:
                        guard let v = Double(a.text), v.isFinite else { throw error(a, "'\(a.text)' is not a number") }
                        arguments.append(.number(v))
                    case .name where a.text == "valid" && kind == .conv && arguments.count == 3:
                        arguments.append(.valid)
                    case .name where Architecture.argumentKeys.contains(a.text):
                        arguments.append(.key(a.text))
                    case .name:
                        throw error(a, "'\(a.text)' is neither a number nor one of the keys \(Architecture.argumentKeys.joined(separator: ", "))")
                    case .symbol:
                        throw error(a, "expected an argument of \(kind.signature), found '\(a.text)'")
                    }
                    guard let next = peek() else { throw ConfigError("architecture: '(' at position \(open.position) is never closed") }
                    at += 1
                    if next.text == ")" { break }
                    guard next.text == "," else { throw error(next, "expected ',' or ')', found '\(next.text)'") }
                }
            }
            guard kind.arity.contains(arguments.count) else {
                let n = kind.arity.lowerBound == kind.arity.upperBound ? "\(kind.arity.lowerBound)" : "\(kind.arity.lowerBound) to \(kind.arity.upperBound)"
                throw error(t, "\(kind.rawValue) takes \(n) argument(s), got \(arguments.count): \(kind.signature)")
            }
            if kind == .conv, arguments.count == 4, arguments[3] != .valid {
                throw error(t, "conv's fourth argument can only be 'valid': \(kind.signature)")
            }
            return .layer(Layer(kind: kind, arguments: arguments, position: t.position))
        }
    }
}
