import ArgumentParser
import Foundation
import SweepConfig
import SweepLive

/// `--http HOST:PORT` and `--http-token FILE` (docs/live.md): where the live page and
/// /metrics are served. Loopback unless a token guards them: a non-loopback address
/// without `--http-token` is bad input.
struct HTTPOptions: ParsableArguments {
    @Option(name: .customLong("http"), help: "Serve the live page and /metrics on HOST:PORT (port 0: a free one); off: not at all.")
    var http: String?

    @Option(name: .customLong("http-token"), help: "A file holding a token every HTTP request must carry (Authorization: Bearer TOKEN); required off loopback.")
    var httpToken: String?

    /// The server's options, `fallback` when --http is not given (nil: no server); nil for `off`.
    func server(fallback: String?) throws -> LiveServer.Options? {
        guard let text = http ?? fallback, text != "off" else {
            if httpToken != nil && http == nil && fallback == nil { throw ConfigError("--http-token needs --http HOST:PORT") }
            return nil
        }
        guard let (host, port) = Self.split(text) else {
            throw ConfigError("--http \(text): expected HOST:PORT, e.g. 127.0.0.1:8080 (port 0: a free one) or off")
        }
        let token = try httpToken.map(Self.readToken)
        if token == nil && !Self.isLoopback(host) {
            throw ConfigError("--http \(text) is not a loopback address: give --http-token FILE (then every request needs Authorization: Bearer TOKEN)")
        }
        return LiveServer.Options(host: host, port: port, token: token)
    }

    /// "127.0.0.1:8080", "[::1]:0", "localhost:8080" → host and port.
    static func split(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(" ") else { return nil }
        return (host, port)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    static func readToken(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError("--http-token \(path): cannot be read") }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw ConfigError("--http-token \(path): the file is empty") }
        guard token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw ConfigError("--http-token \(path): a token is one word of ASCII characters")
        }
        return token
    }

    /// Starts the server for `store` if there is one to start; says where on stderr.
    static func start(_ options: LiveServer.Options?, store: String, sweep: String?, label: String) throws -> LiveServer? {
        guard let options else { return nil }
        do {
            let server = try LiveServer(store: store, sweep: sweep, options: options)
            printError("\(label): live page at \(server.url) (metrics at \(server.url)metrics)")
            return server
        } catch let e as LiveServer.StartError {
            throw ConfigError(e.description)
        }
    }
}

extension Sweep {
    /// `sweep dashboard`: the live page of any store, read-only, until Ctrl-C.
    struct Dashboard: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the live page and /metrics of a store (read-only), while its sweep runs or after.")

        @OptionGroup var store: StoreOptions
        @OptionGroup var http: HTTPOptions

        func run() throws {
            Signals.install()
            let s = try store.open()
            let sweep = try store.select(in: s)
            let server = try HTTPOptions.start(try http.server(fallback: "127.0.0.1:0"), store: store.db, sweep: sweep.name,
                                               label: "dashboard")
            defer { server?.stop() }
            while !Signals.stopRequested { usleep(100_000) }
        }
    }
}
