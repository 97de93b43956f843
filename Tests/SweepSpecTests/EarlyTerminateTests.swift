import Testing
@testable import SweepSpec

/// `early_terminate` as SweepSearch reads it: the typed kind, and the bad values
/// that ErrorTests does not cover.
@Suite struct EarlyTerminateTests {
    static func yaml(_ earlyTerminate: String, method: String = "grid") -> String {
        "method: \(method)\nrun_cap: 5\nparameters:\n  cell: {values: [rnn]}\nearly_terminate: \(earlyTerminate)\n"
    }

    @Test func kindIsTyped() throws {
        #expect(try spec(Self.yaml("{type: hyperband, min_iter: 2, s: 3}")).earlyTerminate?.kind == .hyperband)
        #expect(try spec(Self.yaml("{type: median, min_iter: 2}")).earlyTerminate?.kind == .median)
        let bayes = try spec(Self.yaml("{type: hyperband, min_iter: 1}", method: "bayes"))
        #expect(bayes.method == .bayes && bayes.earlyTerminate == EarlyTerminate(type: "hyperband", minIter: 1))
    }

    @Test func badValuesNameTheirLine() {
        let cases = [
            ("{type: hyperband, min_iter: 0}", "t.yaml:5: early_terminate.min_iter: expected an integer >= 1, got 0"),
            ("{type: hyperband, min_iter: 1.5}", "t.yaml:5: early_terminate.min_iter: expected an integer, got '1.5'"),
            ("{type: hyperband, min_iter: 1, s: 0}", "t.yaml:5: early_terminate.s: expected an integer >= 1, got 0"),
            ("{type: median, min_iter: -1}", "t.yaml:5: early_terminate.min_iter: expected an integer >= 1, got -1"),
            ("{type: hyperband, max_iter: 2, s: 1}",
             "t.yaml:5: early_terminate.max_iter: max_iter 2 is less than eta 3: no bracket is left"),
            ("{type: hyperband, min_iter: 1, bands: [1, 3]}",
             "t.yaml:5: early_terminate.bands: unknown key (expected type, min_iter, max_iter, s, eta)"),
            ("hyperband", "t.yaml:5: early_terminate: expected a mapping such as {type: hyperband, min_iter: 1, eta: 3}, got 'hyperband'"),
        ]
        for (value, expected) in cases {
            #expect(failure(Self.yaml(value)) == expected, "\(value)")
        }
        #expect(failure("method: bayes\nparameters:\n  cell: {values: [rnn]}\n")
                == "t.yaml:1: run_cap: method bayes needs run_cap, the number of tasks to draw")
    }
}
