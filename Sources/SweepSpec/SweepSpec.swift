import Foundation
import SweepConfig
import SweepRandom

public enum SearchMethod: String, Sendable, CaseIterable {
    case grid, random, bayes
    /// Population-based training (`pbt:`).
    case pbt
}

/// `metric:` — a metric (docs/metrics.md) a sweep optimizes, and in which direction.
public struct MetricGoal: Sendable, Equatable {
    public var name: String
    public var maximize: Bool

    public init(name: String = "test_accuracy", maximize: Bool = true) {
        self.name = name
        self.maximize = maximize
    }

    /// The metrics a spec's first (or only) metric may name (docs/spec.md § Metric): what
    /// training learns, so early stopping and population-based training can judge it.
    public static let names = ["train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy"]

    /// What the further metrics of a list may name as well: the costs of a run.
    public static let costNames = ["wall_seconds", "samples_per_second", "parameters", "epoch"]

    /// The goal when a spec gives none: accuracies and throughput are maximized, losses,
    /// time, size and epochs minimized (W&B would minimize everything).
    public static func defaultMaximize(_ name: String) -> Bool {
        name.hasSuffix("accuracy") || name == "samples_per_second"
    }
}

/// `pbt:` — population-based training (Jaderberg et al., 2017, as Ray Tune's
/// PopulationBasedTraining scheduler runs it).
public struct PBTSettings: Sendable, Equatable {
    /// Members, each a task trained side by side.
    public var population: Int
    /// Epochs between two exploit/explore steps.
    public var interval: Int
    /// The bottom `quantile` of members copy one of the top `quantile` (0 < q ≤ 0.5).
    public var quantile: Double
    /// The chance that an explored parameter is drawn anew from its distribution
    /// rather than multiplied by 0.8 or 1.2.
    public var resampleProbability: Double

    public init(population: Int = 8, interval: Int = 2, quantile: Double = 0.25, resampleProbability: Double = 0.25) {
        self.population = population
        self.interval = interval
        self.quantile = quantile
        self.resampleProbability = resampleProbability
    }
}

/// One entry of `enqueue:`: values for some parameters (or other training keys), to run
/// before the method's own tasks, as Optuna's `enqueue_trial`.
public struct EnqueuedConfiguration: Sendable, Equatable {
    public struct Value: Sendable, Equatable {
        public var key: String
        /// The text TrainConfig parses.
        public var value: String
        public var line: Int
    }

    /// In file order.
    public var values: [Value]
    /// Line of the entry in the spec.
    public var line: Int

    public func value(of key: String) -> String? { values.first { $0.key == key }?.value }
}

/// `early_terminate:` — parsed and validated here, executed by the coordinator.
public struct EarlyTerminate: Sendable, Equatable {
    /// `hyperband` (asynchronous successive halving) or `median`.
    public var type: String
    /// The first epoch at which tasks are compared (the first bracket).
    public var minIter: Int
    /// Brackets are minIter·eta^k.
    public var eta: Int
    /// W&B's number of brackets, when given with `max_iter`.
    public var s: Int?
    /// W&B's `max_iter`, when given (minIter is then derived from it: max_iter/eta^s).
    public var maxIter: Int?

    public init(type: String, minIter: Int, eta: Int = 3, s: Int? = nil, maxIter: Int? = nil) {
        self.type = type
        self.minIter = minIter
        self.eta = eta
        self.s = s
        self.maxIter = maxIter
    }

    public static let types = ["hyperband", "median"]

    public enum Kind: String, Sendable {
        /// Asynchronous successive halving (ASHA) at epochs minIter·eta^k.
        case hyperband
        /// The median stopping rule from minIter on.
        case median
    }

    /// `type`, typed (the reader accepts only `types`).
    public var kind: Kind { Kind(rawValue: type)! }
}

