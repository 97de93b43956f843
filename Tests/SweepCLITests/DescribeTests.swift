import Foundation
import Testing
import TestSupport

/// `sweep describe`: one row per layer with its name, output shape and parameters, and the
/// total, which for the homework-4 networks is PyTorch's.
@Suite struct DescribeTests {
    @Test(arguments: [("cnn", "cifar10", 2_168_362), ("inception", "cifar10", 6_510_378), ("resnet", "cifar10", 825_194),
                      ("cnn", "fashion-mnist", 1_676_266), ("inception", "fashion-mnist", 5_035_242), ("resnet", "fashion-mnist", 595_242)])
    func presetsCountAsPyTorchDoes(_ model: String, _ dataset: String, _ total: Int) throws {
        let r = try runSweep(["describe", "--format", "json", "model=\(model)", "dataset=\(dataset)"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["parameters"] as? Int == total)
        let layers = try #require(json["layers"] as? [[String: Any]])
        #expect(layers.reduce(0) { $0 + ($1["parameters"] as? Int ?? 0) } == total)
        #expect(layers.first?["name"] as? String == "features.0" && layers.last?["name"] as? String == "head.4")
        #expect(layers.last?["output_shape"] as? [Int] == [10])
        // the line it shows builds the same network
        let line = try #require(json["architecture"] as? String)
        let again = try runSweep(["describe", "--format", "json", "architecture=\(line)", "dataset=\(dataset)"])
        let j2 = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        #expect(j2["parameters"] as? Int == total)
    }

    @Test func theTableReadsLikeTorchinfo() throws {
        let r = try runSweep(["describe", "model=resnet", "dataset=cifar10"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("architecture: conv(32, 3) relu conv(32, 3) relu maxpool(2)"))
        #expect(lines.contains { $0.hasPrefix("block.0.conv1 (conv2d)") && $0.contains("[128, 8, 8]") && $0.hasSuffix("73,856") })
        #expect(lines.contains { $0.hasPrefix("block.0 (add)") })
        #expect(lines.last == "Total params: 825,194")
    }

    @Test(arguments: [
        ("architecture=conv(8, 3) residual[conv(16, 3)] flatten dense(classes)",
         "sweep: architecture: residual at position 12: its block gives [16, 28, 28] but its input is [8, 28, 28]; they must agree"),
        ("architecture=conv(8, 3) concat[relu | maxpool(2)] flatten dense(classes)",
         "sweep: architecture: concat at position 12: its branches give [8, 28, 28], [8, 14, 14]; all but the channels must agree"),
        ("architecture=conv(8, 3) residual[relu", "sweep: architecture: '[' at position 20 is never closed"),
        ("architecture=conv(8) flatten dense(classes)",
         "sweep: architecture: conv takes 2 to 4 argument(s), got 1: conv(C, K[, S[, valid]]) at position 1"),
        ("architecture=conv(8, 3) flatten dense(7)",
         "sweep: architecture: the network ends with shape [7], not the 10 outputs of its classes; end it with dense(classes)"),
        ("architecture=lstm(hidden) pool", "sweep: architecture: unknown layer 'pool' at position 14"),
    ]) func badLinesExitTwoWithOneLine(_ setting: String, _ message: String) throws {
        let r = try runSweep(["describe", setting])
        #expect(r.status == 2)
        #expect(r.stderr == message + "\n")
    }
}
