import CKernels

/// The cells a `Recurrent` layer runs, with PyTorch's equations and weight layout
/// (nn.RNN with tanh, nn.LSTM, nn.GRU).
public enum CellKind: String, Sendable, CaseIterable {
    case rnn, lstm, gru

    /// Gate blocks stacked in W_ih and W_hh, which have G·H rows.
    public var gateCount: Int {
        switch self {
        case .rnn: RNNCell.gateCount
        case .lstm: LSTMCell.gateCount
        case .gru: GRUCell.gateCount
        }
    }
}

/// What a cell hands from one step to the next; every cell's state has h.
protocol RecurrentState {
    /// (B, H) hidden state.
    var h: UnsafeMutablePointer<Float> { get }
}

/// The state of the cells that carry only h (RNN, GRU).
struct HiddenState: RecurrentState {
    let h: UnsafeMutablePointer<Float>
}

/// One recurrent cell: the gate arithmetic of a step as one fused pass over
/// (B, H), forward and backward side by side. The layer does the GEMMs around it:
/// before forward step t it has put x_t W_ihᵀ into `gates` and h_{t−1} W_hhᵀ into
/// `recurrent`; after backward step t it adds dGatesHidden_t · W_hh to `d.h`.
protocol RecurrentCell {
    associatedtype State: RecurrentState
    static var gateCount: Int { get }
    /// Whether part of ∂L/∂h_{t−1} bypasses W_hh (GRU: z ⊙ ∂L/∂h_t), so that the dh GEMM adds to d.h.
    static var hiddenBypassesWeights: Bool { get }
    /// The state after step t, in the layer's caches; t = −1 is the zero initial state.
    static func state(_ m: RecurrentMemory, after t: Int) -> State
    /// The (B, H) buffers of ∂L/∂state that backward carries from step to step.
    static func stateGradient(_ m: RecurrentMemory) -> State
    /// Step t: overwrites the step's `gates` with the gate activations (its cache)
    /// and writes `next` from `s`.
    static func forward(_ m: RecurrentMemory, step t: Int, from s: State, to next: State)
    /// Step t in reverse. `d` holds ∂L/∂next from the later steps and `dOutput` the
    /// output's share (row stride `ldOutput`). Writes the step's dGates and
    /// dGatesHidden and leaves in `d` the part of ∂L/∂s that bypasses W_hh; where h has
    /// no such part (`hiddenBypassesWeights` false), d.h is left as it was read and the
    /// layer's dh GEMM overwrites it.
    static func backward(_ m: RecurrentMemory, step t: Int, from s: State, to next: State, d: State,
                         dOutput: UnsafePointer<Float>, ldOutput: Int)
}

extension RecurrentCell where State == HiddenState {
    static func state(_ m: RecurrentMemory, after t: Int) -> State { State(h: m.step(m.h, t + 1, width: m.hidden)) }
    static func stateGradient(_ m: RecurrentMemory) -> State { State(h: m.dh) }
}

