import SweepRandom
import Foundation
@testable import SweepData

/// A fresh directory under the system's temporary directory, removed on deinit.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("sweep-data-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ bytes: [UInt8], to name: String) throws {
        let target = file(name)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
    }
}

/// Compresses `path` into `path.gz` with the gzip command, removing `path`.
func gzip(_ path: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-n", "-f", path]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
}

/// An IDX images file exactly as MNIST's: magic 0x803, count, rows, columns (big-endian), pixels.
func idxImages(count: Int, rows: Int, columns: Int, pixels: [UInt8], magic: UInt32 = 0x0000_0803) -> [UInt8] {
    bigEndian(magic) + bigEndian(UInt32(count)) + bigEndian(UInt32(rows)) + bigEndian(UInt32(columns)) + pixels
}

/// An IDX labels file exactly as MNIST's: magic 0x801, count (big-endian), labels.
func idxLabels(_ labels: [UInt8], count: Int? = nil, magic: UInt32 = 0x0000_0801) -> [UInt8] {
    bigEndian(magic) + bigEndian(UInt32(count ?? labels.count)) + labels
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

/// Deterministic pseudo-random bytes.
func randomBytes(_ n: Int, seed: UInt64) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
}

/// A small MNIST-shaped split: 28×28 images, labels 0–9 in a scrambled order.
struct FakeSplit {
    var pixels: [UInt8]
    var labels: [UInt8]
    var count: Int { labels.count }

    init(count: Int, seed: UInt64, imageSize: Int = 28 * 28) {
        pixels = randomBytes(count * imageSize, seed: seed)
        labels = (0..<count).map { UInt8(($0 * 7 + Int(seed)) % 10) }
    }
}

let idxNames = (trainImages: "train-images-idx3-ubyte", trainLabels: "train-labels-idx1-ubyte",
                testImages: "t10k-images-idx3-ubyte", testLabels: "t10k-labels-idx1-ubyte")

/// Writes the four MNIST files into `directory`, gzipping those named in `gzipped`.
func writeIDX(train: FakeSplit, test: FakeSplit, in directory: TemporaryDirectory,
              gzipped: Set<String> = []) throws {
    let files = [
        (idxNames.trainImages, idxImages(count: train.count, rows: 28, columns: 28, pixels: train.pixels)),
        (idxNames.trainLabels, idxLabels(train.labels)),
        (idxNames.testImages, idxImages(count: test.count, rows: 28, columns: 28, pixels: test.pixels)),
        (idxNames.testLabels, idxLabels(test.labels)),
    ]
    for (name, bytes) in files {
        try directory.write(bytes, to: name)
        if gzipped.contains(name) { try gzip(directory.file(name)) }
    }
}

/// CIFAR-10 binary records: 1 label byte + 3072 pixel bytes each.
func cifarRecords(_ split: FakeSplit) -> [UInt8] {
    var bytes: [UInt8] = []
    for i in 0..<split.count {
        bytes.append(split.labels[i])
        bytes += split.pixels[(i * 3072)..<((i + 1) * 3072)]
    }
    return bytes
}

/// Writes data_batch_1…5.bin (`perBatch` records each) and test_batch.bin under
/// `directory` (or its `subdirectory`); returns the concatenated train split and the test split.
@discardableResult
func writeCIFAR(in directory: TemporaryDirectory, subdirectory: String? = nil,
                perBatch: Int = 7, testCount: Int = 5) throws -> (train: FakeSplit, test: FakeSplit) {
    let prefix = subdirectory.map { $0 + "/" } ?? ""
    var train = FakeSplit(count: 0, seed: 0, imageSize: 3072)
    for b in 1...5 {
        let batch = FakeSplit(count: perBatch, seed: UInt64(b), imageSize: 3072)
        try directory.write(cifarRecords(batch), to: "\(prefix)data_batch_\(b).bin")
        train.pixels += batch.pixels
        train.labels += batch.labels
    }
    let test = FakeSplit(count: testCount, seed: 99, imageSize: 3072)
    try directory.write(cifarRecords(test), to: "\(prefix)test_batch.bin")
    return (train, test)
}

/// The message of the DataError `body` throws, or nil (with the error's text for anything else).
func dataErrorMessage(_ body: () throws -> Dataset) -> String? {
    do {
        _ = try body()
        return nil
    } catch let error as DataError {
        return error.message
    } catch {
        return "not a DataError: \(error)"
    }
}

/// Gathers every image of `split` as normalised floats.
func gatherAll(_ dataset: Dataset, _ split: ImageSet) -> (images: [Float], labels: [Int32]) {
    var images = [Float](repeating: .nan, count: split.count * dataset.imageSize)
    var labels = [Int32](repeating: -1, count: split.count)
    images.withUnsafeMutableBufferPointer { imageBuffer in
        labels.withUnsafeMutableBufferPointer { labelBuffer in
            dataset.gather(split, indices: Array(0..<split.count)[...],
                           images: imageBuffer.baseAddress!, labels: labelBuffer.baseAddress!)
        }
    }
    return (images, labels)
}
