import SweepConfig
import SweepEngine

/// A run stopped after an epoch, to go on later (population-based training trains
/// `pbt.interval` epochs at a time): one safetensors file holding the network as
/// `stateDict` writes it (so it loads wherever trained weights load), the optimizer's
/// state as `optimizer.first` and `optimizer.second` (flat, in parameter order: Adam's
/// exp_avg and exp_avg_sq, SGD's momentum buffer, …), and in its metadata the epoch
/// reached, the training steps taken, the optimizer's step count and NAdam's μ product
/// (as the bits of a float32, in hex).
///
/// The shuffle is not stored: each epoch's order is the run's shuffle generator drawn
/// once per epoch, so a run resumed at epoch e draws the e orders before it again and
/// goes on with the order an uninterrupted run would have used. The generators of
/// dropout and augmentation start from the seed again at each resume: a resumed run is
/// deterministic (same checkpoint and configuration, same bits), but with dropout or
/// augment it is not the uninterrupted run.
public struct Checkpoint: Sendable {
    /// The epochs trained.
    public var epoch: Int
    /// Training steps taken (batchnorm's num_batches_tracked).
    public var steps: Int
    public var network: [Safetensors.Tensor]
    public var optimizer: Optimizer.State
    /// Metadata besides the fields above (e.g. `pbt.started_from`).
    public var metadata: [(String, String)] = []

    public init(epoch: Int, steps: Int, network: [Safetensors.Tensor], optimizer: Optimizer.State,
                metadata: [(String, String)] = []) {
        self.epoch = epoch
        self.steps = steps
        self.network = network
        self.optimizer = optimizer
        self.metadata = metadata
    }

    static let firstName = "optimizer.first", secondName = "optimizer.second"

    /// The tensors of the file: the network's and the optimizer's.
    public var tensors: [Safetensors.Tensor] {
        var all = network
        if let first = optimizer.first { all.append(.init(name: Self.firstName, shape: [first.count], floats: first)) }
        if let second = optimizer.second { all.append(.init(name: Self.secondName, shape: [second.count], floats: second)) }
        return all
    }

    public func encoded() -> [UInt8] {
        Safetensors.encode(tensors, metadata: [
            ("checkpoint.epoch", String(epoch)), ("checkpoint.steps", String(steps)),
            ("optimizer.step", String(optimizer.steps)),
            ("optimizer.mu_product", String(optimizer.muProduct.bitPattern, radix: 16)),
        ] + metadata)
    }

    public init(decoding bytes: [UInt8]) throws {
        let (tensors, metadata) = try Safetensors.decode(bytes)
        guard let epoch = metadata["checkpoint.epoch"].flatMap(Int.init), let steps = metadata["checkpoint.steps"].flatMap(Int.init),
              let optimizerSteps = metadata["optimizer.step"].flatMap(Int.init),
              let mu = metadata["optimizer.mu_product"].flatMap({ UInt32($0, radix: 16) }) else {
            throw ConfigError("checkpoint: its metadata lacks checkpoint.epoch, checkpoint.steps or the optimizer's step")
        }
        let first = tensors.first { $0.name == Self.firstName }, second = tensors.first { $0.name == Self.secondName }
        self.init(epoch: epoch, steps: steps,
                  network: tensors.filter { $0.name != Self.firstName && $0.name != Self.secondName },
                  optimizer: Optimizer.State(steps: optimizerSteps, first: first?.floats, second: second?.floats,
                                             muProduct: Float(bitPattern: mu)),
                  metadata: metadata.filter { !$0.key.hasPrefix("checkpoint.") && !$0.key.hasPrefix("optimizer.") }
                      .sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// FNV-1a over every tensor's name and bytes in name order (the state, not the file's
    /// header or metadata): two checkpoints with equal digests hold the same network and
    /// optimizer state bit for bit.
    public static func stateDigest(_ tensors: [Safetensors.Tensor]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for t in tensors.sorted(by: { $0.name < $1.name }) {
            for b in t.name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            for b in t.bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        return h
    }

    /// The file's state digest (`stateDigest`), read from a file `encoded` wrote.
    public static func stateDigest(ofFile bytes: [UInt8]) throws -> UInt64 {
        stateDigest(try Safetensors.decode(bytes).tensors)
    }
}

/// Which epochs a run trains: `from`+1 through `to`, from `checkpoint` (nil: from the
/// start, `from` is then 0). The run then ends with its checkpoint (`RunResult.checkpoint`).
public struct TrainingInterval: Sendable {
    public var from: Int
    public var to: Int
    public var checkpoint: [UInt8]?

    public init(from: Int, to: Int, checkpoint: [UInt8]?) {
        self.from = from
        self.to = to
        self.checkpoint = checkpoint
    }
}
