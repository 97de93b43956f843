/// Weight initialisation schemes (docs/keys.md § Initialisation).
public enum InitScheme: String, Sendable, CaseIterable {
    /// Glorot normal: N(0, 2 / (fan_in + fan_out)) — torch.nn.init.xavier_normal_.
    case xavier
    /// Glorot uniform: U(±√(6 / (fan_in + fan_out))) — torch.nn.init.xavier_uniform_.
    case xavier_uniform
    /// He normal: N(0, 2 / fan_in) — torch.nn.init.kaiming_normal_(nonlinearity="relu").
    case he
    /// The seeds' TensorFlow `weight_variable`: truncated normal σ = 0.1 (redrawn
    /// beyond 2σ) and `bias_variable`: constant 0.1.
    case truncated_normal
}

extension ParameterStore {
    /// Initialises every parameter: weights by `scheme`, biases 0 (0.1 for
    /// truncated_normal), batchnorm scale 1 and shift 0. Parameters are visited in
    /// declaration order, so the result depends only on the seed of `rng`.
    public func initialize(_ scheme: InitScheme, rng: inout RNG) {
        for r in refs {
            let p = value(r)
            switch r.role {
            case .scale: p.update(repeating: 1, count: r.count)
            case .shift: p.update(repeating: 0, count: r.count)
            case .bias: p.update(repeating: scheme == .truncated_normal ? 0.1 : 0, count: r.count)
            case .weight:
                let fans = Float(r.fanIn + r.fanOut)
                switch scheme {
                case .xavier:
                    let std = (2 / fans).squareRoot()
                    for i in 0..<r.count { p[i] = std * rng.normal() }
                case .xavier_uniform:
                    let a = (6 / fans).squareRoot()
                    for i in 0..<r.count { p[i] = a * (2 * rng.uniform() - 1) }
                case .he:
                    let std = (2 / Float(r.fanIn)).squareRoot()
                    for i in 0..<r.count { p[i] = std * rng.normal() }
                case .truncated_normal:
                    for i in 0..<r.count {
                        var z = rng.normal()
                        while abs(z) > 2 { z = rng.normal() }
                        p[i] = 0.1 * z
                    }
                }
            }
        }
    }
}
