import Foundation
import SweepConfig

/// Fixtures/motpe.json, written by Fixtures/make_motpe.py: Optuna's multi-objective TPE
/// on ZDT1 and golden values of non-dominated sorting, hypervolume and greedy subset selection.
struct MOTPEFixture: Decodable {
    let optuna: String
    let reference: [Double]
    let trials: Int
    let searches: [Search]
    let buildingBlocks: BuildingBlocks

    struct Search: Decodable {
        let sampler: String
        let inFlight: Int
        let seeds: [Int]
        let hypervolumes: [Double]
        let mean: Double
    }

    struct BuildingBlocks: Decodable {
        let ranks: [Ranks]
        let hypervolumes: [Volume]
        let subsets: [Subset]
    }

    struct Ranks: Decodable { let points: [[Double]]; let ranks: [Int] }
    struct Volume: Decodable { let points: [[Double]]; let reference: [Double]; let volume: Double }
    struct Subset: Decodable { let points: [[Double]]; let count: Int; let reference: [Double]; let chosen: [Int] }

    static let shared: MOTPEFixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/motpe.json")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try! decoder.decode(MOTPEFixture.self, from: Data(contentsOf: url))
    }()

    func search(_ sampler: String, inFlight: Int) -> Search {
        searches.first { $0.sampler == sampler && $0.inFlight == inFlight }!
    }

    /// The script's problem: ZDT1 on momentum, weight_decay and log10(learning_rate/1e-4)/4, both minimised.
    static func zdt1(_ config: TrainConfig) -> [Double] {
        let x1 = config.momentum ?? 0
        let x2 = config.weightDecay
        let x3 = log10(config.learningRate / 1e-4) / 4
        let g = 1 + 9 * (x2 + x3) / 2
        return [x1, g * (1 - (x1 / g).squareRoot())]
    }

    static func spec(seed: Int) -> String {
        """
        method: bayes
        metric: [{name: test_loss, goal: minimize}, {name: wall_seconds, goal: minimize}]
        run_cap: 60
        seed: \(seed)
        parameters:
          model: {value: noop}
          momentum: {distribution: uniform, min: 0, max: 1}
          weight_decay: {distribution: uniform, min: 0, max: 1}
          learning_rate: {distribution: log_uniform_values, min: 1e-4, max: 1}
        """
    }
}