/// The layer's buffers for one batch shape, as the cells see them. Per-step
/// caches are time-major, (T, B, ·), so the rows of step t are contiguous and
/// the weight gradients over all steps are single GEMMs.
struct RecurrentMemory {
    let batch: Int, steps: Int, hidden: Int
    /// (T, B, G·H): x W_ihᵀ; forward step t overwrites its rows with the gate activations.
    let gates: UnsafeMutablePointer<Float>
    /// (B, G·H): h_{t−1} W_hhᵀ of the current step.
    let recurrent: UnsafeMutablePointer<Float>
    /// (G·H): b_ih + b_hh, except GRU's b_hn, which r gates.
    let bias: UnsafeMutablePointer<Float>
    /// GRU (H): b_hn.
    let biasHN: UnsafeMutablePointer<Float>
    /// (T+1, B, H): hidden states; slot 0 is the zero initial state.
    let h: UnsafeMutablePointer<Float>
    /// LSTM (T+1, B, H): cell states; slot 0 is zero.
    let c: UnsafeMutablePointer<Float>
    /// GRU (T, B, H): W_hn h_{t−1} + b_hn, the term r multiplies.
    let hn: UnsafeMutablePointer<Float>
    /// (T, B, G·H): ∂L/∂ gate pre-activations on the input side (x, W_ih, b_ih).
    let dGates: UnsafeMutablePointer<Float>
    /// (T, B, G·H): ∂L/∂ recurrent pre-activations (h, W_hh, b_hh). The same buffer
    /// as dGates except for GRU, whose n block there is dn_pre ⊙ r.
    let dGatesHidden: UnsafeMutablePointer<Float>
    /// (B, H): ∂L/∂h and (LSTM) ∂L/∂c, carried back through the steps.
    let dh: UnsafeMutablePointer<Float>
    let dc: UnsafeMutablePointer<Float>
    /// LSTM (T, B, H): tanh(c_t) of forward step t, which backward step t reads.
    let tanhC: UnsafeMutablePointer<Float>
    /// (G·H): where the LSTM backward steps add up dGates (the bias gradient), and the GRU and
    /// RNN steps in the chunked backward.
    let dBias: UnsafeMutablePointer<Float>
    /// GRU (H), chunked backward: where the steps add up the n block of dGatesHidden (b_hn's gradient).
    let dBiasHN: UnsafeMutablePointer<Float>
    /// Rows between the dGates of two steps: B, or 0 when no dx needs them all (with an own
    /// kernel set, see `backwardInChunks`): the steps then write them packed only.
    var dGatesStepRows: Int
    /// With an own kernel set: where backward also writes dGates, packed as the B of the
    /// weight gradients' GEMMs for the chunk of steps from `packedFirstStep` on, and (GRU)
    /// dGatesHidden likewise; the steps then also add up the bias gradients (dBias, dBiasHN).
    var packedGates: UnsafeMutablePointer<Float>? = nil
    var packedGatesHidden: UnsafeMutablePointer<Float>? = nil
    var packedFirstStep = 0, packedRows = 0
    /// The steps write their dGates packed only (no dx needs the plain ones).
    var dGatesPackedOnly: Bool { packedGates != nil && dGatesStepRows == 0 }

    /// Start of step t's rows in a (T, B, width) buffer.
    @inline(__always) func step(_ p: UnsafeMutablePointer<Float>, _ t: Int, width: Int) -> UnsafeMutablePointer<Float> {
        p + t * batch * width
    }
}

/// Recurrent layer over a sequence, PyTorch's nn.RNN / nn.LSTM / nn.GRU with
/// batch_first = true and a zero initial state.
/// input (B, T, I) read flat as (B, T·I) — output (B, H) = the last hidden state,
/// or (B, T, H) with returnSequences.
///
/// Forward: one GEMM projects the inputs of all steps, then each step is one GEMM
/// with W_hh and one fused pass of the cell. Backward walks the steps in reverse
/// (one GEMM and one fused pass each), keeping every step's gate gradients, then
/// dW_ih, dW_hh and dx are one GEMM each over all steps; with an own kernel set dW_ih and
/// dW_hh run a chunk of steps at a time instead, as the chunk's gate gradients are written
/// (`backwardInChunks`).
public final class Recurrent: Layer {
    public let cell: CellKind
    public let steps: Int
    public let inputs: Int
    public let hidden: Int
    public let returnSequences: Bool
    public let weightIH: ParameterRef
    public let weightHH: ParameterRef
    public let biasIH: ParameterRef
    public let biasHH: ParameterRef
    public var needsInputGradient = true
    public var outputShape: [Int] { returnSequences ? [steps, hidden] : [hidden] }

