import SweepConfig
import SweepSpec

extension SweepSpec {
    /// An earlier sweep's task as this spec's search can learn from it (`--warm-start`):
    /// its configuration, when every parameter of this spec that varies and that the task
    /// sets (its `when:` holds there) has a value this parameter can take — one of its
    /// values, within its range, on its q. Parameters that do not vary here are not
    /// compared (a task of 10 epochs informs a sweep of 3). nil when the task does not fit,
    /// or its parameters are no configuration (an unknown key).
    public func warmStartConfiguration(_ params: JSON) -> TrainConfig? {
        guard let config = try? TrainConfig(json: params) else { return nil }
        let canonical = config.canonical
        for parameter in parameters where parameter.isActive(in: canonical) {
            if case .fixed = SearchDimension(parameter) { continue }
            guard let value = canonical[parameter.name], let text = value == .null ? "null" : value.scalarText,
                  parameter.domain.rejects(text, key: parameter.name) == nil else { return nil }
        }
        return config
    }
}
