import SweepConfig
import SweepData
import SweepEngine
import SweepInsights
#if canImport(Glibc)
import Glibc
#endif

/// One training run: loads the data, builds the model and optimizer from a
/// `TrainConfig`, and trains minibatch epochs, reporting metrics per epoch.
///
/// Bad configuration or data throws (`ConfigError`, `DataError`): the caller
/// reports it as bad input. A loss that becomes NaN or infinite ends the run
/// with status `diverged`.
public final class Trainer {
    public let config: TrainConfig
    /// What the run may use: a network that cannot fit fails before anything is allocated.
    public let memoryLimit: MemoryLimit
    private let clock = ContinuousClock()

    public init(config: TrainConfig, memoryLimit: MemoryLimit = .machine()) {
        self.config = config
        self.memoryLimit = memoryLimit
    }

    /// The dataset options the configuration asks for.
    public static func dataOptions(_ config: TrainConfig) -> DataOptions {
        DataOptions(name: DatasetName(rawValue: config.dataset)!, directory: config.dataDir,
                    trainPerClass: config.trainPerClass, testPerClass: config.testPerClass,
                    validationFraction: config.validationFraction)
    }

    /// Trains `config.epochs` epochs. `dataset` may be given to reuse a loaded one.
    /// `shouldStop` is asked after every step; when it answers true the run ends
    /// with status `stopped` and the metrics so far. `pause`, when given, is how model=noop
    /// waits (at most the duration it is given, returning early when a stop may have come):
    /// a slot waits on its stdin, so a cancel wakes it at once instead of at the next 10 ms tick.
    ///
    /// `interval`, when given, trains only its epochs, from its checkpoint (with this
    /// configuration, which may differ from the one the checkpoint was trained with: its
    /// learning rate, momentum, …), and the result carries the checkpoint after them.
    public func run(dataset: Dataset? = nil,
                    interval: TrainingInterval? = nil,
                    onEpoch: (EpochMetrics) -> Void = { _ in },
                    shouldStop: () -> Bool = { false },
                    pause: ((Duration) -> Void)? = nil) throws -> RunResult {
        let start = clock.now
        if let interval, !(0 <= interval.from && interval.from < interval.to && interval.to <= config.epochs) {
            throw ConfigError("interval: epochs \(interval.from + 1) to \(interval.to) do not lie within 1 to \(config.epochs)")
        }
        if config.model == .noop { return runNoop(start: start, interval: interval, onEpoch: onEpoch, shouldStop: shouldStop, pause: pause) }

        BLAS.setThreads(config.threads)
        // one thread: the engine's own kernels (the set chosen at start, or one a caller forced);
        // several: OpenBLAS's threaded GEMM and the Swift loops
        let kernels = config.threads > 1 ? KernelSet.openblas : Kernels.current
        var result = try Kernels.$forced.withValue(kernels) {
            try train(dataset: dataset, interval: interval, start: start, onEpoch: onEpoch, shouldStop: shouldStop)
        }
        result.kernels = kernels.name
        return result
    }

