import Foundation
import Testing
import SweepConfig
import SweepSpec
import SweepTrain
@testable import SweepSearch

/// Issue 8's synthetic check: on a noisy quadratic bowl over log10(learning rate),
/// with one good optimizer of four, TPE finds a lower loss than random search
/// within the same budget (40 tasks, one or four in flight), on average over 10 seeds.
@Suite struct SearchQualityTests {
    static func spec(method: String, seed: Int) throws -> SweepSpec {
        try SweepSpec.parse("""
            method: \(method)
            metric: {name: test_loss, goal: minimize}
            run_cap: 40
            seed: \(seed)
            parameters:
              model: {value: noop}
              learning_rate: {distribution: log_uniform_values, min: 1e-5, max: 1}
              optimizer: {values: [sgd, momentum, rmsprop, adam]}
            """, path: "bowl.yaml")
    }

    /// The lowest loss seen and the noise-free loss of the task that saw it.
    static func best(method: String, seed: Int, inFlight: Int) throws -> (seen: Double, truth: Double) {
        let objective = SyntheticObjective(seed: seed)
        var noiseless = objective
        noiseless.noise = 0
        var sampler = try spec(method: method, seed: seed).sampler()
        let values = try run(&sampler, budget: 40, inFlight: inFlight) { objective.value($0) }
        #expect(values.count == 40)
        let best = values.min()!
        let task = sampler.tasks.first { objective.value($0.config) == best }!
        return (best, noiseless.value(task.config))
    }

    @Test(arguments: [1, 4])
    func tpeBeatsRandomOnTheBowl(inFlight: Int) throws {
        var tpe: [(seen: Double, truth: Double)] = []
        var random: [(seen: Double, truth: Double)] = []
        for seed in 1...10 {
            tpe.append(try Self.best(method: "bayes", seed: seed, inFlight: inFlight))
            random.append(try Self.best(method: "random", seed: seed, inFlight: inFlight))
        }
        func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(xs.count) }
        let (tpeMean, randomMean) = (mean(tpe.map(\.seen)), mean(random.map(\.seen)))
        let (tpeTruth, randomTruth) = (mean(tpe.map(\.truth)), mean(random.map(\.truth)))
        let wins = zip(tpe, random).filter { $0.seen < $1.seen }.count
        print(String(format: "bowl, 40 tasks, %d in flight, seeds 1-10: mean best loss TPE %.4f vs random %.4f "
                     + "(noise-free %.4f vs %.4f); TPE lower on %d of 10 seeds",
                     inFlight, tpeMean, randomMean, tpeTruth, randomTruth, wins))
        #expect(tpeMean < randomMean)
        // Not asserted: the noise-free loss of the best-seen task. Sequentially, TPE
        // settles on a wrong optimizer on one seed of ten (loss ≈ 0.9), which costs
        // it the noise-free mean there (≈ 0.12 vs 0.05) though it wins 8 seeds of 10.
    }
}
