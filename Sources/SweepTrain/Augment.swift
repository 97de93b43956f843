import SweepConfig
import SweepData
import SweepEngine

/// Data augmentation of training batches (the `augment` key), on the normalised images:
/// `flip` mirrors an image left to right with probability 1/2; `crop` takes a crop of the
/// original size at a random offset from the image padded by 2 pixels (28×28) or 4
/// (32×32) with black, as torchvision's RandomCrop(padding=…) then Normalize do. Each
/// image draws its flip, then its offsets, from the run's own stream, so a run is
/// bit-identical from its seed; evaluation batches are never touched.
public final class Augment {
    let flip: Bool
    let padding: Int
    private let shape: [Int]
    private let black: [Float]
    private var rng: RNG
    /// One image as it was, read while it is rewritten in place.
    private let scratch: UnsafeMutablePointer<Float>

    /// nil when `kind` is none.
    convenience init?(_ kind: AugmentName, data: Dataset, seed: Int) {
        self.init(kind, shape: data.shape, black: data.black, seed: seed)
    }

    /// For images of `shape` [C, H, W] whose black (0 before normalisation) is `black[c]`
    /// per channel; nil when `kind` is none.
    public init?(_ kind: AugmentName, shape: [Int], black: [Float], seed: Int) {
        guard kind != .none else { return nil }
        flip = kind.flips
        padding = kind.crops ? (shape[1] >= 32 ? 4 : 2) : 0
        self.shape = shape
        self.black = black
        rng = RNG(seed: seed, stream: Streams.augment)
        scratch = .allocate(capacity: shape.reduce(1, *))
    }

    deinit { scratch.deallocate() }

    /// Rewrites the images of a batch (B, C, H, W) in place.
    public func apply(_ images: Tensor) {
        let (c, h, w) = (shape[0], shape[1], shape[2])
        let size = c * h * w
        for b in 0..<images.batch {
            let mirror = flip && rng.next() & 1 == 1
            let dy = padding > 0 ? rng.below(2 * padding + 1) - padding : 0
            let dx = padding > 0 ? rng.below(2 * padding + 1) - padding : 0
            guard mirror || dy != 0 || dx != 0 else { continue }
            let image = images.data + b * size
            scratch.update(from: image, count: size)
            for ch in 0..<c {
                let src = scratch + ch * h * w, dst = image + ch * h * w, pad = black[ch]
                for y in 0..<h {
                    let sy = y + dy
                    let row = dst + y * w
                    guard sy >= 0 && sy < h else { row.update(repeating: pad, count: w); continue }
                    let from = src + sy * w
                    for x in 0..<w {
                        let sx = (mirror ? w - 1 - x : x) + dx
                        row[x] = sx >= 0 && sx < w ? from[sx] : pad
                    }
                }
            }
        }
    }
}
