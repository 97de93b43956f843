import CKernels
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The update rules, each the single-tensor loop of the torch.optim class it names.
public enum OptimizerKind: String, Sendable, CaseIterable {
    /// torch.optim.SGD(momentum=0)
    case sgd
    /// torch.optim.SGD(momentum=m)
    case momentum
    /// torch.optim.SGD(momentum=m, nesterov=True)
    case nesterov
    /// torch.optim.Adagrad(lr_decay=0, eps=1e-10, initial_accumulator_value=0)
    case adagrad
    /// torch.optim.RMSprop(alpha=0.99, eps=1e-8, centered=False, momentum=m)
    case rmsprop
    /// torch.optim.Adam(betas=(0.9, 0.999), eps=1e-8, amsgrad=False)
    case adam
    /// torch.optim.NAdam(betas=(0.9, 0.999), eps=1e-8, momentum_decay=4e-3)
    case nadam
    /// torch.optim.AdamW(betas=(0.9, 0.999), eps=1e-8, amsgrad=False)
    case adamw
}

public struct OptimizerSettings: Sendable, Equatable {
    public var kind: OptimizerKind
    public var learningRate: Float
    /// Used by momentum, nesterov and rmsprop.
    public var momentum: Float
    /// L2 added to the gradient (torch `weight_decay`); for adamw the decoupled decay of torch AdamW.
    public var weightDecay: Float
    /// torch.nn.utils.clip_grad_norm_(max_norm) over all parameters, applied before the update.
    public var clipNorm: Float?

    /// `momentum` defaults to 0.9, or 0 for rmsprop (torch's RMSprop default).
    public init(kind: OptimizerKind, learningRate: Float, momentum: Float? = nil, weightDecay: Float = 0, clipNorm: Float? = nil) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum ?? (kind == .rmsprop ? 0 : 0.9)
        self.weightDecay = weightDecay
        self.clipNorm = clipNorm
    }

    /// Which state buffers (each as long as the parameters) the rule keeps.
    public var stateBuffers: (first: Bool, second: Bool) {
        switch kind {
        case .sgd: (false, false)
        case .momentum, .nesterov: (true, false)
        case .adagrad: (false, true)
        case .rmsprop: (momentum > 0, true)
        case .adam, .nadam, .adamw: (true, true)
        }
    }
}

/// Updates a flat parameter buffer from its flat gradient buffer.
///
/// Parameters, gradients and optimizer state are Float buffers of equal length;
/// the state is allocated here, once. Each rule is one loop over the buffer that
/// follows the pseudo-code of the torch.optim documentation and the operation
/// order of torch's single-tensor implementation (`_single_tensor_*`): the
/// element-wise math is Float, as torch's float32 tensors are, and the scalar
/// coefficients (bias corrections, step sizes, the NAdam μ schedule) are computed
/// in Double, as torch computes them in Python, then rounded to Float.
public final class Optimizer {
    public let settings: OptimizerSettings
    public let parameterCount: Int
    /// Updates done so far (torch's `state["step"]`).
    public private(set) var steps = 0

    /// Momentum buffer (SGD, RMSprop), exp_avg (Adam family); unused by sgd and adagrad.
    private let first: UnsafeMutablePointer<Float>
    /// Accumulated squares: Adagrad's state_sum, RMSprop's square_avg, Adam's exp_avg_sq.
    private let second: UnsafeMutablePointer<Float>
    /// NAdam's running product of μ_t; torch keeps it in a float32 tensor.
    private var muProduct: Float = 1

    // Fixed hyper-parameters of the torch defaults this engine uses.
    private static let beta1 = 0.9, beta2 = 0.999, adamEps: Float = 1e-8
    private static let rmsAlpha = 0.99, rmsEps: Float = 1e-8
    private static let adagradEps: Float = 1e-10
    private static let momentumDecay = 4e-3

