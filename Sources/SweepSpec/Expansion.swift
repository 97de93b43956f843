import SweepRandom
import SweepConfig

/// Turns a spec's parameters into tasks: the grid's cartesian product or the
/// random draws, conditions applied, duplicates dropped (first occurrence kept).
struct Expansion {
    let spec: SweepSpec
    /// Unconditional parameters, in file order.
    private let fixed: [Int]
    /// Conditional parameters, each after those its conditions name.
    private let conditional: [Int]

    /// A random sweep gives up on drawing new configurations after this many
    /// duplicates in a row: its space is smaller than run_cap.
    static let maxDuplicateDraws = 1000
    /// Draws of one parameter that may fail the training key's check (a normal
    /// that crosses a bound) before the spec is reported as unusable.
    static let maxInvalidDraws = 1000

    init(spec: SweepSpec) throws {
        self.spec = spec
        fixed = spec.parameters.indices.filter { !spec.parameters[$0].isConditional }
        conditional = try SpecReader.conditionalOrder(spec.parameters, path: spec.path)
    }

    func tasks() throws -> [SweepTask] {
        var unique = UniqueTasks()
        // run_cap counts the enqueued tasks (the reader allows no more of them than that).
        let cap = spec.method == .grid ? spec.runCap ?? Int.max : spec.runCap ?? 0
        for config in try enqueued() where unique.tasks.count < cap { unique.add(config) }
        switch spec.method {
        case .grid:
            let domains = spec.parameters.map(\.domain)
            let counts = domains.map { $0.gridCount ?? 0 }
            guard !counts.contains(0) else { return unique.tasks }
            let limit = spec.runCap ?? Int.max
            // An odometer over the values (built as reached, so a capped grid over a
            // huge int_uniform stays small): the last parameter turns fastest.
            var digits = [Int](repeating: 0, count: domains.count)
            var choice = domains.map { $0.gridValue(0) }
            outer: while unique.tasks.count < limit {
                try unique.add(config(choice))
                var i = domains.count - 1
                while true {
                    guard i >= 0 else { break outer }
                    digits[i] += 1
                    if digits[i] < counts[i] { choice[i] = domains[i].gridValue(digits[i]); break }
                    digits[i] = 0
                    choice[i] = domains[i].gridValue(0)
                    i -= 1
                }
            }
        case .random, .bayes, .pbt:
            var rng = SplitMix64(seed: spec.seed)
            let runCap = spec.runCap ?? 0
            var duplicates = 0
            while unique.tasks.count < runCap, duplicates < Self.maxDuplicateDraws {
                let choice = try randomChoice(&rng)
                duplicates = try unique.add(config(choice)) ? 0 : duplicates + 1
            }
        }
        return unique.tasks
    }

    /// The configuration for one value per parameter (in `spec.parameters` order):
    /// unconditional values first, then each conditional one whose conditions hold.
    /// `extra` sets training keys that are not parameters (from `enqueue:`), seen by conditions.
    func config(_ choice: [String], extra: [(String, String)] = []) throws -> TrainConfig {
        var pairs = fixed.map { (spec.parameters[$0].name, choice[$0]) } + extra
        var config = try make(pairs)
        if conditional.isEmpty { return config }
        var canonical = config.canonical
        for i in conditional where spec.parameters[i].conditions.allSatisfy({ $0.matches(canonical) }) {
            pairs.append((spec.parameters[i].name, choice[i]))
            config = try make(pairs)
            canonical = config.canonical
        }
        return config
    }

    private func make(_ pairs: [(String, String)]) throws -> TrainConfig {
        do {
            return try TrainConfig(pairs: pairs)
        } catch {
            // Every value was checked on its own while parsing; keys do not constrain each other.
            throw SpecError("\(spec.path):1: parameters: \(error.message)")
        }
    }

    /// One random value per parameter, in `spec.parameters` order.
    func randomChoice(_ rng: inout SplitMix64) throws -> [String] {
        try spec.parameters.map { try draw($0, &rng) }
    }

    /// The configurations of `enqueue:`: each entry's values over a random choice drawn
    /// from a generator of its own (seeded by the spec's seed and the entry's position, so
    /// the method's own draws stay those of the spec without `enqueue:`).
    func enqueued() throws -> [TrainConfig] {
        var configs: [TrainConfig] = []
        var seen: [String: Int] = [:]
        for (k, entry) in spec.enqueue.enumerated() {
            var mixer = SplitMix64(seed: UInt64(bitPattern: Int64(spec.seed)) ^ (UInt64(k + 1) &* 0x9E37_79B9_7F4A_7C15))
            var rng = SplitMix64(seed: mixer.next())
            var choice = try randomChoice(&rng)
            var extra: [(String, String)] = []
            for value in entry.values {
                if let i = spec.parameters.firstIndex(where: { $0.name == value.key }) {
                    choice[i] = value.value
                } else {
                    extra.append((value.key, value.value))
                }
            }
            let config = try self.config(choice, extra: extra)
            let canonical = config.canonical
            for value in entry.values {
                guard let parameter = spec.parameters.first(where: { $0.name == value.key }), !parameter.isActive(in: canonical) else { continue }
                let when = parameter.conditions.map { "\($0.key): [\($0.values.joined(separator: ", "))]" }.joined(separator: ", ")
                throw SpecError(path: spec.path, line: value.line, keyPath: "enqueue[\(k)].\(value.key)",
                                "given, but its condition (when: {\(when)}) does not hold for this configuration")
            }
            let id = SweepTask.id(of: config)
            if let earlier = seen[id] {
                throw SpecError(path: spec.path, line: entry.line, keyPath: "enqueue[\(k)]", "the same configuration as enqueue[\(earlier)]")
            }
            seen[id] = k
            configs.append(config)
        }
        return configs
    }

    /// One random value of a parameter that its training key accepts.
    func draw(_ parameter: SpecParameter, _ rng: inout SplitMix64) throws -> String {
        var lastError = ConfigError("")
        for _ in 0..<Self.maxInvalidDraws {
            let value = parameter.domain.sample(&rng)
            switch parameter.domain {
            case .constant, .categorical: return value   // checked while parsing
            default: break
            }
            do {
                _ = try TrainConfig(pairs: [(parameter.name, value)])
                return value
            } catch {
                lastError = error
            }
        }
        throw SpecError(path: spec.path, line: parameter.line, keyPath: "parameters.\(parameter.name)",
                        "\(Self.maxInvalidDraws) draws in a row were invalid, e.g. \(lastError.message)")
    }
}

/// Tasks in order of first appearance, keyed by the hash of their canonical
/// configuration; a hash collision is settled by comparing the configurations.
private struct UniqueTasks {
    var tasks: [SweepTask] = []
    private var indexByHash: [UInt64: Int] = [:]

    /// Adds the task unless an identical configuration is already there; tells whether it did.
    @discardableResult
    mutating func add(_ config: TrainConfig) -> Bool {
        let canonical = config.canonical
        let hash = SweepTask.hash(of: canonical)
        var slot = hash
        while let existing = indexByHash[slot] {
            if tasks[existing].config.canonical == canonical { return false }
            slot &+= 1   // different configurations with one hash: probe on
        }
        indexByHash[slot] = tasks.count
        tasks.append(SweepTask(index: tasks.count, config: config, hash: hash))
        return true
    }
}
