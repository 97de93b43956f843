import SweepRandom
/// Loads, subsamples and splits the dataset `options` names, and computes the
/// training split's per-channel statistics. Throws DataError only.
public func loadDataset(_ options: DataOptions) throws -> Dataset {
    let f = options.validationFraction
    guard f >= 0, f < 1 else { throw DataError(message: "data: validation_fraction must be in [0, 1), got \(f)") }
    for (key, value) in [("train_per_class", options.trainPerClass), ("test_per_class", options.testPerClass)] {
        if let value, value < 1 { throw DataError(message: "data: \(key) must be at least 1, got \(value)") }
    }
    let classes = 10
    let source: Source
    switch options.name {
    case .mnist, .fashionMNIST: source = try loadIDX(options, classes: classes)
    case .cifar10: source = try loadCIFAR10(options, classes: classes)
    case .synthetic:
        source = Source(shape: Synthetic.shape, directory: nil,
                        train: Synthetic.images(split: .train, perClass: options.trainPerClass ?? Synthetic.trainPerClass),
                        test: Synthetic.images(split: .test, perClass: options.testPerClass ?? Synthetic.testPerClass))
    }
    let imageSize = source.shape.reduce(1, *)
    let subsampled = keepingFirst(options.trainPerClass, ofEachClassOf: source.train, imageSize: imageSize)
    let test = keepingFirst(options.testPerClass, ofEachClassOf: source.test, imageSize: imageSize)
    let heldOut = Int((Double(subsampled.count) * f).rounded())
    let (train, validation) = splitting(subsampled, holdingOut: heldOut, imageSize: imageSize)
    guard train.count > 0 else {
        throw DataError(message: "data: \(options.name.rawValue): no training examples left (\(subsampled.count) before holding out \(heldOut) for validation)")
    }
    let (mean, std) = channelStatistics(train, channels: source.shape[0])
    return Dataset(name: options.name, shape: source.shape, classes: classes, train: train,
                   validation: validation, test: test, mean: mean, std: std, directory: source.directory)
}

/// A dataset as read, before subsampling and splitting.
struct Source {
    var shape: [Int]
    var directory: String?
    var train: ImageSet
    var test: ImageSet
}

private let idxFiles = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]

func loadIDX(_ options: DataOptions, classes: Int) throws -> Source {
    let directories = options.directory.map { [$0] } ?? candidateDirectories(for: options.name)
    let (directory, paths) = try locate(idxFiles, gzipAllowed: true, in: directories, dataset: options.name)
    let train = try readIDXPair(images: paths[0], labels: paths[1], classes: classes)
    let test = try readIDXPair(images: paths[2], labels: paths[3], classes: classes)
    guard test.images.rows == train.images.rows, test.images.columns == train.images.columns else {
        throw DataError(paths[2], "images are \(test.images.rows)×\(test.images.columns) but the training images are \(train.images.rows)×\(train.images.columns)")
    }
    return Source(shape: [1, train.images.rows, train.images.columns], directory: directory,
                  train: ImageSet(pixels: train.images.pixels, labels: train.labels),
                  test: ImageSet(pixels: test.images.pixels, labels: test.labels))
}

private func readIDXPair(images imagesPath: String, labels labelsPath: String, classes: Int) throws -> (images: IDX.Images, labels: [Int32]) {
    let images = try IDX.images(readMaybeGzipped(imagesPath), path: imagesPath)
    let labels = try IDX.labels(readMaybeGzipped(labelsPath), path: labelsPath, classes: classes)
    guard images.count == labels.count else {
        throw DataError(labelsPath, "\(images.count) images but \(labels.count) labels")
    }
    return (images, labels)
}

private func readMaybeGzipped(_ path: String) throws -> [UInt8] {
    let bytes = try readFile(path)
    return path.hasSuffix(".gz") ? try gunzip(bytes, path: path) : bytes
}

func loadCIFAR10(_ options: DataOptions, classes: Int) throws -> Source {
    let roots = options.directory.map { [$0] } ?? candidateDirectories(for: options.name)
    let directories = roots.flatMap { [$0, join($0, CIFAR10.subdirectory)] }
    let files = CIFAR10.trainFiles + CIFAR10.testFiles
    let (directory, paths) = try locate(files, gzipAllowed: false, in: directories, dataset: options.name)
    let train = try CIFAR10.read(Array(paths.prefix(CIFAR10.trainFiles.count)), classes: classes)
    let test = try CIFAR10.read(Array(paths.suffix(CIFAR10.testFiles.count)), classes: classes)
    return Source(shape: CIFAR10.shape, directory: directory, train: train, test: test)
}

/// The first `perClass` examples of each class, in file order (all of a class that has fewer).
func keepingFirst(_ perClass: Int?, ofEachClassOf set: ImageSet, imageSize: Int) -> ImageSet {
    guard let perClass else { return set }
    var seen: [Int32: Int] = [:]
    var kept: [Int] = []
    for (index, label) in set.labels.enumerated() {
        let n = seen[label, default: 0]
        if n < perClass {
            seen[label] = n + 1
            kept.append(index)
        }
    }
    return kept.count == set.count ? set : set.selecting(kept, imageSize: imageSize)
}

/// Holds out `count` examples chosen by a fixed permutation (the same for every
/// run seed); both parts keep their examples' relative order.
func splitting(_ set: ImageSet, holdingOut count: Int, imageSize: Int) -> (train: ImageSet, validation: ImageSet) {
    guard count > 0 else { return (set, .empty) }
    var order = Array(0..<set.count)
    var rng = SplitMix64(seed: 0x5EED_DA7A)
    for i in stride(from: order.count - 1, to: 0, by: -1) {
        order.swapAt(i, rng.below(i + 1))
    }
    var heldOut = [Bool](repeating: false, count: set.count)
    for index in order.prefix(count) { heldOut[index] = true }
    let validation = (0..<set.count).filter { heldOut[$0] }
    let train = (0..<set.count).filter { !heldOut[$0] }
    return (set.selecting(train, imageSize: imageSize), set.selecting(validation, imageSize: imageSize))
}

/// Per-channel mean and standard deviation (floored at 1e-6) of the pixels scaled to [0,1].
func channelStatistics(_ set: ImageSet, channels: Int) -> (mean: [Float], std: [Float]) {
    guard set.count > 0, channels > 0 else { return ([Float](repeating: 0, count: channels), [Float](repeating: 1, count: channels)) }
    let plane = set.pixels.count / (set.count * channels)
    var sums = [UInt64](repeating: 0, count: channels)
    var squares = [UInt64](repeating: 0, count: channels)
    set.pixels.withUnsafeBufferPointer { pixels in
        var src = pixels.baseAddress!
        for _ in 0..<set.count {
            for c in 0..<channels {
                var sum: UInt64 = 0, square: UInt64 = 0
                for p in 0..<plane {
                    let x = UInt64(src[p])
                    sum &+= x
                    square &+= x &* x
                }
                sums[c] &+= sum
                squares[c] &+= square
                src += plane
            }
        }
    }
    let n = Double(set.count * plane)
    var mean: [Float] = [], std: [Float] = []
    for c in 0..<channels {
        let m = Double(sums[c]) / (n * 255)
        let meanSquare = Double(squares[c]) / (n * 255 * 255)
        mean.append(Float(m))
        std.append(Float(max((max(meanSquare - m * m, 0)).squareRoot(), 1e-6)))
    }
    return (mean, std)
}
