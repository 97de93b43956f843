import Foundation
import Testing
@testable import SweepData

/// Every problem with the files is a one-line DataError naming the file.
@Suite struct ErrorTests {
    let directory: TemporaryDirectory
    let train = FakeSplit(count: 20, seed: 31)
    let test = FakeSplit(count: 10, seed: 32)

    init() throws { directory = try TemporaryDirectory() }

    func loadMNIST() -> String? {
        dataErrorMessage { try loadDataset(DataOptions(name: .mnist, directory: directory.path)) }
    }

    func expectMessage(_ message: String?, names file: String, says problem: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(message?.hasPrefix("data: ") == true, "\(message ?? "no error")", sourceLocation: sourceLocation)
        #expect(message?.contains(file) == true, "\(message ?? "no error") should name \(file)", sourceLocation: sourceLocation)
        #expect(message?.contains(problem) == true, "\(message ?? "no error") should say \(problem)", sourceLocation: sourceLocation)
        #expect(message?.contains("\n") == false, sourceLocation: sourceLocation)
    }

    @Test func missingFile() throws {
        try writeIDX(train: train, test: test, in: directory)
        try FileManager.default.removeItem(atPath: directory.file(idxNames.testLabels))
        expectMessage(loadMNIST(), names: directory.file(idxNames.testLabels), says: "missing (looked in: \(directory.path))")
    }

    @Test func missingEverywhere() {
        let message = dataErrorMessage { try loadDataset(DataOptions(name: .cifar10, directory: directory.path)) }
        expectMessage(message, names: "data_batch_1.bin", says: "missing (looked in: \(directory.path), \(directory.path)/cifar-10-batches-bin)")
    }

    @Test func truncatedImages() throws {
        try writeIDX(train: train, test: test, in: directory)
        try directory.write(idxImages(count: 20, rows: 28, columns: 28, pixels: Array(train.pixels.dropLast(5))),
                            to: idxNames.trainImages)
        expectMessage(loadMNIST(), names: directory.file(idxNames.trainImages),
                      says: "truncated: header says 20 images of 28×28 but file has \(20 * 784 - 5) bytes of pixels")
    }

    @Test func truncatedHeader() throws {
        try writeIDX(train: train, test: test, in: directory)
        try directory.write(Array(idxImages(count: 20, rows: 28, columns: 28, pixels: []).prefix(10)), to: idxNames.testImages)
        expectMessage(loadMNIST(), names: directory.file(idxNames.testImages), says: "truncated")
    }

    @Test func truncatedLabels() throws {
        try writeIDX(train: train, test: test, in: directory)
        try directory.write(idxLabels(Array(test.labels.dropLast()), count: test.count), to: idxNames.testLabels)
        expectMessage(loadMNIST(), names: directory.file(idxNames.testLabels), says: "truncated")
    }

    @Test func wrongMagic() throws {
        try writeIDX(train: train, test: test, in: directory)
        try directory.write(idxImages(count: 20, rows: 28, columns: 28, pixels: train.pixels, magic: 0x801),
                            to: idxNames.trainImages)
        try gzip(directory.file(idxNames.trainImages))
        expectMessage(loadMNIST(), names: directory.file(idxNames.trainImages + ".gz"),
                      says: "bad magic number 0x00000801 (expected 0x00000803)")
    }

    @Test func labelsFileInPlaceOfImages() throws {
        try writeIDX(train: train, test: test, in: directory)
        try directory.write(idxLabels(train.labels), to: idxNames.trainLabels.replacingOccurrences(of: "labels-idx1", with: "images-idx3"))
        expectMessage(loadMNIST(), names: directory.file(idxNames.trainImages), says: "bad magic number")
    }

    @Test func imageAndLabelCountsDisagree() throws {
        try writeIDX(train: train, test: test, in: directory)
        try directory.write(idxLabels(Array(train.labels.dropLast())), to: idxNames.trainLabels)
        expectMessage(loadMNIST(), names: directory.file(idxNames.trainLabels), says: "20 images but 19 labels")
    }

    @Test func testImagesOfAnotherSize() throws {
        try writeIDX(train: train, test: test, in: directory)
        try directory.write(idxImages(count: 10, rows: 14, columns: 56, pixels: test.pixels), to: idxNames.testImages)
        expectMessage(loadMNIST(), names: directory.file(idxNames.testImages), says: "14×56")
    }

