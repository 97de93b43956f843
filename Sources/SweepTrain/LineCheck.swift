import SweepConfig
import SweepData
import SweepEngine

extension Models {
    /// The network of a configuration for its dataset's images, declared (nothing loaded or
    /// allocated): what `sweep describe` shows and what a sweep checks before it starts.
    public static func declare(_ config: TrainConfig) throws(ConfigError) -> Model {
        let dataset = DatasetName(rawValue: config.dataset)!
        return try declare(config, inputShape: dataset.imageShape, classes: dataset.classes)
    }

    /// Checks that every configuration written as a line (the architecture key) builds for
    /// its dataset's images, each distinct network once: a line whose shapes do not fit
    /// stops a sweep before it starts, instead of failing every task that trains it (and
    /// every retry). The error is the builder's, with the line and dataset it came from.
    public static func checkLines(_ configs: some Sequence<TrainConfig>) throws(ConfigError) {
        var seen = Set<String>()
        for config in configs {
            guard let line = config.architecture else { continue }
            // what the builder reads of a configuration besides the line
            let key = [line, config.dataset, "\(config.hidden)", "\(config.resolvedDropout)", config.resolvedActivation.rawValue]
                .joined(separator: "\u{1F}")
            guard seen.insert(key).inserted else { continue }
            do { _ = try declare(config) } catch {
                throw ConfigError("\(error.message) (architecture=\(line), dataset=\(config.dataset))")
            }
        }
    }
}
