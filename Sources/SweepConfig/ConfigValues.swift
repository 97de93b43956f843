// The values of the keys that name one of a fixed set (the `model`, `cell`, `optimizer`,
// `activation`, `init` and `augment` keys of the configuration reference): typed, so that
// each is parsed once, here, and every use is a switch the compiler checks for
// completeness instead of a string compared again where it is read.

public enum ModelName: String, Sendable, CaseIterable {
    case mlp, lenet5, rnn, cnn, inception, resnet, noop
}

public enum CellName: String, Sendable, CaseIterable {
    case rnn, lstm, gru
}

public enum OptimizerName: String, Sendable, CaseIterable {
    case sgd, momentum, nesterov, adagrad, rmsprop, adam, nadam, adamw
}

public enum ActivationName: String, Sendable, CaseIterable {
    case relu, tanh, sigmoid
}

public enum InitName: String, Sendable, CaseIterable {
    case xavier
    case xavierUniform = "xavier_uniform"
    case he
    case truncatedNormal = "truncated_normal"
}

public enum AugmentName: String, Sendable, CaseIterable {
    case none, flip, crop
    case flipCrop = "flip+crop"

    /// Whether training images are mirrored left to right (with probability 1/2).
    public var flips: Bool { self == .flip || self == .flipCrop }
    /// Whether training images are cropped at a random offset from a padded copy.
    public var crops: Bool { self == .crop || self == .flipCrop }
}
