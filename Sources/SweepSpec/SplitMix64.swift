import Foundation

/// The sampler's generator: seeded by the spec's top-level `seed`, so the same
/// spec draws the same tasks on every machine and every Swift version.
/// SplitMix64: Steele, Lea & Flood, "Fast splittable pseudorandom number generators", 2014.
struct SplitMix64 {
    private var state: UInt64

    init(seed: Int) { state = UInt64(bitPattern: Int64(seed)) }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [lower, upper].
    mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * uniform()
    }

    /// Uniform in 0..<n (n ≥ 1), without modulo bias (Lemire's rejection).
    mutating func below(_ n: UInt64) -> UInt64 {
        precondition(n > 0)
        let threshold = (0 &- n) % n
        while true {
            let r = next()
            let (high, low) = r.multipliedFullWidth(by: n)
            if low >= threshold { return high }
        }
    }

    /// Standard normal (Box–Muller).
    mutating func normal() -> Double {
        let u = 1 - uniform()   // (0, 1]
        let v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}
