import SweepConfig
import SweepEngine

/// Builds a model's graph from an architecture line, checking shapes as it goes: a
/// layer that cannot take what it is given, a residual whose block changes the shape,
/// concat branches of different sizes, or a network that does not end in `classes`
/// outputs fail in one line naming the layer's position and both shapes.
///
/// Layers are named as nn.Sequential names its children: the line's items are
/// `net.0`, `net.1`, …; a residual's block continues `net.<i>.0`, …, and concat's
/// branches `net.<i>.<branch>.0`, …. Parameters and dropout streams follow the names.
public struct GraphBuilder {
    let config: TrainConfig
    let classes: Int
    let model: Model
    let naming: Naming

    /// Other names than the builder's: a preset's PyTorch module names.
    public struct Naming {
        /// The name of the node at a builder path (`net.<i>…`), nil to keep the path.
        public var node: (String) -> String?
        /// For a recurrent layer's node: the module its parameters are declared under and its
        /// layer there (nn.LSTM(num_layers) names weight_ih_l<k> in one module); nil: its own, 0.
        public var recurrent: (String) -> (module: String, layer: Int)?

        public init(node: @escaping (String) -> String? = { _ in nil },
                    recurrent: @escaping (String) -> (module: String, layer: Int)? = { _ in nil }) {
            self.node = node
            self.recurrent = recurrent
        }
    }

    /// Declares the network of `architecture` (parameters declared, nothing allocated).
    public static func declare(_ architecture: Architecture, config: TrainConfig, inputShape: [Int],
                               classes: Int, prefix: String = "net", naming: Naming = Naming()) throws(ConfigError) -> Model {
        let builder = GraphBuilder(config: config, classes: classes, model: Model(inputShape: inputShape, classes: classes),
                                   naming: naming)
        let end = try builder.sequence(architecture.nodes, from: Model.input, prefix: prefix)
        let shape = builder.model.shape(of: end)
        guard shape == [classes] else {
            throw ConfigError("architecture: the network ends with shape \(shape), not the \(classes) outputs of its classes; "
                + "end it with dense(classes)")
        }
        return builder.model
    }

    /// Adds the items of a line, each reading the one before (the first reads `input`); returns the last node.
    func sequence(_ items: [Architecture.Node], from input: Int, prefix: String) throws(ConfigError) -> Int {
        var at = input
        for (i, item) in items.enumerated() {
            let path = "\(prefix).\(i)"
            let name = naming.node(path) ?? path
            switch item {
            case .layer(let l):
                // a recurrent layer returns its whole sequence when another one follows (dropout between)
                let next = items[(i + 1)...].first { !Self.isDropout($0) }
                at = try layer(l, reading: at, path: path, name: name, beforeRecurrent: next.map(Self.isRecurrent) ?? false)
            case .residual(let body, let position):
                let end = try sequence(body, from: at, prefix: path)
                let (a, b) = (model.shape(of: at), model.shape(of: end))
                guard a == b else {
                    throw ConfigError("architecture: residual at position \(position): its block gives \(b) but its input is \(a); they must agree")
                }
                at = model.merge(Add(shapes: [a, b]), inputs: [at, end], name: name)
            case .concat(let branches, let position):
                var ends: [Int] = []
                for (k, branch) in branches.enumerated() { ends.append(try sequence(branch, from: at, prefix: "\(path).\(k)")) }
                let shapes = ends.map(model.shape(of:))
                guard shapes.allSatisfy({ $0.count == shapes[0].count && $0.dropFirst() == shapes[0].dropFirst() }) else {
                    throw ConfigError("architecture: concat at position \(position): its branches give \(shapes.map { "\($0)" }.joined(separator: ", ")); "
                        + "all but the channels must agree")
                }
                at = model.merge(Concat(shapes: shapes), inputs: ends, name: name)
            }
        }
        return at
    }

    static func isRecurrent(_ item: Architecture.Node) -> Bool {
        if case .layer(let l) = item { return [.rnn, .lstm, .gru].contains(l.kind) }
        return false
    }

    static func isDropout(_ item: Architecture.Node) -> Bool {
        if case .layer(let l) = item { return l.kind == .dropout }
        return false
    }

