import Foundation
import SweepConfig
import SweepData
import SweepProtocol
import SweepTrain

/// What a training slot does with one task: parse its configuration, train, and
/// turn the run into an `Outcome`. Errors become a `failed` outcome with the
/// error's one-line message; nothing here knows about sockets.
enum Slot {
    /// Trains `a`; when the coordinator wants this run's weights (see `WeightsRequest`),
    /// `weights` gets the safetensors file before the outcome is returned.
    /// `pause`: how a no-op task waits (see `Trainer.run`).
    static func train(_ a: Assignment, datasets: DatasetCache, memoryLimit: MemoryLimit, isCancelled: () -> Bool,
                      pause: ((Duration) -> Void)? = nil,
                      progress: (TaskProgress) -> Void, weights: ([UInt8]) -> Void = { _ in }) -> Outcome {
        let t0 = Date()
        do {
            let config = try TrainConfig(json: a.params)
            let data = config.model == .noop ? nil : try datasets.dataset(Trainer.dataOptions(config))
            let interval = a.interval.map { TrainingInterval(from: $0.from, to: $0.to, checkpoint: $0.checkpoint) }
            let result = try Trainer(config: config, memoryLimit: memoryLimit).run(
                dataset: data, interval: interval,
                onEpoch: { m in progress(TaskProgress(taskID: a.taskID, attempt: a.attempt, epoch: m.epoch, metrics: .object(m.fields))) },
                shouldStop: isCancelled, pause: pause)
            let metrics = result.final.map { JSON.object($0.fields) } ?? .object([])
            var digest: WeightsDigest?
            if interval != nil {
                // an interval of method pbt: its checkpoint goes back whatever the request says
                if let file = result.checkpoint {
                    weights(file)
                    digest = WeightsDigest(of: file)
                }
            } else if let tensors = result.weights, result.status == .completed || result.status == .stopped,
               a.weights?.wants(finalMetrics: metrics) == true {
                let file = Safetensors.encode(tensors, metadata: [("sweep", a.sweep), ("task_id", a.taskID),
                                                                  ("config", config.canonical.encoded)])
                weights(file)
                digest = WeightsDigest(of: file)
            }
            return Outcome(taskID: a.taskID, attempt: a.attempt, status: result.status.rawValue, metrics: metrics,
                           error: result.error, wallSeconds: Date().timeIntervalSince(t0),
                           insights: result.insights?.json, weights: digest)
        } catch {
            return Outcome(taskID: a.taskID, attempt: a.attempt, status: "failed", metrics: .object([]),
                           error: "\(error)", wallSeconds: Date().timeIntervalSince(t0))
        }
    }
}
