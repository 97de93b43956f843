/// A network as a graph of layers over one flat parameter store. Nodes are kept in
/// the order they run: each after the nodes it reads. A node reads the model's input
/// (`Model.input`) or earlier nodes' outputs; a merge node (add, concat) reads several.
/// The graph is the one place that routes gradients: an output that feeds several nodes
/// gets the sum of their input gradients, and a merge's input gradients go each to
/// their own input. Layers never see a branch.
public final class Model {
    public enum Operation {
        case layer(Layer)
        case merge(MergeLayer)
    }

    public struct Node {
        public let operation: Operation
        /// What the node is called: its parameters' state_dict prefix ("net.3", "block.b1.0"),
        /// and its row in `sweep describe`, the activation table and the report.
        public let name: String
        /// The nodes it reads, `Model.input` for the model's input.
        public let inputs: [Int]
        public let outputShape: [Int]
        /// Parameters its layer declared.
        public let parameters: Int
    }

    /// What a node reads to take the model's input.
    public static let input = -1

    public let params = ParameterStore()
    public let inputShape: [Int]
    public let classes: Int
    public private(set) var nodes: [Node] = []
    /// Whether `backward` returns the gradient of the model's input (tests; training needs none).
    public var needsInputGradient = false {
        didSet { wireInputGradients() }
    }

    /// Per node: how many inputs of later nodes read it (`consumers[0]` is the model input's).
    private var consumers: [Int] = [0]
    /// Per node (and the input, at 0): the gradient of its output during `backward`.
    private var gradients: [Tensor?] = [nil]
    /// Per node read more than once (and the input): where its consumers' gradients are summed.
    private var sums: [Tensor?] = [nil]
    /// Per node: the tensors its inputs gave in the last forward, reused every step.
    private var inputTensors: [[Tensor]] = []
    private var outputs: [Tensor] = []
    private let empty = Tensor(shape: [0])
    /// Parameters declared when the last node was attached.
    private var parametersBefore = 0

    public init(inputShape: [Int], classes: Int) {
        self.inputShape = inputShape
        self.classes = classes
    }

    /// The layers of single-input nodes, in the order they run.
    public var layers: [Layer] {
        nodes.compactMap { if case .layer(let l) = $0.operation { l } else { nil } }
    }

    /// The last node, which gives the model's output (`Model.input` while there is none).
    public var last: Int { nodes.count - 1 }

    /// The per-sample shape of a node's output (the model's input for `Model.input`).
    public func shape(of node: Int) -> [Int] { node == Model.input ? inputShape : nodes[node].outputShape }

    /// Per-sample shape at the end of the graph so far (what `append` attaches to).
    public var shape: [Int] { shape(of: last) }

    /// Appends a layer that reads the last node (or the input): a stack grows one layer at a time.
    public func append(_ layer: Layer, name: String? = nil) { add(layer, input: last, name: name) }

    /// Adds a layer reading `input` (a node, or `Model.input`); returns its node. Unnamed
    /// nodes are called "node.<index>".
    @discardableResult
    public func add(_ layer: Layer, input: Int, name: String? = nil) -> Int {
        attach(.layer(layer), inputs: [input], outputShape: layer.outputShape, name: name)
    }

    /// Adds a merge reading `inputs`; returns its node.
    @discardableResult
    public func merge(_ layer: MergeLayer, inputs: [Int], name: String? = nil) -> Int {
        attach(.merge(layer), inputs: inputs, outputShape: layer.outputShape, name: name)
    }

    private func attach(_ operation: Operation, inputs: [Int], outputShape: [Int], name: String?) -> Int {
        precondition(inputs.allSatisfy { $0 >= Model.input && $0 < nodes.count }, "a node reads only earlier nodes")
        for i in inputs { consumers[i + 1] += 1 }
        // a layer declares its parameters when it is made, after the node before it was attached
        let declared = params.count - (nodes.isEmpty ? 0 : parametersBefore)
        parametersBefore = params.count
        nodes.append(Node(operation: operation, name: name ?? "node.\(nodes.count)", inputs: inputs, outputShape: outputShape,
                          parameters: declared))
        consumers.append(0)
        gradients.append(nil)
        sums.append(nil)
        inputTensors.append(inputs.map { _ in empty })
        outputs.append(empty)
        wireInputGradients()
        return nodes.count - 1
    }

    /// Layers that read the model's input compute its gradient only when asked.
    private func wireInputGradients() {
        for node in nodes {
            if case .layer(let l) = node.operation { l.needsInputGradient = node.inputs[0] != Model.input || needsInputGradient }
        }
    }

    /// Allocates the parameter buffers; call once, after the last node.
    public func finalize() { params.finalize() }

    public var parameterCount: Int { params.count }

