import Foundation
import SweepConfig
@testable import SweepSpec

/// Parses spec text as if read from `path`.
func spec(_ yaml: String, path: String = "t.yaml") throws -> SweepSpec {
    try SweepSpec.parse(yaml, path: path)
}

/// The tasks of spec text.
func tasks(_ yaml: String) throws -> [SweepTask] {
    try spec(yaml).expand()
}

/// The message a spec fails with, parsing or expanding; nil when it is fine.
func failure(_ yaml: String, path: String = "t.yaml") -> String? {
    do {
        _ = try SweepSpec.parse(yaml, path: path).expand()
        return nil
    } catch let error as SpecError {
        return error.message
    } catch {
        return "not a SpecError: \(error)"
    }
}

/// The value of training key `key` in a task, as text ("0.01", "lstm", "32").
func value(_ task: SweepTask, _ key: String) -> String {
    switch task.params[key] {
    case .string(let s)?: return s
    case .int(let i)?: return String(i)
    case .double(let d)?: return "\(d)"
    case .bool(let b)?: return b ? "true" : "false"
    default: return "null"
    }
}

/// A file next to this test file, under Fixtures/.
func fixturePath(_ name: String, filePath: String = #filePath) -> String {
    URL(fileURLWithPath: filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name).path
}

/// The repository's sweeps/ directory.
func sweepsDirectory(filePath: String = #filePath) -> URL {
    URL(fileURLWithPath: filePath).deletingLastPathComponent()   // SweepSpecTests
        .deletingLastPathComponent()                             // Tests
        .deletingLastPathComponent()                             // package root
        .appendingPathComponent("sweeps")
}
