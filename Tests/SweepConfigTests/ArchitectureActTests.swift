import Testing
@testable import SweepConfig

/// `act` written out as the activation it stands for, inside branches too; everything
/// else, positions included, as it was.
@Suite struct ArchitectureActTests {
    @Test func actIsResolvedEverywhereAndNothingElseChanges() throws {
        let a = try Architecture(parsing: "conv(8, 3) act residual[conv(8, 3) act] concat[act | tanh maxpool(3, 1) | residual[act]] "
                                 + "dense(hidden) act dense(classes)")
        let r = a.resolvingAct(.relu)
        #expect(r.description == "conv(8, 3) relu residual[conv(8, 3) relu] concat[relu | tanh maxpool(3, 1) | residual[relu]] "
                + "dense(hidden) relu dense(classes)")
        #expect(try Architecture(parsing: r.description).description == r.description)
        #expect(a.resolvingAct(.sigmoid).description.split(separator: " ").filter { $0.contains("sigmoid") }.count == 5)
        guard case .concat(let branches, let at) = r.nodes[3], case .layer(let l) = branches[0][0] else {
            Issue.record("not a concat of layers"); return
        }
        #expect(at == 41 && l.kind == .relu && l.position == 48)
        // a line without act stays as it was
        let plain = try Architecture(parsing: "conv(8, 3) tanh dense(classes)")
        #expect(plain.resolvingAct(.relu) == plain)
    }
}
