/// Training or evaluation: dropout is off and batchnorm uses running statistics in `.eval`.
public enum Mode: Sendable { case train, eval }

/// A layer of a feed-forward model. Forward and backward of each layer stand side
/// by side in one file. Tensors are (batch, per-sample shape...).
///
/// - `forward` returns a tensor the layer owns; it stays valid until the next forward.
/// - `backward` never changes `dOutput` (the graph may hand one gradient to several layers),
///   *adds* parameter gradients into the store (zeroing is the caller's
///   step) and returns the gradient of the input, which the layer also owns. When
///   `needsInputGradient` is false (first layer) it may skip that work and return
///   an empty tensor.
public protocol Layer: AnyObject {
    /// Per-sample output shape.
    var outputShape: [Int] { get }
    var needsInputGradient: Bool { get set }
    func forward(_ input: Tensor, mode: Mode) -> Tensor
    func backward(_ dOutput: Tensor) -> Tensor
}
