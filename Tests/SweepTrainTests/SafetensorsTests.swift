import Testing
import SweepConfig
@testable import SweepTrain

@Suite struct SafetensorsTests {
    /// The layout of the format: 8-byte little-endian header size, JSON header padded to
    /// 8 bytes, tensors in name order, offsets relative to the data.
    @Test func encodesTheDocumentedLayoutAndReadsItBack() throws {
        let tensors = [
            Safetensors.Tensor(name: "b", shape: [2], floats: [1.5, -2]),
            Safetensors.Tensor(name: "a", shape: [], int64s: [7]),
        ]
        let file = Safetensors.encode(tensors, metadata: [("task_id", "t")])
        let n = file.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect((8 + n) % 8 == 0)
        let header = try JSON.parse(Array(file[8..<(8 + n)]))
        #expect(header["a"]?["data_offsets"] == .array([.int(0), .int(8)]))
        #expect(header["b"]?["data_offsets"] == .array([.int(8), .int(16)]))
        #expect(header["b"]?["dtype"] == .string("F32") && header["a"]?["dtype"] == .string("I64"))
        #expect(header["__metadata__"]?["task_id"] == .string("t"))
        #expect(file.count == 8 + n + 16)
        let (back, metadata) = try Safetensors.decode(file)
        #expect(back.map(\.name) == ["a", "b"])
        #expect(back[0].int64s == [7] && back[1].floats == [1.5, -2] && back[1].shape == [2])
        #expect(metadata == ["task_id": "t"])
        #expect(throws: Safetensors.FormatError.self) { try Safetensors.decode(Array(file.prefix(20))) }
    }

    /// The state dict of the rnn model with batchnorm has PyTorch's names and shapes.
    @Test func stateDictNamesFollowPyTorch() throws {
        let config = try TrainConfig(arguments: ["model=rnn", "cell=gru", "hidden=8", "layers=2", "batchnorm=true"])
        let model = try Models.make(config, inputShape: [1, 28, 28], classes: 10)
        let dict = model.stateDict(steps: 42)
        let shapes = Dictionary(uniqueKeysWithValues: dict.map { ($0.name, $0.shape) })
        #expect(shapes == [
            "rnn.weight_ih_l0": [24, 28], "rnn.weight_hh_l0": [24, 8], "rnn.bias_ih_l0": [24], "rnn.bias_hh_l0": [24],
            "rnn.weight_ih_l1": [24, 8], "rnn.weight_hh_l1": [24, 8], "rnn.bias_ih_l1": [24], "rnn.bias_hh_l1": [24],
            "bn.weight": [8], "bn.bias": [8], "bn.running_mean": [8], "bn.running_var": [8], "bn.num_batches_tracked": [],
            "fc.weight": [10, 8], "fc.bias": [10],
        ])
        #expect(dict.first { $0.name == "bn.num_batches_tracked" }?.int64s == [42])
        #expect(dict.first { $0.name == "bn.running_var" }?.floats == Array(repeating: 1, count: 8))
    }
}