    public init(_ settings: OptimizerSettings, parameterCount: Int) {
        precondition(parameterCount >= 0)
        self.settings = settings
        self.parameterCount = parameterCount
        let (needsFirst, needsSecond) = settings.stateBuffers
        let n1 = needsFirst ? max(parameterCount, 1) : 1
        let n2 = needsSecond ? max(parameterCount, 1) : 1
        first = .allocate(capacity: n1)
        first.initialize(repeating: 0, count: n1)
        second = .allocate(capacity: n2)
        second.initialize(repeating: 0, count: n2)
    }

    deinit {
        first.deallocate()
        second.deallocate()
    }

    @discardableResult
    public func step(_ store: ParameterStore) -> Float {
        precondition(store.isFinal && store.count == parameterCount,
                     "optimizer made for \(parameterCount) parameters, store has \(store.count)")
        return step(values: store.values, grads: store.grads)
    }

    /// Clips, applies weight decay and the update rule in place; returns the global
    /// gradient L2 norm before clipping. The clipped gradient is written back into
    /// `grads` (as clip_grad_norm_ does); the L2 term is not (torch's `grad.add(...)`
    /// makes a new tensor).
    @discardableResult
    public func step(values: UnsafeMutablePointer<Float>, grads: UnsafeMutablePointer<Float>) -> Float {
        let n = parameterCount
        let norm = clipGradNorm(grads, n)
        steps += 1
        let t = Double(steps)
        let lr = settings.learningRate, wd = settings.weightDecay, mom = settings.momentum
        let p = values, dp = grads, buf = first, acc = second

        switch settings.kind {
        case .sgd:
            // torch.optim.SGD, momentum 0:
            //   g ← g + λθ;  θ ← θ − γ g
            for i in 0..<n {
                let g = dp[i] + wd * p[i]
                p[i] = p[i] + (-lr) * g
            }

        case .momentum:
            // torch.optim.SGD(momentum=μ, dampening=0):
            //   g ← g + λθ;  b ← g if t = 1 else μ b + g;  θ ← θ − γ b
            // b starts at 0, so μ·0 + g = g exactly gives torch's b₁ = g (not (1−τ) g).
            for i in 0..<n {
                let g = dp[i] + wd * p[i]
                let b = buf[i] * mom + g
                buf[i] = b
                p[i] = p[i] + (-lr) * b
            }

        case .nesterov:
            // torch.optim.SGD(momentum=μ, dampening=0, nesterov=True):
            //   g ← g + λθ;  b ← g if t = 1 else μ b + g;  g ← g + μ b;  θ ← θ − γ g
            for i in 0..<n {
                let g = dp[i] + wd * p[i]
                let b = buf[i] * mom + g
                buf[i] = b
                p[i] = p[i] + (-lr) * (g + mom * b)
            }

        case .adagrad:
            // torch.optim.Adagrad(lr_decay=0, eps=1e-10, initial_accumulator_value=0):
            //   g ← g + λθ;  γ̃ = γ / (1 + (t−1)η) = γ;  s ← s + g²;  θ ← θ − γ̃ g / (√s + ε)
            let clr = lr    // lr_decay = 0
            let eps = Self.adagradEps
            for i in 0..<n {
                let g = dp[i] + wd * p[i]
                let s = acc[i] + g * g
                acc[i] = s
                p[i] = p[i] + (-clr) * g / (s.squareRoot() + eps)
            }

        case .rmsprop:
            // torch.optim.RMSprop(alpha=0.99, eps=1e-8, centered=False):
            //   g ← g + λθ;  v ← αv + (1−α) g²;  a = √v + ε
            //   μ > 0: b ← μ b + g / a;  θ ← θ − γ b      else: θ ← θ − γ g / a
            let alpha = Float(Self.rmsAlpha), oneMinusAlpha = Float(1 - Self.rmsAlpha), eps = Self.rmsEps
            let useMomentum = mom > 0
            for i in 0..<n {
                let g = dp[i] + wd * p[i]
                let v = acc[i] * alpha + oneMinusAlpha * g * g
                acc[i] = v
                let avg = v.squareRoot() + eps
                if useMomentum {
                    let b = buf[i] * mom + g / avg
                    buf[i] = b
                    p[i] = p[i] + (-lr) * b
                } else {
                    p[i] = p[i] + (-lr) * g / avg
                }
            }

        case .adam, .adamw:
            // torch.optim.Adam / AdamW(betas=(0.9, 0.999), eps=1e-8, amsgrad=False):
            //   adamw: θ ← θ(1 − γλ)          adam: g ← g + λθ
            //   m ← m + (1−β₁)(g − m)  (torch's lerp_);  v ← β₂v + (1−β₂) g²
            //   θ ← θ − γ/(1−β₁ᵗ) · m / (√v / √(1−β₂ᵗ) + ε)
            let decoupled = settings.kind == .adamw
            let decay = decoupled ? Float(1 - Double(lr) * Double(wd)) : 1
            let l2: Float = decoupled ? 0 : wd
            let b1 = Self.beta1, b2 = Self.beta2
            let w1 = Float(1 - b1), beta2 = Float(b2), w2 = Float(1 - b2), eps = Self.adamEps
            let stepSize = Double(lr) / (1 - pow(b1, t))
            let bc2Sqrt = Float(pow(1 - pow(b2, t), 0.5))
            let negStep = Float(-stepSize)
            if let kernels = Kernels.current.table {
                // the loop below in the kernel set's lanes (CKernels), bit for bit
                kernels.pointee.adamUpdate(Int32(n), p, dp, buf, acc, decay, l2, w1, beta2, w2, bc2Sqrt, eps, negStep)
            } else {
                Self.adamLanes(n, p, dp, buf, acc, decay, l2, w1, beta2, w2, bc2Sqrt, eps, negStep)
            }

        case .nadam:
            // torch.optim.NAdam(betas=(0.9, 0.999), eps=1e-8, momentum_decay=ψ=4e-3):
            //   g ← g + λθ;  μ_t = β₁(1 − ½·0.96^(tψ));  μ_{t+1} = β₁(1 − ½·0.96^((t+1)ψ))
            //   m ← m + (1−β₁)(g − m);  v ← β₂v + (1−β₂) g²;  d = √(v / (1−β₂ᵗ)) + ε
            //   θ ← θ − γ(1−μ_t)/(1−Π_{i≤t} μ_i) · g/d − γ μ_{t+1}/(1−Π_{i≤t+1} μ_i) · m/d
            let b1 = Self.beta1, b2 = Self.beta2
            let mu = b1 * (1 - 0.5 * pow(0.96, t * Self.momentumDecay))
            let muNext = b1 * (1 - 0.5 * pow(0.96, (t + 1) * Self.momentumDecay))
            muProduct = muProduct * Float(mu)          // torch: mu_product (float32) *= mu
            let muProductNext = Double(muProduct) * muNext
            let lrD = Double(lr)
            let cGrad = Float(-lrD * (1 - mu) / (1 - Double(muProduct)))
            let cAvg = Float((-lrD * muNext) / (1 - muProductNext))
            let w1 = Float(1 - b1), beta2 = Float(b2), w2 = Float(1 - b2), eps = Self.adamEps
            let bc2 = Float(1 - pow(b2, t))
            for i in 0..<n {
                let g = dp[i] + wd * p[i]
                let m = buf[i] + w1 * (g - buf[i])
                let v = acc[i] * beta2 + w2 * g * g
                buf[i] = m
                acc[i] = v
                let denom = (v / bc2).squareRoot() + eps
                let theta = p[i] + cGrad * g / denom
                p[i] = theta + cAvg * m / denom
            }
        }
        return norm
    }

