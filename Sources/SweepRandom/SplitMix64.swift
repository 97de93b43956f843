import Foundation

/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number
/// generators", 2014): the one seeded generator behind every random choice that
/// must be the same on every machine and Swift version — the sampler of random
/// sweeps, the synthetic images and validation split of the data, and the
/// seeding of the engine's xoshiro256** streams.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }
    public init(seed: Int) { state = UInt64(bitPattern: Int64(seed)) }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [lower, upper].
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * uniform()
    }

    public mutating func uniform(_ range: ClosedRange<Double>) -> Double { uniform(range.lowerBound, range.upperBound) }

    /// Uniform in 0..<n (n ≥ 1), without modulo bias (Lemire's rejection).
    public mutating func below(_ n: UInt64) -> UInt64 {
        precondition(n > 0)
        let threshold = (0 &- n) % n
        while true {
            let (high, low) = next().multipliedFullWidth(by: n)
            if low >= threshold { return high }
        }
    }

    public mutating func below(_ n: Int) -> Int { Int(below(UInt64(n))) }

    /// Standard normal (Box–Muller, in Double).
    public mutating func normal() -> Double {
        let u = 1 - uniform()   // (0, 1]
        let v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}