    /// Adds one layer reading `input`; returns its node.
    func layer(_ l: Architecture.Layer, reading input: Int, path: String, name: String,
               beforeRecurrent: Bool) throws(ConfigError) -> Int {
        let shape = model.shape(of: input)
        let params = model.params
        func fail(_ what: String) -> ConfigError { ConfigError("architecture: \(l.kind.rawValue) at position \(l.position) \(what)") }
        func count(_ k: Int) throws(ConfigError) -> Int {
            let v = value(l.arguments[k])
            guard v >= 1, v == v.rounded(), v <= 1e9 else { throw fail("needs a whole number >= 1 as argument \(k + 1), got \(v)") }
            return Int(v)
        }
        func image() throws(ConfigError) -> [Int] {
            guard shape.count == 3 else { throw fail("needs an image (C, H, W), got \(shape)") }
            return shape
        }
        let added: Layer
        switch l.kind {
        case .conv:
            let (c, k) = (try count(0), try count(1))
            let s = l.arguments.count > 2 ? try count(2) : 1
            let padding: Padding = l.arguments.count > 3 ? .valid : .same
            let input = try image()
            if padding == .valid, input[1] < k || input[2] < k {
                throw fail("has a \(k)×\(k) window larger than its input \(input) without padding")
            }
            added = Conv2D(inputShape: input, outChannels: c, kernel: k, stride: s, padding: padding, params: params, name: name)
        case .dense:
            added = Dense(inputShape: shape, outputs: try count(0), params: params, name: name)
        case .maxpool, .avgpool:
            let k = try count(0)
            let s = l.arguments.count > 1 ? try count(1) : k
            let input = try image()
            if s > 1, input[1] < k || input[2] < k { throw fail("has a \(k)×\(k) window larger than its input \(input)") }
            if l.kind == .maxpool && k == 2 && s == 2 {
                added = MaxPool2D(inputShape: input)
            } else {
                added = Pool2D(l.kind == .maxpool ? .max : .average, inputShape: input, kernel: k, stride: s)
            }
        case .globalavgpool:
            added = GlobalAvgPool(inputShape: try image())
        case .flatten:
            added = Flatten(inputShape: shape)
        case .batchnorm:
            guard shape.count == 1 || shape.count == 3 else { throw fail("needs features (N) or an image (C, H, W), got \(shape)") }
            added = BatchNorm(inputShape: shape, params: params, name: name)
        case .dropout:
            let p = value(l.arguments[0])
            guard p >= 0, p < 1 else { throw fail("needs a probability with 0 <= p < 1, got \(p)") }
            if p == 0 { return input }
            // each dropout layer draws its masks from its own stream, named by its place
            let rng = RNG(seed: config.seed, stream: Streams.dropout &+ UInt64(truncatingIfNeeded: name.hashValueStable))
            added = Dropout(p: Float(p), inputShape: shape, rng: rng)
        case .relu, .tanh, .sigmoid, .act:
            let kind = l.kind == .act ? ActivationKind(config.resolvedActivation) : ActivationKind(rawValue: l.kind.rawValue)!
            added = Activation(kind, inputShape: shape)
        case .rnn, .lstm, .gru:
            // an image's rows as time steps; a sequence from the layer before as it is
            var at = input, sequence = shape
            if shape.count == 3 {
                if shape[0] > 1 {
                    at = model.add(ImageRows(inputShape: shape), input: input, name: naming.node(path + ".rows") ?? name + ".rows")
                }
                sequence = [shape[1], shape[0] * shape[2]]
            }
            guard sequence.count == 2 else { throw fail("needs an image or a sequence (T, N), got \(shape)") }
            let cell: CellKind = l.kind == .rnn ? .rnn : l.kind == .lstm ? .lstm : .gru
            let (module, index) = naming.recurrent(name) ?? (name, 0)
            return model.add(Recurrent(inputShape: sequence, cell: cell, hidden: try count(0), returnSequences: beforeRecurrent,
                                       params: params, name: module, layerIndex: index), input: at, name: name)
        }
        return model.add(added, input: input, name: name)
    }

    /// An argument's value: a number, or the key it names.
    func value(_ a: Architecture.Argument) -> Double {
        switch a {
        case .number(let v): v
        case .key("hidden"): Double(config.hidden)
        case .key("dropout"): config.resolvedDropout
        case .key("classes"): Double(classes)
        case .key, .valid: .nan
        }
    }
}

private extension String {
    /// FNV-1a of the UTF-8 bytes: the same on every run (Swift's hashValue is seeded per process).
    var hashValueStable: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
