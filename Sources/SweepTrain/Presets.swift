import SweepConfig

/// The CS577 homework-4 networks, written in the architecture language, layer for layer
/// as ../shared/reference/hw4_models.py builds them, with its state_dict names: the
/// features (`features.<i>`), one block (`block…`) and the head (`head.<i>`).
///
///     cnn        features head
///     inception  features concat[b1 | b2 | b3] head     (192 channels into the head)
///     resnet     features residual[conv1 relu conv2 relu proj] relu maxpool(2) head
///
/// `act` is the `activation` key (relu by default for these).
public enum Presets {
    static let features = "conv(32, 3) act conv(32, 3) act maxpool(2) dropout(0.25) "
        + "conv(64, 3) act conv(64, 3) act maxpool(2) dropout(0.25)"
    static let head = "flatten dense(512) act dropout(0.5) dense(classes)"
    /// The block between the features and the head; nil for the presets not written here.
    static func block(_ model: ModelName) -> String? {
        switch model {
        case .cnn: ""
        case .inception: "concat[conv(64, 3) act | conv(64, 3) act conv(64, 3) act | conv(64, 3) act maxpool(3, 1)]"
        case .resnet: "residual[conv(128, 3) act conv(128, 3) act conv(64, 1)] act maxpool(2)"
        case .mlp, .lenet5, .rnn, .noop: nil
        }
    }

    /// The line of a preset written in the language, nil for the others (mlp, lenet5, rnn, noop).
    public static func line(_ model: ModelName) -> String? {
        guard let block = block(model) else { return nil }
        return [features, block, head].filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// hw4_models.py's name for a node the builder calls `net…`, nil to keep the builder's.
    static func name(_ model: ModelName, _ builderName: String) -> String? {
        let parts = builderName.split(separator: ".").dropFirst().map(String.init)
        guard let item = parts.first.flatMap({ Int($0) }) else { return nil }
        if item < 12 { return "features.\(item)" }
        let blockItems = model == .cnn ? 0 : model == .inception ? 1 : 3
        if item >= 12 + blockItems { return "head.\(item - 12 - blockItems)" }
        let rest = parts.dropFirst()
        switch model {
        case .inception:
            // the concat is the block; branch k is b<k+1>, an nn.Sequential
            guard let branch = rest.first.flatMap({ Int($0) }) else { return "block" }
            return (["block.b\(branch + 1)"] + rest.dropFirst()).joined(separator: ".")
        default:
            // block = Sequential(Residual(conv1, conv2, proj), MaxPool2d): the residual is block.0
            if item == 13 { return "block.0.relu" }
            if item == 14 { return "block.1" }
            guard let inner = rest.first.flatMap({ Int($0) }) else { return "block.0" }
            return ["block.0.conv1", "block.0.relu1", "block.0.conv2", "block.0.relu2", "block.0.proj"][inner]
        }
    }
}
