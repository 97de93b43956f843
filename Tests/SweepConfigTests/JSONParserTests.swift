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

    /// Integers read without a String (up to 18 characters), the rest as before.
    @Test(arguments: [("0", JSON.int(0)), ("-0", .int(0)), ("007", .int(7)), ("-42", .int(-42)),
                      ("123456789012345678", .int(123456789012345678)), ("9223372036854775807", .int(Int.max)),
                      ("-9223372036854775808", .int(Int.min)), ("92233720368547758070", .double(9.223372036854776e19))])
    func readsIntegers(_ text: String, _ expected: JSON) throws {
        let v = try JSON.parse(text)
        #expect(v == expected)
        if case .int = expected { #expect(v.intValue == expected.intValue) }
    }

    /// Members asked for as text are checked as any value and kept as they came.
    @Test func keepsRawMembersAsTheirText() throws {
        let text = #"{"id":"a","params":{"x":[1,2.5,"\u00e9"],"y":null},"n":3}"#
        let v = try JSON.parse(Array(text.utf8), rawMembers: ["params"])
        guard case .raw(let raw)? = v["params"] else { Issue.record("params is not raw: \(v)"); return }
        #expect(raw == #"{"x":[1,2.5,"\u00e9"],"y":null}"#)
        #expect(v["n"] == .int(3))
        // text as this encoder writes it (a coordinator's task) is the same value, written the same
        let canonical = #"{"id":"a","params":{"x":[1,2.5,"é"],"y":null},"n":3}"#
        #expect(try JSON.parse(Array(canonical.utf8), rawMembers: ["params"]) == (try JSON.parse(canonical)))
        #expect(throws: JSON.ParseError.self) { try JSON.parse(Array(#"{"params":{"x":[1,]}}"#.utf8), rawMembers: ["params"]) }
        #expect(throws: JSON.ParseError.self) { try JSON.parse(Array(#"{"params":{"x":"\u12"}}"#.utf8), rawMembers: ["params"]) }
    }

    /// A number kept as text is accepted exactly when it would be read.
    @Test(arguments: ["0", "-0", "1.", ".5", "-.5", "007", "1.2.3", "-", ".", "1-2", "1e5", "1e999", "-1E-3", "2.5e+3",
                      "12345678901234567890123", String(repeating: "9", count: 310), "1" + String(repeating: "0", count: 305) + ".5",
                      "3.14", "-12.0", "1..2", "--1"])
    func checksNumbersKeptAsTextAsItReadsThem(_ number: String) {
        let read = (try? JSON.parse(number)) != nil
        let kept = (try? JSON.parse(Array(#"{"p":\#(number)}"#.utf8), rawMembers: ["p"])) != nil
        #expect(read == kept, "\(number)")
    }

    /// Equality is equality of the encodings, decided without encoding where it can be.
    @Test func equalityIsTheEncodings() {
        let values: [JSON] = [.null, .double(.nan), .double(.infinity), .int(3), .double(3), .bool(true), .string("é"),
                              .string("e\u{301}"), .array([.int(1)]), .raw("[1]"), .object([("a", .null)]), .raw(#"{"a":null}"#),
                              .object([("a", .double(.nan))]), .object([("b", .null)]), .string("null"), .raw("null")]
        for a in values {
            for b in values { #expect((a == b) == (a.encoded == b.encoded), "\(a) == \(b)") }
        }
    }

    /// The byte writer (the wire's) writes what the String writer writes.
    @Test func bytesAndTextAreTheSameEncoding() throws {
        let values: [JSON] = [
            .object([("a", .int(0)), ("b", .int(-7)), ("c", .int(Int.max)), ("d", .int(Int.min)), ("e", .double(-0.0)),
                     ("f", .double(1e15)), ("g", .double(123456789.0)), ("h", .double(2.5e-05)), ("i", .double(.nan)),
                     ("j", .string("x\"y\\\n\u{01}é😀")), ("k", .array([.null, .bool(true), .bool(false)])), ("l", .raw("[1, 2]"))]),
            .string(""), .array([]), .object([]), .int(10), .double(-3.75),
        ]
        for v in values {
            var text = ""
            v.write(to: &text)
            #expect(String(decoding: v.encodedBytes, as: UTF8.self) == text)
            #expect(v.encoded == text)
        }
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
