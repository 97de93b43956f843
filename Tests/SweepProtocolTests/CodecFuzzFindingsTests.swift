import Testing
import SweepConfig
@testable import SweepProtocol

/// Frames from a peer that stopped the decoder with a trap, found by `make fuzz` (codec
/// target) or while writing it; each now decodes or fails with a ProtocolError.
@Suite struct CodecFuzzFindingsTests {
    /// libFuzzer's input, as sent: a high surrogate escape followed by one that is not a
    /// low surrogate overflowed in the JSON parser.
    @Test func aLoneHighSurrogateInABodyIsNotATrap() throws {
        let frames = [
            "sweep/1", "result",
            #"{"task_id":"00ff","attempt":1,"status":"failed","metrics":{},"error":"boom \ud83d\uBe00","wall_seconds":0}"#,
        ].map { Array($0.utf8) }
        guard case .result(let outcome) = try Codec.decode(frames) else { Issue.record("not a result"); return }
        #expect(outcome.error == "boom \u{FFFD}\u{BE00}")
        #expect(try Codec.decode(Codec.encode(.result(outcome))) == .result(outcome))
    }

    /// offset + count overflowed for an offset near Int.max.
    @Test func aWeightsOffsetNearIntMaxIsRejected() {
        let frames = [
            Array("sweep/1".utf8), Array("weights".utf8),
            Array(#"{"task_id":"00ff","attempt":2,"offset":9223372036854775807,"total":10}"#.utf8), [1],
        ]
        #expect(throws: ProtocolError("weights: 1 bytes at offset 9223372036854775807 lie beyond total 10")) {
            try Codec.decode(frames)
        }
    }
}
