import Foundation
import SweepConfig
import SweepRandom

public enum SearchMethod: String, Sendable, CaseIterable {
    case grid, random, bayes
}

/// `metric:` — the metric (docs/metrics.md) a sweep optimizes.
public struct MetricGoal: Sendable, Equatable {
    public var name: String
    public var maximize: Bool

    public init(name: String = "test_accuracy", maximize: Bool = true) {
        self.name = name
        self.maximize = maximize
    }

    /// The metrics a spec may name (docs/spec.md § Metric).
    public static let names = ["train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy"]
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
    /// `metric:`; by default test_accuracy, maximized. Without `goal`, accuracies
    /// are maximized and losses minimized.
    public var metric: MetricGoal
    /// `run_cap:` — random and bayes: the number of tasks (required); grid: at most
    /// this many of the combinations, in order.
    public var runCap: Int?
    /// `seed:` — seeds random sampling (default 0).
    public var seed: Int
    /// `max_attempts:` — workers a task may fail on before it is marked failed (default 3).
    public var maxAttempts: Int
    public var earlyTerminate: EarlyTerminate?
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

    /// The tasks of the sweep, in a stable order, without duplicates.
    /// grid: every combination, the first parameter varying slowest (capped at run_cap);
    /// random (and, until TPE lands, bayes): run_cap draws from a generator seeded by `seed`.
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
}
