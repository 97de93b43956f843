import Foundation
import SweepEngine

/// What a trained network computes, read from its weights and a few test images: the
/// pictures the course reports drew by hand (feature maps, occlusion sensitivity after
/// Zeiler & Fergus, Grad-CAM, the images that excite a filter most, and a filter's
/// favourite input by gradient ascent). Every probe runs the model in evaluation mode
/// (dropout off, batchnorm on its running statistics) and leaves its weights as they were;
/// the parameter gradients its backward passes add are cleared again.
///
/// Images are one sample each, laid out as the model's input shape (C, H, W), normalised as
/// the training data was.
public final class NetworkProbe {
    public let model: Model

    /// The model is kept in this probe's hands: it must not train meanwhile.
    public init(_ model: Model) {
        self.model = model
        model.needsInputGradient = true
    }

    /// The nodes of the convolutions, in the order they run.
    public var convolutions: [Int] {
        model.nodes.indices.filter { i in
            if case .layer(let l) = model.nodes[i].operation { return l is Conv2D }
            return false
        }
    }

    /// What a convolution's maps are shown as: the activation that reads it alone, if one
    /// does (the maps after the nonlinearity, as Keras' Conv2D(activation=…) gives them),
    /// else the convolution's own output.
    public func mapsNode(of conv: Int) -> Int {
        let readers = model.nodes.indices.filter { model.nodes[$0].inputs.contains(conv) }
        if readers.count == 1, case .layer(let l) = model.nodes[readers[0]].operation, l is Activation { return readers[0] }
        return conv
    }

    private func batch(_ images: [[Float]]) -> Tensor {
        let size = model.inputShape.reduce(1, *)
        precondition(images.allSatisfy { $0.count == size }, "images of shape \(model.inputShape) expected")
        return Tensor(shape: [images.count] + model.inputShape, values: images.flatMap { $0 })
    }

    /// Softmax probabilities (one row of `classes` per image), in batches of 64.
    public func probabilities(_ images: [[Float]]) -> [[Float]] {
        var rows: [[Float]] = []
        var start = 0
        while start < images.count {
            let part = Array(images[start..<min(start + 64, images.count)])
            let logits = model.forward(batch(part), mode: .eval)
            for b in 0..<part.count {
                let z = (0..<model.classes).map { logits[b * model.classes + $0] }
                let top = z.max() ?? 0
                let e = z.map { expf($0 - top) }
                let total = e.reduce(0, +)
                rows.append(e.map { $0 / total })
            }
            start += part.count
        }
        return rows
    }

    /// Per convolution: its maps (`mapsNode`) for one image, (C, H, W) flattened.
    public func featureMaps(_ image: [Float]) -> [(conv: Int, shape: [Int], values: [Float])] {
        let convs = convolutions
        let nodes = convs.map(mapsNode(of:))
        var maps: [Int: [Float]] = [:]
        _ = model.forward(batch([image]), mode: .eval) { i, out in
            if nodes.contains(i) { maps[i] = out.array }
        }
        return zip(convs, nodes).map { conv, node in (conv, model.shape(of: node), maps[node] ?? []) }
    }

    /// Occlusion sensitivity: the probability of class `label` with a `patch`×`patch` square
    /// of `fill` (per channel; the dataset's mean is 0 once normalised) over the image at
    /// every `stride` pixels, row by row: map[i·columns + j] for the square at (i·stride, j·stride).
    public func occlusion(_ image: [Float], label: Int, patch: Int, stride: Int,
                          fill: [Float]) -> (map: [Float], rows: Int, columns: Int) {
        let (c, h, w) = (model.inputShape[0], model.inputShape[1], model.inputShape[2])
        precondition(patch >= 1 && patch <= min(h, w) && stride >= 1 && fill.count == c)
        let rows = (h - patch) / stride + 1, columns = (w - patch) / stride + 1
        var occluded: [[Float]] = []
        for i in 0..<rows {
            for j in 0..<columns {
                var x = image
                for ch in 0..<c {
                    for y in i * stride..<i * stride + patch {
                        for xx in j * stride..<j * stride + patch { x[(ch * h + y) * w + xx] = fill[ch] }
                    }
                }
                occluded.append(x)
            }
        }
        return (probabilities(occluded).map { $0[label] }, rows, columns)
    }

    /// Grad-CAM (Selvaraju et al.) at node `layer` for class `classIndex`: each channel k of the
    /// layer's output A weighted by the mean over positions of ∂y_c/∂A_k (y_c the class's logit),
    /// summed, then ReLU; at the layer's resolution, (H, W) flattened.
    public func gradCAM(_ image: [Float], classIndex: Int, layer: Int) -> (map: [Float], rows: Int, columns: Int) {
        let shape = model.shape(of: layer)
        precondition(shape.count == 3, "Grad-CAM needs a layer of maps (C, H, W), got \(shape)")
        _ = model.forward(batch([image]), mode: .eval)
        let dLogits = Tensor(shape: [1, model.classes])
        dLogits[classIndex] = 1
        // layer by layer: training's backward leaves no gradient at an activation that a max
        // pool's backward takes in, and `layer` may be one
        model.backward(dLogits, from: model.last)
        model.params.zeroGrads()
        let a = model.output(of: layer), (channels, area) = (shape[0], shape[1] * shape[2])
        var cam = [Float](repeating: 0, count: area)
        guard let g = model.gradient(of: layer) else { return (cam, shape[1], shape[2]) }
        for k in 0..<channels {
            var alpha: Float = 0
            for p in 0..<area { alpha += g[k * area + p] }
            alpha /= Float(area)
            for p in 0..<area { cam[p] += alpha * a[k * area + p] }
        }
        return (cam.map { max($0, 0) }, shape[1], shape[2])
    }

