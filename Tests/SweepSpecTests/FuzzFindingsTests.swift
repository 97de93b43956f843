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
                == #"x.yaml:1: method: expected grid, random, bayes or pbt, got 'gr\nid\t\u{1b}'"#)
    }

    /// YAML 1.1 reads `1:30` as 90 (base 60); Yams traps on such a number beyond Int.
    @Test func aBase60IntegerBeyondIntIsAnError() throws {
        #expect(try spec("method: grid\nseed: 1:0:0:0:0:0:0:0:0:0:0\nparameters: {hidden: {values: [1:04]}}").seed
                == 604_661_760_000_000_000)   // 60^10
        #expect(try tasks("method: grid\nparameters: {hidden: {values: [1:04]}}").map { $0.config.hidden } == [64])
        #expect(failure("method: grid\nseed: 1:0:0:0:0:0:0:0:0:0:0:0\nparameters: {hidden: {value: 8}}", path: "x.yaml")
                == "x.yaml:2: seed: expected an integer, got '1:0:0:0:0:0:0:0:0:0:0:0'")
        #expect(failure("method: grid\nparameters: {hidden: {values: [999999999999999999:0]}}", path: "x.yaml")
                == "x.yaml:2: parameters.hidden.values[0]: invalid value '999999999999999999:0' for hidden: expected an integer >= 1")
    }

    /// A q_uniform grid over more steps than Int holds trapped converting the count.
    @Test func aQUniformGridBeyondIntIsTooLarge() throws {
        let huge = "parameters: {learning_rate: {distribution: q_uniform, min: 0.001, max: 1e300, q: 0.001}}"
        #expect(failure("method: grid\n" + huge, path: "x.yaml")
                == "x.yaml:2: parameters: the grid has more than 10000000 combinations; set run_cap or use method random")
        #expect(try tasks("method: grid\nrun_cap: 3\n" + huge).map { $0.config.learningRate } == [0.001, 0.002, 0.003])
    }

    /// run_cap had no bound: a grid over a huge int_uniform with run_cap 10^12 (or a random
    /// sweep with it) listed tasks until memory ran out.
    @Test func runCapIsBounded() {
        #expect(failure("method: grid\nrun_cap: 1000000000000\nparameters: {seed: {min: 0, max: 1000000000000000}}", path: "x.yaml")
                == "x.yaml:2: run_cap: expected at most 10000000 tasks, got 1000000000000")
        #expect(failure("method: random\nrun_cap: 10000000\nparameters: {seed: {value: 1}}") == nil)
    }
}