    /// Floats of every node's output for one sample, counted in Double (see
    /// `ParameterStore.declaredFloats`): what a batch's forward pass keeps at least.
    public var outputFloatsPerSample: Double {
        nodes.reduce(0.0) { sum, node in sum + node.outputShape.reduce(1.0) { $0 * Double($1) } }
    }

    /// input (B, inputShape...) -> logits (B, classes). `observe` sees each node's output as
    /// it is made (the activation statistics), with the node's index. With `through`, only
    /// the nodes up to that one run, and its output is returned (what a probe of a layer needs).
    public func forward(_ x: Tensor, mode: Mode, through last: Int? = nil, observe: ((Int, Tensor) -> Void)? = nil) -> Tensor {
        if let last { precondition(nodes.indices.contains(last)) }
        for i in nodes.indices.prefix(last.map { $0 + 1 } ?? nodes.count) {
            let node = nodes[i]
            for (k, j) in node.inputs.enumerated() { inputTensors[i][k] = j == Model.input ? x : outputs[j] }
            switch node.operation {
            case .layer(let l): outputs[i] = l.forward(inputTensors[i][0], mode: mode)
            case .merge(let m): outputs[i] = m.forward(inputTensors[i], mode: mode)
            }
            observe?(i, outputs[i])
        }
        if let last { return outputs[last] }
        return outputs.last ?? x
    }

    /// Adds parameter gradients for dLogits (B, classes); returns the input's gradient when
    /// `needsInputGradient`, else an empty tensor.
    /// An Activation whose output only a MaxPool2D reads has its backward done by the pool's
    /// (`MaxPool2D.backward(_:through:)`): one pass over the larger tensor instead of two, and
    /// `gradient(of:)` has nothing for the activation's node afterwards.
    @discardableResult
    public func backward(_ dLogits: Tensor) -> Tensor { backward(dLogits, from: last, fusing: true) }

    /// `backward` from node `start`'s output, given the gradient of that output (B, its
    /// shape): what a picture of one filter asks of the input (gradient ascent), or of a
    /// layer (Grad-CAM, through `gradient(of:)`). Nodes after `start` take no part.
    @discardableResult
    public func backward(_ dOutput: Tensor, from start: Int) -> Tensor { backward(dOutput, from: start, fusing: false) }

    private func backward(_ dOutput: Tensor, from start: Int, fusing: Bool) -> Tensor {
        for i in gradients.indices { gradients[i] = nil }
        gradients[start + 1] = dOutput
        for i in nodes.indices.prefix(start + 1).reversed() {
            guard let d = gradients[i + 1] else { continue }   // feeds nothing
            let node = nodes[i]
            switch node.operation {
            case .layer(let pool as MaxPool2D) where fusing:
                let j = node.inputs[0]
                if j != Model.input, consumers[j + 1] == 1, case .layer(let a as Activation) = nodes[j].operation,
                   a.needsInputGradient {
                    // the activation's node gets no gradient, so the loop passes it by
                    deliver(pool.backward(d, through: a.kind), to: nodes[j].inputs[0])
                } else {
                    deliver(pool.backward(d), to: j)
                }
            case .layer(let l): deliver(l.backward(d), to: node.inputs[0])
            case .merge(let m):
                for (k, dx) in m.backward(d).enumerated() { deliver(dx, to: node.inputs[k]) }
            }
        }
        return needsInputGradient ? gradients[0] ?? empty : empty
    }

    /// The gradient of node `node`'s output from the last `backward` (nil where none reached
    /// it), valid until the next one.
    public func gradient(of node: Int) -> Tensor? { gradients[node + 1] }

    /// Node `node`'s output from the last `forward`, valid until the next one.
    public func output(of node: Int) -> Tensor { outputs[node] }

    /// Hands `dx` to node `j` (or the input): as it is when `j` feeds one input, summed with
    /// the others' into the graph's own buffer when it feeds several.
    private func deliver(_ dx: Tensor, to j: Int) {
        let slot = j + 1
        if j == Model.input && !needsInputGradient { return }
        if consumers[slot] == 1 {
            gradients[slot] = dx
            return
        }
        let sum = sums[slot] ?? Tensor(shape: [0])
        sums[slot] = sum
        if gradients[slot] == nil {
            sum.copy(from: dx)
            gradients[slot] = sum
        } else {
            precondition(sum.count == dx.count)
            let s = sum.data, d = dx.data
            for k in 0..<sum.count { s[k] += d[k] }
        }
    }
}

/// A layer with several inputs (add, concat). Forward returns a tensor the layer owns;
/// backward returns one gradient per input (tensors the layer owns, or `dOutput` itself
/// where the gradient passes unchanged) and never changes `dOutput`.
public protocol MergeLayer: AnyObject {
    /// Per-sample output shape.
    var outputShape: [Int] { get }
    func forward(_ inputs: [Tensor], mode: Mode) -> Tensor
    func backward(_ dOutput: Tensor) -> [Tensor]
}
