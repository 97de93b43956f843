/// One reader of outside input, behind the entry libFuzzer calls for every input
/// (`sweep-fuzz`, `make fuzz`) and the corpus test replays (FuzzTargetsTests).
/// An input the reader rejects with its own error is fine; a trap, a sanitizer
/// report or a broken promise (`violated`) is a finding.
public struct FuzzTarget: Sendable {
    /// Names the seed corpus `Fuzz/corpus/<name>`, the dictionary `Fuzz/<name>.dict`
    /// and the value of `SWEEP_FUZZ_TARGET`.
    public let name: String
    public let run: @Sendable ([UInt8]) -> Void

    public init(name: String, run: @escaping @Sendable ([UInt8]) -> Void) {
        self.name = name
        self.run = run
    }

    /// Every target; a new one is a file beside this one and one entry here.
    public static let all: [FuzzTarget] = [.spec, .codec, .architecture]

    public static func named(_ name: String) -> FuzzTarget? {
        all.first { $0.name == name }
    }
}

/// A promise of the reader that an input broke: stops the run so libFuzzer
/// keeps the input (`crash-…`), with the reason on stderr.
func violated(_ promise: String, file: StaticString = #file, line: UInt = #line) -> Never {
    fatalError("fuzz: \(promise)", file: file, line: line)
}