    private unowned let params: ParameterStore
    private let output = Tensor(shape: [0])
    private let dInput = Tensor(shape: [0])
    private var inputShape: [Int] = []
    /// Cache: the input, time-major (T, B, I); backward reuses it for dx.
    private let input = Tensor(shape: [0])
    // The buffers that the cells' steps walk at the same index start 256 bytes apart in their
    // pages (PageOffsetBuffer): at one offset, as mmap gave them, the steps stalled on 4K aliasing.
    // tanhC (LSTM) and hn (GRU) share theirs.
    private let gates = Tensor(shape: [0], pageOffset: 0)
    private let recurrent = Tensor(shape: [0], pageOffset: 256)
    private let bias = Tensor(shape: [0], pageOffset: 512)
    private let h = Tensor(shape: [0], pageOffset: 768)
    private let c = Tensor(shape: [0], pageOffset: 1024)
    private let tanhC = Tensor(shape: [0], pageOffset: 1280)
    private let hn = Tensor(shape: [0], pageOffset: 1280)
    private let dGates = Tensor(shape: [0], pageOffset: 1536)
    private let dGatesHidden = Tensor(shape: [0], pageOffset: 1792)
    private let dh = Tensor(shape: [0], pageOffset: 2048)
    private let dc = Tensor(shape: [0], pageOffset: 2304)
    /// (H) zeros: the output gradient of steps whose output is not used.
    private let zeros = Tensor(shape: [0], pageOffset: 2560)
    /// (G·H) scratch for bias gradients.
    private let dBias = Tensor(shape: [0], pageOffset: 2816)
    /// GRU (H): b_hn's gradient as the chunked backward's steps add it up.
    private let dBiasHN = Tensor(shape: [0], pageOffset: 3072)
    /// A chunk of steps' dGates (and the GRU's dGatesHidden) packed as the weight gradients' B,
    /// written by the backward steps (`backwardInChunks`).
    private let packedGates = PackedMatrix(pageOffset: 3328)
    private let packedGatesHidden = PackedMatrix(pageOffset: 3584)
    /// dW_ihᵀ or dW_hhᵀ (I or H, G·H) of one backward pass, before it is added into dW.
    private let dWeightT = Tensor(shape: [0])
    /// W_hhᵀ (H, G·H) for the forward steps and W_hh (G·H, H) for the backward ones, packed
    /// once per pass for the GEMM of every step.
    private let packedWhhT = PackedMatrix()
    private let packedWhh = PackedMatrix()
    private var memory: RecurrentMemory?
    /// Tests turn it off to compare the chunked backward with the general one.
    var backwardInChunks = true

    public init(inputShape: [Int], cell: CellKind, hidden: Int, returnSequences: Bool,
                params: ParameterStore, name: String, layerIndex: Int) {
        precondition(inputShape.count == 2, "Recurrent expects [T, I], got \(inputShape)")
        precondition(inputShape[0] > 0 && inputShape[1] > 0 && hidden > 0)
        self.cell = cell
        self.steps = inputShape[0]
        self.inputs = inputShape[1]
        self.hidden = hidden
        self.returnSequences = returnSequences
        self.params = params
        let gh = cell.gateCount * hidden, k = "_l\(layerIndex)"
        weightIH = params.declare(name + ".weight_ih" + k, shape: [gh, inputs], role: .weight, fanIn: inputs, fanOut: gh)
        weightHH = params.declare(name + ".weight_hh" + k, shape: [gh, hidden], role: .weight, fanIn: hidden, fanOut: gh)
        biasIH = params.declare(name + ".bias_ih" + k, shape: [gh], role: .bias, fanIn: inputs, fanOut: gh)
        biasHH = params.declare(name + ".bias_hh" + k, shape: [gh], role: .bias, fanIn: hidden, fanOut: gh)
    }

    /// The gate activations of the last forward, read in place from the cells' cache for
    /// activation statistics (training never calls it): `body(gate, values)` for each step,
    /// batch row and gate block in turn, gates in PyTorch's order (LSTM i, f, g, o; GRU r,
    /// z, n), H values each. Nothing for the RNN: its only activation is h, the output (its
    /// cache keeps x W_ihᵀ).
    public func forEachGateActivationRow(_ body: (_ gate: Int, _ values: UnsafeBufferPointer<Float>) -> Void) {
        guard cell != .rnn, let m = memory else { return }
        let g = cell.gateCount
        for row in 0..<(m.steps * m.batch) {
            for k in 0..<g { body(k, UnsafeBufferPointer(start: m.gates + (row * g + k) * hidden, count: hidden)) }
        }
    }

