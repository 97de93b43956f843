// Training throughput of the seed models on random data with fixed shapes, the
// same protocol as ../shared/reference/pytorch_throughput.py: full training steps
// (forward, backward, Adam), 5 warm-up steps, then the median of 3 windows.
//
//   sweep-bench --model lenet5-cifar28 [--seconds 6] [--threads 1]
//
// Prints one JSON line: model, samples_per_s, samples_per_cpu_s, gflops, mflop_per_sample, peak_rss_mb, gemm,
// and gemm_peak_gflops: a 512×512×512 GEMM of the same kernel set, timed right after each
// window. A cloud VM's speed moves with its host's load (a 2-core Zen 3 VM ran the same
// convolution in 14 ms and, for seconds at a time, in 20), so GFLOP/s are read against the
// peak of the same moments.
import Foundation
import SweepConfig
import SweepEngine
import SweepInsights
import SweepTrain

struct BenchModel {
    let config: [String]
    let shape: [Int]
    let batch: Int
    /// Forward multiply-adds per sample, counted as the PyTorch script counts them.
    let macs: Int
}

func lenetMacs(_ c: Int, _ s: Int) -> Int {
    s * s * 32 * 25 * c + (s / 2) * (s / 2) * 64 * 25 * 32 + (s / 4) * (s / 4) * 64 * 1024 + 1024 * 10
}

/// 28 steps of G gates over [x (28), h (H)], plus the classifier.
func rnnMacs(_ gates: Int, _ h: Int) -> Int { 28 * gates * h * (28 + h) + h * 10 }

/// The homework-4 CNNs, as ../shared/reference/hw4_models.py's forward_macs counts them.
func hw4Macs(_ kind: String, _ channels: Int, _ size: Int) -> Int {
    let s1 = size * size, s2 = (size / 2) * (size / 2), s3 = (size / 4) * (size / 4)
    var macs = s1 * 32 * 9 * channels + s1 * 32 * 9 * 32 + s2 * 64 * 9 * 32 + s2 * 64 * 9 * 64
    var c = 64, s = size / 4
    if kind == "inception" {
        macs += s3 * 64 * 9 * 64 * 4
        c = 192
    } else if kind == "resnet" {
        macs += s3 * 128 * 9 * 64 + s3 * 128 * 9 * 128 + s3 * 64 * 128
        s /= 2
    }
    return macs + c * s * s * 512 + 512 * 10
}

let models: [String: BenchModel] = [
    "cnn-cifar32": BenchModel(config: ["model=cnn"], shape: [3, 32, 32], batch: 32, macs: hw4Macs("cnn", 3, 32)),
    "inception-cifar32": BenchModel(config: ["model=inception"], shape: [3, 32, 32], batch: 32, macs: hw4Macs("inception", 3, 32)),
    "resnet-cifar32": BenchModel(config: ["model=resnet"], shape: [3, 32, 32], batch: 32, macs: hw4Macs("resnet", 3, 32)),
    "cnn-fashion": BenchModel(config: ["model=cnn"], shape: [1, 28, 28], batch: 32, macs: hw4Macs("cnn", 1, 28)),
    "lenet5-cifar28": BenchModel(config: ["model=lenet5"], shape: [3, 28, 28], batch: 50, macs: lenetMacs(3, 28)),
    "lenet5-cifar32": BenchModel(config: ["model=lenet5"], shape: [3, 32, 32], batch: 50, macs: lenetMacs(3, 32)),
    "lenet5-fashion": BenchModel(config: ["model=lenet5"], shape: [1, 28, 28], batch: 50, macs: lenetMacs(1, 28)),
    "rnn-128": BenchModel(config: ["model=rnn", "cell=rnn", "hidden=128"], shape: [1, 28, 28], batch: 32, macs: rnnMacs(1, 128)),
    "lstm-128": BenchModel(config: ["model=rnn", "cell=lstm", "hidden=128"], shape: [1, 28, 28], batch: 32, macs: rnnMacs(4, 128)),
    "gru-128": BenchModel(config: ["model=rnn", "cell=gru", "hidden=128"], shape: [1, 28, 28], batch: 32, macs: rnnMacs(3, 128)),
    "lstm-32": BenchModel(config: ["model=rnn", "cell=lstm", "hidden=32"], shape: [1, 28, 28], batch: 32, macs: rnnMacs(4, 32)),
    "mlp-512": BenchModel(config: ["model=mlp", "hidden=512", "layers=2"], shape: [1, 28, 28], batch: 32,
                          macs: 784 * 512 + 512 * 512 + 512 * 10),
]

func die(_ message: String) -> Never {
    FileHandle.standardError.write(Data("sweep-bench: \(message)\n".utf8))
    exit(2)
}

