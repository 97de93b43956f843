import SweepConfig
import SweepEngine

/// The safetensors format (huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of JSON header `{name: {"dtype", "shape",
/// "data_offsets": [begin, end]}, "__metadata__": {string: string}}`, then the
/// raw little-endian tensor bytes. Written here rather than through a package:
/// no maintained Swift package writes it without pulling in MLX or Core ML, and
/// the whole format is this header. Files load with `safetensors.numpy.load_file`
/// and `safetensors.torch.load_file`.
public enum Safetensors {
    public enum DType: String, Sendable {
        case f32 = "F32", i64 = "I64"
        var size: Int { self == .f32 ? 4 : 8 }
    }

    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        /// Little-endian element bytes, `shape.product × dtype.size` of them.
        public var bytes: [UInt8]

        public init(name: String, shape: [Int], floats: [Float]) {
            self.name = name
            dtype = .f32
            self.shape = shape
            bytes = floats.withUnsafeBytes { Array($0) }   // every platform Swift runs on is little-endian
        }

        public init(name: String, shape: [Int], int64s: [Int64]) {
            self.name = name
            dtype = .i64
            self.shape = shape
            bytes = int64s.withUnsafeBytes { Array($0) }
        }

        init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        public var floats: [Float] {
            precondition(dtype == .f32)
            return bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }

        public var int64s: [Int64] {
            precondition(dtype == .i64)
            return bytes.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }
        }
    }

    public struct FormatError: Error, CustomStringConvertible, Sendable {
        public let description: String
        init(_ d: String) { description = d }
    }

    /// Tensors in name order (as the Python package writes them), the header padded
    /// with spaces to a multiple of 8 bytes so that the data is aligned.
    public static func encode(_ tensors: [Tensor], metadata: [(String, String)] = []) -> [UInt8] {
        let sorted = tensors.sorted { $0.name < $1.name }
        var fields: [(String, JSON)] = []
        if !metadata.isEmpty { fields.append(("__metadata__", .object(metadata.map { ($0.0, .string($0.1)) }))) }
        var offset = 0
        for t in sorted {
            fields.append((t.name, .object([
                ("dtype", .string(t.dtype.rawValue)), ("shape", .array(t.shape.map(JSON.int))),
                ("data_offsets", .array([.int(offset), .int(offset + t.bytes.count)])),
            ])))
            offset += t.bytes.count
        }
        var header = Array(JSON.object(fields).encoded.utf8)
        while (8 + header.count) % 8 != 0 { header.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out += $0 }
        out += header
        for t in sorted { out += t.bytes }
        return out
    }

    /// Reads what `encode` (or the Python package) writes: tensors in header order and the metadata.
    public static func decode(_ bytes: [UInt8]) throws(FormatError) -> (tensors: [Tensor], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw FormatError("shorter than the 8-byte header length") }
        var n: UInt64 = 0
        for i in (0..<8).reversed() { n = n << 8 | UInt64(bytes[i]) }
        guard n <= UInt64(bytes.count - 8) else { throw FormatError("header length \(n) exceeds the file") }
        let dataStart = 8 + Int(n)
        let header: JSON
        do { header = try JSON.parse(Array(bytes[8..<dataStart])) } catch { throw FormatError("header: \(error)") }
        guard case .object(let fields) = header else { throw FormatError("header is not a JSON object") }
        var tensors: [Tensor] = []
        var metadata: [String: String] = [:]
        for (name, info) in fields {
            if name == "__metadata__" {
                if case .object(let m) = info { for (k, v) in m { metadata[k] = v.stringValue ?? v.encoded } }
                continue
            }
            guard let dtype = info["dtype"]?.stringValue.flatMap(DType.init(rawValue:)),
                  case .array(let shape)? = info["shape"], case .array(let range)? = info["data_offsets"],
                  range.count == 2, let begin = range[0].intValue, let end = range[1].intValue,
                  begin >= 0, begin <= end, dataStart + end <= bytes.count
            else { throw FormatError("tensor \(name): bad entry \(info.encoded)") }
            let dims = shape.compactMap(\.intValue)
            guard dims.reduce(1, *) * dtype.size == end - begin else { throw FormatError("tensor \(name): shape and size disagree") }
            tensors.append(Tensor(name: name, dtype: dtype, shape: dims,
                                  bytes: Array(bytes[(dataStart + begin)..<(dataStart + end)])))
        }
        return (tensors, metadata)
    }
}

extension Model {
    /// The model as PyTorch's `state_dict()` of the same modules: every parameter
    /// under its name, and for batchnorm its buffers running_mean, running_var and
    /// num_batches_tracked (`steps`, the training steps taken).
    func stateDict(steps: Int) -> [Safetensors.Tensor] {
        var tensors = params.refs.map { Safetensors.Tensor(name: $0.name, shape: $0.shape, floats: params.values(of: $0)) }
        for case let bn as BatchNorm in layers {
            let module = String(bn.weight.name.dropLast(".weight".count))
            tensors.append(.init(name: module + ".running_mean", shape: [bn.runningMean.count], floats: bn.runningMean))
            tensors.append(.init(name: module + ".running_var", shape: [bn.runningVar.count], floats: bn.runningVar))
            tensors.append(.init(name: module + ".num_batches_tracked", shape: [], int64s: [Int64(steps)]))
        }
        return tensors
    }
}

extension Model {
    /// Takes the values of `stateDict`'s tensors (as `stateDict(steps:)` writes them: every
    /// parameter by name, batchnorm's running statistics); nil, or the first name or shape
    /// that does not fit, as an error's text.
    public func load(stateDict tensors: [Safetensors.Tensor]) -> String? {
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for ref in params.refs {
            guard let t = byName[ref.name], t.dtype == .f32, t.shape == ref.shape else {
                return "no \(ref.name) of shape \(ref.shape) among the saved weights"
            }
            params.set(ref, t.floats)
        }
        for case let bn as BatchNorm in layers {
            let module = String(bn.weight.name.dropLast(".weight".count))
            guard let mean = byName[module + ".running_mean"], let variance = byName[module + ".running_var"],
                  mean.shape == [bn.runningMean.count], variance.shape == [bn.runningVar.count] else {
                return "no running statistics of \(module) among the saved weights"
            }
            bn.runningMean = mean.floats
            bn.runningVar = variance.floats
        }
        return nil
    }
}
