import Foundation
import SweepConfig
import SweepRandom

/// What `model=noop` reports: a metric as a function of the task's parameters,
/// to test search without training: a noisy quadratic bowl over log10 of the
/// learning rate, plus a penalty for every optimizer but one. Lower is better.
///
///     loss = (log10(lr) − log10(bestLearningRate))² + (optimizer == bestOptimizer ? 0 : optimizerPenalty) + noise·ε
///
/// ε is a standard normal drawn from the task's id and `seed`, so a configuration
/// always gets the same value. Per epoch, the loss falls towards that value as
/// loss + decay/epoch, keeping the tasks' order at every epoch.
public struct SyntheticObjective: Sendable {
    public var bestLearningRate = 3e-3
    public var bestOptimizer = OptimizerName.adam
    public var optimizerPenalty = 1.0
    public var noise = 0.1
    public var decay = 1.0
    public var seed = 0

    public init(seed: Int = 0) { self.seed = seed }

    public func value(_ config: TrainConfig) -> Double {
        let distance = log10(config.learningRate) - log10(bestLearningRate)
        let penalty = config.optimizer == bestOptimizer ? 0 : optimizerPenalty
        var rng = SplitMix64(seed: UInt64(bitPattern: Int64(seed)) ^ config.canonical.encoded.hashValueFNV)
        return distance * distance + penalty + noise * rng.normal()
    }

    /// The loss after `epoch` (1-based) of `config.epochs`.
    public func value(_ config: TrainConfig, epoch: Int) -> Double {
        value(atEpoch: epoch, of: value(config))
    }

    /// The loss after `epoch` of a configuration whose final value is `final` (`value(config)`).
    public func value(atEpoch epoch: Int, of final: Double) -> Double {
        final + decay / Double(max(epoch, 1))
    }
}
