import ArgumentParser
import Foundation
import Synchronization
import SweepConfig

/// Every option and flag of a subcommand can also come from the environment, so
/// a container needs no command-line editing: `SWEEP_` + the long name
/// upper-cased with `-` → `_` (`--connect` ← `SWEEP_CONNECT`, `--exit-when-done`
/// ← `SWEEP_EXIT_WHEN_DONE`). The command line wins. A flag takes true/1/yes/on
/// or false/0/no/off; an empty variable counts as unset (compose's `${KEY:-}`).
/// A variable that no option of the chosen command has is left alone:
/// SWEEP_DATA_DIR is a training setting, SWEEP_SPEC and SWEEP_ROLE belong to
/// docker/entrypoint.sh.
///
/// swift-argument-parser reads no environment, so the variables become
/// ordinary arguments before parsing, and the usual validation and one-line
/// errors apply; `annotated(_:)` names the variable in such an error.
enum Environment {
    static let prefix = "SWEEP_"

    /// One option or flag of a command, as the environment may give it.
    struct Setting: Equatable {
        var variable: String
        var longName: String
        /// Every spelling on a command line: `--connect`, `-c`, …
        var spellings: [String]
        var isFlag: Bool
    }

    /// Option long name → the variable that supplied it and its value, for error messages.
    private static let supplied = Mutex<[String: (variable: String, value: String)]>([:])

    /// The command line with the environment's settings appended.
    static func arguments(_ arguments: [String] = Array(CommandLine.arguments.dropFirst()),
                          environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [String] {
        guard environment.keys.contains(where: { $0.hasPrefix(prefix) }),
              let command = arguments.first, !command.hasPrefix("-") else { return arguments }
        let given = arguments.prefix { $0 != "--" }
        var extra: [String] = []
        for setting in settings(of: command) {
            guard let value = environment[setting.variable], !value.isEmpty,
                  !given.contains(where: { setting.matches($0) }) else { continue }
            if setting.isFlag {
                guard try flag(value, variable: setting.variable) else { continue }
                extra.append("--" + setting.longName)
            } else {
                extra.append("--\(setting.longName)=\(value)")
            }
            supplied.withLock { $0[setting.longName] = (setting.variable, value) }
        }
        // before a `--` terminator, after which everything is a positional value
        var result = arguments
        result.insert(contentsOf: extra, at: given.endIndex)
        return result
    }

    /// The options and flags of a subcommand, read from the parser's own
    /// description of it (`--experimental-dump-help`), so no list is kept here.
    static func settings(of command: String) -> [Setting] {
        let dump: String
        do {
            _ = try Sweep.parseAsRoot([command, "--experimental-dump-help"])
            return []
        } catch {
            dump = Sweep.fullMessage(for: error)
        }
        guard let root = try? JSONSerialization.jsonObject(with: Data(dump.utf8)) as? [String: Any],
              let info = root["command"] as? [String: Any],
              let arguments = info["arguments"] as? [[String: Any]] else { return [] }
        return arguments.compactMap { argument in
            guard let kind = argument["kind"] as? String, kind == "option" || kind == "flag",
                  let names = argument["names"] as? [[String: String]] else { return nil }
            var long: String?
            var spellings: [String] = []
            for name in names {
                guard let n = name["name"] else { continue }
                switch name["kind"] {
                case "long": long = long ?? n; spellings.append("--" + n)
                case "short": spellings.append("-" + n)
                default: spellings.append("-" + n)
                }
            }
            guard let long, !["help", "version", "experimental-dump-help"].contains(long) else { return nil }
            return Setting(variable: variable(for: long), longName: long, spellings: spellings, isFlag: kind == "flag")
        }
    }

    /// `exit-when-done` → `SWEEP_EXIT_WHEN_DONE`.
    static func variable(for longName: String) -> String {
        prefix + longName.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    static func flag(_ value: String, variable: String) throws -> Bool {
        switch value.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigError("\(variable)=\(value): expected true or false (or 1/0, yes/no, on/off)")
        }
    }

    /// An error message that names an option the environment supplied, or quotes
    /// its value (`connect(bogus): Invalid argument`), gets the variable's name, so
    /// `SWEEP_CONCURRENCY=lots` is not mistaken for a typo on the command line.
    static func annotated(_ message: String) -> String {
        let sources = supplied.withLock { $0 }
        let named = sources.keys.sorted().filter { long in
            // short values ("1", "2.5") would match by chance
            mentions(message, option: "--" + long) || (sources[long]!.value.count >= 4 && message.contains(sources[long]!.value))
        }
        guard !named.isEmpty else { return message }
        return message + " (from " + named.map { sources[$0]!.variable }.joined(separator: ", ") + ")"
    }

    /// Whether `message` names `option` itself, not a longer one it prefixes.
    private static func mentions(_ message: String, option: String) -> Bool {
        var rest = message[...]
        while let r = rest.range(of: option) {
            let next = rest[r.upperBound...].first
            if next.map({ !($0.isLetter || $0.isNumber || $0 == "-") }) ?? true { return true }
            rest = rest[r.upperBound...]
        }
        return false
    }
}

extension Environment.Setting {
    /// Whether a command-line word gives this setting: `--db`, `--db=x`, `-c`.
    func matches(_ word: String) -> Bool {
        spellings.contains { word == $0 || word.hasPrefix($0 + "=") }
    }
}
