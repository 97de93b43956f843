import SweepConfig
import SweepInsights

/// How a run ended (docs/metrics.md § Statuses).
public enum RunStatus: String, Sendable {
    case completed, failed, diverged, stopped
}

/// The metrics of one epoch (docs/metrics.md). Validation metrics are nil when the run
/// holds out no validation set.
public struct EpochMetrics: Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var valLoss: Double?
    public var valAccuracy: Double?
    public var testLoss: Double
    public var testAccuracy: Double
    public var samplesPerSecond: Double
    public var wallSeconds: Double
    public var parameters: Int

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, valLoss: Double?, valAccuracy: Double?,
                testLoss: Double, testAccuracy: Double, samplesPerSecond: Double, wallSeconds: Double, parameters: Int) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.valLoss = valLoss
        self.valAccuracy = valAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.samplesPerSecond = samplesPerSecond
        self.wallSeconds = wallSeconds
        self.parameters = parameters
    }

    /// Metric name → value, in the order of docs/metrics.md. Timing fields are the last two.
    public var fields: [(String, JSON)] {
        func num(_ d: Double?) -> JSON { d.map(JSON.double) ?? .null }
        return [
            ("epoch", .int(epoch)),
            ("train_loss", num(trainLoss)),
            ("train_accuracy", num(trainAccuracy)),
            ("val_loss", num(valLoss)),
            ("val_accuracy", num(valAccuracy)),
            ("test_loss", num(testLoss)),
            ("test_accuracy", num(testAccuracy)),
            ("parameters", .int(parameters)),
            ("samples_per_second", num(samplesPerSecond)),
            ("wall_seconds", num(wallSeconds)),
        ]
    }

    /// The names of fields that measure time and so differ between identical runs.
    public static let timingFields: Set<String> = ["samples_per_second", "wall_seconds"]
}

/// The outcome of one run: its status, its configuration and its epochs.
public struct RunResult: Sendable {
    public var status: RunStatus
    public var config: TrainConfig
    public var epochs: [EpochMetrics]
    public var error: String?
    /// Step losses, activation statistics and filters (nil for model=noop).
    public var insights: RunInsights? = nil
    /// The trained weights under PyTorch state_dict names (nil for model=noop).
    public var weights: [Safetensors.Tensor]? = nil
    /// The kernel set that ran (`KernelSet.name`; nil for model=noop, which runs none).
    public var kernels: String? = nil
    /// After a run of a `TrainingInterval` that completed: its checkpoint (`Checkpoint`).
    public var checkpoint: [UInt8]? = nil

    public var final: EpochMetrics? { epochs.last }

    /// `{"event":"result","status":…,"config":{…}, <metrics of the last epoch>}`
    public var json: JSON {
        var fields: [(String, JSON)] = [("event", .string("result")), ("status", .string(status.rawValue))]
        if let error { fields.append(("error", .string(error))) }
        fields.append(("config", config.canonical))
        fields += final?.fields ?? [("epoch", .int(0))]
        if let kernels { fields.append(("kernels", .string(kernels))) }
        return .object(fields)
    }
}

extension EpochMetrics {
    public var json: JSON { .object([("event", .string("epoch"))] + fields) }
}
