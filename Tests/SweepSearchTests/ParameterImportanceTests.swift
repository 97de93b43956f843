import Foundation
import Testing
import SweepConfig
import SweepRandom
import SweepSpec
@testable import SweepSearch

/// PED-ANOVA against Optuna: Fixtures/ped_anova.json is written by
/// Fixtures/make_ped_anova.py (Optuna's PedAnovaImportanceEvaluator, defaults).
@Suite struct ParameterImportanceTests {
    struct Fixture: Decodable {
        let optuna: String
        let studies: [Study]
    }

    struct Study: Decodable {
        let name: String
        let direction: String
        let parameters: [FixtureParameter]
        let trials: [FixtureTrial]
        /// [name, importance] pairs, most important first.
        let raw: [[Value]]
        let importances: [[Value]]
    }

    struct FixtureParameter: Decodable {
        let name: String
        let distribution: Distribution
    }

    struct Distribution: Decodable {
        let type: String
        let low: Double?, high: Double?, log: Bool?, step: Double?
        let choices: [Value]?
    }

    struct FixtureTrial: Decodable {
        let params: [String: Value]
        let value: Double
    }

    /// A JSON scalar: a parameter's value, a name or an importance.
    enum Value: Decodable, Equatable {
        case bool(Bool), number(Double), string(String)

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let d = try? c.decode(Double.self) { self = .number(d) }
            else { self = .string(try c.decode(String.self)) }
        }

        var number: Double { if case .number(let d) = self { d } else { .nan } }
        var string: String { if case .string(let s) = self { s } else { "" } }
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/ped_anova.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    /// The study as Swift sees it: categorical values become choice indices.
    static func swiftStudy(_ study: Study) -> (parameters: [ParameterImportance.Parameter], trials: [ParameterImportance.Trial]) {
        let parameters = study.parameters.map { p -> ParameterImportance.Parameter in
            let d = p.distribution
            let domain: ParameterImportance.Domain = switch d.type {
            case "float": .float(low: d.low!, high: d.high!, log: d.log!, step: d.step)
            case "int": .int(low: Int(d.low!), high: Int(d.high!), log: d.log!)
            default: .categorical(choices: d.choices!.count)
            }
            return .init(name: p.name, domain: domain)
        }
        let trials = study.trials.map { t in
            var values: [String: Double] = [:]
            for p in study.parameters {
                guard let v = t.params[p.name] else { continue }
                values[p.name] = p.distribution.choices.map { Double($0.firstIndex(of: v)!) } ?? v.number
            }
            return ParameterImportance.Trial(values: values, objective: t.value)
        }
        return (parameters, trials)
    }

