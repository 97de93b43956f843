import Testing
@testable import SweepConfig

@Suite struct JSONParserTests {
    @Test func roundTripsKeepingOrderAndNumberKinds() throws {
        let text = #"{"z":1,"a":[true,false,null,-2.5e-05,3.0,"x\"y\\\n\u00e9\ud83d\ude00"],"m":{}}"#
        let v = try JSON.parse(text)
        #expect(v.objectFields?.map(\.0) == ["z", "a", "m"])
        #expect(v["z"] == .int(1))
        if case .array(let items)? = v["a"] {
            #expect(items[3] == .double(-2.5e-05))
            #expect(items[4] == .double(3))
            #expect(items[5] == .string("x\"y\\\né😀"))
        } else { Issue.record("a is not an array") }
        #expect(try JSON.parse(v.encoded).encoded == v.encoded)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", "{\"a\":1,}", "-", "\"\u{01}\"", "1e999"])
    func rejectsInvalidText(_ text: String) {
        #expect(throws: JSON.ParseError.self) { try JSON.parse(text) }
    }

    /// A high surrogate escape followed by an escape that is not a low surrogate trapped on
    /// overflow (make fuzz, codec target: a peer's `"\ud83d\uBe00"` stopped the coordinator).
    /// Lone surrogates read as U+FFFD; the escape after one stands alone.
    @Test(arguments: [
        (#""\ud83d\uBe00""#, "\u{FFFD}\u{BE00}"),
        (#""\ud800\u0041""#, "\u{FFFD}A"),
        (#""\ud800\ud800\udc00""#, "\u{FFFD}\u{10000}"),
        (#""\udbff\udfff""#, "\u{10FFFF}"),
        (#""\ud800""#, "\u{FFFD}"),
        (#""\udc00x""#, "\u{FFFD}x"),
    ])
    func readsLoneSurrogatesAsReplacementCharacters(_ text: String, _ expected: String) throws {
        #expect(try JSON.parse(text) == .string(expected))
    }

    @Test func rejectsDeepNesting() {
        #expect(throws: JSON.ParseError.self) { try JSON.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)) }
    }

    @Test func configRoundTripsThroughCanonicalJSON() throws {
        let c = try TrainConfig(arguments: ["model=lenet5", "learning_rate=1.7e-4", "clip_norm=5", "batchnorm=true", "seed=-2"])
        let back = try TrainConfig(json: JSON.parse(c.canonical.encoded))
        #expect(back.canonical.encoded == c.canonical.encoded)
    }
}