    /// Sizes every buffer for a batch of `b` (allocating only when it grows).
    private func prepare(batch b: Int) -> RecurrentMemory {
        let t = steps, n = hidden, gh = cell.gateCount * hidden
        input.reshape([t, b, inputs])
        gates.reshape([t, b, gh])
        recurrent.reshape([b, gh])
        bias.reshape([gh])
        h.reshape([t + 1, b, n])
        c.reshape(cell == .lstm ? [t + 1, b, n] : [0])
        tanhC.reshape(cell == .lstm ? [t, b, n] : [0])
        hn.reshape(cell == .gru ? [t, b, n] : [0])
        dGates.reshape([t, b, gh])
        dGatesHidden.reshape(cell == .gru ? [t, b, gh] : [0])
        dh.reshape([b, n])
        dc.reshape(cell == .lstm ? [b, n] : [0])
        zeros.reshape([n])
        zeros.zero()
        dBias.reshape([gh])
        dBiasHN.reshape([n])
        return RecurrentMemory(
            batch: b, steps: t, hidden: n, gates: gates.data, recurrent: recurrent.data, bias: bias.data,
            biasHN: params.value(biasHH) + 2 * n, h: h.data, c: c.data, hn: hn.data, dGates: dGates.data,
            dGatesHidden: cell == .gru ? dGatesHidden.data : dGates.data, dh: dh.data, dc: dc.data,
            tanhC: tanhC.data, dBias: dBias.data, dBiasHN: dBiasHN.data, dGatesStepRows: b)
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        // input (B, T, I), weight_ih (G·H, I), weight_hh (G·H, H) -> output (B, H) or (B, T, H)
        let b = x.batch, t = steps, n = hidden, gh = cell.gateCount * hidden
        precondition(x.sampleCount == t * inputs, "Recurrent expects [\(t), \(inputs)] per sample, got \(x.shape)")
        inputShape = x.shape
        let m = prepare(batch: b)
        memory = m
        swapLeadingAxes(x.data, b, t, width: inputs, into: input.data)
        // gates (T·B, G·H) = x (T·B, I) · W_ihᵀ (I, G·H), all steps at once
        sgemm(transB: true, m: t * b, n: gh, k: inputs, a: input.data, b: params.value(weightIH), c: m.gates)
        let bih = params.value(biasIH), bhh = params.value(biasHH)
        let shared = cell == .gru ? 2 * n : gh
        for j in 0..<gh { m.bias[j] = bih[j] + (j < shared ? bhh[j] : 0) }
        m.h.update(repeating: 0, count: b * n)
        if cell == .lstm { m.c.update(repeating: 0, count: b * n) }
        switch cell {
        case .rnn: forwardSteps(RNNCell.self, m)
        case .lstm: forwardSteps(LSTMCell.self, m)
        case .gru: forwardSteps(GRUCell.self, m)
        }
        let last = m.h + t * b * n
        if returnSequences {
            output.reshape([b, t, n])
            swapLeadingAxes(m.h + b * n, t, b, width: n, into: output.data)
        } else {
            output.reshape([b, n])
            output.data.update(from: last, count: b * n)
        }
        return output
    }

    private func forwardSteps<Cell: RecurrentCell>(_: Cell.Type, _ m: RecurrentMemory) {
        let b = m.batch, gh = Cell.gateCount * hidden
        packedWhhT.pack(trans: true, k: hidden, n: gh, params.value(weightHH))
        var s = Cell.state(m, after: -1)
        for t in 0..<steps {
            if t == 0 {
                m.recurrent.update(repeating: 0, count: b * gh)
            } else {
                // recurrent (B, G·H) = h_{t−1} (B, H) · W_hhᵀ (H, G·H)
                sgemm(m: b, a: s.h, packedB: packedWhhT, c: m.recurrent)
            }
            let next = Cell.state(m, after: t)
            Cell.forward(m, step: t, from: s, to: next)
            s = next
        }
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dy (B, H) or (B, T, H) -> dx (B, T, I); dW_ih (G·H, I), dW_hh (G·H, H), db_ih, db_hh (G·H) +=
        guard let m = memory else { preconditionFailure("Recurrent.backward before forward") }
        let b = m.batch, t = steps, gh = cell.gateCount * hidden
        precondition(dy.count == b * outputShape.reduce(1, *), "Recurrent output gradient \(dy.shape)")
        dWeightT.reshape([max(inputs, hidden), gh])
        // The weight gradients are computed transposed, dWᵀ = inputᵀ · dGates, and added back
        // transposed: with the wide dGates (…, G·H) as B the kernel streams it in its natural
        // layout, where dGatesᵀ as A had to be gathered column by column.
        let kernels = Kernels.current
        let chunked = kernels.lstmPackedMultiple > 0 && hidden % kernels.lstmPackedMultiple == 0 && backwardInChunks
        if chunked {
            switch cell {
            case .rnn: backwardInChunks(RNNCell.self, m, dy)
            case .lstm: backwardInChunks(LSTMCell.self, m, dy)
            case .gru: backwardInChunks(GRUCell.self, m, dy)
            }
        } else {
            switch cell {
            case .rnn: backwardSteps(RNNCell.self, m, dy, steps: 0..<t)
            case .lstm: backwardSteps(LSTMCell.self, m, dy, steps: 0..<t)
            case .gru: backwardSteps(GRUCell.self, m, dy, steps: 0..<t)
            }
            // dW_ih (G·H, I) += (xᵀ (I, T·B) · dGates (T·B, G·H))ᵀ
            sgemm(transA: true, m: inputs, n: gh, k: t * b, a: input.data, b: m.dGates, c: dWeightT.data)
            addTransposed(dWeightT.data, rows: inputs, columns: gh, into: params.grad(weightIH))
            // dW_hh (G·H, H) += (h_{t−1}ᵀ (H, (T−1)·B) · dGatesHidden ((T−1)·B, G·H))ᵀ over t ≥ 1 (h_{−1} = 0)
            if t > 1 {
                sgemm(transA: true, m: hidden, n: gh, k: (t - 1) * b, a: m.h + b * hidden,
                      b: m.dGatesHidden + b * gh, c: dWeightT.data)
                addTransposed(dWeightT.data, rows: hidden, columns: gh, into: params.grad(weightHH))
            }
        }
        // db_ih (G·H) += Σ_{T·B} dGates, db_hh (G·H) += Σ_{T·B} dGatesHidden (the LSTM steps, and the
        // others in chunks, summed dGates, and the GRU's b_hn part of dGatesHidden into dBiasHN)
        if cell != .lstm && !chunked { columnSums(m.dGates, rows: t * b, width: gh, into: dBias.data) }
        add(dBias.data, into: params.grad(biasIH), count: gh)
        if m.dGatesHidden != m.dGates {
            if chunked {
                (dBias.data + 2 * hidden).update(from: dBiasHN.data, count: hidden)
            } else {
                columnSums(m.dGatesHidden, rows: t * b, width: gh, into: dBias.data)
            }
        }
        add(dBias.data, into: params.grad(biasHH), count: gh)
        guard needsInputGradient else { return dInput }
        // dx (T·B, I) = dGates (T·B, G·H) · W_ih (G·H, I), into the spent time-major input
        sgemm(m: t * b, n: inputs, k: gh, a: m.dGates, b: params.value(weightIH), c: input.data)
        dInput.reshape(inputShape)
        swapLeadingAxes(input.data, t, b, width: inputs, into: dInput.data)
        return dInput
    }

