import Testing
@testable import SweepData

@Suite struct SubsetTests {
    /// 50 training images whose first pixel is their index, labels 0–4 uneven.
    static func writeNumbered(in directory: TemporaryDirectory) throws -> FakeSplit {
        var train = FakeSplit(count: 50, seed: 11)
        for i in 0..<50 { train.pixels[i * 784] = UInt8(i) }
        train.labels = (0..<50).map { UInt8($0 < 40 ? $0 % 4 : 4) }   // class 4 only at the end
        train.labels[3] = 9                                             // class 9 has one example
        try writeIDX(train: train, test: FakeSplit(count: 40, seed: 12), in: directory)
        return train
    }

    @Test func keepsTheFirstExamplesOfEachClassInFileOrder() throws {
        let directory = try TemporaryDirectory()
        let train = try Self.writeNumbered(in: directory)
        let dataset = try loadDataset(DataOptions(name: .mnist, directory: directory.path,
                                                  trainPerClass: 3, testPerClass: 2, validationFraction: 0))
        var seen: [UInt8: Int] = [:]
        var expected: [Int] = []
        for i in 0..<train.count where seen[train.labels[i], default: 0] < 3 {
            seen[train.labels[i], default: 0] += 1
            expected.append(i)
        }
        let kept = (0..<dataset.train.count).map { Int(dataset.train.pixels[$0 * 784]) }
        #expect(kept == expected)
        #expect(dataset.train.labels == expected.map { Int32(train.labels[$0]) })
        #expect(dataset.train.count == 5 * 3 + 1)   // classes 0–4 full, class 9 short
        #expect(dataset.test.count == 20)
        for c in 0..<10 { #expect(dataset.test.labels.filter { $0 == c }.count == 2) }
    }

    @Test func validationIsHeldOutOfTheSubsampledTrainingSet() throws {
        let directory = try TemporaryDirectory()
        _ = try Self.writeNumbered(in: directory)
        let options = DataOptions(name: .mnist, directory: directory.path, trainPerClass: 9, validationFraction: 0.25)
        let dataset = try loadDataset(options)
        let total = 4 * 9 + 1 + 9   // classes 0–3: 9 each (one of class 3 became 9), class 4: 9, class 9: 1
        #expect(dataset.train.count + dataset.validation.count == total)
        #expect(dataset.validation.count == Int((Double(total) * 0.25).rounded()))

        let trainIDs = (0..<dataset.train.count).map { dataset.train.pixels[$0 * 784] }
        let validationIDs = (0..<dataset.validation.count).map { dataset.validation.pixels[$0 * 784] }
        #expect(Set(trainIDs).isDisjoint(with: validationIDs))
        #expect(trainIDs == trainIDs.sorted(), "training examples keep file order")
        #expect(validationIDs == validationIDs.sorted())

        let again = try loadDataset(options)
        #expect(again.validation.pixels == dataset.validation.pixels, "the split does not change between loads")
    }

    @Test(arguments: [0.0, 0.1, 0.5, 0.9])
    func validationSizeIsTheRoundedFraction(fraction: Double) throws {
        let dataset = try loadDataset(DataOptions(name: .synthetic, trainPerClass: 7, testPerClass: 1,
                                                  validationFraction: fraction))
        let expected = Int((70 * fraction).rounded())
        #expect(dataset.validation.count == expected)
        #expect(dataset.train.count == 70 - expected)
        #expect(dataset.validation.pixels.count == expected * 784)
    }

    @Test func trainingSplitIsStandardisedByGather() throws {
        let directory = try TemporaryDirectory()
        try writeIDX(train: FakeSplit(count: 40, seed: 21), test: FakeSplit(count: 10, seed: 22), in: directory)
        let dataset = try loadDataset(DataOptions(name: .mnist, directory: directory.path, validationFraction: 0.2))

        // The statistics are those of the training split's pixels in [0, 1].
        let (pixelMean, pixelStd) = meanAndStd(dataset.train.pixels.map { Float($0) / 255 })
        #expect(abs(Double(dataset.mean[0]) - pixelMean) < 1e-6)
        #expect(abs(Double(dataset.std[0]) - pixelStd) < 1e-6)

        let (images, labels) = gatherAll(dataset, dataset.train)
        let (mean, std) = meanAndStd(images)
        #expect(abs(mean) < 1e-4)
        #expect(abs(std - 1) < 1e-3)
        #expect(labels == dataset.train.labels)
    }

    @Test func gatherFollowsTheIndices() throws {
        let dataset = try loadDataset(DataOptions(name: .synthetic, trainPerClass: 3, testPerClass: 1, validationFraction: 0))
        let indices = [5, 0, 29, 5]
        var images = [Float](repeating: 0, count: indices.count * 784)
        var labels = [Int32](repeating: -1, count: indices.count)
        dataset.gather(dataset.train, indices: indices[...], images: &images, labels: &labels)
        for (k, index) in indices.enumerated() {
            #expect(labels[k] == dataset.train.labels[index])
            for p in stride(from: 0, to: 784, by: 97) {
                let expected = (Float(dataset.train.pixels[index * 784 + p]) / 255 - dataset.mean[0]) / dataset.std[0]
                #expect(abs(images[k * 784 + p] - expected) < 1e-5)
            }
        }
    }

    @Test func constantImagesGetTheStdFloor() {
        let set = ImageSet(pixels: [UInt8](repeating: 7, count: 2 * 784), labels: [0, 1])
        let (mean, std) = channelStatistics(set, channels: 1)
        #expect(abs(mean[0] - 7 / 255) < 1e-7)
        #expect(std[0] == 1e-6)
    }
}
