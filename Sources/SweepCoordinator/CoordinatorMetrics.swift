import Metrics

/// The coordinator's own counts for `/metrics` (docs/live.md), through swift-metrics: a
/// process that serves `--http` bootstraps it with Prometheus's factory (SweepLive);
/// without that, every count goes to swift-metrics' no-op handler. What the store knows
/// (tasks by status, workers) is read from it at each scrape instead.
final class CoordinatorMetrics: Sendable {
    /// Results stored (any final status): `rate()` gives results per second.
    let results: Counter
    /// Workers taken for lost (silent past the heartbeat timeout, or dead under `sweep run`):
    /// their leases on tasks expired.
    let leasesExpired: Counter
    /// Tasks that went back to pending.
    let requeued: Counter
    /// Messages dropped because they did not decode.
    let malformed: Counter
    /// How long each store commit took.
    let commit: Metrics.Timer

    init(sweep: String) {
        let d = [("sweep", sweep)]
        results = Counter(label: "sweep_results_total", dimensions: d)
        leasesExpired = Counter(label: "sweep_leases_expired_total", dimensions: d)
        requeued = Counter(label: "sweep_tasks_requeued_total", dimensions: d)
        malformed = Counter(label: "sweep_messages_malformed_total", dimensions: d)
        commit = Metrics.Timer(label: "sweep_store_commit_seconds", dimensions: d, preferredDisplayUnit: .seconds)
    }

    /// Counts what a round's effects say happened (before its commit).
    func count(_ effects: [Effect]) {
        for e in effects {
            switch e {
            case .store(.requeued): requeued.increment()
            case .store(.workerLeft(_, _, .lost, _, _)): leasesExpired.increment()
            default: break
            }
        }
    }
}
