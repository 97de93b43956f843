/// A feed-forward stack of layers over one flat parameter store.
public final class Model {
    public let params = ParameterStore()
    public let inputShape: [Int]
    public let classes: Int
    public private(set) var layers: [Layer] = []
    /// Per-sample shape at the end of the stack so far (what the next layer takes).
    public private(set) var shape: [Int]

    public init(inputShape: [Int], classes: Int) {
        self.inputShape = inputShape
        self.classes = classes
        self.shape = inputShape
    }

    /// Appends a layer. The first layer does not compute the gradient of the input.
    public func append(_ layer: Layer) {
        layer.needsInputGradient = !layers.isEmpty
        layers.append(layer)
        shape = layer.outputShape
    }

    /// Allocates the parameter buffers; call once, after the last `append`.
    public func finalize() { params.finalize() }

    public var parameterCount: Int { params.count }

    /// Floats of every layer's output for one sample, counted in Double (see
    /// `ParameterStore.declaredFloats`): what a batch's forward pass keeps at least.
    public var outputFloatsPerSample: Double {
        layers.reduce(0.0) { sum, layer in sum + layer.outputShape.reduce(1.0) { $0 * Double($1) } }
    }

    /// input (B, inputShape...) -> logits (B, classes)
    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        var h = x
        for layer in layers { h = layer.forward(h, mode: mode) }
        return h
    }

    /// Adds parameter gradients for dLogits (B, classes).
    public func backward(_ dLogits: Tensor) {
        var d = dLogits
        for layer in layers.reversed() { d = layer.backward(d) }
    }
}
