/// The table of training keys (docs/keys.md): name, accepted values, and how a value
/// is stored. Spec parameters (sweeps) are checked against the same table.
public struct ConfigKey: Sendable {
    public let name: String
    /// What the key accepts, for error messages and `--help`.
    public let expects: String
    let apply: @Sendable (String, inout TrainConfig) throws(ConfigError) -> Void
}

public enum ConfigKeys {
    public static let datasets = ["fashion-mnist", "mnist", "cifar10", "synthetic"]
    public static let models = ModelName.allCases.map(\.rawValue)
    public static let cells = CellName.allCases.map(\.rawValue)
    public static let augments = AugmentName.allCases.map(\.rawValue)
    public static let activations = ActivationName.allCases.map(\.rawValue)
    public static let optimizers = OptimizerName.allCases.map(\.rawValue)
    public static let inits = InitName.allCases.map(\.rawValue)

    public static let all: [ConfigKey] = [
        choice("dataset", datasets) { $0.dataset = $1 },
        ConfigKey(name: "data_dir", expects: "a directory") { v, c throws(ConfigError) in
            guard !v.isEmpty else { throw invalid("data_dir", v, "a directory") }
            c.dataDir = v
        },
        int("train_per_class", min: 1) { $0.trainPerClass = $1 },
        int("test_per_class", min: 1) { $0.testPerClass = $1 },
        double("validation_fraction", "a number with 0 <= f < 1") { $0 >= 0 && $0 < 1 } set: { $0.validationFraction = $1 },
        choice("model", ModelName.self) { $0.model = $1 },
        ConfigKey(name: "architecture", expects: "a network in the architecture language") { v, c throws(ConfigError) in
            // kept in canonical form: two spellings of one network are one task
            c.architecture = try Architecture(parsing: v).description
        },
        choice("augment", AugmentName.self) { $0.augment = $1 },
        choice("cell", CellName.self) { $0.cell = $1 },
        int("hidden", min: 1) { $0.hidden = $1 },
        int("layers", min: 1) { $0.layers = $1 },
        choice("activation", ActivationName.self) { $0.activation = $1 },
        double("dropout", "a probability with 0 <= p < 1") { $0 >= 0 && $0 < 1 } set: { $0.dropout = $1 },
        ConfigKey(name: "batchnorm", expects: "true or false") { v, c throws(ConfigError) in
            switch v.lowercased() {
            case "true", "1", "yes": c.batchnorm = true
            case "false", "0", "no": c.batchnorm = false
            default: throw invalid("batchnorm", v, "true or false")
            }
        },
        choice("optimizer", OptimizerName.self) { $0.optimizer = $1 },
        double("learning_rate", "a number > 0") { $0 > 0 } set: { $0.learningRate = $1 },
        double("momentum", "a number >= 0") { $0 >= 0 } set: { $0.momentum = $1 },
        double("weight_decay", "a number >= 0") { $0 >= 0 } set: { $0.weightDecay = $1 },
        ConfigKey(name: "clip_norm", expects: "a number > 0 or none") { v, c throws(ConfigError) in
            if v == "none" || v == "null" { c.clipNorm = nil; return }
            guard let d = Double(v), d.isFinite, d > 0 else { throw invalid("clip_norm", v, "a number > 0 or none") }
            c.clipNorm = d
        },
        choice("init", InitName.self) { $0.initScheme = $1 },
        int("epochs", min: 1) { $0.epochs = $1 },
        int("batch_size", min: 1) { $0.batchSize = $1 },
        int("seed", min: Int.min) { $0.seed = $1 },
        int("threads", min: 1) { $0.threads = $1 },
        int("duration_ms", min: 0) { $0.durationMs = $1 },
    ]

    public static let byName: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
    public static var names: [String] { all.map(\.name) }

    static func invalid(_ key: String, _ value: String, _ expects: String) -> ConfigError {
        ConfigError("invalid value '\(value)' for \(key): expected \(expects)")
    }

    static func choice(_ name: String, _ values: [String], set: @escaping @Sendable (inout TrainConfig, String) -> Void) -> ConfigKey {
        let expects = "one of " + values.joined(separator: ", ")
        return ConfigKey(name: name, expects: expects) { v, c throws(ConfigError) in
            guard values.contains(v) else { throw invalid(name, v, expects) }
            set(&c, v)
        }
    }

    /// A key whose value is one of the cases of `T`, by raw value.
    static func choice<T: RawRepresentable & CaseIterable & Sendable>(
        _ name: String, _ type: T.Type, set: @escaping @Sendable (inout TrainConfig, T) -> Void
    ) -> ConfigKey where T.RawValue == String {
        let expects = "one of " + T.allCases.map(\.rawValue).joined(separator: ", ")
        return ConfigKey(name: name, expects: expects) { v, c throws(ConfigError) in
            guard let value = T(rawValue: v) else { throw invalid(name, v, expects) }
            set(&c, value)
        }
    }

    static func int(_ name: String, min: Int, set: @escaping @Sendable (inout TrainConfig, Int) -> Void) -> ConfigKey {
        let expects = min == Int.min ? "an integer" : "an integer >= \(min)"
        return ConfigKey(name: name, expects: expects) { v, c throws(ConfigError) in
            // accept "3.0" from YAML/JSON numbers, but not "3.5"
            var parsed = Int(v)
            if parsed == nil, let d = Double(v), d == d.rounded(), abs(d) < 1e15 { parsed = Int(d) }
            guard let i = parsed, i >= min else { throw invalid(name, v, expects) }
            set(&c, i)
        }
    }

    static func double(_ name: String, _ expects: String, valid: @escaping @Sendable (Double) -> Bool,
                       set: @escaping @Sendable (inout TrainConfig, Double) -> Void) -> ConfigKey {
        ConfigKey(name: name, expects: expects) { v, c throws(ConfigError) in
            guard let d = Double(v), d.isFinite, valid(d) else { throw invalid(name, v, expects) }
            set(&c, d)
        }
    }

    /// "unknown key 'lerning_rate' (did you mean learning_rate?)"
    public static func unknownKeyMessage(_ key: String) -> String {
        let best = names.map { ($0, editDistance($0, key)) }.min { $0.1 < $1.1 }
        if let best, best.1 <= max(2, key.count / 3) {
            return "unknown key '\(key)' (did you mean \(best.0)?)"
        }
        return "unknown key '\(key)' (known keys: \(names.joined(separator: ", ")))"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var prev = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return row[b.count]
    }
}