    /// The `count` images of `images` that excite each of `filters` of node `layer` most (by
    /// the largest value of the filter's map), best first; ties to the earlier image.
    public func topImages(_ images: [[Float]], layer: Int, filters: [Int], count: Int) -> [[Int]] {
        topImages(images, layers: [(layer, filters)], count: count)[0]
    }

    /// `topImages` for several layers at once: one forward pass over the images (up to the
    /// last of the layers) serves them all. Per layer, per filter, the image indices.
    public func topImages(_ images: [[Float]], layers: [(layer: Int, filters: [Int])], count: Int) -> [[[Int]]] {
        guard let deepest = layers.map(\.layer).max() else { return [] }
        var peaks = layers.map { [[Float]](repeating: [], count: $0.filters.count) }
        let shapes = layers.map { model.shape(of: $0.layer) }
        var start = 0
        while start < images.count {
            let part = Array(images[start..<min(start + 64, images.count)])
            _ = model.forward(batch(part), mode: .eval, through: deepest) { i, out in
                for (k, (layer, filters)) in layers.enumerated() where layer == i {
                    let shape = shapes[k], area = shape.dropFirst().reduce(1, *)
                    for b in 0..<part.count {
                        for (f, filter) in filters.enumerated() {
                            let base = (b * shape[0] + filter) * area
                            var top = -Float.infinity
                            for p in 0..<area { top = max(top, out[base + p]) }
                            peaks[k][f].append(top)
                        }
                    }
                }
            }
            start += part.count
        }
        return peaks.map { layer in
            layer.map { values in
                Array(values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(count))
            }
        }
    }

    /// A filter's favourite input: from small seeded noise, `steps` steps of gradient ascent on
    /// the mean of filter `filter`'s map at node `layer`, each of `rate` times the gradient
    /// divided by its RMS (as Keras' filter-visualisation example does). Returns the image
    /// and the mean activation before and after. Take a convolution's own node: a map after a
    /// ReLU that is zero everywhere at the start has no gradient to climb.
    public func gradientAscent(layer: Int, filter: Int, steps: Int = 30, rate: Float = 1, seed: Int = 1)
        -> (image: [Float], before: Float, after: Float) {
        gradientAscent(layer: layer, filters: [filter], steps: steps, rate: rate, seeds: [seed])[0]
    }

    /// `gradientAscent` for several filters of one layer at once, one image each (from noise
    /// seeded by `seeds`), climbed together as one batch: in evaluation mode the images do
    /// not meet (batchnorm uses its running statistics), and each step's gradient is scaled by
    /// its own image's RMS, so each climbs as it would alone.
    public func gradientAscent(layer: Int, filters: [Int], steps: Int = 30, rate: Float = 1, seeds: [Int])
        -> [(image: [Float], before: Float, after: Float)] {
        precondition(filters.count == seeds.count)
        let n = filters.count, shape = model.shape(of: layer), area = shape.dropFirst().reduce(1, *)
        let size = model.inputShape.reduce(1, *), maps = shape.reduce(1, *)
        let x = Tensor(shape: [n] + model.inputShape)
        for (b, seed) in seeds.enumerated() {
            var rng = RNG(seed: seed, stream: 0x6A5C)
            for i in 0..<size { x[b * size + i] = 0.1 * rng.normal() }
        }
        let dMap = Tensor(shape: [n] + shape)
        for (b, filter) in filters.enumerated() {
            for p in 0..<area { dMap[b * maps + filter * area + p] = 1 / Float(area) }
        }
        func activations() -> [Float] {
            let out = model.forward(x, mode: .eval, through: layer)
            return filters.enumerated().map { b, filter in
                var mean: Float = 0
                for p in 0..<area { mean += out[b * maps + filter * area + p] }
                return mean / Float(area)
            }
        }
        let before = activations()
        for _ in 0..<steps {
            _ = activations()
            let g = model.backward(dMap, from: layer)
            model.params.zeroGrads()
            for b in 0..<n {
                var square: Float = 0
                for i in 0..<size { square += g[b * size + i] * g[b * size + i] }
                let scale = rate / (sqrtf(square / Float(size)) + 1e-5)
                for i in 0..<size { x[b * size + i] += scale * g[b * size + i] }
            }
        }
        let after = activations()
        return (0..<n).map { b in (Array(UnsafeBufferPointer(start: x.data + b * size, count: size)), before[b], after[b]) }
    }
}
