import Foundation
import SweepConfig
import SweepSpec

extension ParameterImportance {
    /// The importance of each of a sweep's parameters over its finished tasks: each
    /// task's canonical configuration (a JSON object) and its metric value. Empty when
    /// no parameter takes more than one value, else nil with fewer than `minimumTrials`
    /// tasks of finite value.
    public static func evaluate(spec: SweepSpec, tasks: [(config: JSON, value: Double)],
                                maximize: Bool) -> [(name: String, importance: Double)]? {
        let (parameters, trials) = space(spec.parameters, tasks: tasks)
        return evaluate(parameters, trials: trials, maximize: maximize)
    }

    /// Optuna's view of a sweep: each spec parameter as a distribution, each task as a
    /// trial that sets the parameters whose `when:` holds for it. The mapping:
    ///
    /// - `value` (a constant): left out.
    /// - `values` (grid, or random with `probabilities`): numbers become a numerical
    ///   domain over their range, integers `IntDistribution(min, max)` and others
    ///   `FloatDistribution(min, max)`, on a log scale when all are positive and the
    ///   largest is 10× the smallest or more (as the report's scatter axes); strings,
    ///   booleans and mixed values become a categorical over all the values.
    /// - `int_uniform`: `IntDistribution(min, max)`; `uniform`:
    ///   `FloatDistribution(min, max)`; `q_uniform`: with `step: q` (Optuna lowers max to
    ///   min + k·q).
    /// - `log_uniform`, `log_uniform_values`, `inv_log_uniform`, `inv_log_uniform_values`
    ///   and the `q_log_` ones: `FloatDistribution(lowest, highest value, log: true)`
    ///   (Optuna has no step on a log scale).
    /// - `normal`, `q_normal` (unbounded): `FloatDistribution` over the values the tasks
    ///   took; `log_normal`, `q_log_normal` likewise on a log scale.
    static func space(_ specParameters: [SpecParameter], tasks: [(config: JSON, value: Double)]) -> ([Parameter], [Trial]) {
        var parameters: [Parameter] = []
        var trials = tasks.map { Trial(values: [:], objective: $0.value) }
        for p in specParameters {
            let set = tasks.map { p.isActive(in: $0.config) ? $0.config[p.name] : nil }
            guard let (domain, coordinate) = domain(p, taken: set.compactMap { $0.flatMap(number) }) else { continue }
            parameters.append(Parameter(name: p.name, domain: domain))
            for (k, value) in set.enumerated() {
                if let value, let x = coordinate(value) { trials[k].values[p.name] = x }
            }
        }
        return (parameters, trials)
    }

    /// The domain of one spec parameter and where a task's value lies in it (a number,
    /// or a choice index); nil for a constant. `taken`: the numbers the tasks set.
    private static func domain(_ p: SpecParameter, taken: [Double]) -> (Domain, (JSON) -> Double?)? {
        let numeric: (JSON) -> Double? = number
        switch p.domain {
        case .constant:
            return nil
        case .categorical(let values, _):
            let choices = values.compactMap { try? TrainConfig(pairs: [(p.name, $0)]).canonical[p.name] }
            let numbers = choices.compactMap(number)
            guard numbers.count == choices.count, let lo = numbers.min(), let hi = numbers.max() else {
                return (.categorical(choices: choices.count), { v in choices.firstIndex(of: v).map(Double.init) })
            }
            let log = lo > 0 && hi / lo >= 10
            let integers = choices.allSatisfy { if case .int = $0 { true } else { false } }
            return (integers ? .int(low: Int(lo), high: Int(hi), log: log) : .float(low: lo, high: hi, log: log), numeric)
        case .intUniform(let min, let max):
            return (.int(low: min, high: max), numeric)
        case .uniform(let min, let max):
            return (.float(low: min, high: max), numeric)
        case .qUniform(let min, let max, let q):
            let steps = ((max - min) / q + 1e-9).rounded(.down)
            return (.float(low: min, high: min + steps * q, step: q), numeric)
        case .logUniform(let min, let max), .qLogUniform(let min, let max, _):
            return (.float(low: exp(min), high: exp(max), log: true), numeric)
        case .logUniformValues(let min, let max), .qLogUniformValues(let min, let max, _), .invLogUniformValues(let min, let max):
            return (.float(low: min, high: max, log: true), numeric)
        case .invLogUniform(let min, let max):
            return (.float(low: exp(-max), high: exp(-min), log: true), numeric)
        case .normal, .qNormal, .logNormal, .qLogNormal:
            guard let lo = taken.min(), let hi = taken.max() else { return nil }
            let log: Bool = switch p.domain { case .logNormal, .qLogNormal: lo > 0; default: false }
            return (.float(low: lo, high: hi, log: log), numeric)
        }
    }

    private static func number(_ value: JSON) -> Double? {
        switch value {
        case .int(let i): Double(i)
        case .double(let d) where d.isFinite: d
        default: nil
        }
    }
}