    @Test func corruptGzip() throws {
        try writeIDX(train: train, test: test, in: directory)
        try gzip(directory.file(idxNames.trainImages))
        var bytes = try readFile(directory.file(idxNames.trainImages + ".gz"))
        for i in 20..<60 { bytes[i] ^= 0x5A }
        try directory.write(bytes, to: idxNames.trainImages + ".gz")
        expectMessage(loadMNIST(), names: directory.file(idxNames.trainImages + ".gz"), says: "corrupt gzip data")
    }

    @Test func truncatedGzip() throws {
        try writeIDX(train: train, test: test, in: directory)
        try gzip(directory.file(idxNames.testImages))
        let bytes = try readFile(directory.file(idxNames.testImages + ".gz"))
        try directory.write(Array(bytes.prefix(bytes.count / 2)), to: idxNames.testImages + ".gz")
        expectMessage(loadMNIST(), names: directory.file(idxNames.testImages + ".gz"), says: "corrupt gzip data")
    }

    @Test func notGzipAtAll() throws {
        try writeIDX(train: train, test: test, in: directory)
        try FileManager.default.moveItem(atPath: directory.file(idxNames.trainLabels), toPath: directory.file(idxNames.trainLabels + ".gz"))
        expectMessage(loadMNIST(), names: directory.file(idxNames.trainLabels + ".gz"), says: "corrupt gzip data")
    }

    @Test func emptyGzip() throws {
        try writeIDX(train: train, test: test, in: directory)
        try FileManager.default.removeItem(atPath: directory.file(idxNames.trainLabels))
        try directory.write([], to: idxNames.trainLabels + ".gz")
        expectMessage(loadMNIST(), names: directory.file(idxNames.trainLabels + ".gz"), says: "corrupt gzip data")
    }

    @Test func labelOutOfRange() throws {
        var labels = train.labels
        labels[13] = 10
        try writeIDX(train: train, test: test, in: directory)
        try directory.write(idxLabels(labels), to: idxNames.trainLabels)
        expectMessage(loadMNIST(), names: directory.file(idxNames.trainLabels), says: "label 10 at index 13 is out of range")
    }

    @Test func cifarLengthNotAMultipleOfTheRecord() throws {
        try writeCIFAR(in: directory)
        try directory.write(randomBytes(3073 * 2 + 100, seed: 3), to: "data_batch_3.bin")
        let message = dataErrorMessage { try loadDataset(DataOptions(name: .cifar10, directory: directory.path)) }
        expectMessage(message, names: directory.file("data_batch_3.bin"), says: "not a multiple of the 3073-byte record")
    }

    @Test func cifarLabelOutOfRange() throws {
        try writeCIFAR(in: directory, subdirectory: "cifar-10-batches-bin")
        var records = try readFile(directory.file("cifar-10-batches-bin/test_batch.bin"))
        records[3073 * 2] = 200
        try directory.write(records, to: "cifar-10-batches-bin/test_batch.bin")
        let message = dataErrorMessage { try loadDataset(DataOptions(name: .cifar10, directory: directory.path)) }
        expectMessage(message, names: directory.file("cifar-10-batches-bin/test_batch.bin"), says: "label 200 of record 2 is out of range")
    }

    @Test func unreadableDirectoryEntry() throws {
        try writeIDX(train: train, test: test, in: directory)
        try FileManager.default.removeItem(atPath: directory.file(idxNames.testImages))
        try FileManager.default.createDirectory(atPath: directory.file(idxNames.testImages), withIntermediateDirectories: false)
        expectMessage(loadMNIST(), names: directory.file(idxNames.testImages), says: "missing")
    }

    @Test(arguments: [-0.1, 1.0, 1.5, Double.nan])
    func validationFractionOutOfRange(fraction: Double) {
        let message = dataErrorMessage { try loadDataset(DataOptions(name: .synthetic, validationFraction: fraction)) }
        expectMessage(message, names: "validation_fraction", says: "[0, 1)")
    }

    @Test func perClassBelowOne() {
        let message = dataErrorMessage { try loadDataset(DataOptions(name: .synthetic, testPerClass: 0)) }
        expectMessage(message, names: "test_per_class", says: "at least 1")
    }

    @Test func nothingLeftToTrainOn() {
        let message = dataErrorMessage { try loadDataset(DataOptions(name: .synthetic, trainPerClass: 1, validationFraction: 0.99)) }
        expectMessage(message, names: "synthetic", says: "no training examples")
    }
}