    /// The backward with an own kernel set, a chunk of steps at a time. The steps of a chunk
    /// write their dGates a second time (and the GRU's dGatesHidden), packed as the B of the
    /// weight-gradient GEMMs (the rows of one block of a packing, ≤ 256, in a buffer that stays
    /// in L2), and the two GEMMs take each chunk as soon as it is complete, reading the packing as
    /// dGatesᵀ (`sgemm(transposedPacked:)`) and adding straight into dW (writing it, for the
    /// first chunk, where the gradient is still unwritten): neither h nor dW is transposed (dW_ih
    /// still goes through dW_ihᵀ where I is no multiple of the panel width); the steps add up the
    /// bias gradients as they go. Without a dx to compute (first layer), the steps write no
    /// plain dGates at all: the step's own dh GEMM reads them from the packing too.
    /// An lstm-128 batch has 1.8 MB of dGates: written whole and then packed, it went to L3
    /// and back twice; gru-128 and rnn-128 went that way until they took this path too.
    private func backwardInChunks<Cell: RecurrentCell>(_: Cell.Type, _ m: RecurrentMemory, _ dy: Tensor) {
        let b = m.batch, gh = Cell.gateCount * hidden
        var m = m
        // a step's dGates read from the packing need its rows in one block of it (B ≤ 256)
        m.dGatesStepRows = needsInputGradient || b > Kernels.current.blockRows ? b : 0
        let chunk = max(1, Kernels.current.blockRows / b)
        // dW_ih from the packing as dW_hh, unless I fills its last panel only in part (28 of MNIST's
        // rows): then the packing is the B of dW_ihᵀ, whose rows waste nothing
        let ihFromPacking = inputs % Kernels.current.panelWidth == 0
        // the B of dW_hh: dGatesHidden's own packing where it differs from dGates (GRU)
        let packedHidden = cell == .gru ? packedGatesHidden : packedGates
        var end = steps
        while end > 0 {
            // step 0 is a chunk of its own: h_{−1} = 0 adds nothing to dW_hh
            let start = end == 1 ? 0 : max(1, end - chunk)
            m.packedGates = packedGates.declare(k: (end - start) * b, n: gh)
            if cell == .gru { m.packedGatesHidden = packedGatesHidden.declare(k: (end - start) * b, n: gh) }
            (m.packedFirstStep, m.packedRows) = (start, (end - start) * b)
            backwardSteps(Cell.self, m, dy, steps: start..<end)
            if ihFromPacking {
                // dW_ih (G·H, I) (+)= dGatesᵀ (G·H, rows) · x (rows, I), written over a gradient
                // still unwritten (the first chunk), added to otherwise
                let (dWih, beta) = params.gradToOverwrite(weightIH)
                sgemm(transposedPacked: packedGates, b: input.data + start * b * inputs, n: inputs, beta: beta,
                      c: dWih)
            } else {
                // dW_ihᵀ (I, G·H) (+)= xᵀ (I, rows) · dGates (rows, G·H)
                sgemm(transA: true, m: inputs, a: input.data + start * b * inputs, packedB: packedGates,
                      beta: end == steps ? 0 : 1, c: dWeightT.data)
            }
            if start > 0 {
                // dW_hh (G·H, H) (+)= dGatesHiddenᵀ (G·H, rows) · h_{t−1} (rows, H)
                let (dWhh, beta) = params.gradToOverwrite(weightHH)
                sgemm(transposedPacked: packedHidden, b: m.h + start * b * hidden, n: hidden, beta: beta, c: dWhh)
            }
            end = start
        }
        if !ihFromPacking { addTransposed(dWeightT.data, rows: inputs, columns: gh, into: params.grad(weightIH)) }
    }