    @Test func fixtureCoversTheCases() {
        let studies = Self.fixture.studies
        #expect(studies.count == 5)
        #expect(Set(studies.map(\.direction)) == ["minimize", "maximize"])
        // a conditional parameter: declared, but not set on every trial
        #expect(studies.contains { s in s.parameters.contains { p in s.trials.contains { $0.params[p.name] == nil } } })
        #expect(studies.map(\.trials.count).max()! >= 120)
        // ties at the cut-off: more than ⌈0.1·n⌉ trials are in the top
        #expect(studies.contains { s in
            let losses = s.trials.map { s.direction == "maximize" ? -$0.value : $0.value }
            return ParameterImportance.topQuantile(losses, 0.1).count { $0 } > (losses.count + 9) / 10
        })
    }

    /// The same values as Optuna to 1e-9 (relative): the same steps in double precision, only
    /// summed in another order; and the same ranking.
    @Test(arguments: 0..<5) func importancesAgreeWithOptuna(_ k: Int) throws {
        let study = Self.fixture.studies[k]
        let (parameters, trials) = Self.swiftStudy(study)
        let maximize = study.direction == "maximize"
        let raw = try #require(ParameterImportance.rawImportances(parameters, trials: trials, maximize: maximize))
        let normalised = try #require(ParameterImportance.evaluate(parameters, trials: trials, maximize: maximize))
        for pair in study.raw {
            let swift = try #require(raw.first { $0.name == pair[0].string }).importance
            #expect(abs(swift - pair[1].number) <= 1e-9 * abs(pair[1].number), "\(study.name): raw \(pair[0].string)")
        }
        #expect(normalised.map(\.name) == study.importances.map(\.[0].string), "\(study.name): ranking")
        for (swift, optuna) in zip(normalised, study.importances) {
            #expect(abs(swift.importance - optuna[1].number) <= 1e-9, "\(study.name): \(swift.name) \(swift.importance) vs \(optuna[1].number)")
        }
        print("\(study.name) (Optuna \(Self.fixture.optuna)): " + zip(normalised, study.importances).map {
            "\($0.name) \($0.importance) / \($1[1].number)"
        }.joined(separator: ", "))
    }

    /// A test that cannot pass by accident: the metric is a function of x alone, the
    /// other parameters are noise; x takes nearly all the importance, whichever the goal.
    @Test(arguments: [false, true]) func aParameterThatDeterminesTheMetricTakesNearlyAll(_ maximize: Bool) throws {
        var rng = SplitMix64(seed: 7)
        let parameters: [ParameterImportance.Parameter] = [
            .init(name: "x", domain: .float(low: 0, high: 1)),
            .init(name: "noise", domain: .float(low: 0, high: 1)),
            .init(name: "rate", domain: .float(low: 1e-5, high: 1, log: true)),
            .init(name: "choice", domain: .categorical(choices: 3)),
        ]
        let trials = (0..<200).map { _ in
            let x = rng.uniform()
            let values = ["x": x, "noise": rng.uniform(), "rate": exp(log(1e-5) * rng.uniform()), "choice": Double(rng.below(3))]
            return ParameterImportance.Trial(values: values, objective: maximize ? -abs(x - 0.3) : abs(x - 0.3))
        }
        let importances = try #require(ParameterImportance.evaluate(parameters, trials: trials, maximize: maximize))
        #expect(importances.first?.name == "x")
        #expect(importances[0].importance > 0.9, "\(importances)")
        #expect(abs(importances.reduce(0) { $0 + $1.importance } - 1) < 1e-12)
    }

    @Test func tooFewTrialsGiveNothingAndSingleValuesAreLeftOut() throws {
        let parameters: [ParameterImportance.Parameter] = [
            .init(name: "x", domain: .float(low: 0, high: 1)),
            .init(name: "fixed", domain: .int(low: 3, high: 3)),
        ]
        let one = [ParameterImportance.Trial(values: ["x": 0.5, "fixed": 3], objective: 1)]
        #expect(ParameterImportance.evaluate(parameters, trials: one, maximize: true) == nil)
        let nan = one + [ParameterImportance.Trial(values: ["x": 0.2, "fixed": 3], objective: .nan)]
        #expect(ParameterImportance.evaluate(parameters, trials: nan, maximize: true) == nil)
        let two = one + [ParameterImportance.Trial(values: ["x": 0.2, "fixed": 3], objective: 2)]
        let importances = try #require(ParameterImportance.evaluate(parameters, trials: two, maximize: true))
        #expect(importances.map(\.name) == ["x"] && importances[0].importance == 1)
        // nothing that varies: empty, whatever the trials
        #expect(ParameterImportance.evaluate(Array(parameters.suffix(1)), trials: one, maximize: true)?.isEmpty == true)
    }

    /// Optuna's quantile: up to the ⌈0.1·n⌉-th best, ties included.
    @Test func topQuantileRoundsAsOptuna() {
        #expect(ParameterImportance.topQuantile((1...30).map(Double.init).reversed(), 0.1).count { $0 } == 3)
        #expect(ParameterImportance.topQuantile((1...21).map(Double.init), 0.1).count { $0 } == 3)
        #expect(ParameterImportance.topQuantile((1...7).map(Double.init), 0.1) == [true] + Array(repeating: false, count: 6))
        #expect(ParameterImportance.topQuantile([3, 1, 1, 2, 5, 6, 7, 8, 9, 10, 11], 0.1) == [false, true, true] + Array(repeating: false, count: 8))
    }

    /// Optuna's grid sizes: 50 points, fewer for small integer and stepped domains.
    @Test func gridSizes() {
        #expect(ParameterImportance.Grid(.float(low: 0, high: 1)).size == 50)
        #expect(ParameterImportance.Grid(.int(low: 1, high: 6)).size == 6)
        #expect(ParameterImportance.Grid(.int(low: 16, high: 256, log: true)).size == 9)   // ⌈log2 241⌉ + 1
        #expect(ParameterImportance.Grid(.float(low: 0, high: 0.5, step: 0.05)).size == 11)
        #expect(ParameterImportance.Grid(.categorical(choices: 3)).size == 3)
        // a midpoint goes to the lower point; values outside are clipped
        let grid = ParameterImportance.Grid(.int(low: 0, high: 2))
        #expect([-1, 0, 0.5, 0.51, 2, 7].map(grid.point) == [0, 0, 0, 1, 2, 2])
        #expect(ParameterImportance.Grid(.float(low: 0.5, high: 4, log: true)).point(0) == 0)
    }
}