    private func train(dataset: Dataset?, interval: TrainingInterval?, start: ContinuousClock.Instant, onEpoch: (EpochMetrics) -> Void,
                       shouldStop: () -> Bool) throws -> RunResult {
        let data = try dataset ?? loadDataset(Trainer.dataOptions(config))
        guard data.train.count > 0 else { throw ConfigError("dataset \(config.dataset): the training split is empty") }
        let settings = OptimizerSettings(kind: OptimizerKind(config.optimizer),
                                         learningRate: Float(config.learningRate),
                                         momentum: Float(config.resolvedMomentum),
                                         weightDecay: Float(config.weightDecay),
                                         clipNorm: config.clipNorm.map { Float($0) })
        let model = try Models.declare(config, inputShape: data.shape, classes: data.classes)
        try MemoryNeed(model: model, optimizer: settings, batchSize: config.batchSize).check(against: memoryLimit)
        Models.allocate(model, config)
        let optimizer = Optimizer(settings, parameterCount: model.parameterCount)
        let loop = Loop(model: model, data: data, batchSize: config.batchSize)
        loop.augment = Augment(config.augment, data: data, seed: config.seed)
        var shuffle = RNG(seed: config.seed, stream: Streams.shuffle)
        var order = Array(0..<data.train.count)
        let (first, last) = (interval?.from ?? 0, interval?.to ?? config.epochs)
        // the run's insights (step losses, activations, trace) are stored with the member's result,
        // which its last interval sends: an earlier interval records none, work no one would read
        let recordsInsights = last == config.epochs
        var startedFrom: UInt64?
        if let bytes = interval?.checkpoint {
            let checkpoint = try Checkpoint(decoding: bytes)
            guard checkpoint.epoch == first else { throw ConfigError("checkpoint: it holds epoch \(checkpoint.epoch), the interval starts after \(first)") }
            if let error = model.load(stateDict: checkpoint.network) { throw ConfigError("checkpoint: \(error)") }
            try optimizer.importState(checkpoint.optimizer)
            loop.steps = checkpoint.steps
            // what the run starts from, read back from the network and optimizer as loaded
            startedFrom = Checkpoint.stateDigest(Checkpoint(epoch: first, steps: loop.steps, network: model.stateDict(steps: loop.steps),
                                                            optimizer: optimizer.exportState()).tensors)
        }
        // the orders of the epochs before: epoch e trains on the e-th draw, as in one uninterrupted run
        for _ in 0..<first { shuffle.shuffle(&order) }

        var result = RunResult(status: .completed, config: config, epochs: [])
        let stepsPerEpoch = (data.train.count + config.batchSize - 1) / config.batchSize
        loop.stepLosses = StepLosses(every: StepLosses.interval(stepsPerEpoch: stepsPerEpoch), stepsPerEpoch: stepsPerEpoch)
        loop.trace = recordsInsights ? TraceRecorder(model: model, data: data, stepsPerEpoch: stepsPerEpoch, batchSize: config.batchSize) : nil
        var activations: [LayerActivations] = []
        for epoch in (first + 1)...last {
            shuffle.shuffle(&order)
            let epochStart = clock.now
            let pass = loop.train(order: order, optimizer: optimizer, shouldStop: shouldStop)
            let trainSeconds = (clock.now - epochStart).seconds
            if pass.stopped && !result.epochs.isEmpty {
                // stopped part-way (early termination): the metrics are the last whole epoch's, the
                // ones the decision was made on; the activations are taken from the model as it is
                result.status = .stopped
                let recorder = ActivationRecorder(model: model)
                _ = loop.evaluate(data.test, recording: recorder)
                if data.test.count > 0 { activations = recorder.activations }
                break
            }

            var metrics = EpochMetrics(
                epoch: epoch, trainLoss: pass.loss, trainAccuracy: pass.accuracy,
                valLoss: nil, valAccuracy: nil, testLoss: .nan, testAccuracy: .nan,
                samplesPerSecond: Double(pass.samples) / max(trainSeconds, 1e-9),
                wallSeconds: 0, parameters: model.parameterCount)
            if pass.diverged {
                metrics.trainLoss = .nan
                result.status = .diverged
            } else {
                if data.validation.count > 0 {
                    let v = loop.evaluate(data.validation)
                    metrics.valLoss = v.loss
                    metrics.valAccuracy = v.accuracy
                }
                // the last epoch's test pass also records every layer's activations
                let recorder = (epoch == last && recordsInsights) || pass.stopped
                    ? ActivationRecorder(model: model) : nil
                let t = loop.evaluate(data.test, recording: recorder)
                metrics.testLoss = t.loss
                metrics.testAccuracy = t.accuracy
                if let recorder, data.test.count > 0 { activations = recorder.activations }
                if pass.stopped { result.status = .stopped }
            }
            if !pass.diverged { loop.trace?.endOfEpoch(epoch, step: loop.steps) }
            metrics.wallSeconds = (clock.now - start).seconds
            result.epochs.append(metrics)
            onEpoch(metrics)
            if result.status != .completed { break }
        }
        if recordsInsights || result.status != .completed {
            result.insights = RunInsights(steps: loop.stepLosses, activations: activations,
                                          filters: model.firstConvolutionFilters, trace: loop.trace?.trace)
        }
        result.weights = model.stateDict(steps: loop.steps)
        if interval != nil, result.status == .completed {
            result.checkpoint = Checkpoint(epoch: last, steps: loop.steps, network: result.weights!, optimizer: optimizer.exportState(),
                                           metadata: startedFrom.map { [("pbt.started_from", String($0, radix: 16))] } ?? []).encoded()
        }
        return result
    }

    /// model=noop trains nothing: it waits `duration_ms` in all and reports metrics
    /// that depend only on the configuration (`SyntheticObjective`: a noisy bowl over
    /// the learning rate, best near 3e-3 with adam), to measure the runtime and to
    /// test search.
    private func runNoop(start: ContinuousClock.Instant, interval: TrainingInterval?, onEpoch: (EpochMetrics) -> Void,
                         shouldStop: () -> Bool, pause: ((Duration) -> Void)?) -> RunResult {
        var result = RunResult(status: .completed, config: config, epochs: [])
        let objective = SyntheticObjective()
        let bowl = objective.value(config)   // the configuration's canonical text is hashed once, not every epoch
        let (first, last) = (interval?.from ?? 0, interval?.to ?? config.epochs)
        for epoch in (first + 1)...last {
            let due = start + .milliseconds(config.durationMs * (epoch - first) / config.epochs)
            while clock.now < due {
                if shouldStop() { result.status = .stopped; break }
                let left = due - clock.now
                if let pause { pause(left) } else { clock.sleepSync(min(left, .milliseconds(10))) }
            }
            // the loss is the synthetic bowl at this epoch; the accuracy falls as it rises
            let loss = objective.value(atEpoch: epoch, of: bowl)
            let accuracy = 1 / (1 + exp(loss))
            let m = EpochMetrics(epoch: epoch, trainLoss: loss, trainAccuracy: accuracy,
                                 valLoss: nil, valAccuracy: nil, testLoss: loss, testAccuracy: accuracy,
                                 samplesPerSecond: 0, wallSeconds: (clock.now - start).seconds, parameters: 0)
            result.epochs.append(m)
            onEpoch(m)
            if result.status != .completed { break }
        }
        if interval != nil, result.status == .completed {
            // nothing trained: the checkpoint holds the epoch reached
            result.checkpoint = Checkpoint(epoch: last, steps: 0, network: [], optimizer: .init(steps: 0, first: nil, second: nil)).encoded()
        }
        return result
    }
}

