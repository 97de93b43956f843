import Foundation
import SweepConfig
import Yams

/// Turns spec text into a checked `SweepSpec`. Works on Yams' composed nodes so
/// that every message can name the line (`Node.mark`) as well as the key.
struct SpecReader {
    let path: String
    private var notes: [String] = []

    init(path: String) { self.path = path }

    /// Keys W&B uses to launch programs or to describe a sweep: accepted, ignored, noted.
    static let ignoredKeys: Set = ["program", "command", "project", "entity", "description", "job", "image_uri", "controller"]
    static let topLevelKeys = ["name", "method", "metric", "run_cap", "seed", "max_attempts", "early_terminate", "pbt", "enqueue",
                               "parameters"]
    static let methodNames = "grid, random, bayes or pbt"
    /// Beyond this many tasks a sweep is surely a mistake: a grid's combinations (without
    /// run_cap), or run_cap itself. Expansion lists every task up front.
    static let maxTasks = 10_000_000

    // MARK: top level

    mutating func read(_ yaml: String) throws -> SweepSpec {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw yamlError(error, yaml: yaml)
        } catch {
            throw SpecError("\(path):1: invalid YAML: \(error)")
        }
        guard let root, !(root.scalar.map { $0.string.isEmpty || root.tagName == .null } ?? false) else {
            throw SpecError("\(path):1: empty spec: expected a mapping with method and parameters")
        }
        guard case .mapping(let top) = root else {
            throw fail(root, "top level", "expected a mapping of sweep keys (method, parameters, …), got \(describe(root))")
        }

        var name: String?
        var method: (SearchMethod, Node)?
        var metrics = [MetricGoal()]
        var runCap: (Int, Node)?
        var seed = 0
        var maxAttempts = 3
        var earlyTerminate: (EarlyTerminate, Node)?
        var pbt: (PBTSettings, Node)?
        var enqueue: Node?
        var parameters: (Node.Mapping, Node)?

        for (keyNode, value) in top {
            let key = try self.key(keyNode, in: "top level")
            switch key {
            case "name":
                let text = try scalarText(value, "name")
                guard !text.isEmpty else { throw fail(value, "name", "expected a non-empty name") }
                name = text
            case "method":
                let text = try scalarText(value, "method")
                guard let m = SearchMethod(rawValue: text) else {
                    throw fail(value, "method", "expected \(Self.methodNames), got '\(text)'")
                }
                method = (m, keyNode)
            case "metric": metrics = try self.metrics(value)
            case "run_cap":
                let cap = try integer(value, "run_cap", min: 1)
                guard cap <= Self.maxTasks else {
                    throw fail(value, "run_cap", "expected at most \(Self.maxTasks) tasks, got \(cap)")
                }
                runCap = (cap, keyNode)
            case "seed": seed = try integer(value, "seed", min: Int.min)
            case "max_attempts": maxAttempts = try integer(value, "max_attempts", min: 1)
            case "early_terminate": earlyTerminate = (try self.earlyTerminate(value), keyNode)
            case "pbt": pbt = (try self.pbt(value), keyNode)
            case "enqueue": enqueue = value
            case "parameters":
                guard case .mapping(let m) = value else {
                    throw fail(value, "parameters", "expected a mapping from training keys to their values, got \(describe(value))")
                }
                parameters = (m, keyNode)
            case _ where Self.ignoredKeys.contains(key):
                note(keyNode, "key '\(key)' is a W&B launch key; ignored")
            default:
                throw fail(keyNode, key, "unknown key (expected one of \(Self.topLevelKeys.joined(separator: ", ")); "
                           + "W&B's \(Self.ignoredKeys.sorted().joined(separator: ", ")) are accepted and ignored)")
            }
        }

        guard let (method, methodNode) = method else {
            throw SpecError(path: path, line: top.mark?.line ?? 1, keyPath: "method", "missing: expected \(Self.methodNames)")
        }
        guard let (parameterMap, parametersNode) = parameters else {
            throw SpecError(path: path, line: top.mark?.line ?? 1, keyPath: "parameters",
                            "missing: expected a mapping from training keys to their values")
        }
        guard !parameterMap.isEmpty else { throw fail(parametersNode, "parameters", "no parameters given") }

