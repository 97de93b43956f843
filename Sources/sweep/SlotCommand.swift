import ArgumentParser
import SweepTrain
import SweepWorker

extension Sweep {
    /// A worker's training slot in a process of its own (started by `sweep worker`, never by hand).
    struct SlotCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "slot",
            abstract: "A worker's training slot (started by sweep worker).",
            shouldDisplay: false)

        @Option(help: "The worker's process id: the slot dies with it.")
        var parent: Int32

        @Option(help: "The slot's number in its worker.")
        var slot = 0

        @Option(help: "Bytes the slot's tasks may use.")
        var maxMemory: Double

        @Option(help: "Where the limit comes from, for error messages.")
        var memorySource = "--max-task-memory"

        init() {}

        /// The arguments exactly as a worker writes them (`SlotProcess`): `slot --parent P --slot K
        /// --max-memory B --memory-source=S`, read without ArgumentParser, whose walk of every
        /// command took a quarter of a slot process's start (256 slots start at once). Anything
        /// else is nil, and goes through the parser as usual.
        init?(workerArguments a: [String]) {
            guard a.count == 8, a[0] == "slot", a[1] == "--parent", let parent = Int32(a[2]), a[3] == "--slot",
                  let slot = Int(a[4]), a[5] == "--max-memory", let bytes = Double(a[6]),
                  a[7].hasPrefix("--memory-source=") else { return nil }
            self.parent = parent
            self.slot = slot
            maxMemory = bytes
            memorySource = String(a[7].dropFirst("--memory-source=".count))
        }

        func run() -> Never {
            SlotServer.run(parent: parent, memoryLimit: MemoryLimit(bytes: maxMemory, source: memorySource))
        }
    }
}
