import SweepSpec

extension FuzzTarget {
    /// Expansion is capped at this many tasks: a spec the reader accepts may rightly
    /// ask for millions, which says nothing about the reader and starves the fuzzer.
    static let maxSpecTasks = 64

    /// The spec reader: any bytes as YAML text through `SweepSpec.parse`, then the
    /// expansion of what it accepts. Errors are `SpecError`s on one line naming the file.
    static let spec = FuzzTarget(name: "spec") { bytes in
        let path = "fuzz.yaml"
        var spec: SweepSpec
        do {
            spec = try SweepSpec.parse(String(decoding: bytes, as: UTF8.self), path: path)
        } catch {
            checkSpecError(error, path: path)
            return
        }
        spec.runCap = min(spec.runCap ?? maxSpecTasks, maxSpecTasks)
        let tasks: [SweepTask]
        do {
            tasks = try spec.expand()
        } catch {
            checkSpecError(error, path: path)
            return
        }
        guard tasks.count <= maxSpecTasks else { violated("\(tasks.count) tasks for run_cap \(maxSpecTasks)") }
        guard Set(tasks.map(\.id)).count == tasks.count else { violated("two tasks share an id") }
    }

    private static func checkSpecError(_ error: any Error, path: String) {
        guard let error = error as? SpecError else { violated("not a SpecError: \(type(of: error)): \(error)") }
        guard error.message.hasPrefix("\(path):"), !error.message.contains("\n") else {
            violated("a SpecError is one line naming the file: \(error.message.debugDescription)")
        }
    }
}
