import Testing
import SweepRandom

@Suite struct SplitMix64Tests {
    /// The reference outputs of SplitMix64 for seed 0: task ids of random sweeps,
    /// the synthetic data and every engine stream depend on them never changing.
    @Test func matchesTheReferenceSequence() {
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func belowIsInRangeAndCoversIt() {
        var rng = SplitMix64(seed: 3)
        var seen = Set<Int>()
        for _ in 0..<2000 {
            let v = rng.below(7)
            #expect((0..<7).contains(v))
            seen.insert(v)
        }
        #expect(seen.count == 7)
    }

    @Test func normalHasUnitVariance() {
        var rng = SplitMix64(seed: 5)
        let xs = (0..<20000).map { _ in rng.normal() }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
    }
}
