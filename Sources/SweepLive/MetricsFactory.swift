import CoreMetrics
import Prometheus

/// swift-metrics' factory over this process's Prometheus registry, like swift-prometheus's
/// own but giving each of Sweep's series its help text (docs/live.md): the factory that
/// package ships registers every series without one, which `promtool check metrics` flags.
struct SweepMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    /// Every series /metrics carries, and what it counts.
    static let help: [String: String] = [
        "sweep_tasks": "Tasks of the sweep by status.",
        "sweep_workers_connected": "Workers connected now.",
        "sweep_slots_connected": "Slots of the workers connected now.",
        "sweep_results_total": "Results stored (any final status) since the coordinator started.",
        "sweep_leases_expired_total": "Workers taken for lost (silent past the heartbeat timeout, or dead) since the coordinator started.",
        "sweep_tasks_requeued_total": "Tasks sent back to pending since the coordinator started.",
        "sweep_store_commit_seconds": "How long each store commit took.",
        "sweep_messages_malformed_total": "Messages from workers dropped because they did not decode.",
    ]

    /// Buckets of a duration histogram (the store's commits: a millisecond to seconds on a full disk).
    static let durationBuckets: [Duration] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        .map { Duration.nanoseconds(Int64($0 * 1e9)) }
    static let valueBuckets: [Double] = [0.001, 0.01, 0.1, 1, 10, 100, 1000]

    static func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: help[label] ?? label)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: Self.descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: Self.descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        aggregate ? registry.makeValueHistogram(descriptor: Self.descriptor(label), labels: dimensions, buckets: Self.valueBuckets)
            : registry.makeGauge(descriptor: Self.descriptor(label), labels: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: Self.descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: Self.descriptor(label), labels: dimensions, buckets: Self.durationBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let c = handler as? Prometheus.Counter { registry.unregisterCounter(c) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let c = handler as? Prometheus.Counter { registry.unregisterCounter(c) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let g = handler as? Prometheus.Gauge { registry.unregisterGauge(g) }
        if let h = handler as? ValueHistogram { registry.unregisterValueHistogram(h) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let g = handler as? Prometheus.Gauge { registry.unregisterGauge(g) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let h = handler as? DurationHistogram { registry.unregisterDurationHistogram(h) }
    }
}
