import Foundation
import Testing
import SweepRandom
@testable import SweepSearch

/// Non-dominated sorting against a brute-force reference and Optuna, and hypervolume
/// (and its greedy subset selection) against exact cases and Optuna.
@Suite struct ParetoFrontTests {
    /// Dominance written out plainly: a point without NaN beats one with; otherwise no
    /// worse everywhere (NaN the worst value) and better somewhere.
    static func dominates(_ a: [Double], _ b: [Double], _ maximize: [Bool]) -> Bool {
        let (aNaN, bNaN) = (a.contains { $0.isNaN }, b.contains { $0.isNaN })
        if aNaN != bNaN { return bNaN }
        var better = false
        for k in a.indices {
            func loss(_ x: Double) -> Double { x.isNaN ? .infinity : (maximize[k] ? -x : x) }
            if loss(a[k]) > loss(b[k]) { return false }
            if loss(a[k]) < loss(b[k]) { better = true }
        }
        return better
    }

    /// A point's front is one more than the longest chain of points dominating it.
    static func bruteForceRanks(_ points: [[Double]], _ maximize: [Bool]) -> [Int] {
        var rank = [Int?](repeating: nil, count: points.count)
        func rankOf(_ i: Int) -> Int {
            if let r = rank[i] { return r }
            let r = 1 + (points.indices.filter { dominates(points[$0], points[i], maximize) }.map(rankOf).max() ?? 0)
            rank[i] = r
            return r
        }
        return points.indices.map(rankOf)
    }

    /// Random points on few levels (so many values and points are equal), some NaN.
    static func randomPoints(_ rng: inout SplitMix64, n: Int, m: Int, levels: Int, nanShare: Double) -> [[Double]] {
        (0..<n).map { _ in
            (0..<m).map { _ in rng.uniform() < nanShare ? .nan : Double(rng.below(levels)) / Double(levels) }
        }
    }

    @Test func ranksMatchBruteForceWithTiesAndNaN() {
        var rng = SplitMix64(seed: 18)
        var cases = 0
        for trial in 0..<300 {
            let m = 2 + trial % 3
            let n = 1 + Int(rng.below(60))
            let levels = [2, 3, 5, 10, 1000][trial % 5]
            let points = Self.randomPoints(&rng, n: n, m: m, levels: levels, nanShare: trial % 4 == 0 ? 0.1 : 0)
            let maximize = (0..<m).map { _ in rng.below(2) == 0 }
            let ranks = ParetoFront.ranks(points, maximize: maximize)
            #expect(ranks == Self.bruteForceRanks(points, maximize), "case \(trial): \(points) \(maximize)")
            for i in points.indices {
                for j in points.indices {
                    #expect(ParetoFront.dominates(points[i], points[j], maximize: maximize) == Self.dominates(points[i], points[j], maximize))
                }
            }
            cases += 1
        }
        #expect(cases == 300)
    }

    @Test func equalPointsShareAFrontAndNaNRanksLast() {
        let points: [[Double]] = [[1, 1], [1, 1], [0, 2], [2, 0], [2, 2], [.nan, 0], [0.5, .nan], [.nan, .nan], [3, 3]]
        // Minimised: front 1 holds [1,1] twice, [0,2], [2,0]; [2,2] next; [3,3] after it; then the NaN points.
        #expect(ParetoFront.ranks(points, maximize: [false, false]) == [1, 1, 1, 1, 2, 4, 4, 5, 3])
        // Maximised: [3,3] alone on top.
        #expect(ParetoFront.ranks(points, maximize: [true, true]) == [3, 3, 3, 3, 2, 4, 4, 5, 1])
        #expect(ParetoFront.ranks([], maximize: [true, false]).isEmpty)
        #expect(ParetoFront.ranks([[0.5, 0.5]], maximize: [true, false]) == [1])
    }

