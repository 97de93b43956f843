import SweepSearch
import SweepSpec

extension FuzzTarget {
    /// Expansion is capped at this many tasks: a spec the reader accepts may rightly
    /// ask for millions, which says nothing about the reader and starves the fuzzer.
    static let maxSpecTasks = 64
    /// Tasks the spec's sampler proposes and its early-stopping rule judges.
    static let searchedTasks = 12

    /// The spec reader: any bytes as YAML text through `SweepSpec.parse`; then what the
    /// coordinator does with a spec it accepts: the expansion, the sampler's proposals
    /// (TPE for bayes) and the early-stopping rule, fed values taken from the input.
    /// Errors are `SpecError`s on one line naming the file.
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
        do {
            let tasks = try spec.expand()
            guard tasks.count <= maxSpecTasks else { violated("\(tasks.count) tasks for run_cap \(maxSpecTasks)") }
            guard Set(tasks.map(\.id)).count == tasks.count else { violated("two tasks share an id") }

            spec.runCap = min(spec.runCap!, searchedTasks)
            var sampler = try spec.sampler()
            var stopping = spec.earlyStopping()
            // metric values from the input's bytes: repeats, ties and NaN come up
            var values = bytes.lazy.map { $0 == 0xFF ? Double.nan : Double($0) / 255 }.makeIterator()
            while let task = try sampler.propose() {
                var last = 0.0
                for epoch in 1...4 {
                    last = values.next() ?? Double(epoch) / 8
                    if case .stop = stopping?.report(taskID: task.id, epoch: epoch, value: last) { break }
                }
                sampler.update(taskID: task.id, outcome: .completed(last))
            }
            guard sampler.tasks.count <= searchedTasks else { violated("\(sampler.tasks.count) proposals for run_cap \(searchedTasks)") }
        } catch {
            checkSpecError(error, path: path)
        }
    }

    private static func checkSpecError(_ error: any Error, path: String) {
        guard let error = error as? SpecError else { violated("not a SpecError: \(type(of: error)): \(error)") }
        guard error.message.hasPrefix("\(path):"), !error.message.contains("\n") else {
            violated("a SpecError is one line naming the file: \(error.message.debugDescription)")
        }
    }
}
