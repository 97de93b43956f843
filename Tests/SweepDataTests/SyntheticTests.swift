import Testing
@testable import SweepData

@Suite struct SyntheticTests {
    @Test func defaultSizesAndShape() throws {
        let dataset = try loadDataset(DataOptions(name: .synthetic, validationFraction: 0))
        #expect(dataset.shape == [1, 28, 28])
        #expect(dataset.classes == 10)
        #expect(dataset.directory == nil)
        #expect(dataset.train.count == 6000)
        #expect(dataset.test.count == 1000)
        #expect(dataset.train.pixels.count == 6000 * 784)
        for c in 0..<10 { #expect(dataset.train.labels.filter { $0 == c }.count == 600) }
    }

    @Test func deterministicAndPrefixStable() throws {
        let big = try loadDataset(DataOptions(name: .synthetic, trainPerClass: 20, testPerClass: 5, validationFraction: 0))
        let again = try loadDataset(DataOptions(name: .synthetic, trainPerClass: 20, testPerClass: 5, validationFraction: 0))
        let small = try loadDataset(DataOptions(name: .synthetic, trainPerClass: 4, testPerClass: 5, validationFraction: 0))
        #expect(big.train.pixels == again.train.pixels)
        #expect(big.test.pixels == again.test.pixels)
        #expect(small.train.pixels[...] == big.train.pixels.prefix(40 * 784))
        #expect(big.train.pixels.prefix(784 * 5) != big.test.pixels.prefix(784 * 5), "train and test differ")
    }

    /// A nearest-class-mean classifier stands in for "a small MLP": the data must be
    /// learnable from the training split but not trivially separable.
    @Test func learnableButNotTrivial() throws {
        let dataset = try loadDataset(DataOptions(name: .synthetic, validationFraction: 0))
        var centroids = [[Double]](repeating: [Double](repeating: 0, count: 784), count: 10)
        var counts = [Double](repeating: 0, count: 10)
        for i in 0..<dataset.train.count {
            let c = Int(dataset.train.labels[i])
            counts[c] += 1
            for p in 0..<784 { centroids[c][p] += Double(dataset.train.pixels[i * 784 + p]) }
        }
        for c in 0..<10 { centroids[c] = centroids[c].map { $0 / counts[c] } }
        var correct = 0
        for i in 0..<dataset.test.count {
            let distances = centroids.map { centroid in
                (0..<784).reduce(0.0) { sum, p in
                    let d = Double(dataset.test.pixels[i * 784 + p]) - centroid[p]
                    return sum + d * d
                }
            }
            if distances.firstIndex(of: distances.min()!) == Int(dataset.test.labels[i]) { correct += 1 }
        }
        let accuracy = Double(correct) / Double(dataset.test.count)
        print("synthetic: nearest-class-mean test accuracy \(accuracy)")
        #expect(accuracy > 0.5)
        #expect(accuracy < 0.98)
    }
}
