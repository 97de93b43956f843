/// Non-dominated sorting of points with several objectives (Deb et al., "A fast and
/// elitist multiobjective genetic algorithm: NSGA-II", 2002): front 1 holds the points no
/// other point dominates, front 2 those dominated only by front 1, and so on.
///
/// A point dominates another when it is no worse in every objective and better in one,
/// so equal points never dominate each other and share a front. A point with a NaN
/// objective (a diverged task) is worse than every point without one: such points rank
/// after all the others, among themselves with NaN as the worst value of its objective —
/// as Optuna ranks infeasible trials after feasible ones.
public enum ParetoFront {
    /// The front of each point, from 1 (not dominated); `maximize[k]` is the goal of objective k.
    public static func ranks(_ points: [[Double]], maximize: [Bool]) -> [Int] {
        ranks(losses: points.map { losses($0, maximize: maximize) })
    }

    /// Whether a dominates b under the goals (and the NaN rule above).
    public static func dominates(_ a: [Double], _ b: [Double], maximize: [Bool]) -> Bool {
        let (x, y) = (losses(a, maximize: maximize), losses(b, maximize: maximize))
        let (xClean, yClean) = (!x.contains(where: \.isNaN), !y.contains(where: \.isNaN))
        if xClean != yClean { return xClean }
        let (u, v) = (x.map(nanAsWorst), y.map(nanAsWorst))
        return zip(u, v).allSatisfy { $0 <= $1 } && zip(u, v).contains { $0 < $1 }
    }

    /// Objectives as losses, lower is better: maximized ones negated.
    static func losses(_ point: [Double], maximize: [Bool]) -> [Double] {
        precondition(point.count == maximize.count, "a point has \(point.count) objectives, the goals \(maximize.count)")
        return zip(point, maximize).map { $1 ? -$0 : $0 }
    }

    static func nanAsWorst(_ x: Double) -> Double { x.isNaN ? .infinity : x }

    /// Fronts of loss vectors, from 1. With `enough`, sorting stops once that many points
    /// are ranked (as Optuna's `_fast_non_domination_rank(n_below:)`): the ranks of the
    /// points ranked are exact, every other point gets a larger one.
    static func ranks(losses: [[Double]], enough: Int? = nil) -> [Int] {
        let clean = losses.indices.filter { !losses[$0].contains(where: \.isNaN) }
        let dirty = losses.indices.filter { losses[$0].contains(where: \.isNaN) }
        var ranks = [Int](repeating: 0, count: losses.count)
        let cleanRanks = peel(clean.map { losses[$0] }, enough: enough)
        for (i, r) in zip(clean, cleanRanks) { ranks[i] = r }
        let offset = cleanRanks.max() ?? 0
        let rest = enough.map { $0 - clean.count }
        if rest.map({ $0 > 0 }) ?? true {
            let dirtyRanks = peel(dirty.map { losses[$0].map(nanAsWorst) }, enough: rest)
            for (i, r) in zip(dirty, dirtyRanks) { ranks[i] = offset + r }
        } else {
            for i in dirty { ranks[i] = offset + 1 }
        }
        return ranks
    }

    /// Peels fronts off points without NaN. In lexicographic order only an earlier point
    /// can dominate a later one, and a point dominated by anything left is dominated by a
    /// member of the current front (dominance is transitive), so one pass over the points
    /// left, against the front found so far, yields each front.
    private static func peel(_ points: [[Double]], enough: Int?) -> [Int] {
        guard !points.isEmpty else { return [] }
        let (unique, groupOf) = uniqueLexsorted(points)
        var multiplicity = [Int](repeating: 0, count: unique.count)
        for g in groupOf { multiplicity[g] += 1 }
        var rankOfUnique = [Int](repeating: 0, count: unique.count)
        var left = Array(unique.indices)
        var rank = 0
        var ranked = 0
        while !left.isEmpty {
            rank += 1
            if let enough, ranked >= enough {
                for u in left { rankOfUnique[u] = rank }
                break
            }
            var front: [Int] = []
            var rest: [Int] = []
            for u in left {
                let p = unique[u]
                // Unique points: no worse everywhere means better somewhere.
                if front.contains(where: { f in zip(unique[f], p).allSatisfy { $0 <= $1 } }) {
                    rest.append(u)
                } else {
                    front.append(u)
                }
            }
            for u in front {
                rankOfUnique[u] = rank
                ranked += multiplicity[u]
            }
            left = rest
        }
        return groupOf.map { rankOfUnique[$0] }
    }

    /// The distinct points in lexicographic order, and for each point its position among them.
    static func uniqueLexsorted(_ points: [[Double]]) -> (unique: [[Double]], groupOf: [Int]) {
        let order = points.indices.sorted { a, b in
            points[a].lexicographicallyPrecedes(points[b]) || (points[a] == points[b] && a < b)
        }
        var unique: [[Double]] = []
        var groupOf = [Int](repeating: 0, count: points.count)
        for i in order {
            if unique.last != points[i] { unique.append(points[i]) }
            groupOf[i] = unique.count - 1
        }
        return (unique, groupOf)
    }
}