/// A sweep spec (docs/spec.md): W&B's sweep configuration schema, whose parameter
/// names are training keys (docs/keys.md).
public struct SweepSpec: Sendable {
    /// `name:`; by default the file's base name without extension.
    public var name: String
    public var method: SearchMethod
    /// `metric:` as given, one or several; by default test_accuracy, maximized. Without
    /// `goal`, accuracies are maximized and losses minimized (`MetricGoal.defaultMaximize`).
    public var metrics: [MetricGoal]
    /// The first metric: the one early stopping and population-based training judge,
    /// and the only one of a single-objective sweep.
    public var metric: MetricGoal {
        get { metrics[0] }
        set { metrics[0] = newValue }
    }
    /// Whether `metric:` lists several objectives (Pareto fronts, multi-objective TPE).
    public var isMultiObjective: Bool { metrics.count > 1 }
    /// `run_cap:` — random and bayes: the number of tasks (required); grid: at most
    /// this many of the combinations, in order; pbt: the population (`pbt.population`).
    /// Tasks of `enqueue:` count.
    public var runCap: Int?
    /// `seed:` — seeds random sampling (default 0).
    public var seed: Int
    /// `max_attempts:` — workers a task may fail on before it is marked failed (default 3).
    public var maxAttempts: Int
    public var earlyTerminate: EarlyTerminate?
    /// `pbt:` — set for method pbt (defaults when the block is absent), nil otherwise.
    public var pbt: PBTSettings?
    /// `enqueue:` — configurations to run first, in order.
    public var enqueue: [EnqueuedConfiguration]
    /// In file order.
    public var parameters: [SpecParameter]
    /// Remarks for the user, e.g. "note: sweeps/x.yaml:3: key 'program' is a W&B launch key; ignored".
    public var notes: [String]
    /// The YAML text as read.
    public var source: String
    public var path: String

    /// Reads and checks the spec at `path`. Throws SpecError only.
    public static func load(path: String) throws -> SweepSpec {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file"
            throw SpecError("\(path): \(reason)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpecError("\(path): not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    /// Parses and checks spec text; `path` names it in messages and gives the default name.
    public static func parse(_ yaml: String, path: String) throws -> SweepSpec {
        var reader = SpecReader(path: path)
        return try reader.read(yaml)
    }

    /// The tasks of the sweep, in a stable order, without duplicates: first those of
    /// `enqueue:`, then for grid every combination, the first parameter varying slowest
    /// (capped at run_cap); for random, bayes and pbt, run_cap draws from a generator seeded
    /// by `seed` (bayes proposes its tasks while it runs: these are its random draws; pbt:
    /// the initial population).
    public func expand() throws -> [SweepTask] {
        try Expansion(spec: self).tasks()
    }

    /// The configuration for one value per parameter (in `parameters` order): a
    /// conditional value is set only when its `when:` holds, as in `expand()`.
    public func configuration(_ choice: [String]) throws -> TrainConfig {
        try Expansion(spec: self).config(choice)
    }

    /// One value per parameter drawn as `expand()` draws them for method random.
    public func randomChoice(_ rng: inout SplitMix64) throws -> [String] {
        try Expansion(spec: self).randomChoice(&rng)
    }

    /// One value of `parameter` drawn from its distribution, valid for its training key.
    public func randomValue(of parameter: SpecParameter, _ rng: inout SplitMix64) throws -> String {
        try Expansion(spec: self).draw(parameter, &rng)
    }

    /// The configurations of `enqueue:`, in order: each entry's values, the parameters it
    /// leaves out drawn from a generator seeded by (seed, entry), conditions applied.
    public func enqueuedConfigurations() throws -> [TrainConfig] {
        try Expansion(spec: self).enqueued()
    }

    /// The epochs every task trains when the spec does not vary them: the `epochs`
    /// parameter's one value (unconditional), or the key's default; nil when they vary.
    public var fixedEpochs: Int? { Self.fixedEpochs(parameters) }

    static func fixedEpochs(_ parameters: [SpecParameter]) -> Int? {
        guard let p = parameters.first(where: { $0.name == "epochs" }) else { return TrainConfig().epochs }
        guard !p.isConditional, let values = p.gridValues, values.count == 1 else { return nil }
        return (try? TrainConfig(pairs: [("epochs", values[0])]))?.epochs
    }
}
