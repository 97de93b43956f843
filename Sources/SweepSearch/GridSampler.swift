import SweepSpec

/// `method: grid` behind the same API: the tasks of `SweepSpec.expand()`, in order,
/// each proposed once (those known already, e.g. after a restart, are passed over).
public struct GridSampler: Sampler {
    public let spec: SweepSpec
    public var history = TaskHistory()
    private let grid: [SweepTask]
    private var next = 0

    public init(spec: SweepSpec) throws {
        self.spec = spec
        grid = try spec.expand()
    }

    public mutating func propose() throws -> SweepTask? {
        while next < grid.count {
            let task = grid[next]
            next += 1
            if !history.contains(taskID: task.id) { return history.add(task.config) }
        }
        return nil
    }
}
