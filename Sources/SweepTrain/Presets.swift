import SweepConfig

/// Every preset network, written in the architecture language (docs/architecture.md):
/// `sweep describe model=NAME` shows the line, and a user starts from it.
///
/// mlp, lenet5 and rnn read their keys (`hidden`, `layers`, `cell`, `dropout`,
/// `batchnorm`) into the line, layer for layer as they were built before the language:
///
///     mlp     (dense(hidden) [batchnorm] act [dropout(dropout)]) × layers  dense(classes)
///     lenet5  conv(32, 5) [batchnorm] act maxpool(2) conv(64, 5) [batchnorm] act maxpool(2)
///             flatten dense(1024) [batchnorm] act [dropout(dropout)] dense(classes)
///     rnn     CELL(hidden) ([dropout(dropout)] CELL(hidden)) × (layers − 1)
///             [batchnorm] [dropout(dropout)] dense(classes)
///
/// mlp and lenet5 are one nn.Sequential (`net.<i>`, the builder's own names); rnn's names
/// follow the PyTorch module {rnn: nn.LSTM(num_layers), bn, fc}, its stacked layers sharing
/// the module `rnn` (weight_ih_l0, weight_ih_l1, …).
///
/// The CS577 homework-4 networks are written layer for layer as
/// ../shared/reference/hw4_models.py builds them, with its state_dict names: the
/// features (`features.<i>`), one block (`block…`) and the head (`head.<i>`).
///
///     cnn        features head
///     inception  features concat[b1 | b2 | b3] head     (192 channels into the head)
///     resnet     features residual[conv1 relu conv2 relu proj] relu maxpool(2) head
///
/// `act` is the `activation` key (relu by default for these, tanh for lenet5 and rnn).
/// With `batchnorm=true` the homework networks get a batchnorm after every convolution and
/// the hidden dense layer, before its activation, and keep the builder's `net.<i>` names.
public enum Presets {
    static let features = "conv(32, 3) act conv(32, 3) act maxpool(2) dropout(0.25) "
        + "conv(64, 3) act conv(64, 3) act maxpool(2) dropout(0.25)"
    static let head = "flatten dense(512) act dropout(0.5) dense(classes)"

    /// The block between the features and the head of a homework-4 network.
    static func block(_ model: ModelName) -> String? {
        switch model {
        case .cnn: ""
        case .inception: "concat[conv(64, 3) act | conv(64, 3) act conv(64, 3) act | conv(64, 3) act maxpool(3, 1)]"
        case .resnet: "residual[conv(128, 3) act conv(128, 3) act conv(64, 1)] act maxpool(2)"
        case .mlp, .lenet5, .rnn, .noop: nil
        }
    }

    /// The line of the model `config` names, with its keys read in; nil for noop.
    public static func line(_ config: TrainConfig) -> String? {
        items(config)?.map(\.item).joined(separator: " ")
    }

    /// The line's items, each with the name of its node where the builder's `net.<i>` is not
    /// the PyTorch module's.
    static func items(_ config: TrainConfig) -> [(item: String, name: String?)]? {
        let bn = config.batchnorm, dropout = config.resolvedDropout > 0
        func plain(_ items: [String?]) -> [(item: String, name: String?)] { items.compactMap { $0.map { ($0, nil) } } }
        switch config.model {
        case .mlp:
            let layer: [String?] = ["dense(hidden)", bn ? "batchnorm" : nil, "act", dropout ? "dropout(dropout)" : nil]
            return plain(Array(repeating: layer, count: config.layers).flatMap { $0 } + ["dense(classes)"])
        case .lenet5:
            let conv: (Int) -> [String?] = { ["conv(\($0), 5)", bn ? "batchnorm" : nil, "act", "maxpool(2)"] }
            return plain(conv(32) + conv(64) + ["flatten", "dense(1024)", bn ? "batchnorm" : nil, "act",
                                                dropout ? "dropout(dropout)" : nil, "dense(classes)"])
        case .rnn:
            var items: [(item: String, name: String?)] = []
            for k in 0..<config.layers {
                // between stacked layers, as nn.LSTM(dropout=p) does
                if k > 0 && dropout { items.append(("dropout(dropout)", "rnn.l\(k - 1).dropout")) }
                items.append(("\(config.cell.rawValue)(hidden)", "rnn.l\(k)"))
            }
            if bn { items.append(("batchnorm", "bn")) }
            if dropout { items.append(("dropout(dropout)", "dropout")) }
            items.append(("dense(classes)", "fc"))
            return items
        case .cnn, .inception, .resnet:
            var line = [features, block(config.model)!, head].filter { !$0.isEmpty }.joined(separator: " ")
            if bn {
                // batchnorm after every convolution and the hidden dense, before its activation
                line = line.replacingOccurrences(of: ", 3) act", with: ", 3) batchnorm act")
                    .replacingOccurrences(of: "conv(64, 1)]", with: "conv(64, 1) batchnorm]")
                    .replacingOccurrences(of: "dense(512) act", with: "dense(512) batchnorm act")
            }
            return [(line, nil)]
        case .noop:
            return nil
        }
    }

    /// How the builder names the nodes (and a recurrent layer's parameters) of `config`'s preset.
    static func naming(_ config: TrainConfig) -> GraphBuilder.Naming {
        switch config.model {
        case .cnn, .inception, .resnet:
            // hw4_models.py has no batchnorm: with it, the builder's own net.<i> names
            return config.batchnorm ? GraphBuilder.Naming() : GraphBuilder.Naming(node: { name(config.model, $0) })
        case .rnn:
            let names = (items(config) ?? []).map(\.name)
            return GraphBuilder.Naming(
                node: { path in
                    // net.<i>, and net.0.rows: the image rows a first recurrent layer reads
                    if path == "net.0.rows" { return "rows" }
                    guard path.hasPrefix("net."), let i = Int(path.dropFirst(4)), i < names.count else { return nil }
                    return names[i]
                },
                recurrent: { node in
                    // rnn.l<k> is layer k of the one module rnn
                    guard node.hasPrefix("rnn.l"), let k = Int(node.dropFirst(5)) else { return nil }
                    return (module: "rnn", layer: k)
                })
        case .mlp, .lenet5, .noop:
            return GraphBuilder.Naming()
        }
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
