import SweepConfig

extension FuzzTarget {
    /// The architecture language (issue 14): any bytes as one line through
    /// `Architecture(parsing:)`. Errors are one line starting "architecture: "; a line
    /// that parses prints in canonical form, which parses to the same canonical form.
    static let architecture = FuzzTarget(name: "architecture") { bytes in
        let parsed: Architecture
        do throws(ConfigError) {
            parsed = try Architecture(parsing: String(decoding: bytes, as: UTF8.self))
        } catch {
            guard error.message.hasPrefix("architecture: "), !error.message.contains("\n") else {
                violated("an architecture error is one line starting 'architecture: ': \(error.message.debugDescription)")
            }
            return
        }
        let canonical = parsed.description
        do throws(ConfigError) {
            let again = try Architecture(parsing: canonical).description
            guard again == canonical else { violated("'\(canonical)' reads back as '\(again)'") }
        } catch {
            violated("the canonical form '\(canonical)' does not parse: \(error.message)")
        }
    }
}
