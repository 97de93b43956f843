import Foundation
import Testing
@testable import SweepSpec

/// Specs that stopped the reader with a trap or a message over several lines, found by
/// `make fuzz` (spec target) or while writing it; each now reads, or fails on one line.
@Suite struct FuzzFindingsTests {
    /// libFuzzer's input: a plain scalar over two lines where the mapping should be. A
    /// message quoting spec text escapes its line breaks.
    @Test func aMessageQuotingSeveralLinesStaysOneLine() throws {
        let input = try #require(Data(base64Encoded: "IyBUaEUg//////////8xCi0tLSMgVGhFIP//////////MQoKLi4uIXBBYQ=="))
        let message = try #require(failure(String(decoding: input, as: UTF8.self), path: "fuzz.yaml"))
        #expect(message.hasPrefix("fuzz.yaml:2: top level: expected a mapping") && !message.contains("\n"), "\(message)")
        #expect(failure("method: \"gr\\nid\\t\\u001b\"\nparameters: {hidden: {value: 8}}", path: "x.yaml")
                == #"x.yaml:1: method: expected grid, random or bayes, got 'gr\nid\t\u{1b}'"#)
    }
}
