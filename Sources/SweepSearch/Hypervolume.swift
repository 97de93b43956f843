/// The hypervolume indicator (Zitzler and Thiele, 1998): the measure of the region that
/// a set of points dominates and that dominates a reference point — the larger, the
/// better the set approximates the Pareto front.
public enum Hypervolume {
    /// The hypervolume of `points` relative to `reference`, under the goals (`maximize[k]`
    /// for objective k): only points better than the reference in every objective count,
    /// and points with a NaN objective count for nothing.
    public static func of(_ points: [[Double]], reference: [Double], maximize: [Bool]) -> Double {
        of(losses: points.map { ParetoFront.losses($0, maximize: maximize) }, reference: ParetoFront.losses(reference, maximize: maximize))
    }

    /// The hypervolume of loss vectors (lower is better) below `reference`.
    static func of(losses: [[Double]], reference: [Double]) -> Double {
        let inside = losses.filter { p in zip(p, reference).allSatisfy { $0 < $1 } }
        return sliced(inside, reference)
    }

    /// Exact: in 1-D a length, in 2-D a sweep over the points sorted by the first
    /// objective, above that slices along the last objective (Hypervolume by Slicing
    /// Objectives, While et al., 2006), each slice a hypervolume one dimension down —
    /// O(n^(m-1) log n), fine for the few objectives of a sweep. Points lie inside the reference.
    private static func sliced(_ points: [[Double]], _ reference: [Double]) -> Double {
        guard !points.isEmpty else { return 0 }
        let m = reference.count
        switch m {
        case 1:
            return reference[0] - points.map { $0[0] }.min()!
        case 2:
            let sorted = points.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
            var volume = 0.0
            var ceiling = reference[1]
            for p in sorted where p[1] < ceiling {
                volume += (reference[0] - p[0]) * (ceiling - p[1])
                ceiling = p[1]
            }
            return volume
        default:
            let sorted = points.sorted { $0[m - 1] < $1[m - 1] }
            let lower = Array(reference.prefix(m - 1))
            var volume = 0.0
            for i in sorted.indices {
                let top = i + 1 < sorted.count ? sorted[i + 1][m - 1] : reference[m - 1]
                let depth = top - sorted[i][m - 1]
                guard depth > 0 else { continue }
                volume += depth * sliced(sorted[...i].map { Array($0.prefix(m - 1)) }, lower)
            }
            return volume
        }
    }

    /// Greedy hypervolume subset selection (Guerreiro et al., "Greedy Hypervolume Subset
    /// Selection in Low Dimensions", 2016), as Optuna's `_solve_hssp` breaks ties in the
    /// last front TPE splits: `count` of the points, taken one at a time by the largest
    /// hypervolume each adds to those taken, relative to Optuna's reference (the worst of
    /// each objective, moved 10% outwards). Returns indices into `losses`, ascending.
    ///
    /// Repeated points count once until every distinct point is taken: with fewer distinct
    /// points than `count`, all of them are taken and then the earliest repeats. Among
    /// points that add as much, the lexicographically smallest is taken.
    static func greedySubset(losses: [[Double]], count: Int) -> [Int] {
        precondition(count <= losses.count)
        guard count < losses.count else { return Array(losses.indices) }
        let (unique, groupOf) = ParetoFront.uniqueLexsorted(losses)
        var firstOf = [Int](repeating: -1, count: unique.count)
        for (i, g) in groupOf.enumerated() where firstOf[g] < 0 { firstOf[g] = i }
        if unique.count < count {
            let repeats = losses.indices.filter { firstOf[groupOf[$0]] != $0 }
            return (firstOf + repeats.prefix(count - unique.count)).sorted()
        }
        let reference = referencePoint(unique)
        guard reference.allSatisfy(\.isFinite) else { return firstOf.prefix(count).sorted() }
        var taken: [[Double]] = []
        var candidates = Array(unique.indices)
        var chosen: [Int] = []
        while chosen.count < count {
            let volume = of(losses: taken, reference: reference)
            var best: (gain: Double, position: Int)?
            for (position, u) in candidates.enumerated() {
                let gain = of(losses: taken + [unique[u]], reference: reference) - volume
                if best.map({ gain > $0.gain }) ?? true { best = (gain, position) }
            }
            let u = candidates.remove(at: best!.position)
            taken.append(unique[u])
            chosen.append(firstOf[u])
        }
        return chosen.sorted()
    }

    /// Optuna's `_get_reference_point`: per objective the worst value w, then
    /// max(1.1·w, 0.9·w) (outwards whatever w's sign), and a tiny positive number for 0.
    static func referencePoint(_ losses: [[Double]]) -> [Double] {
        (0..<losses[0].count).map { k in
            let worst = losses.map { $0[k] }.max()!
            let r = max(1.1 * worst, 0.9 * worst)
            return r == 0 ? 1e-12 : r
        }
    }
}
