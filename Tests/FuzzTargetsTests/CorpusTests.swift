import Foundation
import SweepProtocol
import Testing
import FuzzTargets

/// The committed seed corpus runs clean through the entry libFuzzer calls, so
/// `make test` guards it (and every crash input added to it) without libFuzzer.
@Suite struct CorpusTests {
    static func corpus(_ name: String, filePath: String = #filePath) throws -> [URL] {
        let directory = URL(fileURLWithPath: filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()   // package root
            .appendingPathComponent("Fuzz/corpus/\(name)")
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzTarget.all.map(\.name))
    func seedsRunClean(_ name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let files = try Self.corpus(name)
        #expect(files.count >= 10, "Fuzz/corpus/\(name) holds \(files.count) seeds")
        for file in files {
            target.run(Array(try Data(contentsOf: file)))
        }
    }

    /// Every message kind has a seed that decodes, so the fuzzer starts inside each branch of `decode`.
    @Test func codecSeedsDecodeToEveryKind() throws {
        var kinds: Set<String> = []
        for file in try Self.corpus("codec") {
            if let message = try? Codec.decode(FuzzTarget.frames(Array(try Data(contentsOf: file)))) {
                kinds.insert(message.kind)
            }
        }
        #expect(kinds == ["hello", "ready", "task", "started", "progress", "result", "weights", "ack", "cancel",
                          "done", "bye", "heartbeat"])
    }
}