    /// The Adam/AdamW update of `step` on eight lanes: LLVM left this four-pointer loop
    /// scalar (8.7 ms a step on LeNet5's 3.3 M parameters).
    static func adamLanes(_ n: Int, _ p: UnsafeMutablePointer<Float>, _ dp: UnsafePointer<Float>,
                          _ buf: UnsafeMutablePointer<Float>, _ acc: UnsafeMutablePointer<Float>,
                          _ decay: Float, _ l2: Float, _ w1: Float, _ beta2: Float, _ w2: Float,
                          _ bc2Sqrt: Float, _ eps: Float, _ negStep: Float) {
        forEachLanes(n) { j, w in
            let theta = p.lanes(j, w) * decay
            let g = dp.lanes(j, w) + l2 * theta
            let m0 = buf.lanes(j, w)
            let m = m0 + w1 * (g - m0)
            let v = acc.lanes(j, w) * beta2 + w2 * g * g
            buf.setLanes(j, w, m)
            acc.setLanes(j, w, v)
            let denom = v.squareRoot() / bc2Sqrt + eps
            p.setLanes(j, w, theta + negStep * m / denom)
        }
    }

    /// torch.nn.utils.clip_grad_norm_(max_norm): total = ‖g‖₂ over all parameters,
    /// coef = max_norm / (total + 1e-6), g ← g·coef when coef < 1. Returns total.
    private func clipGradNorm(_ dp: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
        // Σg² in blocks: 8 Float lanes the compiler vectorises, each block summed into
        // a Double. A sequential Double sum cannot vectorise and cost ~4 ms on LeNet5.
        var sumSquares = 0.0
        var start = 0
        while start < n {
            let end = min(start + 4096, n)
            var lanes = SIMD8<Float>()
            var i = start
            while i + 8 <= end {
                let g = SIMD8<Float>(UnsafeBufferPointer(start: dp + i, count: 8))
                lanes += g * g
                i += 8
            }
            var block = Double(lanes.sum())
            while i < end { block += Double(dp[i] * dp[i]); i += 1 }
            sumSquares += block
            start = end
        }
        let total = Float(sumSquares.squareRoot())
        if let maxNorm = settings.clipNorm {
            let coef = maxNorm / (total + 1e-6)
            if coef < 1 {
                for i in 0..<n { dp[i] *= coef }
            }
        }
        return total
    }
}

