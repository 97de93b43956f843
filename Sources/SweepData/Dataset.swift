/// The datasets docs/keys.md names under the key `dataset`.
public enum DatasetName: String, Sendable, CaseIterable {
    case fashionMNIST = "fashion-mnist", mnist, cifar10, synthetic
}

/// What to load and how to cut it (docs/keys.md § Data: dataset, data_dir, train_per_class,
/// test_per_class, validation_fraction).
public struct DataOptions: Sendable {
    public var name: DatasetName
    /// data_dir; nil searches the default places (see `candidateDirectories`).
    public var directory: String?
    /// Keep the first this many examples of each class, in file order (nil = all).
    public var trainPerClass: Int?
    public var testPerClass: Int?
    /// 0 ≤ f < 1, held out of the (subsampled) training set.
    public var validationFraction: Double

    public init(name: DatasetName, directory: String? = nil, trainPerClass: Int? = nil,
                testPerClass: Int? = nil, validationFraction: Double = 0.1) {
        self.name = name
        self.directory = directory
        self.trainPerClass = trainPerClass
        self.testPerClass = testPerClass
        self.validationFraction = validationFraction
    }
}

/// One split: raw pixels kept as bytes (N×C×H×W, CHW per image) to save memory; normalised on gather.
public struct ImageSet: Sendable {
    public let pixels: [UInt8]
    public let labels: [Int32]
    public var count: Int { labels.count }

    static let empty = ImageSet(pixels: [], labels: [])

    /// The images at `indices`, in that order; `imageSize` is C×H×W.
    func selecting(_ indices: [Int], imageSize: Int) -> ImageSet {
        var selected = [UInt8](repeating: 0, count: indices.count * imageSize)
        selected.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { src in
                for (k, index) in indices.enumerated() {
                    let from = src.baseAddress! + index * imageSize
                    (out.baseAddress! + k * imageSize).update(from: from, count: imageSize)
                }
            }
        }
        return ImageSet(pixels: selected, labels: indices.map { labels[$0] })
    }
}

/// A problem with the data or the options, as one line naming the culprit.
public struct DataError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }

    public init(message: String) { self.message = message }

    /// `data: <file>: <problem>`
    init(_ file: String, _ problem: String) { self.message = "data: \(file): \(problem)" }
}

public struct Dataset: Sendable {
    public let name: DatasetName
    /// Per image [C, H, W]: [1,28,28] for (fashion-)mnist and synthetic, [3,32,32] for cifar10.
    public let shape: [Int]
    public let classes: Int
    public let train: ImageSet
    /// Empty when validationFraction == 0.
    public let validation: ImageSet
    public let test: ImageSet
    /// Per channel, of the training split's pixels scaled to [0,1].
    public let mean: [Float]
    public let std: [Float]
    /// Where the files were read from (nil for synthetic).
    public let directory: String?

    // gather computes x·scale[c] + shift[c] = (x/255 − mean[c]) / std[c].
    private let scale: [Float]
    private let shift: [Float]

    init(name: DatasetName, shape: [Int], classes: Int, train: ImageSet, validation: ImageSet,
         test: ImageSet, mean: [Float], std: [Float], directory: String?) {
        self.name = name
        self.shape = shape
        self.classes = classes
        self.train = train
        self.validation = validation
        self.test = test
        self.mean = mean
        self.std = std
        self.directory = directory
        self.scale = std.map { 1 / (255 * $0) }
        self.shift = zip(mean, std).map { -$0 / $1 }
    }

    /// Floats per image: C×H×W.
    public var imageSize: Int { shape.reduce(1, *) }

    /// A black pixel (0) as `gather` normalises it, per channel: what padding shows.
    public var black: [Float] { shift }

    /// Writes the normalised images ((x/255 − mean[c]) / std[c]) of `indices` of `split` into `images`
    /// (indices.count × C×H×W floats, contiguous NCHW) and their labels into `labels`.
    /// Every index must be < split.count.
    public func gather(_ split: ImageSet, indices: ArraySlice<Int>,
                       images: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<Int32>) {
        let channels = shape[0]
        let plane = shape[1] * shape[2]
        let imageSize = channels * plane
        split.pixels.withUnsafeBufferPointer { pixels in
            split.labels.withUnsafeBufferPointer { splitLabels in
                scale.withUnsafeBufferPointer { scale in
                    shift.withUnsafeBufferPointer { shift in
                        var out = images
                        var k = 0
                        for index in indices {
                            labels[k] = splitLabels[index]
                            k += 1
                            var src = pixels.baseAddress! + index * imageSize
                            for c in 0..<channels {
                                let a = scale[c], b = shift[c]
                                for p in 0..<plane { out[p] = Float(src[p]) * a + b }
                                src += plane
                                out += plane
                            }
                        }
                    }
                }
            }
        }
    }
}

extension DatasetName {
    /// The per-image shape (C, H, W) of the dataset's files, known without reading them.
    public var imageShape: [Int] { self == .cifar10 ? CIFAR10.shape : [1, 28, 28] }
    /// Every dataset here has ten classes.
    public var classes: Int { 10 }
}
