import SweepRandom
import Foundation

/// A deterministic, learnable stand-in for MNIST that needs no files: each class
/// has a fixed random prototype of Gaussian blobs; an example is its class's
/// prototype, shifted a little and dimmed, overlaid with a fainter prototype of
/// another class and per-pixel noise. Example j of class c depends only on
/// (split, c, j), so any per-class count yields a prefix of a larger one.
enum Synthetic {
    static let shape = [1, 28, 28]
    static let classes = 10
    static let trainPerClass = 600
    static let testPerClass = 100

    enum Split: UInt64 { case train = 1, test = 2 }

    static let seed: UInt64 = 0x5F17_7E71_C000_0000
    static let blobs = 5
    static let maxShift = 2
    static let noise = 0.25
    static let contrast = 0.6...1.0
    static let distractor = 0.0...0.6

    /// Images ordered class 0, 1, …, 9, 0, 1, …: `perClass` of each.
    static func images(split: Split, perClass: Int) -> ImageSet {
        let size = shape[1] * shape[2]
        let prototypes = makePrototypes()
        var pixels = [UInt8](repeating: 0, count: perClass * classes * size)
        var labels: [Int32] = []
        labels.reserveCapacity(perClass * classes)
        var image = [Double](repeating: 0, count: size)
        for j in 0..<perClass {
            for c in 0..<classes {
                var rng = SplitMix64(seed: seed ^ split.rawValue << 56 ^ UInt64(c) << 40 ^ UInt64(j))
                draw(class: c, prototypes: prototypes, rng: &rng, into: &image)
                let base = (j * classes + c) * size
                for p in 0..<size {
                    pixels[base + p] = UInt8((min(max(image[p], 0), 1) * 255).rounded())
                }
                labels.append(Int32(c))
            }
        }
        return ImageSet(pixels: pixels, labels: labels)
    }

    /// One 28×28 image per class, values in [0, 1].
    static func makePrototypes() -> [[Double]] {
        let (h, w) = (shape[1], shape[2])
        var rng = SplitMix64(seed: seed)
        return (0..<classes).map { _ in
            var image = [Double](repeating: 0, count: h * w)
            for _ in 0..<blobs {
                let cy = rng.uniform(5...22), cx = rng.uniform(5...22)
                let sigma = rng.uniform(1.5...3.5), amplitude = rng.uniform(0.4...1.0)
                for y in 0..<h {
                    for x in 0..<w {
                        let d2 = (Double(y) - cy) * (Double(y) - cy) + (Double(x) - cx) * (Double(x) - cx)
                        image[y * w + x] += amplitude * exp(-d2 / (2 * sigma * sigma))
                    }
                }
            }
            let peak = image.max() ?? 1
            return image.map { $0 / max(peak, 1e-9) }
        }
    }

    private static func draw(class c: Int, prototypes: [[Double]], rng: inout SplitMix64, into image: inout [Double]) {
        let (h, w) = (shape[1], shape[2])
        let dy = rng.below(2 * maxShift + 1) - maxShift, dx = rng.below(2 * maxShift + 1) - maxShift
        let other = (c + 1 + rng.below(classes - 1)) % classes
        let a = rng.uniform(contrast), b = rng.uniform(distractor)
        let own = prototypes[c], faint = prototypes[other]
        for y in 0..<h {
            for x in 0..<w {
                let sy = y - dy, sx = x - dx
                let inside = sy >= 0 && sy < h && sx >= 0 && sx < w
                let value = inside ? a * own[sy * w + sx] + b * faint[sy * w + sx] : 0
                image[y * w + x] = value + noise * rng.normal()
            }
        }
    }
}
