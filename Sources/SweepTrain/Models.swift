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
        if let line = config.architecture ?? Presets.line(config.model) {
            let preset = config.architecture == nil ? config.model : nil
            return try GraphBuilder.declare(try Architecture(parsing: line), config: config, inputShape: inputShape, classes: classes,
                                            rename: { path in preset.flatMap { Presets.name($0, path) } })
        }
        let model = Model(inputShape: inputShape, classes: classes)
        // mlp and lenet5 are one nn.Sequential: every layer is "net.<i>", parameters or not
        var index = 0
        func name() -> String { defer { index += 1 }; return "net.\(index)" }
        let act = ActivationKind(config.resolvedActivation)
        func activationAndExtras(dropout p: Double) {
            model.append(Activation(act, inputShape: model.shape), name: name())
            if p > 0 {
                // each dropout layer draws its masks from its own stream
                let rng = RNG(seed: config.seed, stream: Streams.dropout &+ UInt64(index))
                model.append(Dropout(p: Float(p), inputShape: model.shape, rng: rng), name: name())
            }
        }
        func batchnorm() {
            if config.batchnorm {
                let n = name()
                model.append(BatchNorm(inputShape: model.shape, params: model.params, name: n), name: n)
            }
        }
        func dense(_ outputs: Int) {
            let n = name()
            model.append(Dense(inputShape: model.shape, outputs: outputs, params: model.params, name: n), name: n)
        }

        switch config.model {
        case .mlp:
            // (dense → [batchnorm] → act → [dropout]) × layers → dense(classes)
            for _ in 0..<config.layers {
                dense(config.hidden)
                batchnorm()
                activationAndExtras(dropout: config.resolvedDropout)
            }
            dense(classes)

        case .lenet5:
            // conv5x5(32, same) → [bn] → act → pool2 → conv5x5(64, same) → [bn] → act → pool2
            // → flatten → dense(1024) → [bn] → act → dropout → dense(classes)
            guard inputShape.count == 3, inputShape[1] >= 4, inputShape[2] >= 4 else {
                throw ConfigError("model lenet5 needs images of at least 4×4, got shape \(inputShape)")
            }
            for channels in [32, 64] {
                let n = name()
                model.append(Conv2D(inputShape: model.shape, outChannels: channels, kernel: 5, padding: .same,
                                    params: model.params, name: n), name: n)
                batchnorm()
                model.append(Activation(act, inputShape: model.shape), name: name())
                model.append(MaxPool2D(inputShape: model.shape), name: name())
            }
            model.append(Flatten(inputShape: model.shape), name: name())
            dense(1024)
            batchnorm()
            activationAndExtras(dropout: config.resolvedDropout)
            dense(classes)

        case .rnn:
            // An image's rows as time steps: (B, C, H, W) → (B, H, C·W) → recurrent × layers
            // → [batchnorm] → [dropout] → dense(classes). Names follow the PyTorch module
            // {rnn: nn.RNN/LSTM/GRU(num_layers), bn, fc}, so weights map onto its state_dict.
            guard inputShape.count == 3 else { throw ConfigError("model rnn needs images, got shape \(inputShape)") }
            let (channels, height, width) = (inputShape[0], inputShape[1], inputShape[2])
            if channels > 1 { model.append(ImageRows(inputShape: inputShape), name: "rows") }
            let cell = CellKind(config.cell)
            var sequence = [height, channels * width]
            for k in 0..<config.layers {
                let last = k == config.layers - 1
                model.append(Recurrent(inputShape: sequence, cell: cell, hidden: config.hidden, returnSequences: !last,
                                       params: model.params, name: "rnn", layerIndex: k), name: "rnn.l\(k)")
                sequence = [height, config.hidden]
                // dropout between stacked layers, as nn.LSTM(dropout=p) does
                if !last && config.resolvedDropout > 0 {
                    let rng = RNG(seed: config.seed, stream: Streams.dropout &+ UInt64(100 + k))
                    model.append(Dropout(p: Float(config.resolvedDropout), inputShape: model.shape, rng: rng), name: "dropout")
                }
            }
            if config.batchnorm { model.append(BatchNorm(inputShape: model.shape, params: model.params, name: "bn"), name: "bn") }
            if config.resolvedDropout > 0 {
                let rng = RNG(seed: config.seed, stream: Streams.dropout)
                model.append(Dropout(p: Float(config.resolvedDropout), inputShape: model.shape, rng: rng), name: "dropout")
            }
            model.append(Dense(inputShape: model.shape, outputs: classes, params: model.params, name: "fc"), name: "fc")

        case .cnn, .inception, .resnet, .noop:
            throw ConfigError("model \(config.model.rawValue) has no layers to build")
        }
        return model
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
