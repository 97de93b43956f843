import SweepEngine

/// The kernel sets this CPU runs (openblas last), for tests that run each on purpose with
/// `Kernels.$forced.withValue(set)`: task-local, so tests running in parallel never see
/// each other's choice.
public let kernelSets = KernelSet.available
/// The sets with the engine's own kernels (all but openblas).
public let ownKernelSets = KernelSet.available.filter(\.own)
