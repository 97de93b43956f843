import Testing
@testable import SweepConfig

/// The architecture language: lines parse into layers and branches, print back in
/// canonical form, and bad lines fail in one line naming the token and its position.
@Suite struct ArchitectureTests {
    static let presets = [
        "conv(32, 5) act maxpool(2) conv(64, 5) act maxpool(2) flatten dense(1024) act dropout(dropout) dense(classes)",
        "conv(32, 3) relu conv(32, 3) relu maxpool(2) dropout(0.25) conv(64, 3) relu conv(64, 3) relu maxpool(2) dropout(0.25) "
            + "concat[conv(64, 3) relu | conv(64, 3) relu conv(64, 3) relu | conv(64, 3) relu maxpool(3, 1)] "
            + "flatten dense(512) relu dropout(0.5) dense(classes)",
        "conv(32, 3) relu residual[conv(128, 3) relu conv(128, 3) relu conv(64, 1)] relu maxpool(2) flatten dense(classes)",
        "lstm(hidden) lstm(hidden) dense(classes)",
        "conv(16, 3, 2, valid) avgpool(2) globalavgpool batchnorm tanh sigmoid gru(8) rnn(4) dense(classes)",
    ]

    @Test(arguments: presets) func linesRoundTrip(_ line: String) throws {
        let a = try Architecture(parsing: line)
        #expect(a.description == line)
        #expect(try Architecture(parsing: a.description) == a)
    }

    @Test func spacingAndNumbersAreCanonicalised() throws {
        let a = try Architecture(parsing: "  conv( 32,3 )   residual[ relu ]concat[relu|tanh] dropout(.5) dense(1e1)")
        #expect(a.description == "conv(32, 3) residual[relu] concat[relu | tanh] dropout(0.5) dense(10)")
        guard case .layer(let conv) = a.nodes[0] else { Issue.record("not a layer"); return }
        #expect(conv.kind == .conv && conv.arguments == [.number(32), .number(3)] && conv.position == 3)
        guard case .concat(let branches, let at) = a.nodes[2] else { Issue.record("not a concat"); return }
        #expect(branches.count == 2 && at == 34)
    }

    @Test(arguments: [
        ("conv(32, 3) convv(3)", "architecture: unknown layer 'convv' at position 13"),
        ("conv(32, 3", "architecture: '(' at position 5 is never closed"),
        ("relu residual[relu relu", "architecture: '[' at position 14 is never closed"),
        ("concat[relu relu]", "architecture: concat needs at least two branches separated by '|' at position 1"),
        ("residual[relu | tanh]", "architecture: residual takes one branch; '|' separates concat's at position 15"),
        ("dense(1, 2)", "architecture: dense takes 1 argument(s), got 2: dense(N) at position 1"),
        ("conv(32)", "architecture: conv takes 2 to 4 argument(s), got 1: conv(C, K[, S[, valid]]) at position 1"),
        ("conv(32, 3, 1, 2)", "architecture: conv's fourth argument can only be 'valid': conv(C, K[, S[, valid]]) at position 1"),
        ("relu(2)", "architecture: relu takes 0 argument(s), got 1: relu at position 1"),
        ("dense(width)", "architecture: 'width' is neither a number nor one of the keys hidden, dropout, classes at position 7"),
        ("relu ] tanh", "architecture: unexpected ']' at position 6"),
        ("dense(10) ; relu", "architecture: unexpected character ';' at position 11"),
        ("concat[relu | ]", "architecture: empty branch in concat at position 15"),
        ("residual relu", "architecture: residual needs '[' after it at position 10"),
        ("dense(, 2)", "architecture: expected an argument of dense(N), found ',' at position 7"),
        ("dense(2 3)", "architecture: expected ',' or ')', found '3' at position 9"),
        ("   ", "architecture: the line has no layers"),
    ]) func badLinesNameTheTokenAndItsPosition(_ line: String, _ message: String) {
        #expect(throws: ConfigError(message)) { try Architecture(parsing: line) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let line = String(repeating: "residual[", count: 40) + "relu" + String(repeating: "]", count: 40)
        #expect(throws: ConfigError.self) { try Architecture(parsing: line) }
    }
}

/// The `architecture` key: kept in canonical form, in a configuration only when set.
@Suite struct ArchitectureKeyTests {
    @Test func theKeyKeepsTheCanonicalLineAndOnlyWhenSet() throws {
        let a = try TrainConfig(arguments: ["architecture=conv( 8,3 )  relu flatten dense(classes)"])
        #expect(a.architecture == "conv(8, 3) relu flatten dense(classes)")
        let b = try TrainConfig(arguments: ["architecture=conv(8, 3) relu flatten dense(classes)"])
        #expect(a.canonical.encoded == b.canonical.encoded, "two spellings of one network are one configuration")
        #expect(a.canonical.objectFields!.map(\.0)[5...6] == ["model", "architecture"])
        #expect(!TrainConfig().canonical.objectFields!.map(\.0).contains("architecture"))
        #expect(try TrainConfig(json: a.canonical).canonical.encoded == a.canonical.encoded)
    }
}
