import Synchronization
import SweepData

/// Datasets loaded once and shared (they are immutable): by a slot's tasks, by the
/// pictures of a report's networks.
public final class DatasetCache: Sendable {
    private let cache = Mutex<[String: Dataset]>([:])

    public init() {}

    public func dataset(_ o: DataOptions) throws -> Dataset {
        let key = "\(o.name.rawValue)|\(o.directory ?? "")|\(o.trainPerClass ?? -1)|\(o.testPerClass ?? -1)|\(o.validationFraction)"
        if let d = cache.withLock({ $0[key] }) { return d }
        let d = try loadDataset(o)
        cache.withLock { $0[key] = d }
        return d
    }
}