// MARK: checkpoints

extension Optimizer {
    /// Everything `step` carries from one update to the next: torch's `state_dict()["state"]`
    /// (step, exp_avg / momentum_buffer, exp_avg_sq / square_avg / sum, NAdam's mu_product),
    /// for a run that stops at an epoch and goes on later, possibly with other settings
    /// (population-based training changes the learning rate or momentum between intervals).
    public struct State: Sendable, Equatable {
        public var steps: Int
        /// The first and second buffers (`first`, `second`), nil when the rule keeps none.
        public var first: [Float]?
        public var second: [Float]?
        public var muProduct: Float

        public init(steps: Int, first: [Float]?, second: [Float]?, muProduct: Float = 1) {
            self.steps = steps
            self.first = first
            self.second = second
            self.muProduct = muProduct
        }
    }

    /// A copy of the state after the updates done so far.
    public func exportState() -> State {
        let (needsFirst, needsSecond) = settings.stateBuffers
        let n = parameterCount
        return State(steps: steps,
                     first: needsFirst ? Array(UnsafeBufferPointer(start: first, count: n)) : nil,
                     second: needsSecond ? Array(UnsafeBufferPointer(start: second, count: n)) : nil,
                     muProduct: muProduct)
    }

    /// Takes a state that `exportState` made, as torch's `load_state_dict` does: the next
    /// update continues from it bit for bit. A buffer this rule keeps but the state lacks
    /// (momentum turned on since) stays zero, as a fresh torch buffer would; a buffer it does
    /// not keep is passed over. A buffer of another length is an error (another network).
    public func importState(_ state: State) throws(OptimizerStateError) {
        let (needsFirst, needsSecond) = settings.stateBuffers
        for (name, buffer, needed, into) in [("first", state.first, needsFirst, first), ("second", state.second, needsSecond, second)] {
            guard needed, let buffer else { continue }
            guard buffer.count == parameterCount else {
                throw OptimizerStateError(description: "optimizer state: \(name) buffer holds \(buffer.count) values, the network \(parameterCount)")
            }
            if parameterCount > 0 { buffer.withUnsafeBufferPointer { into.update(from: $0.baseAddress!, count: parameterCount) } }
        }
        steps = state.steps
        muProduct = state.muProduct
    }
}

public struct OptimizerStateError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
