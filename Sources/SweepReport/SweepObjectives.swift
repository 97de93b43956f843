import SweepSearch
import SweepSpec
import SweepStore

extension SweepRecord {
    /// For a sweep whose spec lists several metrics (`metric:` as a list): its objectives
    /// and non-dominated sorting (`ParetoFront`), for a leaderboard ranked by Pareto front.
    /// nil for a sweep of one metric, or one whose stored spec no longer reads.
    public var pareto: Leaderboard.Pareto? {
        guard let spec = try? SweepSpec.parse(self.spec, path: name), spec.isMultiObjective else { return nil }
        return Leaderboard.Pareto(objectives: spec.metrics.map { .init(name: $0.name, maximize: $0.maximize) },
                                  fronts: { ParetoFront.ranks($0, maximize: $1) })
    }
}
