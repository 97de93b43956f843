import Foundation
import Testing
import TestSupport

/// `sweep describe` and the architecture language, end to end: the line a preset shows
/// builds the same network layer for layer, and bad lines stop with exit code 2 and one
/// line naming the token and its position, or the layer and both shapes.
@Suite struct DescribeRoundTripTests {
    struct Row: Equatable, CustomStringConvertible {
        var kind: String, shape: [Int], parameters: Int
        var description: String { "\(kind) \(shape) \(parameters)" }
    }

    /// The line and the rows of `sweep describe --format json SETTINGS`.
    func describe(_ settings: [String]) throws -> (line: String?, rows: [Row], names: [String], total: Int) {
        let r = try runSweep(["describe", "--format", "json"] + settings)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let layers = try #require(json["layers"] as? [[String: Any]])
        let rows = layers.map { Row(kind: $0["kind"] as? String ?? "?", shape: $0["output_shape"] as? [Int] ?? [],
                                    parameters: $0["parameters"] as? Int ?? -1) }
        return (json["architecture"] as? String, rows, layers.map { $0["name"] as? String ?? "?" }, json["parameters"] as? Int ?? -1)
    }

    /// The preset and its line give the same kinds, shapes and parameters in the same order;
    /// only the names differ (the preset's are hw4_models.py's). The line is shown as the
    /// table shows it, and a second round gives the same line.
    @Test(arguments: [("cnn", "fashion-mnist"), ("cnn", "cifar10"), ("inception", "fashion-mnist"), ("inception", "cifar10"),
                      ("resnet", "fashion-mnist"), ("resnet", "cifar10")])
    func presetsRoundTripThroughTheirLines(_ model: String, _ dataset: String) throws {
        let preset = try describe(["model=\(model)", "dataset=\(dataset)"])
        let line = try #require(preset.line)
        let again = try describe(["architecture=\(line)", "dataset=\(dataset)"])
        #expect(again.rows == preset.rows)
        #expect(again.total == preset.total)
        #expect(again.line == line)
        #expect(preset.names.first == "features.0" && again.names.first == "net.0")
        #expect(preset.rows.filter { $0.kind == "relu" }.count == preset.rows.filter { $0.kind == "conv2d" }.count + 1,
                "every conv and the hidden dense of the homework nets is followed by a relu: \(preset.rows)")
        let table = try runSweep(["describe", "model=\(model)", "dataset=\(dataset)"])
        #expect(table.stdout.split(separator: "\n").first.map(String.init) == "architecture: \(line)")
    }

    /// mlp, lenet5 and rnn read their keys into their lines: given back with the keys the
    /// line names (hidden, dropout), the line builds the same network, layer for layer.
    @Test(arguments: [
        (["model=mlp", "layers=2", "hidden=64", "dropout=0.1", "batchnorm=true"], ["hidden=64", "dropout=0.1"]),
        (["model=lenet5"], ["dropout=0.5"]),
        (["model=lenet5", "batchnorm=true", "dataset=cifar10"], ["dropout=0.5", "dataset=cifar10"]),
        (["model=rnn", "cell=gru", "layers=2", "dropout=0.2", "hidden=32", "batchnorm=true", "dataset=cifar10"],
         ["hidden=32", "dropout=0.2", "dataset=cifar10"]),
        (["model=rnn"], []),
    ])
    func presetsWithKeysRoundTripThroughTheirLines(_ settings: [String], _ keys: [String]) throws {
        let preset = try describe(settings)
        let line = try #require(preset.line)
        let again = try describe(["architecture=\(line)"] + keys)
        #expect(again.rows == preset.rows, "\(line)")
        #expect(again.total == preset.total)
        #expect(again.line == line)
        #expect(preset.rows.last == Row(kind: "dense", shape: [10], parameters: preset.rows.last?.parameters ?? -1))
    }

    @Test(arguments: [
        ("architecture=dense(classes", "sweep: architecture: '(' at position 6 is never closed"),
        ("architecture=concat[relu | residual[relu] flatten dense(classes)", "sweep: architecture: '[' at position 7 is never closed"),
        ("architecture=  conv(8, 3) flaten dense(classes)", "sweep: architecture: unknown layer 'flaten' at position 14"),
        ("architecture=conv(8, 3) maxpool(2, 2, 2) flatten dense(classes)",
         "sweep: architecture: maxpool takes 1 to 2 argument(s), got 3: maxpool(K[, S]) at position 12"),
        ("architecture=globalavgpool(1) flatten dense(classes)",
         "sweep: architecture: globalavgpool takes 0 argument(s), got 1: globalavgpool at position 1"),
        ("architecture=conv(4, 3) residual[conv(4, 3, 2)] flatten dense(classes)",
         "sweep: architecture: residual at position 12: its block gives [4, 14, 14] but its input is [4, 28, 28]; they must agree"),
        ("architecture=conv(4, 3) concat[relu | flatten] flatten dense(classes)",
         "sweep: architecture: concat at position 12: its branches give [4, 28, 28], [3136]; all but the channels must agree"),
        ("architecture=conv(4, 3) concat[maxpool(3, 1) | avgpool(3, 2)] flatten dense(classes)",
         "sweep: architecture: concat at position 12: its branches give [4, 28, 28], [4, 13, 13]; all but the channels must agree"),
        ("architecture=conv(4, 3) globalavgpool", 
         "sweep: architecture: the network ends with shape [4, 1, 1], not the 10 outputs of its classes; end it with dense(classes)"),
    ]) func badLinesExitTwoWithOneLine(_ setting: String, _ message: String) throws {
        for command in ["describe", "train"] {
            let r = try runSweep([command, setting, "dataset=synthetic"])
            #expect(r.status == 2, "\(command)")
            #expect(r.stderr == message + "\n", "\(command)")
            #expect(r.stdout.isEmpty, "\(command)")
        }
    }
}
