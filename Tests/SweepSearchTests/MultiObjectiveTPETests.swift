import Foundation
import Testing
import SweepConfig
import SweepSpec
import SweepTrain
@testable import SweepSearch

/// TPE with several metrics, as Optuna's TPESampler with several directions.
@Suite struct MultiObjectiveTPETests {
    static let twoMetrics = """
        method: bayes
        metric: [{name: test_accuracy, goal: maximize}, {name: wall_seconds, goal: minimize}]
        run_cap: 99
        parameters: {seed: {min: 1, max: 1000}}
        """

    static func config(_ seed: Int) -> TrainConfig {
        var config = TrainConfig()
        config.seed = seed
        return config
    }

    /// 24 completed tasks, γ = ⌈24/10⌉ = 3 below. Accuracy up, seconds down: front 1 is
    /// tasks 0 (0.9, 10) and 1 (0.8, 5), which fit whole; front 2 is tasks 2, 3, 4 on
    /// a line, where the greedy subset takes the one adding the most hypervolume. The
    /// rest are dominated by task 0 (0.5, 20 + i); a pending task goes above (constant liar).
    @Test func belowIsTheBestFrontsCutByHypervolume() throws {
        var sampler = TPESampler(spec: try spec(Self.twoMetrics))
        let values: [[Double]] = [[0.9, 10], [0.8, 5], [0.85, 12], [0.7, 6], [0.75, 9]] + (5..<24).map { [0.5, 20 + Double($0)] }
        for (i, v) in values.enumerated() { sampler.add(Self.config(i), outcome: .completed(v[0]), values: v) }
        sampler.add(Self.config(99))
        let (below, above) = sampler.split()
        // Front 2 in losses (−accuracy, seconds): (−0.85, 12), (−0.75, 9), (−0.7, 6). Its reference:
        // (−0.63, 13.2). Gains alone: 0.22·1.2 = 0.264, 0.12·4.2 = 0.504, 0.07·7.2 = 0.504: a tie
        // between tasks 4 and 3, and the lexicographically first, (−0.75, 9), is taken. (Optuna
        // 5.1's _split_complete_trials_multi_objective on these values gives the same.)
        #expect(below == [0, 1, 4])
        #expect(above == [2, 3] + Array(5..<24) + [24])
        // The same by the building blocks.
        let losses = values.map { [-$0[0], $0[1]] }
        #expect(ParetoFront.ranks(losses: losses).prefix(5) == [1, 1, 2, 2, 2])
    }

    /// A task that reported only its first metric counts as NaN in the others: after every
    /// task whose values are all known.
    @Test func aTaskWithoutAllValuesRanksLast() throws {
        var sampler = TPESampler(spec: try spec(Self.twoMetrics))
        sampler.add(Self.config(0), outcome: .completed(0.99))                        // no values given
        for i in 1..<20 { sampler.add(Self.config(i), outcome: .completed(0.5), values: [0.5, Double(i)]) }
        #expect(sampler.split().below == [1, 2])
    }

    /// γ has no cap of 25 with several metrics, and the below tasks weigh the same.
    @Test func gammaAndWeightsAsOptuna() {
        #expect(TPESampler.Options.gamma(400) == 25 && TPESampler.Options.gammaMultiObjective(400) == 40)
        #expect(TPESampler.Options.gammaMultiObjective(1) == 1 && TPESampler.Options.gammaMultiObjective(0) == 0)
        let observations = (0..<30).map { Double($0) / 30 }
        let ramp = ParzenEstimator(numeric: observations, low: 0, high: 1, step: nil, options: ParzenOptions())
        let flat = ParzenEstimator(numeric: observations, low: 0, high: 1, step: nil, options: ParzenOptions(), flat: true)
        #expect(ramp.weights[0] < ramp.weights[29])
        #expect(Set(flat.weights).count == 1 && abs(flat.weights.reduce(0, +) - 1) < 1e-12)
    }

