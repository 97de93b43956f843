import Foundation
import SweepConfig
import Testing
@testable import SweepSpec

/// Every spec shipped in sweeps/ parses, expands to the expected tasks, and opens
/// with a comment saying what it answers and how long it takes.
@Suite struct SweepsDirectoryTests {
    static let expectedCounts = [
        "quickstart.yaml": 15,
        "fashion-rnn-cells.yaml": 180,
        "fashion-lenet5-optimizers.yaml": 24,
        "cifar10-lenet5-optimizers.yaml": 24,
        "fashion-hw4-blocks.yaml": 12,
        "cifar10-hw4-blocks.yaml": 12,
        "fashion-own-architectures.yaml": 8,
    ]

    static func specs() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: sweepsDirectory(), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" || $0.pathExtension == "yml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test func everySpecParsesAndExpands() throws {
        let files = try Self.specs()
        #expect(Set(files.map(\.lastPathComponent)).isSuperset(of: Self.expectedCounts.keys))
        for file in files {
            let spec = try SweepSpec.load(path: file.path)
            let tasks = try spec.expand()
            #expect(spec.notes.isEmpty, "\(file.lastPathComponent): \(spec.notes)")
            #expect(spec.name == file.deletingPathExtension().lastPathComponent)
            if let count = Self.expectedCounts[file.lastPathComponent] {
                #expect(tasks.count == count, "\(file.lastPathComponent)")
            }
            #expect(Set(tasks.map(\.id)).count == tasks.count)
            // Opens with a comment: the question and the time it takes on N cores.
            #expect(spec.source.hasPrefix("#"), "\(file.lastPathComponent)")
            let header = spec.source.split(separator: "\n").prefix { $0.hasPrefix("#") }.joined(separator: " ")
            #expect(header.contains("core"), "\(file.lastPathComponent) does not say how long it takes")
        }
    }

    @Test func quickstartMixesCellsAndOptimizers() throws {
        let tasks = try SweepSpec.load(path: sweepsDirectory().appendingPathComponent("quickstart.yaml").path).expand()
        #expect(Set(tasks.map(\.config.cell)) == [.rnn, .lstm, .gru])
        #expect(Set(tasks.map(\.config.optimizer)).count == 5)
        #expect(tasks.allSatisfy { $0.config.trainPerClass != nil && $0.config.model == .rnn })
        #expect(tasks.filter { $0.config.optimizer == .adam }.allSatisfy { $0.config.learningRate == 0.001 })
        #expect(tasks.filter { $0.config.optimizer == .sgd }.allSatisfy { $0.config.learningRate == 0.05 })
    }

    @Test func rnnStudySetsMomentumOnlyForMomentum() throws {
        let tasks = try SweepSpec.load(path: sweepsDirectory().appendingPathComponent("fashion-rnn-cells.yaml").path).expand()
        #expect(tasks.allSatisfy { ($0.config.momentum != nil) == ($0.config.optimizer == .momentum) })
        #expect(Set(tasks.map(\.config.hidden)) == [16, 32, 64, 128])
        #expect(tasks.allSatisfy { $0.config.epochs == 10 && $0.config.batchSize == 32 })
    }

    @Test func cnnStudiesFollowTheSeeds() throws {
        for name in ["fashion-lenet5-optimizers.yaml", "cifar10-lenet5-optimizers.yaml"] {
            let tasks = try SweepSpec.load(path: sweepsDirectory().appendingPathComponent(name).path).expand()
            #expect(Set(tasks.map(\.config.learningRate)) == [0.1, 0.01, 0.001, 0.0001])
            #expect(tasks.allSatisfy { $0.config.model == .lenet5 && $0.config.batchSize == 50
                && $0.config.initScheme == .truncatedNormal && $0.config.resolvedDropout == 0.5 })
        }
        let cifar = try SweepSpec.load(path: sweepsDirectory().appendingPathComponent("cifar10-lenet5-optimizers.yaml").path).expand()
        #expect(cifar.allSatisfy { $0.config.dataset == "cifar10" && $0.config.trainPerClass == 500 && $0.config.testPerClass == 88 })
    }

    @Test func homework4StudiesCrossBlocksAugmentationAndRMSprop() throws {
        for name in ["fashion-hw4-blocks.yaml", "cifar10-hw4-blocks.yaml"] {
            let tasks = try SweepSpec.load(path: sweepsDirectory().appendingPathComponent(name).path).expand()
            #expect(Set(tasks.map(\.config.model)) == [.cnn, .inception, .resnet], "\(name)")
            #expect(Set(tasks.map(\.config.augment)) == [.none, .flipCrop], "\(name)")
            #expect(Set(tasks.map(\.config.learningRate)) == [1e-4, 1e-3], "\(name)")
            #expect(tasks.allSatisfy { $0.config.optimizer == .rmsprop && $0.config.architecture == nil }, "\(name)")
        }
        let cifar = try SweepSpec.load(path: sweepsDirectory().appendingPathComponent("cifar10-hw4-blocks.yaml").path).expand()
        #expect(cifar.allSatisfy { $0.config.dataset == "cifar10" && $0.config.trainPerClass == nil && $0.config.epochs == 50 })
        let fashion = try SweepSpec.load(path: sweepsDirectory().appendingPathComponent("fashion-hw4-blocks.yaml").path).expand()
        #expect(fashion.allSatisfy { $0.config.dataset == "fashion-mnist" && $0.config.trainPerClass == 200 })
    }

    @Test func ownArchitecturesSweepTwoLines() throws {
        let tasks = try SweepSpec.load(path: sweepsDirectory().appendingPathComponent("fashion-own-architectures.yaml").path).expand()
        let lines = Set(tasks.compactMap(\.config.architecture))
        #expect(lines.count == 2)
        #expect(lines.contains { $0.contains("residual[") } && lines.contains { $0.contains("concat[") })
        #expect(tasks.allSatisfy { $0.config.architecture != nil })
    }
}
