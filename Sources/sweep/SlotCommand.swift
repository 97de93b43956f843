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

        func run() throws {
            SlotServer.run(parent: parent, memoryLimit: MemoryLimit(bytes: maxMemory, source: memorySource))
        }
    }
}