    /// Sorting stopped once `enough` points are ranked keeps those ranks exact and gives
    /// every other point a larger one (what TPE's split relies on).
    @Test func partialSortingIsExactAsFarAsItGoes() {
        var rng = SplitMix64(seed: 3)
        for trial in 0..<100 {
            let points = Self.randomPoints(&rng, n: 40, m: 2 + trial % 2, levels: 4, nanShare: trial % 3 == 0 ? 0.1 : 0)
            let losses = points.map { ParetoFront.losses($0, maximize: Array(repeating: false, count: $0.count)) }
            let full = ParetoFront.ranks(losses: losses)
            let enough = 1 + Int(rng.below(40))
            let partial = ParetoFront.ranks(losses: losses, enough: enough)
            let exact = full.sorted()[enough - 1]   // the front that reaches `enough` points
            for i in points.indices {
                if full[i] <= exact { #expect(partial[i] == full[i]) } else { #expect(partial[i] > exact) }
            }
        }
    }

    @Test func ranksMatchOptuna() {
        let fixture = MOTPEFixture.shared.buildingBlocks.ranks
        #expect(fixture.count == 5)
        for golden in fixture {
            let m = golden.points[0].count
            #expect(ParetoFront.ranks(golden.points, maximize: Array(repeating: false, count: m)) == golden.ranks)
            // Maximising the negated points is the same problem.
            #expect(ParetoFront.ranks(golden.points.map { $0.map { -$0 } }, maximize: Array(repeating: true, count: m)) == golden.ranks)
        }
    }

    // MARK: hypervolume

    @Test func hypervolumeOfSimpleSets() {
        let min2 = [false, false]
        #expect(Hypervolume.of([[0, 0]], reference: [1, 1], maximize: min2) == 1)
        #expect(Hypervolume.of([[0.5, 0], [0, 0.5]], reference: [1, 1], maximize: min2) == 0.75)
        // A dominated point, one outside the reference, one on its edge and a NaN add nothing.
        #expect(Hypervolume.of([[0.5, 0], [0, 0.5], [0.6, 0.6], [2, 0], [1, 0.1], [.nan, 0]], reference: [1, 1], maximize: min2) == 0.75)
        #expect(Hypervolume.of([], reference: [1, 1], maximize: min2) == 0)
        // Maximised objectives: the region between the points and a reference below them.
        #expect(Hypervolume.of([[1, 1]], reference: [0, 0], maximize: [true, true]) == 1)
        #expect(Hypervolume.of([[0.9, 20]], reference: [0, 30], maximize: [true, false]) == 0.9 * 10)
        // 3-D: two boxes overlapping in a unit cube: 1·1·0.5 + 0.5·1·1 − 0.5·1·0.5.
        #expect(abs(Hypervolume.of([[0, 0, 0.5], [0.5, 0, 0]], reference: [1, 1, 1], maximize: [false, false, false]) - 0.75) < 1e-15)
        #expect(Hypervolume.of([[0.25]], reference: [1], maximize: [false]) == 0.75)
    }

    @Test func hypervolumeMatchesOptuna() {
        for golden in MOTPEFixture.shared.buildingBlocks.hypervolumes {
            let m = golden.reference.count
            let volume = Hypervolume.of(golden.points, reference: golden.reference, maximize: Array(repeating: false, count: m))
            #expect(abs(volume - golden.volume) <= 1e-12 * golden.volume, "\(m)-D, \(golden.points.count) points")
        }
    }

    /// Monte Carlo on random 4-D sets: the share of random points in the box that some
    /// point dominates estimates the volume.
    @Test func hypervolumeAgreesWithSamplingIn4D() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<3 {
            let points = (0..<8).map { _ in (0..<4).map { _ in rng.uniform() } }
            let exact = Hypervolume.of(points, reference: [1, 1, 1, 1], maximize: [false, false, false, false])
            var hits = 0
            let samples = 200_000
            for _ in 0..<samples {
                let x = (0..<4).map { _ in rng.uniform() }
                if points.contains(where: { p in zip(p, x).allSatisfy { $0 <= $1 } }) { hits += 1 }
            }
            let estimate = Double(hits) / Double(samples)
            #expect(abs(estimate - exact) < 4 * (exact * (1 - exact) / Double(samples)).squareRoot() + 1e-9, "\(estimate) vs \(exact)")
        }
    }

    @Test func greedySubsetMatchesOptuna() {
        for golden in MOTPEFixture.shared.buildingBlocks.subsets {
            #expect(zip(Hypervolume.referencePoint(golden.points), golden.reference).allSatisfy { abs($0 - $1) < 1e-12 })
            #expect(Hypervolume.greedySubset(losses: golden.points, count: golden.count) == golden.chosen,
                    "\(golden.points[0].count)-D, \(golden.count) of \(golden.points.count)")
        }
    }

    /// Each greedy pick adds the most hypervolume of those left (checked against every alternative).
    @Test func greedySubsetTakesTheLargestGainEachTime() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<20 {
            let front = (0..<12).map { _ -> [Double] in
                let x = rng.uniform()
                return [x, 1 - x.squareRoot()]
            }
            let chosen = Hypervolume.greedySubset(losses: front, count: 4)
            #expect(chosen.count == 4 && Set(chosen).count == 4)
            let reference = Hypervolume.referencePoint(front)
            let volume = Hypervolume.of(losses: chosen.map { front[$0] }, reference: reference)
            // No single swap of a chosen point for another improves on the greedy set by much
            // (greedy is within 1 − 1/e of the best; on a 2-D front it is near it).
            for out in chosen {
                for swap in front.indices where !chosen.contains(swap) {
                    let other = chosen.filter { $0 != out } + [swap]
                    #expect(Hypervolume.of(losses: other.map { front[$0] }, reference: reference) <= volume * 1.05)
                }
            }
        }
        // Fewer distinct points than asked for: all of them, then the earliest repeats.
        #expect(Hypervolume.greedySubset(losses: [[1, 2], [2, 1], [1, 2], [2, 1], [1, 2]], count: 3) == [0, 1, 2])
    }
}