/// The inner loops: buffers for one batch are allocated once and reused.
final class Loop {
    let model: Model
    let data: Dataset
    let batchSize: Int
    let images: Tensor
    let labels: UnsafeMutablePointer<Int32>
    let loss = SoftmaxCrossEntropy()
    /// Training steps taken so far, across epochs.
    var steps = 0
    /// The mean batch loss every `stepLosses.every` steps.
    var stepLosses = StepLosses(every: 1, stepsPerEpoch: 1)
    /// Rewrites training batches (the `augment` key); evaluation batches are left alone.
    var augment: Augment?
    /// Takes every layer's statistics every `trace.every` steps.
    var trace: TraceRecorder?
    private var windowLoss = 0.0

    init(model: Model, data: Dataset, batchSize: Int) {
        self.model = model
        self.data = data
        self.batchSize = batchSize
        images = Tensor(shape: [batchSize] + data.shape)
        labels = .allocate(capacity: batchSize)
        labels.initialize(repeating: 0, count: batchSize)
    }

    deinit { labels.deallocate() }

    struct Pass {
        var loss = 0.0, accuracy = 0.0, samples = 0
        var diverged = false, stopped = false
    }

    private func load(_ split: ImageSet, _ indices: ArraySlice<Int>) {
        images.reshape([indices.count] + data.shape)
        data.gather(split, indices: indices, images: images.data, labels: labels)
    }

    /// One epoch over `order`; the loss and accuracy are means over the samples seen.
    func train(order: [Int], optimizer: Optimizer, shouldStop: () -> Bool) -> Pass {
        var pass = Pass()
        var lossSum = 0.0, correct = 0
        var start = 0
        let epochEnd = steps + (order.count + batchSize - 1) / batchSize
        while start < order.count {
            let end = min(start + batchSize, order.count)
            load(data.train, order[start..<end])
            augment?.apply(images)
            model.params.zeroGrads()
            let logits = model.forward(images, mode: .train)
            let (l, c) = loss.forward(logits: logits, labels: labels)
            guard l.isFinite else { pass.diverged = true; break }
            model.backward(loss.backward())
            optimizer.step(model.params)
            lossSum += l * Double(end - start)
            correct += c
            pass.samples += end - start
            start = end
            steps += 1
            windowLoss += l
            if steps % stepLosses.every == 0 {
                stepLosses.append(windowLoss / Double(stepLosses.every), at: steps)
                windowLoss = 0
            }
            // a point due within `every` steps of the epoch's end waits for the end's own
            if let trace, steps % trace.every == 0, steps + trace.every <= epochEnd { trace.record(step: steps) }
            if shouldStop() { pass.stopped = true; break }
        }
        if pass.samples > 0 {
            pass.loss = lossSum / Double(pass.samples)
            pass.accuracy = Double(correct) / Double(pass.samples)
        }
        if !pass.loss.isFinite { pass.diverged = true }
        return pass
    }

    /// Mean loss and accuracy over a split, in eval mode.
    /// With a recorder, the statistics of every layer's output are recorded too.
    func evaluate(_ split: ImageSet, recording recorder: ActivationRecorder? = nil) -> (loss: Double, accuracy: Double) {
        guard split.count > 0 else { return (.nan, .nan) }
        var lossSum = 0.0, correct = 0
        var start = 0
        let all = Array(0..<split.count)
        while start < split.count {
            let end = min(start + batchSize, split.count)
            load(split, all[start..<end])
            let logits = recorder?.forward(images) ?? model.forward(images, mode: .eval)
            let (l, c) = loss.forward(logits: logits, labels: labels)
            lossSum += l * Double(end - start)
            correct += c
            start = end
        }
        return (lossSum / Double(split.count), Double(correct) / Double(split.count))
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}

extension ContinuousClock {
    func sleepSync(_ d: Duration) {
        let us = max(0, d.seconds * 1e6)
        usleep(UInt32(min(us, 1e9)))
    }
}

extension String {
    /// FNV-1a over the UTF-8 bytes: stable across processes, unlike `hashValue`.
    var hashValueFNV: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