        var specParameters: [SpecParameter] = []
        for (keyNode, value) in parameterMap {
            let name = try key(keyNode, in: "parameters")
            specParameters.append(try parameter(name, keyNode: keyNode, value: value, method: method))
        }
        _ = try Self.conditionalOrder(specParameters, path: path)

        if let (_, pbtNode) = pbt, method != .pbt {
            throw fail(pbtNode, "pbt", "applies to method pbt only (this spec's method is \(method.rawValue))")
        }
        switch method {
        case .grid:
            if runCap == nil {
                var size = 1
                for p in specParameters {
                    let (product, overflow) = size.multipliedReportingOverflow(by: p.domain.gridCount ?? 1)
                    guard !overflow, product <= Self.maxTasks else {
                        throw fail(parametersNode, "parameters",
                                   "the grid has more than \(Self.maxTasks) combinations; set run_cap or use method random")
                    }
                    size = product
                }
            }
        case .random, .bayes:
            guard runCap != nil else {
                throw fail(methodNode, "run_cap", "method \(method.rawValue) needs run_cap, the number of tasks to draw")
            }
        case .pbt:
            let settings = pbt?.0 ?? PBTSettings()
            try checkPopulationBasedTraining(settings, pbtNode: pbt?.1 ?? methodNode, runCap: runCap?.1,
                                             earlyTerminate: earlyTerminate?.1, parameters: specParameters, parametersNode: parametersNode)
            pbt = (settings, pbt?.1 ?? methodNode)
            runCap = (settings.population, methodNode)
        }
        let enqueued = try enqueue.map { try self.enqueue($0, parameters: specParameters) } ?? []
        if let cap = runCap?.0, enqueued.count > cap, let enqueue {
            let what = method == .pbt ? "the population (pbt.population) is \(cap)" : "run_cap is \(cap)"
            throw fail(enqueue, "enqueue", "\(enqueued.count) configurations, but \(what)")
        }