/// From a spec and stored configurations to Optuna's distributions and trials.
@Suite struct SpecImportanceTests {
    static let yaml = """
        method: random
        run_cap: 4
        parameters:
          model: {value: noop}
          learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1}
          hidden: {values: [16, 64, 256]}
          batch_size: {values: [32, 64]}
          dropout: {values: [0.1, 0.3]}
          optimizer: {values: [sgd, momentum, adam]}
          batchnorm: {values: [true, false]}
          momentum: {distribution: uniform, min: 0.5, max: 0.99, when: {optimizer: [momentum]}}
          layers: {distribution: int_uniform, min: 1, max: 4}
          weight_decay: {distribution: q_uniform, min: 0, max: 0.001, q: 0.0003}
          seed: {distribution: q_normal, mu: 100, sigma: 3, q: 1}
        """

    @Test func domainsFollowTheSpec() throws {
        let spec = try spec(Self.yaml)
        let configs = try spec.expand().map { $0.config.canonical }
        let (parameters, trials) = ParameterImportance.space(spec.parameters, tasks: configs.map { ($0, 1.0) })
        let domains = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.domain) })
        #expect(parameters.map(\.name) == ["learning_rate", "hidden", "batch_size", "dropout", "optimizer", "batchnorm",
                                           "momentum", "layers", "weight_decay", "seed"], "model, a constant, is left out")
        #expect(domains["learning_rate"] == .float(low: 1e-4, high: 1e-1, log: true))
        #expect(domains["hidden"] == .int(low: 16, high: 256, log: true), "numbers spanning 10× on a log scale")
        #expect(domains["batch_size"] == .int(low: 32, high: 64))
        #expect(domains["dropout"] == .float(low: 0.1, high: 0.3))
        #expect(domains["optimizer"] == .categorical(choices: 3))
        #expect(domains["batchnorm"] == .categorical(choices: 2))
        #expect(domains["momentum"] == .float(low: 0.5, high: 0.99))
        #expect(domains["layers"] == .int(low: 1, high: 4))
        guard case .float(0, let high, false, 0.0003)? = domains["weight_decay"] else { Issue.record("weight_decay"); return }
        #expect(abs(high - 0.0009) < 1e-15, "Optuna lowers max to min + k·q")
        guard case .float(let lo, let hi, false, nil)? = domains["seed"] else { Issue.record("seed"); return }
        let seeds = configs.compactMap { $0["seed"] }.compactMap(\.doubleValue)
        #expect(lo == seeds.min() && hi == seeds.max(), "an unbounded distribution spans the values taken")
        for (config, trial) in zip(configs, trials) {
            #expect(trial.values["hidden"] == config["hidden"]?.doubleValue)
            #expect(trial.values["optimizer"] == ["sgd", "momentum", "adam"].firstIndex(of: config["optimizer"]?.stringValue ?? "").map(Double.init))
            #expect((trial.values["momentum"] != nil) == (config["optimizer"] == .string("momentum")), "set only where its condition holds")
        }
    }

    /// Through the spec: a sweep whose metric follows the learning rate ranks it first.
    @Test func theSweepLevelEntryPoint() throws {
        let spec = try spec(Self.yaml.replacingOccurrences(of: "run_cap: 4", with: "run_cap: 80"))
        let configs = try spec.expand().map { $0.config.canonical }
        let tasks = configs.map { c in (config: c, value: abs(log10(c["learning_rate"]!.doubleValue!) + 2)) }
        let importances = try #require(ParameterImportance.evaluate(spec: spec, tasks: tasks, maximize: false))
        #expect(importances.first?.name == "learning_rate", "\(importances)")
        #expect(ParameterImportance.evaluate(spec: spec, tasks: Array(tasks.prefix(1)), maximize: false) == nil)
        let constant = try SweepSpec.parse("method: grid\nparameters:\n  model: {value: noop}\n", path: "c.yaml")
        #expect(ParameterImportance.evaluate(spec: constant, tasks: tasks, maximize: false)?.isEmpty == true)
    }
}