var args = CommandLine.arguments.dropFirst()
var name = "lenet5-cifar28", seconds = 6.0, threads = 1, profile = false, augmentName = AugmentName.none
var traceEpoch: Int?
while let a = args.popFirst() {
    switch a {
    case "--model": name = args.popFirst() ?? name
    case "--seconds": seconds = Double(args.popFirst() ?? "") ?? seconds
    case "--threads": threads = Int(args.popFirst() ?? "") ?? threads
    case "--profile": profile = true
    case "--trace":
        guard let n = args.popFirst().flatMap(Int.init), n >= 1 else { die("--trace takes the steps of an epoch, e.g. 63") }
        traceEpoch = n
    case "--augment":
        guard let a = args.popFirst().flatMap(AugmentName.init(rawValue:)) else { die("--augment takes none, flip, crop or flip+crop") }
        augmentName = a
    case "--list": print(models.keys.sorted().joined(separator: "\n")); exit(0)
    default: die("unknown argument \(a)")
    }
}
guard let bench = models[name] else { die("unknown model \(name)") }

BLAS.setThreads(threads)
// several threads: OpenBLAS's threaded GEMM, as the trainer runs such a task (it forces the
// openblas set per run; this process runs one configuration, so the environment says it)
if threads > 1 { setenv("SWEEP_KERNELS", "openblas", 1) }
let config = try TrainConfig(arguments: bench.config + ["batch_size=\(bench.batch)", "threads=\(threads)"])
let model = try Models.make(config, inputShape: bench.shape, classes: 10)
let optimizer = Optimizer(OptimizerSettings(kind: .adam, learningRate: 1e-3), parameterCount: model.parameterCount)
let loss = SoftmaxCrossEntropy()
var rng = RNG(seed: 0)
let x = Tensor(shape: [bench.batch] + bench.shape)
for i in 0..<x.count { x[i] = rng.normal() }
let labels = UnsafeMutablePointer<Int32>.allocate(capacity: bench.batch)
for i in 0..<bench.batch { labels[i] = Int32(rng.below(10)) }

// --augment: the batch is augmented before every step, as the trainer does, and the time
// it takes is reported as a share of the step (black is -1: data normalised to mean 0).
let augment = Augment(augmentName, shape: bench.shape, black: Array(repeating: -1, count: bench.shape[0]), seed: 1)
let clock = ContinuousClock()
var augmentTime = Duration.zero

// --trace STEPS: the activation trace as the trainer takes it in epochs of STEPS steps (a
// point every ActivationTrace.interval steps, a point and histograms at each epoch's end),
// on random images; the time it takes is reported as a share of training.
@MainActor func randomImages(_ count: Int) -> Tensor {
    let t = Tensor(shape: [count] + bench.shape)
    for i in 0..<t.count { t[i] = rng.normal() }
    return t
}
let trace = traceEpoch.map { steps in
    TraceRecorder(model: model, images: randomImages(ActivationTrace.images), every: ActivationTrace.interval(stepsPerEpoch: steps, batchSize: bench.batch))
}
var traceTime = Duration.zero, steps = 0

@MainActor func step() {
    if let augment {
        let t = clock.now
        augment.apply(x)
        augmentTime += clock.now - t
    }
    model.params.zeroGrads()
    let logits = model.forward(x, mode: .train)
    _ = loss.forward(logits: logits, labels: labels)
    model.backward(loss.backward())
    optimizer.step(model.params)
    steps += 1
    if let trace, let traceEpoch {
        let t = clock.now
        let epochEnd = (steps + traceEpoch - 1) / traceEpoch * traceEpoch
        if steps % trace.every == 0, steps + trace.every <= epochEnd { trace.record(step: steps) }
        if steps % traceEpoch == 0 { trace.endOfEpoch(steps / traceEpoch, step: steps) }
        traceTime += clock.now - t
    }
}

for _ in 0..<5 { step() }