        let base = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let spec = SweepSpec(name: name ?? (base.isEmpty ? "sweep" : base), method: method, metrics: metrics, runCap: runCap?.0,
                             seed: seed, maxAttempts: maxAttempts, earlyTerminate: earlyTerminate?.0, pbt: pbt?.0,
                             enqueue: enqueued, parameters: specParameters, notes: notes, source: yaml, path: path)
        // Builds them (conditions, values drawn for what they leave out) to report a bad one now.
        _ = try spec.enqueuedConfigurations()
        return spec
    }

    // MARK: metric and early_terminate

    /// `metric:` — one mapping, or a list of them (several objectives).
    private mutating func metrics(_ node: Node) throws -> [MetricGoal] {
        guard case .sequence(let items) = node else { return [try metric(node, "metric", first: true)] }
        guard !items.isEmpty else {
            throw fail(node, "metric", "empty list: expected one or more metrics such as {name: test_accuracy, goal: maximize}")
        }
        var goals: [MetricGoal] = []
        for (i, item) in items.enumerated() {
            let goal = try metric(item, "metric[\(i)]", first: i == 0)
            if let j = goals.firstIndex(where: { $0.name == goal.name }) {
                throw fail(item, "metric[\(i)].name", "'\(goal.name)' is listed twice (also metric[\(j)])")
            }
            goals.append(goal)
        }
        return goals
    }

    /// One `{name, goal}`; the first metric must be one training learns (`MetricGoal.names`),
    /// further ones of a list may also be costs (`MetricGoal.costNames`).
    private mutating func metric(_ node: Node, _ base: String, first: Bool) throws -> MetricGoal {
        let allowed = first ? MetricGoal.names : MetricGoal.names + MetricGoal.costNames
        guard case .mapping(let m) = node else {
            throw fail(node, base, "expected a mapping such as {name: test_accuracy, goal: maximize}"
                       + (base == "metric" ? " (or a list of them)" : "") + ", got \(describe(node))")
        }
        var name: String?
        var goal: Bool?
        for (keyNode, value) in m {
            let key = try self.key(keyNode, in: base)
            switch key {
            case "name":
                let text = try scalarText(value, "\(base).name")
                if first, MetricGoal.costNames.contains(text) {
                    throw fail(value, "\(base).name", "'\(text)' cannot be the first metric, which early stopping and pbt judge "
                               + "(one of \(MetricGoal.names.joined(separator: ", "))); list it after one, "
                               + "e.g. metric: [{name: test_accuracy}, {name: \(text)}]")
                }
                guard allowed.contains(text) else {
                    throw fail(value, "\(base).name", "unknown metric '\(text)' (expected one of \(allowed.joined(separator: ", ")))")
                }
                name = text
            case "goal":
                let text = try scalarText(value, "\(base).goal")
                guard text == "maximize" || text == "minimize" else {
                    throw fail(value, "\(base).goal", "expected maximize or minimize, got '\(text)'")
                }
                goal = text == "maximize"
            case "target", "impute", "impute_while_running":
                note(keyNode, "\(base).\(key) is not supported; ignored")
            default:
                throw fail(keyNode, "\(base).\(key)", "unknown key (expected name, goal)")
            }
        }
        guard let name else { throw fail(node, "\(base).name", "missing: expected one of \(allowed.joined(separator: ", "))") }
        // W&B minimizes unless told otherwise; here an accuracy is maximized, a loss minimized.
        return MetricGoal(name: name, maximize: goal ?? MetricGoal.defaultMaximize(name))
    }

    // MARK: pbt and enqueue

    private func pbt(_ node: Node) throws -> PBTSettings {
        guard case .mapping(let m) = node else {
            throw fail(node, "pbt", "expected a mapping such as {population: 8, interval: 2, quantile: 0.25, "
                       + "resample_probability: 0.25}, got \(describe(node))")
        }
        var settings = PBTSettings()
        for (keyNode, value) in m {
            let key = try self.key(keyNode, in: "pbt")
            switch key {
            case "population":
                settings.population = try integer(value, "pbt.population", min: 2)
                guard settings.population <= Self.maxTasks else {
                    throw fail(value, "pbt.population", "expected at most \(Self.maxTasks) members, got \(settings.population)")
                }
            case "interval": settings.interval = try integer(value, "pbt.interval", min: 1)
            case "quantile":
                settings.quantile = try number(value, "pbt.quantile")
                guard settings.quantile > 0, settings.quantile <= 0.5 else {
                    throw fail(value, "pbt.quantile", "expected a fraction with 0 < q <= 0.5, got \(render(settings.quantile))")
                }
            case "resample_probability":
                settings.resampleProbability = try number(value, "pbt.resample_probability")
                guard (0...1).contains(settings.resampleProbability) else {
                    throw fail(value, "pbt.resample_probability",
                               "expected a probability with 0 <= p <= 1, got \(render(settings.resampleProbability))")
                }
            default:
                throw fail(keyNode, "pbt.\(key)", "unknown key (expected population, interval, quantile, resample_probability)")
            }
        }
        return settings
    }

    /// What method pbt needs of the rest of the spec.
    private func checkPopulationBasedTraining(_ settings: PBTSettings, pbtNode: Node, runCap: Node?, earlyTerminate: Node?,
                                              parameters: [SpecParameter], parametersNode: Node) throws {
        if let runCap {
            throw fail(runCap, "run_cap", "does not apply to method pbt: it runs pbt.population members (\(settings.population))")
        }
        if let earlyTerminate {
            throw fail(earlyTerminate, "early_terminate", "does not apply to method pbt: its exploit step replaces the bottom members")
        }
        guard parameters.contains(where: \.isExplorable) else {
            throw fail(parametersNode, "parameters", "method pbt needs a parameter to explore: a distribution over real numbers "
                       + "on a key such as learning_rate, momentum, weight_decay or dropout (docs/spec.md#population-based-training)")
        }
        guard let total = SweepSpec.fixedEpochs(parameters) else {
            let line = parameters.first { $0.name == "epochs" }?.line ?? 1
            throw SpecError(path: path, line: line, keyPath: "parameters.epochs",
                            "method pbt trains every member for the same epochs: give epochs one value, unconditionally")
        }
        guard settings.interval < total else {
            throw fail(pbtNode, "pbt.interval", "interval \(settings.interval) is not below epochs \(total): no member would ever exploit another")
        }
    }

    /// `enqueue:` — a list of mappings from parameters (or other training keys) to values.
    private func enqueue(_ node: Node, parameters: [SpecParameter]) throws -> [EnqueuedConfiguration] {
        guard case .sequence(let items) = node else {
            throw fail(node, "enqueue", "expected a list of configurations such as [{learning_rate: 0.01}], got \(describe(node))")
        }
        guard !items.isEmpty else { throw fail(node, "enqueue", "empty list: expected configurations such as [{learning_rate: 0.01}]") }
        let byName = Dictionary(parameters.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        return try items.enumerated().map { i, item in
            let base = "enqueue[\(i)]"
            guard case .mapping(let m) = item, !m.isEmpty else {
                throw fail(item, base, "expected a mapping from parameters to values such as {learning_rate: 0.01}, got \(describe(item))")
            }
            var values: [EnqueuedConfiguration.Value] = []
            for (keyNode, value) in m {
                let key = try self.key(keyNode, in: base)
                guard ConfigKeys.byName[key] != nil else { throw fail(keyNode, "\(base).\(key)", ConfigKeys.unknownKeyMessage(key)) }
                let text = try checkedValue(key, value, "\(base).\(key)")
                if let parameter = byName[key], let problem = parameter.domain.rejects(text, key: key) {
                    throw fail(value, "\(base).\(key)", problem)
                }
                values.append(.init(key: key, value: text, line: value.mark?.line ?? 1))
            }
            return EnqueuedConfiguration(values: values, line: item.mark?.line ?? 1)
        }
    }

    private mutating func earlyTerminate(_ node: Node) throws -> EarlyTerminate {
        guard case .mapping(let m) = node else {
            throw fail(node, "early_terminate", "expected a mapping such as {type: hyperband, min_iter: 1, eta: 3}, got \(describe(node))")
        }
        var fields: [String: (key: Node, value: Node)] = [:]
        for (keyNode, value) in m {
            let key = try self.key(keyNode, in: "early_terminate")
            guard ["type", "min_iter", "max_iter", "s", "eta", "strict"].contains(key) else {
                throw fail(keyNode, "early_terminate.\(key)", "unknown key (expected type, min_iter, max_iter, s, eta)")
            }
            fields[key] = (keyNode, value)
        }
        guard let typeNode = fields["type"]?.value else {
            throw fail(node, "early_terminate.type", "missing: expected hyperband or median")
        }
        let type = try scalarText(typeNode, "early_terminate.type")
        guard EarlyTerminate.types.contains(type) else {
            throw fail(typeNode, "early_terminate.type", "expected hyperband or median, got '\(type)'")
        }
        if let strict = fields["strict"] {
            _ = try scalarText(strict.value, "early_terminate.strict")
            note(strict.key, "early_terminate.strict is not supported; ignored")
        }
        let eta = try fields["eta"].map { try integer($0.value, "early_terminate.eta", min: 2) } ?? 3
        let minIter = try fields["min_iter"].map { try integer($0.value, "early_terminate.min_iter", min: 1) }
        let maxIter = try fields["max_iter"].map { try integer($0.value, "early_terminate.max_iter", min: 1) }
        let s = try fields["s"].map { try integer($0.value, "early_terminate.s", min: 1) }
        if let minIter { return EarlyTerminate(type: type, minIter: minIter, eta: eta, s: s, maxIter: maxIter) }
        guard type == "hyperband", let maxIter else {
            throw fail(node, "early_terminate.min_iter",
                       type == "median" ? "missing: median needs min_iter" : "missing: hyperband needs min_iter (or max_iter and s)")
        }
        guard let s else { throw fail(fields["max_iter"]!.key, "early_terminate.s", "missing: max_iter needs s, the number of brackets") }
        // W&B's brackets for max_iter and s: max_iter/eta, max_iter/eta², … (s of them, each ≥ 1).
        var bracket = maxIter
        var first: Int?
        for _ in 0..<s {
            bracket /= eta
            guard bracket >= 1 else { break }
            first = bracket
        }
        guard let first else {
            throw fail(fields["max_iter"]!.value, "early_terminate.max_iter",
                       "max_iter \(maxIter) is less than eta \(eta): no bracket is left")
        }
        return EarlyTerminate(type: type, minIter: first, eta: eta, s: s, maxIter: maxIter)
    }

    // MARK: parameters

    private static let parameterFields = ["value", "values", "distribution", "probabilities", "min", "max", "mu", "sigma", "q", "when"]

    /// Fields each distribution accepts, then those it requires.
    private static let distributionFields: [String: (allowed: Set<String>, required: [String])] = [
        "constant": (["value"], ["value"]),
        "categorical": (["values", "probabilities"], ["values"]),
        "int_uniform": (["min", "max"], ["min", "max"]),
        "uniform": (["min", "max"], ["min", "max"]),
        "q_uniform": (["min", "max", "q"], ["min", "max"]),
        "log_uniform": (["min", "max"], ["min", "max"]),
        "log_uniform_values": (["min", "max"], ["min", "max"]),
        "q_log_uniform": (["min", "max", "q"], ["min", "max"]),
        "q_log_uniform_values": (["min", "max", "q"], ["min", "max"]),
        "inv_log_uniform": (["min", "max"], ["min", "max"]),
        "inv_log_uniform_values": (["min", "max"], ["min", "max"]),
        "normal": (["mu", "sigma"], []),
        "q_normal": (["mu", "sigma", "q"], []),
        "log_normal": (["mu", "sigma"], []),
        "q_log_normal": (["mu", "sigma", "q"], []),
    ]

    private func parameter(_ name: String, keyNode: Node, value: Node, method: SearchMethod) throws -> SpecParameter {
        let base = "parameters.\(name)"
        guard let configKey = ConfigKeys.byName[name] else {
            throw fail(keyNode, base, ConfigKeys.unknownKeyMessage(name))
        }
        guard case .mapping(let m) = value else {
            throw fail(value, base, "expected a mapping such as {value: X}, {values: [X, Y]} or {min: X, max: Y}, got \(describe(value))")
        }
        var fields: [String: (key: Node, value: Node)] = [:]
        for (fieldKey, fieldValue) in m {
            let field = try key(fieldKey, in: base)
            if field == "parameters" {
                throw fail(fieldKey, "\(base).parameters", "nested parameters are not supported: training keys are flat")
            }
            guard Self.parameterFields.contains(field) else {
                throw fail(fieldKey, "\(base).\(field)", "unknown field (expected one of \(Self.parameterFields.joined(separator: ", ")))")
            }
            fields[field] = (fieldKey, fieldValue)
        }

        // The distribution, named or inferred as W&B infers it.
        let distribution: String
        if let d = fields["distribution"] {
            distribution = try scalarText(d.value, "\(base).distribution")
            guard Self.distributionFields[distribution] != nil else {
                throw fail(d.value, "\(base).distribution", "unknown distribution '\(distribution)' "
                           + "(expected one of \(ParameterDomain.distributionNames.joined(separator: ", ")))")
            }
        } else if fields["values"] != nil {
            distribution = "categorical"
        } else if fields["value"] != nil {
            distribution = "constant"
        } else if let min = fields["min"], let max = fields["max"] {
            distribution = min.value.tagName == .int && max.value.tagName == .int ? "int_uniform" : "uniform"
        } else if fields["min"] != nil || fields["max"] != nil {
            throw fail(keyNode, "\(base).\(fields["min"] == nil ? "min" : "max")", "missing: min and max go together")
        } else {
            throw fail(keyNode, base, "expected value, values, or min and max (or a distribution)")
        }
        let (allowed, required) = Self.distributionFields[distribution]!
        for (field, entry) in fields where field != "distribution" && field != "when" && !allowed.contains(field) {
            throw fail(entry.key, "\(base).\(field)", "does not apply to distribution \(distribution)")
        }
        for field in required where fields[field] == nil {
            throw fail(keyNode, "\(base).\(field)", "missing: distribution \(distribution) needs \(required.joined(separator: " and "))")
        }

        func number(_ field: String, default fallback: Double? = nil) throws -> Double {
            guard let entry = fields[field] else { return fallback! }
            return try self.number(entry.value, "\(base).\(field)")
        }
        func range(positive: Bool = false) throws -> (Double, Double) {
            let (min, max) = (try number("min"), try number("max"))
            if positive, min <= 0 { throw fail(fields["min"]!.value, "\(base).min", "must be > 0 on a log scale, got \(render(min))") }
            guard min <= max else {
                throw fail(fields["min"]!.value, "\(base).min", "min \(render(min)) is greater than max \(render(max))")
            }
            return (min, max)
        }
        func q() throws -> Double {
            let q = try number("q", default: 1)
            guard q > 0 else { throw fail(fields["q"]!.value, "\(base).q", "must be > 0, got \(render(q))") }
            return q
        }
        func normal() throws -> (Double, Double) {
            let sigma = try number("sigma", default: 1)
            guard sigma >= 0 else { throw fail(fields["sigma"]!.value, "\(base).sigma", "must be >= 0, got \(render(sigma))") }
            return (try number("mu", default: 0), sigma)
        }

        let domain: ParameterDomain
        switch distribution {
        case "constant":
            domain = .constant(try checkedValue(name, fields["value"]!.value, "\(base).value"))
        case "categorical":
            domain = try categorical(name, base, fields)
        case "int_uniform":
            let min = try integer(fields["min"]!.value, "\(base).min", min: Int.min)
            let max = try integer(fields["max"]!.value, "\(base).max", min: Int.min)
            guard min <= max else { throw fail(fields["min"]!.value, "\(base).min", "min \(min) is greater than max \(max)") }
            domain = .intUniform(min: min, max: max)
        case "uniform": let (a, b) = try range(); domain = .uniform(min: a, max: b)
        case "q_uniform": let (a, b) = try range(); domain = .qUniform(min: a, max: b, q: try q())
        case "log_uniform": let (a, b) = try range(); domain = .logUniform(min: a, max: b)
        case "log_uniform_values": let (a, b) = try range(positive: true); domain = .logUniformValues(min: a, max: b)
        case "q_log_uniform": let (a, b) = try range(); domain = .qLogUniform(min: a, max: b, q: try q())
        case "q_log_uniform_values": let (a, b) = try range(positive: true); domain = .qLogUniformValues(min: a, max: b, q: try q())
        case "inv_log_uniform": let (a, b) = try range(); domain = .invLogUniform(min: a, max: b)
        case "inv_log_uniform_values": let (a, b) = try range(positive: true); domain = .invLogUniformValues(min: a, max: b)
        case "normal": let (mu, sigma) = try normal(); domain = .normal(mu: mu, sigma: sigma)
        case "q_normal": let (mu, sigma) = try normal(); domain = .qNormal(mu: mu, sigma: sigma, q: try q())
        case "log_normal": let (mu, sigma) = try normal(); domain = .logNormal(mu: mu, sigma: sigma)
        default: let (mu, sigma) = try normal(); domain = .qLogNormal(mu: mu, sigma: sigma, q: try q())
        }

        let culprit = fields["distribution"]?.value ?? keyNode
        if configKey.expects.hasPrefix("an integer"), !domain.isIntegral {
            throw fail(culprit, fields["distribution"] == nil ? base : "\(base).distribution",
                       "\(name) takes integers: use values, int_uniform, or a q_ distribution with an integer q (\(distribution) draws fractions)")
        }
        if method == .grid, domain.gridCount == nil {
            throw fail(culprit, fields["distribution"] == nil ? base : "\(base).distribution",
                       "method grid needs a finite set of values (value, values, int_uniform or q_uniform), not \(distribution)"
                       + (fields["probabilities"] == nil ? "" : " with probabilities"))
        }
        // Values must be valid training values, checked before anything runs: a grid's
        // ends stand for its values; for draws, what the distribution draws near its
        // ends (1st and 99th percentiles) or at its centre.
        var probes = domain.probes
        if method == .grid, let count = domain.gridCount {
            probes = count == 0 ? [] : [("min", domain.gridValue(0)), ("max", domain.gridValue(count - 1))]
            if case .constant = domain { probes = [] }
            if case .categorical = domain { probes = [] }
        }
        for probe in probes {
            do {
                _ = try TrainConfig(pairs: [(name, probe.value)])
            } catch {
                let entry = fields[probe.field] ?? (keyNode, keyNode)
                let what = method == .grid ? "the grid takes" : "\(distribution) draws values such as"
                throw fail(entry.value, "\(base).\(probe.field)", "\(what) '\(probe.value)': \(error.message)")
            }
        }

        let conditions = try fields["when"].map { try self.conditions($0.value, parameter: name, base: "\(base).when") } ?? []
        return SpecParameter(name: name, domain: domain, conditions: conditions, line: keyNode.mark?.line ?? 1)
    }

    private func categorical(_ name: String, _ base: String, _ fields: [String: (key: Node, value: Node)]) throws -> ParameterDomain {
        let node = fields["values"]!.value
        guard case .sequence(let items) = node else {
            throw fail(node, "\(base).values", "expected a list such as [a, b], got \(describe(node))")
        }
        guard !items.isEmpty else { throw fail(node, "\(base).values", "empty list: expected at least one value") }
        let values = try items.enumerated().map { i, item in try checkedValue(name, item, "\(base).values[\(i)]") }
        guard let p = fields["probabilities"]?.value else { return .categorical(values, probabilities: nil) }
        guard case .sequence(let weights) = p else {
            throw fail(p, "\(base).probabilities", "expected a list of numbers, got \(describe(p))")
        }
        guard weights.count == items.count else {
            throw fail(p, "\(base).probabilities", "\(weights.count) probabilities for \(items.count) values")
        }
        let probabilities = try weights.enumerated().map { i, w in
            let x = try number(w, "\(base).probabilities[\(i)]")
            guard x >= 0 else { throw fail(w, "\(base).probabilities[\(i)]", "must be >= 0, got \(render(x))") }
            return x
        }
        let sum = probabilities.reduce(0, +)
        guard abs(sum - 1) < 1e-6 else { throw fail(p, "\(base).probabilities", "must sum to 1, got \(render(sum))") }
        return .categorical(values, probabilities: probabilities)
    }

    private func conditions(_ node: Node, parameter: String, base: String) throws -> [Condition] {
        guard case .mapping(let m) = node, !m.isEmpty else {
            throw fail(node, base, "expected a mapping such as {optimizer: [momentum, nesterov]}, got \(describe(node))")
        }
        return try m.map { keyNode, value in
            let key = try self.key(keyNode, in: base)
            guard ConfigKeys.byName[key] != nil else { throw fail(keyNode, "\(base).\(key)", ConfigKeys.unknownKeyMessage(key)) }
            guard key != parameter else { throw fail(keyNode, "\(base).\(key)", "a parameter cannot depend on itself") }
            let items: [(Node, String)]
            if case .sequence(let list) = value {
                guard !list.isEmpty else { throw fail(value, "\(base).\(key)", "empty list: expected at least one value") }
                items = list.enumerated().map { ($1, "\(base).\(key)[\($0)]") }
            } else {
                items = [(value, "\(base).\(key)")]
            }
            var values: [String] = []
            var canonical: [JSON] = []
            for (item, keyPath) in items {
                let text = try checkedValue(key, item, keyPath)
                values.append(text)
                canonical.append(try! TrainConfig(pairs: [(key, text)]).canonical[key]!)
            }
            return Condition(key: key, values: values, canonical: canonical)
        }
    }

    /// Conditional parameters in an order where each comes after the conditional
    /// parameters its `when` names, so a condition sees final values. A cycle is an error.
    static func conditionalOrder(_ parameters: [SpecParameter], path: String) throws -> [Int] {
        let conditional = parameters.indices.filter { parameters[$0].isConditional }
        let indexByName = Dictionary(uniqueKeysWithValues: conditional.map { (parameters[$0].name, $0) })
        var order: [Int] = []
        var state: [Int: Bool] = [:]   // false: in progress, true: done
        func visit(_ i: Int, _ chain: [String]) throws {
            if state[i] == true { return }
            if state[i] == false {
                let cycle = (chain.drop { $0 != parameters[i].name } + [parameters[i].name]).joined(separator: " -> ")
                throw SpecError(path: path, line: parameters[i].line, keyPath: "parameters.\(parameters[i].name).when",
                                "conditions form a cycle (\(cycle))")
            }
            state[i] = false
            for condition in parameters[i].conditions {
                if let j = indexByName[condition.key] { try visit(j, chain + [parameters[i].name]) }
            }
            state[i] = true
            order.append(i)
        }
        for i in conditional { try visit(i, []) }
        return order
    }

    // MARK: scalars

    /// A value for training key `key`, as the text TrainConfig parses, checked against the key.
    private func checkedValue(_ key: String, _ node: Node, _ keyPath: String) throws -> String {
        let text = try scalarText(node, keyPath)
        do {
            _ = try TrainConfig(pairs: [(key, text)])
        } catch {
            throw fail(node, keyPath, error.message)
        }
        return text
    }

    /// A scalar as the text TrainConfig parses: YAML numbers in Swift's shortest form
    /// (1.0e-4 → "0.0001", 0x10 → "16"), booleans true/false, null as none.
    private func scalarText(_ node: Node, _ keyPath: String) throws -> String {
        guard case .scalar(let scalar) = node else {
            throw fail(node, keyPath, "expected a single value, got \(describe(node))")
        }
        switch node.tagName {
        case .int: return node.checkedInt.map { String($0) } ?? scalar.string
        case .float: return node.float.map(render) ?? scalar.string
        case .bool: return node.bool.map { $0 ? "true" : "false" } ?? scalar.string
        case .null: return "none"
        default: return scalar.string
        }
    }

    private func number(_ node: Node, _ keyPath: String) throws -> Double {
        guard node.tagName == .int || node.tagName == .float, let x = node.float ?? node.checkedInt.map(Double.init), x.isFinite else {
            throw fail(node, keyPath, "expected a number, got \(describe(node))")
        }
        return x
    }

    private func integer(_ node: Node, _ keyPath: String, min: Int) throws -> Int {
        var value: Int?
        if node.tagName == .int { value = node.checkedInt }
        if node.tagName == .float, let x = node.float, x == x.rounded(), abs(x) < 9e15 { value = Int(x) }
        guard let value else { throw fail(node, keyPath, "expected an integer, got \(describe(node))") }
        guard value >= min else { throw fail(node, keyPath, "expected an integer >= \(min), got \(value)") }
        return value
    }

    private func key(_ node: Node, in context: String) throws -> String {
        guard case .scalar(let scalar) = node else { throw fail(node, context, "expected a key, got \(describe(node))") }
        return scalar.string
    }

    private func render(_ x: Double) -> String { ParameterDomain.render(x) }

    private func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): "'\(s.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    // MARK: messages

    private func fail(_ node: Node, _ keyPath: String, _ problem: String) -> SpecError {
        SpecError(path: path, line: node.mark?.line ?? 1, keyPath: keyPath, problem)
    }

    private mutating func note(_ node: Node, _ text: String) {
        notes.append("note: \(path):\(node.mark?.line ?? 1): \(text)")
    }

    /// Yams' errors, on one line with the line number.
    private func yamlError(_ error: YamlError, yaml: String) -> SpecError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return SpecError("\(path):\(mark.line): invalid YAML: \(problem)\(detail)")
        case .reader(let problem, let offset, _, _):
            let line = offset.map { yaml.prefix($0).filter { $0 == "\n" }.count + 1 } ?? 1
            return SpecError("\(path):\(line): invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return SpecError(path: path, line: context.mark.line, keyPath: duplicates.first ?? "?", "key given twice")
        default:
            let text = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            return SpecError("\(path):1: invalid YAML: \(text)")
        }
    }
}

private extension Node {
    /// The resolved tag (str, int, float, bool, null, …): quoted scalars are strings.
    var tagName: Tag.Name { Tag.Name(rawValue: tag.description) }

    /// Yams' `int`, except that YAML 1.1's base-60 integers (`1:30` is 90) are read here
    /// with overflow checks: Yams 6.2 traps on any of 11 parts or more, whose place value
    /// passes Int (`seed: 1:0:0:0:0:0:0:0:0:0:0`), or whose value does. nil when it does not fit.
    var checkedInt: Int? {
        guard case .scalar(let scalar) = self, scalar.string.contains(":") else { return int }
        var digits = Substring(scalar.string.replacingOccurrences(of: "_", with: ""))
        let negative = digits.hasPrefix("-")
        if negative || digits.hasPrefix("+") { digits = digits.dropFirst() }
        var value = 0
        for part in digits.split(separator: ":", omittingEmptySubsequences: false) {
            guard let digit = Int(part) else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 60)
            let (sum, carry) = shifted.addingReportingOverflow(digit)
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return negative ? -value : value
    }
}
