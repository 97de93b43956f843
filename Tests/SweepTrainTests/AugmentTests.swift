import Testing
import SweepConfig
import SweepData
import SweepEngine
@testable import SweepTrain

/// `augment`: flips and padded crops of training batches, drawn from the run's seed.
@Suite struct AugmentTests {
    static let data = try! loadDataset(DataOptions(name: .synthetic, trainPerClass: 4, testPerClass: 1, validationFraction: 0))

    /// A batch of the synthetic images, normalised as training sees them.
    static func batch(_ n: Int) -> Tensor {
        let t = Tensor(shape: [n] + data.shape)
        let labels = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        defer { labels.deallocate() }
        data.gather(data.train, indices: Array(0..<n)[...], images: t.data, labels: labels)
        return t
    }

    static func image(_ t: Tensor, _ b: Int) -> [[Float]] {
        let (h, w) = (data.shape[1], data.shape[2])
        return (0..<h).map { y in (0..<w).map { x in t.data[b * h * w + y * w + x] } }
    }

    @Test func flipMirrorsAboutHalfTheImagesAndNothingElse() {
        let original = Self.batch(40), flipped = Self.batch(40)
        Augment(.flip, data: Self.data, seed: 1)!.apply(flipped)
        var mirrored = 0
        for b in 0..<40 {
            let a = Self.image(original, b), f = Self.image(flipped, b)
            if f == a { continue }
            #expect(f == a.map { $0.reversed() }, "image \(b) is neither itself nor its mirror")
            mirrored += 1
        }
        #expect(mirrored > 8 && mirrored < 32, "\(mirrored) of 40 mirrored")
    }

    @Test func cropShiftsByAtMostTwoPixelsWithBlackBorders() {
        let original = Self.batch(20), cropped = Self.batch(20)
        Augment(.crop, data: Self.data, seed: 3)!.apply(cropped)
        let black = Self.data.black[0]
        var shifted = 0
        for b in 0..<20 {
            let a = Self.image(original, b), c = Self.image(cropped, b)
            // some offset in -2...2 on each axis explains every pixel
            let offsets = (-2...2).flatMap { dy in (-2...2).map { dx in (dy, dx) } }.filter { dy, dx in
                (0..<28).allSatisfy { y in (0..<28).allSatisfy { x in
                    let (sy, sx) = (y + dy, x + dx)
                    return c[y][x] == (sy >= 0 && sy < 28 && sx >= 0 && sx < 28 ? a[sy][sx] : black)
                } }
            }
            #expect(!offsets.isEmpty, "image \(b) is no padded crop of itself")
            if !offsets.contains(where: { $0 == (0, 0) }) { shifted += 1 }
        }
        #expect(shifted > 10, "\(shifted) of 20 moved")
    }

    /// The same configuration and seed give the same bits; augmentation changes the run;
    /// another seed draws other crops.
    @Test func runsStayBitIdentical() throws {
        func run(_ extra: [String]) throws -> String {
            let config = try TrainConfig(arguments: ["dataset=synthetic", "model=cnn", "train_per_class=6", "test_per_class=2",
                                                     "validation_fraction=0", "batch_size=10"] + extra)
            let result = try Trainer(config: config).run()
            return result.epochs.map { "\($0.trainLoss) \($0.testLoss)" }.joined(separator: ";")
        }
        let a = try run(["augment=flip+crop"]), b = try run(["augment=flip+crop"])
        #expect(a == b)
        #expect(a != (try run([])))
        #expect(a != (try run(["augment=flip+crop", "seed=2"])))
        #expect(try TrainConfig(arguments: ["augment=flip+crop"]).canonical.encoded.contains("\"augment\":\"flip+crop\""))
        #expect(!TrainConfig().canonical.encoded.contains("augment"))
    }
}
