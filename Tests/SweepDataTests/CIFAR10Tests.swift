import SweepRandom
import Testing
@testable import SweepData

@Suite struct CIFAR10Tests {
    @Test(arguments: [nil, "cifar-10-batches-bin"])
    func roundTripInEitherLayout(subdirectory: String?) throws {
        let directory = try TemporaryDirectory()
        let (train, test) = try writeCIFAR(in: directory, subdirectory: subdirectory)

        let dataset = try loadDataset(DataOptions(name: .cifar10, directory: directory.path, validationFraction: 0))
        #expect(dataset.shape == [3, 32, 32])
        #expect(dataset.directory == subdirectory.map { directory.file($0) } ?? directory.path)
        #expect(dataset.train.count == 35)
        #expect(dataset.train.pixels == train.pixels)
        #expect(dataset.train.labels == train.labels.map(Int32.init))
        #expect(dataset.test.pixels == test.pixels)
        #expect(dataset.test.labels == test.labels.map(Int32.init))
    }

    @Test func normalisesEachChannelOnItsOwn() throws {
        let directory = try TemporaryDirectory()
        // Give the three planes different brightness so per-channel statistics differ.
        var records: [UInt8] = []
        var rng = SplitMix64(seed: 8)
        for i in 0..<20 {
            records.append(UInt8(i % 10))
            for c in 0..<3 {
                for _ in 0..<1024 { records.append(UInt8(c * 50 + rng.below(60 + 40 * c))) }
            }
        }
        for b in 1...5 { try directory.write(records, to: "data_batch_\(b).bin") }
        try directory.write(records, to: "test_batch.bin")

        let dataset = try loadDataset(DataOptions(name: .cifar10, directory: directory.path, validationFraction: 0))
        #expect(dataset.mean[0] < dataset.mean[1] && dataset.mean[1] < dataset.mean[2])
        let (images, _) = gatherAll(dataset, dataset.train)
        for c in 0..<3 {
            var values: [Float] = []
            for i in 0..<dataset.train.count {
                let start: Int = i * 3072 + c * 1024
                values += images[start..<(start + 1024)]
            }
            let (mean, std) = meanAndStd(values)
            #expect(abs(mean) < 1e-4, "channel \(c)")
            #expect(abs(std - 1) < 1e-3, "channel \(c)")
        }
    }
}

func meanAndStd(_ values: [Float]) -> (mean: Double, std: Double) {
    let n = Double(values.count)
    let mean = values.reduce(0.0) { $0 + Double($1) } / n
    let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
    return (mean, variance.squareRoot())
}