/// --profile: time spent per layer (forward and backward) and in the optimizer.
@MainActor func profileSteps(_ steps: Int) {
    let clock = ContinuousClock()
    var fwd = [Duration](repeating: .zero, count: model.layers.count)
    var bwd = fwd
    var opt = Duration.zero
    for _ in 0..<steps {
        model.params.zeroGrads()
        var h = x
        for (i, layer) in model.layers.enumerated() {
            let t = clock.now
            h = layer.forward(h, mode: .train)
            fwd[i] += clock.now - t
        }
        _ = loss.forward(logits: h, labels: labels)
        var d = loss.backward()
        for (i, layer) in model.layers.enumerated().reversed() {
            let t = clock.now
            d = layer.backward(d)
            bwd[i] += clock.now - t
        }
        let t = clock.now
        optimizer.step(model.params)
        opt += clock.now - t
    }
    func ms(_ d: Duration) -> String {
        let (s, a) = d.components
        return String(format: "%7.2f", (Double(s) + Double(a) * 1e-18) * 1e3 / Double(steps))
    }
    print("layer                 fwd ms  bwd ms")
    for (i, layer) in model.layers.enumerated() {
        print(String(describing: type(of: layer)).padding(toLength: 20, withPad: " ", startingAt: 0), ms(fwd[i]), ms(bwd[i]))
    }
    print("optimizer           ", ms(opt))
    // the layers run one by one here, while training's backward leaves an activation that
    // only a max pool reads to the pool's pass (Model.backward)
    let fused = zip(model.layers, model.layers.dropFirst()).contains { $0 is Activation && $1 is MaxPool2D }
    if fused { print("(training's backward does an Activation and the MaxPool2D after it in one pass, in less than their two bwd rows)") }
}
if profile { profileSteps(20) }
augmentTime = .zero
traceTime = .zero
/// This process's resource usage so far.
func usage() -> rusage {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return u
}
/// User + system CPU seconds of this process so far.
func cpuSeconds() -> Double {
    let u = usage()
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6
}
/// GFLOP/s of a square 512 GEMM (C = A·B) with the current kernel set, over about 0.2 s; its
/// matrices are made at the first call.
let peakSize = 512
var peakMatrices: (a: Tensor, b: Tensor, c: Tensor)?
@MainActor func gemmPeak() -> Double {
    if peakMatrices == nil {
        var random = RNG(seed: 2)
        let a = Tensor(shape: [peakSize, peakSize]), b = Tensor(shape: [peakSize, peakSize])
        for i in 0..<a.count { a[i] = random.normal(); b[i] = random.normal() }
        peakMatrices = (a, b, Tensor(shape: [peakSize, peakSize]))
    }
    let (a, b, c) = peakMatrices!
    func multiply() { sgemm(m: peakSize, n: peakSize, k: peakSize, a: a.data, b: b.data, c: c.data) }
    multiply()
    var n = 0
    let t0 = clock.now
    while (clock.now - t0) < .milliseconds(200) { multiply(); n += 1 }
    return 2 * Double(peakSize * peakSize * peakSize) * Double(n) / seconds(clock.now - t0) / 1e9
}
var rates: [Double] = [], cpuRates: [Double] = [], peaks: [Double] = [], rssMB = 0.0
var measured = Duration.zero
for _ in 0..<3 {
    var n = 0
    let t0 = clock.now, c0 = cpuSeconds()
    while (clock.now - t0) < .seconds(seconds / 3) { step(); n += 1 }
    let elapsed = clock.now - t0
    rates.append(Double(n * bench.batch) / seconds(elapsed))
    cpuRates.append(Double(n * bench.batch) / max(cpuSeconds() - c0, 1e-9))
    measured += elapsed
    // training's peak memory (MB), before the GEMM's three 1 MB matrices first exist: the
    // steps reuse their buffers, so the first window has reached it
    if peaks.isEmpty { rssMB = Double(usage().ru_maxrss) / 1024 }
    peaks.append(gemmPeak())
}
let rate = rates.sorted()[1]
// Samples per CPU second: steadier than wall time when other processes share the cores.
let cpuRate = cpuRates.sorted()[1]
let mflop = 3 * 2 * Double(bench.macs) / 1e6
print(JSON.object([
    ("model", .string(name)), ("threads", .int(threads)), ("batch", .int(bench.batch)),
    ("parameters", .int(model.parameterCount)),
    ("samples_per_s", .double((rate * 10).rounded() / 10)),
    ("samples_per_cpu_s", .double((cpuRate * 10).rounded() / 10)),
    ("mflop_per_sample", .double((mflop * 10).rounded() / 10)),
    ("gflops", .double((rate * mflop / 1e3 * 10).rounded() / 10)),
    ("peak_rss_mb", .double((rssMB * 10).rounded() / 10)),
    ("gemm", .string(BLAS.gemm)),
    ("gemm_peak_gflops", .double((peaks.sorted()[1] * 10).rounded() / 10)),
    ("kernels", .string(Kernels.current.name)),
    ("augment", .string(augmentName.rawValue)),
    ("augment_share", .double(seconds(augmentTime) / seconds(measured))),
    ("trace_epoch_steps", traceEpoch.map(JSON.int) ?? .null),
    ("trace_share", .double(seconds(traceTime) / seconds(measured - traceTime))),
]).encoded)

func seconds(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) + Double(atto) * 1e-18
}
