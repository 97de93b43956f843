import Testing
@testable import SweepData

@Suite struct IDXTests {
    @Test(arguments: [false, true])
    func roundTripKeepsPixelsAndLabels(gzipped: Bool) throws {
        let directory = try TemporaryDirectory()
        let train = FakeSplit(count: 30, seed: 1), test = FakeSplit(count: 12, seed: 2)
        let all: Set = [idxNames.trainImages, idxNames.trainLabels, idxNames.testImages, idxNames.testLabels]
        try writeIDX(train: train, test: test, in: directory, gzipped: gzipped ? all : [])

        let dataset = try loadDataset(DataOptions(name: .mnist, directory: directory.path, validationFraction: 0))
        #expect(dataset.shape == [1, 28, 28])
        #expect(dataset.classes == 10)
        #expect(dataset.directory == directory.path)
        #expect(dataset.train.pixels == train.pixels)
        #expect(dataset.train.labels == train.labels.map(Int32.init))
        #expect(dataset.test.pixels == test.pixels)
        #expect(dataset.test.labels == test.labels.map(Int32.init))
        #expect(dataset.validation.count == 0)
    }

    @Test func mixesRawAndGzippedFiles() throws {
        let directory = try TemporaryDirectory()
        let train = FakeSplit(count: 20, seed: 3), test = FakeSplit(count: 10, seed: 4)
        try writeIDX(train: train, test: test, in: directory, gzipped: [idxNames.trainImages, idxNames.testLabels])
        let dataset = try loadDataset(DataOptions(name: .fashionMNIST, directory: directory.path, validationFraction: 0))
        #expect(dataset.train.pixels == train.pixels)
        #expect(dataset.test.labels == test.labels.map(Int32.init))
    }

    @Test func readsConcatenatedGzipMembers() throws {
        let directory = try TemporaryDirectory()
        let bytes = randomBytes(100_000, seed: 5)
        try directory.write(Array(bytes[..<40_000]), to: "a")
        try directory.write(Array(bytes[40_000...]), to: "b")
        try gzip(directory.file("a"))
        try gzip(directory.file("b"))
        let joined = try readFile(directory.file("a.gz")) + readFile(directory.file("b.gz"))
        #expect(try gunzip(joined, path: "ab.gz") == bytes)
    }

    @Test func growsTheOutputBeyondTheSizeHint() throws {
        // The hint is the last member's size (1000 bytes); the first member inflates to 3 MB.
        let directory = try TemporaryDirectory()
        let zeros = [UInt8](repeating: 0, count: 3_000_000), tail = randomBytes(1000, seed: 6)
        try directory.write(zeros, to: "zeros")
        try directory.write(tail, to: "tail")
        try gzip(directory.file("zeros"))
        try gzip(directory.file("tail"))
        let joined = try readFile(directory.file("zeros.gz")) + readFile(directory.file("tail.gz"))
        #expect(try gunzip(joined, path: "joined.gz") == zeros + tail)
    }
}
