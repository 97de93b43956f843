import SweepConfig
import SweepEngine

/// Builds the models of docs/keys.md § Models for a dataset's image shape [C, H, W].
/// Parameter names follow one nn.Sequential ("net.<index>.weight"), so a trained
/// model maps one to one onto a PyTorch state_dict of the same stack.
public enum Models {
    /// The model with its parameters allocated and initialised.
    public static func make(_ config: TrainConfig, inputShape: [Int], classes: Int) throws(ConfigError) -> Model {
        let model = try declare(config, inputShape: inputShape, classes: classes)
        allocate(model, config)
        return model
    }

    /// The model's layers with their parameters declared, nothing allocated yet: what
    /// `MemoryNeed` measures before a run commits to a size.
    public static func declare(_ config: TrainConfig, inputShape: [Int], classes: Int) throws(ConfigError) -> Model {
        guard let line = config.architecture ?? Presets.line(config) else {
            throw ConfigError("model \(config.model.rawValue) has no layers to build")
        }
        let naming = config.architecture == nil ? Presets.naming(config) : GraphBuilder.Naming()
        return try GraphBuilder.declare(try Architecture(parsing: line), config: config, inputShape: inputShape,
                                        classes: classes, naming: naming)
    }

    /// Allocates and initialises the parameters of a declared model.
    public static func allocate(_ model: Model, _ config: TrainConfig) {
        model.finalize()
        var initRNG = RNG(seed: config.seed, stream: Streams.initialization)
        model.params.initialize(InitScheme(config.initScheme), rng: &initRNG)
    }
}

/// Independent random streams of one run, all derived from its seed.
enum Streams {
    static let initialization: UInt64 = 0x1A17
    static let shuffle: UInt64 = 0x5E0F
    static let dropout: UInt64 = 0xD50F
    static let augment: UInt64 = 0xA06E
}