    /// Single-objective proposals are untouched by the multi-objective code: the same
    /// tasks as a spec with the one metric written as a one-element list.
    @Test func aListOfOneMetricProposesAsBefore() throws {
        let single = TPESamplerTests.bayes(seed: 2)
        let list = single.replacingOccurrences(of: "metric: {name: test_loss, goal: minimize}",
                                               with: "metric: [{name: test_loss, goal: minimize}]")
        var a = TPESampler(spec: try spec(single))
        var b = TPESampler(spec: try spec(list))
        let objective = SyntheticObjective()
        _ = try run(&a, budget: 30, inFlight: 3) { objective.value($0) }
        _ = try run(&b, budget: 30, inFlight: 3) { objective.value($0) }
        #expect(a.tasks.map(\.id) == b.tasks.map(\.id))
    }

    static func hypervolume(sampler: inout some Sampler, inFlight: Int) throws -> Double {
        let fixture = MOTPEFixture.shared
        let points = try run(&sampler, budget: fixture.trials, inFlight: inFlight, objectives: MOTPEFixture.zdt1)
        #expect(points.count == fixture.trials)
        return Hypervolume.of(points, reference: fixture.reference, maximize: [false, false])
    }

    static let seeds = Array(1...20)

    /// Issue 18: on ZDT1 (Fixtures/make_motpe.py), the hypervolume Sweep reaches after 60
    /// tasks is within 10% of Optuna's mean over 5 seeds (or better), sequentially and
    /// with 4 in flight; Sweep's mean is over 20 seeds of its own. Against Optuna's steadier
    /// mean over 30 seeds it is within 10% either way (much better would mean the two do
    /// not solve the same problem).
    @Test(arguments: [1, 4])
    func hypervolumeWithinTenPercentOfOptuna(inFlight: Int) throws {
        let optuna = MOTPEFixture.shared.search("tpe", inFlight: inFlight)
        let optuna30 = MOTPEFixture.shared.search("tpe-30", inFlight: inFlight).mean
        var volumes: [Double] = []
        for seed in Self.seeds {
            var sampler = TPESampler(spec: try spec(MOTPEFixture.spec(seed: seed)))
            volumes.append(try Self.hypervolume(sampler: &sampler, inFlight: inFlight))
        }
        let mean = volumes.reduce(0, +) / Double(volumes.count)
        print(String(format: "ZDT1, 60 tasks, %d in flight: Sweep's MOTPE mean hypervolume %.4f (seeds 1-20: %@) vs Optuna %@ %.4f "
                     + "(seeds 0-4: %@; seeds 0-29: %.4f)",
                     inFlight, mean, volumes.map { String(format: "%.4f", $0) }.joined(separator: " "),
                     MOTPEFixture.shared.optuna, optuna.mean, optuna.hypervolumes.map { String(format: "%.4f", $0) }.joined(separator: " "),
                     optuna30))
        #expect(mean >= 0.9 * optuna.mean)
        #expect(abs(mean - optuna30) <= 0.1 * optuna30)
    }

    /// The comparison can fail: random search, TPE told only the first metric, and TPE
    /// with the goals turned round (its below set the worst tasks) all fall short of 90%
    /// of Optuna's mean.
    @Test func theComparisonCatchesAWeakerSearch() throws {
        let optuna = MOTPEFixture.shared.search("tpe", inFlight: 1).mean
        func mean(_ make: (Int) throws -> any Sampler) throws -> Double {
            var total = 0.0
            for seed in Self.seeds {
                var sampler = try make(seed)
                total += try Self.hypervolume(sampler: &sampler, inFlight: 1)
            }
            return total / Double(Self.seeds.count)
        }
        let random = try mean { try spec(MOTPEFixture.spec(seed: $0).replacingOccurrences(of: "method: bayes", with: "method: random")).sampler() }
        let firstOnly = try mean { TPESampler(spec: try spec(MOTPEFixture.spec(seed: $0)
            .replacingOccurrences(of: ", {name: wall_seconds, goal: minimize}", with: ""))) }
        let inverted = try mean { TPESampler(spec: try spec(MOTPEFixture.spec(seed: $0).replacingOccurrences(of: "minimize", with: "maximize"))) }
        print(String(format: "ZDT1, 60 tasks: random %.4f, TPE on the first metric only %.4f, TPE with the goals inverted %.4f; Optuna's MOTPE %.4f",
                     random, firstOnly, inverted, optuna))
        #expect(random < 0.9 * optuna)
        #expect(firstOnly < 0.9 * optuna)
        #expect(inverted < 0.9 * optuna)
    }
}
