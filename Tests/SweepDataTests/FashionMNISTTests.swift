import Foundation
import Testing
@testable import SweepData

private let debianFashionMNIST = "/usr/share/datasets/fashion-mnist"

@Suite struct FashionMNISTTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: debianFashionMNIST + "/train-images-idx3-ubyte.gz")))
    func loadsTheRealFiles() throws {
        let start = Date()
        let dataset = try loadDataset(DataOptions(name: .fashionMNIST, directory: debianFashionMNIST, validationFraction: 0))
        print("fashion-mnist: full load took \(Int(Date().timeIntervalSince(start) * 1000)) ms")
        #expect(dataset.shape == [1, 28, 28])
        #expect(dataset.train.count == 60000)
        #expect(dataset.test.count == 10000)
        #expect(dataset.train.pixels.count == 60000 * 784)
        for c in 0..<10 { #expect(dataset.train.labels.filter { $0 == c }.count == 6000) }
        // The published statistics of Fashion-MNIST's training set.
        #expect(abs(dataset.mean[0] - 0.2860) < 1e-3)
        #expect(abs(dataset.std[0] - 0.3530) < 1e-3)

        let split = try loadDataset(DataOptions(name: .fashionMNIST, directory: debianFashionMNIST))
        #expect(split.train.count == 54000)
        #expect(split.validation.count == 6000)
    }
}
