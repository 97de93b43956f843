/// The training configuration of one task (docs/keys.md). Every key has a default;
/// `activation`, `dropout` and `momentum` default per model or optimizer and are
/// resolved here, so `canonical` lists the values a run really uses.
public struct TrainConfig: Sendable, Equatable {
    public var dataset = "fashion-mnist"
    public var dataDir: String? = nil
    public var trainPerClass: Int? = nil
    public var testPerClass: Int? = nil
    public var validationFraction = 0.1
    public var model = ModelName.rnn
    /// A network in the architecture language, in canonical form; replaces the preset `model` names.
    public var architecture: String? = nil
    /// Training batches only: none, flip, crop or flip+crop.
    public var augment = AugmentName.none
    public var cell = CellName.lstm
    public var hidden = 128
    public var layers = 1
    public var activation: ActivationName? = nil
    public var dropout: Double? = nil
    public var batchnorm = false
    public var optimizer = OptimizerName.adam
    public var learningRate = 0.001
    public var momentum: Double? = nil
    public var weightDecay = 0.0
    public var clipNorm: Double? = nil
    public var initScheme = InitName.xavier
    public var epochs = 1
    public var batchSize = 32
    public var seed = 1
    public var threads = 1
    public var durationMs = 0

    public init() {}

    /// Parses `KEY=VALUE` words as given on the command line.
    public init(arguments: [String]) throws(ConfigError) {
        var pairs: [(String, String)] = []
        for word in arguments {
            guard let eq = word.firstIndex(of: "="), eq != word.startIndex else {
                throw ConfigError("expected KEY=VALUE, got '\(word)'")
            }
            pairs.append((String(word[..<eq]), String(word[word.index(after: eq)...])))
        }
        try self.init(pairs: pairs)
    }

    /// Applies `(key, value)` pairs in order over the defaults. A key given twice is an error.
    public init(pairs: [(String, String)]) throws(ConfigError) {
        self.init()
        var seen = Set<String>()
        for (key, value) in pairs {
            guard let spec = ConfigKeys.byName[key] else { throw ConfigError(ConfigKeys.unknownKeyMessage(key)) }
            guard seen.insert(key).inserted else { throw ConfigError("key '\(key)' given twice") }
            try spec.apply(value, &self)
        }
    }

    // MARK: resolved values

    public var resolvedActivation: ActivationName {
        if let activation { return activation }
        // a network of one's own: relu, as in the homework-4 networks it is usually built from
        if architecture != nil { return .relu }
        switch model {
        case .mlp, .cnn, .inception, .resnet: return .relu
        case .lenet5, .rnn, .noop: return .tanh
        }
    }
    public var resolvedDropout: Double { dropout ?? (model == .lenet5 ? 0.5 : 0) }
    public var resolvedMomentum: Double { momentum ?? (optimizer == .rmsprop ? 0 : 0.9) }

    /// Every key with the value the run uses, in the order of docs/keys.md. Unset optional
    /// values are null; `architecture` and `augment` appear only when set, so the
    /// configurations (and task ids) of earlier versions stay as they were.
    public var canonical: JSON {
        func opt(_ i: Int?) -> JSON { i.map(JSON.int) ?? .null }
        var fields: [(String, JSON)] = [
            ("dataset", .string(dataset)),
            ("data_dir", dataDir.map(JSON.string) ?? .null),
            ("train_per_class", opt(trainPerClass)),
            ("test_per_class", opt(testPerClass)),
            ("validation_fraction", .double(validationFraction)),
            ("model", .string(model.rawValue)),
            ("cell", .string(cell.rawValue)),
            ("hidden", .int(hidden)),
            ("layers", .int(layers)),
            ("activation", .string(resolvedActivation.rawValue)),
            ("dropout", .double(resolvedDropout)),
            ("batchnorm", .bool(batchnorm)),
            ("optimizer", .string(optimizer.rawValue)),
            ("learning_rate", .double(learningRate)),
            ("momentum", .double(resolvedMomentum)),
            ("weight_decay", .double(weightDecay)),
            ("clip_norm", clipNorm.map(JSON.double) ?? .null),
            ("init", .string(initScheme.rawValue)),
            ("epochs", .int(epochs)),
            ("batch_size", .int(batchSize)),
            ("seed", .int(seed)),
            ("threads", .int(threads)),
            ("duration_ms", .int(durationMs)),
        ]
        if let architecture { fields.insert(("architecture", .string(architecture)), at: 6) }
        // likewise augment, only when it does something
        if augment != .none { fields.insert(("augment", .string(augment.rawValue)), at: architecture == nil ? 6 : 7) }
        return .object(fields)
    }

    /// `canonical` with `architecture` and `augment` always present (null and "none" when
    /// unset): every key in the same places for every task, as `sweep expand` shows them.
    public var complete: JSON {
        guard case .object(var fields) = canonical else { return canonical }
        if architecture == nil { fields.insert(("architecture", .null), at: 6) }
        if augment == .none { fields.insert(("augment", .string(augment.rawValue)), at: 7) }
        return .object(fields)
    }
}
