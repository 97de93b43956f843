import SweepConfig
import SweepEngine

// The configuration's names (SweepConfig, which knows no engine) as the engine's kinds: one
// exhaustive switch each, so a new case on either side is a compile error here, not a
// string that fails to match at run time.

extension ActivationKind {
    init(_ name: ActivationName) {
        switch name {
        case .relu: self = .relu
        case .tanh: self = .tanh
        case .sigmoid: self = .sigmoid
        }
    }
}

extension CellKind {
    init(_ name: CellName) {
        switch name {
        case .rnn: self = .rnn
        case .lstm: self = .lstm
        case .gru: self = .gru
        }
    }
}

extension OptimizerKind {
    init(_ name: OptimizerName) {
        switch name {
        case .sgd: self = .sgd
        case .momentum: self = .momentum
        case .nesterov: self = .nesterov
        case .adagrad: self = .adagrad
        case .rmsprop: self = .rmsprop
        case .adam: self = .adam
        case .nadam: self = .nadam
        case .adamw: self = .adamw
        }
    }
}

extension InitScheme {
    init(_ name: InitName) {
        switch name {
        case .xavier: self = .xavier
        case .xavierUniform: self = .xavier_uniform
        case .he: self = .he
        case .truncatedNormal: self = .truncated_normal
        }
    }
}
