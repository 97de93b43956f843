import ArgumentParser
import Foundation
import SweepConfig
import ZeroMQ

/// CURVE key files (docs/runtime.md § Encryption (CURVE)): Z85 text, one key per file; `PREFIX.key` holds the
/// secret (mode 0600), `PREFIX.pub` the public key.
enum KeyFiles {
    static func read(_ path: String, option: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError("\(option) \(path): cannot read the key file")
        }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard key.count == 40, (try? Curve.publicKey(fromSecret: key)) != nil else {
            throw ConfigError("\(option) \(path): not a Z85 CURVE key (40 characters from `sweep keygen`)")
        }
        return key
    }

    /// Every `*.pub` in a directory.
    static func authorized(in dir: String) throws -> Set<String> {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw ConfigError("--authorized-keys \(dir): cannot read the directory")
        }
        let keys = try names.filter { $0.hasSuffix(".pub") }.sorted().map { try read(dir + "/" + $0, option: "--authorized-keys") }
        guard !keys.isEmpty else { throw ConfigError("--authorized-keys \(dir): holds no *.pub key") }
        return Set(keys)
    }

    /// Whether a bind endpoint is reachable from other machines.
    static func isPublic(_ endpoint: String) -> Bool {
        guard endpoint.hasPrefix("tcp://") else { return false }
        let host = endpoint.dropFirst(6).split(separator: ":").dropLast().joined(separator: ":")
        return !(host.hasPrefix("127.") || host == "localhost" || host == "[::1]" || host == "::1")
    }
}

extension Sweep {
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a CURVE key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub.")

        @Option(help: "Path prefix of the two key files.")
        var out: String

        func run() throws {
            let (publicKey, secretKey) = try Curve.keyPair()
            let fm = FileManager.default
            for path in [out + ".key", out + ".pub"] where fm.fileExists(atPath: path) {
                throw ConfigError("--out \(out): \(path) exists; not overwriting a key")
            }
            guard fm.createFile(atPath: out + ".key", contents: Data((secretKey + "\n").utf8),
                                attributes: [.posixPermissions: 0o600]),
                  fm.createFile(atPath: out + ".pub", contents: Data((publicKey + "\n").utf8),
                                attributes: [.posixPermissions: 0o644]) else {
                throw ConfigError("--out \(out): cannot write the key files")
            }
            printLine("wrote \(out).key (secret) and \(out).pub (public: \(publicKey))")
        }
    }
}