    /// BPTT: walks the per-step caches in reverse, passing the state gradient along, over
    /// `range` (the steps after it done already; the last step starts the pass).
    private func backwardSteps<Cell: RecurrentCell>(_: Cell.Type, _ m: RecurrentMemory, _ dy: Tensor,
                                                    steps range: Range<Int>) {
        let b = m.batch, n = hidden, gh = Cell.gateCount * hidden
        if range.upperBound == steps {
            packedWhh.pack(k: gh, n: n, params.value(weightHH))
            m.dBias.update(repeating: 0, count: gh)
            if cell == .gru { m.dBiasHN.update(repeating: 0, count: n) }
            m.dh.update(repeating: 0, count: b * n)
            if cell == .lstm { m.dc.update(repeating: 0, count: b * n) }
        }
        let d = Cell.stateGradient(m)
        for t in range.reversed() {
            let (dOutput, ld) = returnSequences ? (dy.data + t * n, steps * n)
                : t == steps - 1 ? (dy.data, n) : (zeros.data, 0)
            Cell.backward(m, step: t, from: Cell.state(m, after: t - 1), to: Cell.state(m, after: t), d: d,
                          dOutput: dOutput, ldOutput: ld)
            guard t > 0 else { continue }
            // dh_{t−1} (B, H) (+)= dGatesHidden_t (B, G·H) · W_hh (G·H, H)
            let beta: Float = Cell.hiddenBypassesWeights ? 1 : 0
            if m.dGatesPackedOnly, let packed = m.packedGatesHidden ?? m.packedGates {
                // the step wrote its dGates only packed, for the weight gradients: read them there
                let row = (m.packedGatesHidden != nil ? packedGatesHidden : packedGates).row((t - m.packedFirstStep) * b)
                sgemm(m: b, aPanels: packed + row.offset, aPanelStride: row.panelStride, packedB: packedWhh, beta: beta,
                      c: d.h)
            } else {
                sgemm(m: b, a: m.dGatesHidden + t * m.dGatesStepRows * gh, packedB: packedWhh, beta: beta, c: d.h)
            }
        }
    }
}

/// src (A, B, W) -> dst (B, A, W).
func swapLeadingAxes(_ src: UnsafePointer<Float>, _ a: Int, _ b: Int, width w: Int, into dst: UnsafeMutablePointer<Float>) {
    for i in 0..<a {
        for j in 0..<b { (dst + (j * a + i) * w).update(from: src + (i * b + j) * w, count: w) }
    }
}

/// sums (W) = Σ over the rows of x (R, W).
private func columnSums(_ x: UnsafePointer<Float>, rows: Int, width w: Int, into sums: UnsafeMutablePointer<Float>) {
    sums.update(repeating: 0, count: w)
    for r in 0..<rows {
        let row = x + r * w
        for j in 0..<w { sums[j] += row[j] }
    }
}

private func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { y[i] += x[i] }
}
