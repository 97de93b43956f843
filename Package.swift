// swift-tools-version:6.0
import PackageDescription

// Numeric code is built with -Ounchecked so that even `swift build` (debug) gives a
// usable engine; the Makefile builds everything in release with -enable-testing.
// On x86-64 the numeric targets also use AVX2 and FMA (Haswell, 2013, and every
// x86-64 server CPU since): the elementwise kernels and optimizer loops run twice
// as wide as on baseline SSE2. BLAS picks its own kernels at run time.
#if arch(x86_64)
let cpuFlags = ["-Xfrontend", "-target-cpu", "-Xfrontend", "haswell"]
#else
let cpuFlags: [String] = []
#endif
let fastMath: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"] + cpuFlags)]

let package = Package(
    name: "Sweep",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sweep", targets: ["sweep"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The live page and /metrics (sweep run, sweep coordinator, sweep dashboard --http).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries, reached through thin system-library targets.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]),
        // Linux calls Swift cannot make itself (prctl is variadic); no library to link.
        .systemLibrary(name: "CLinux"),
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),

        // The seeded generator shared by the engine, the data and the sweep sampler.
        .target(name: "SweepRandom"),
        // Training configuration keys (SPEC §3): parsing, defaults, validation.
        .target(name: "SweepConfig"),
        // The engine's own kernels in C, one set per instruction set (AVX-512, AVX2+FMA, NEON,
        // portable C) behind one table chosen at start; optimised in debug builds too, as the
        // engine is. libm: the portable set calls fmaf and sqrtf.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])], linkerSettings: [.linkedLibrary("m")]),
        // Tensors, layers, initialisers, optimizers and models. Knows nothing of sweeps.
        .target(name: "SweepEngine", dependencies: ["COpenBLAS", "CKernels", "SweepRandom"], swiftSettings: fastMath),
        // Dataset loaders: IDX (MNIST, Fashion-MNIST), CIFAR-10 binary, synthetic.
        .target(name: "SweepData", dependencies: ["CZlib", "SweepRandom"], swiftSettings: fastMath),
        // What a run records besides its metrics (insights, the activation trace) as data: what the
        // report draws. No engine, so the report, the live page and the coordinator can read it.
        .target(name: "SweepInsights", dependencies: ["SweepConfig"]),
        // One training run: config + data + engine -> per-epoch metrics.
        .target(name: "SweepTrain", dependencies: ["SweepConfig", "SweepEngine", "SweepData", "SweepInsights", "SweepRandom", "CKernels"]),
        // A thin Swift wrapper over libzmq: context, sockets, multipart messages, poll, options.
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        // Sweep specs (W&B schema, YAML): parsing, validation, expansion into tasks.
        .target(name: "SweepSpec", dependencies: ["SweepConfig", "SweepRandom", .product(name: "Yams", package: "Yams")]),
        // Search: early stopping (ASHA, median), samplers (random, TPE) and parameter importance (PED-ANOVA).
        // Pure: no sockets, store or clock.
        .target(name: "SweepSearch", dependencies: ["SweepSpec", "SweepConfig", "SweepRandom"]),
        // The SQLite store (GRDB): sweeps, tasks, per-epoch metrics, results; and the leaderboard.
        .target(name: "SweepStore", dependencies: ["SweepConfig", .product(name: "GRDB", package: "GRDB.swift")]),
        // The wire protocol: message types and their codec. Knows no sockets.
        .target(name: "SweepProtocol", dependencies: ["SweepConfig"]),
        // The coordinator: a state machine driven by messages and time, and its socket loop.
        .target(name: "SweepCoordinator", dependencies: ["SweepProtocol", "SweepStore", "SweepSpec", "SweepSearch", "SweepRandom", "ZeroMQ",
                                                        .product(name: "Metrics", package: "swift-metrics")]),
        // The worker: its socket loop, and slots that train in child processes of their own.
        .target(name: "SweepWorker", dependencies: ["SweepProtocol", "SweepTrain", "SweepData", "ZeroMQ", "CLinux"]),
        // What users look at: the HTML report (SVG curves, PNG filter grids, tables), terminal curves and parameter importance.
        // Draws stored data only: it never links the engine (make layers checks it).
        .target(name: "SweepReport", dependencies: ["SweepStore", "SweepInsights", "SweepConfig", "SweepSpec", "SweepSearch", "CPNG"]),
        // The pictures made from a trained network's saved weights (occlusion, Grad-CAM, feature
        // maps, favourite inputs): the engine runs them, so only `sweep report`, `sweep dashboard`
        // and `sweep train --pictures` use this target, never the coordinator or the live page.
        .target(name: "SweepPictures", dependencies: ["SweepReport", "SweepTrain", "SweepEngine", "SweepData", "SweepConfig"]),
        // The live page (`--http`): the store's state pushed to a browser as it changes, with the
        // report's own charts, and /metrics in Prometheus's format. Hummingbird (HTTP on SwiftNIO).
        .target(name: "SweepLive", dependencies: [
            "SweepStore", "SweepReport", "SweepConfig", "SweepCoordinator",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The command line: parses and calls.
        .executableTarget(
            name: "sweep",
            dependencies: [
                "SweepConfig", "SweepTrain", "SweepInsights", "SweepSpec", "SweepStore", "SweepCoordinator", "SweepWorker", "SweepReport",
                "SweepPictures", "SweepLive",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The Swift runtime and Foundation linked in (as the container image's build does): a
            // worker starts a `sweep slot` process per slot, and resolving the shared Swift libraries'
            // symbols took over half of each one's start (256 slots: seconds of CPU before any task).
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "-lCoreFoundation", "-Xlinker", "-l_FoundationICU", "-Xlinker", "-l_FoundationCShims", "-Xlinker", "-l_FoundationCollections"])]),
        // Throughput and memory benchmark (make bench).
        .executableTarget(
            name: "sweep-bench",
            dependencies: ["SweepEngine", "SweepTrain", "SweepInsights"],
            path: "bench/SweepBench",
            swiftSettings: fastMath),
        // Fuzzing (make fuzz): each reader of outside input behind one entry. sweep-fuzz runs
        // libFuzzer (CFuzzer: its entry for a program with a main) when Fuzz/run.sh builds it with
        // -DFUZZING and -sanitize=fuzzer,address, and replays input files through a target otherwise.
        .target(name: "FuzzTargets", dependencies: ["SweepConfig", "SweepSpec", "SweepSearch", "SweepProtocol"], path: "Fuzz/Targets"),
        .systemLibrary(name: "CFuzzer", path: "Fuzz/CFuzzer"),
        .executableTarget(name: "sweep-fuzz", dependencies: ["FuzzTargets", "CFuzzer"], path: "Fuzz/Driver"),

        .target(name: "TestSupport", dependencies: ["SweepEngine"], path: "Tests/TestSupport"),
        .testTarget(name: "SweepEngineTests", dependencies: ["SweepEngine", "TestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "SweepConfigTests", dependencies: ["SweepConfig"]),
        .testTarget(name: "SweepDataTests", dependencies: ["SweepData", "SweepRandom", "TestSupport"]),
        .testTarget(name: "SweepTrainTests", dependencies: ["SweepTrain", "SweepInsights", "SweepConfig", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(name: "SweepSpecTests", dependencies: ["SweepSpec", "SweepRandom", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "SweepRandomTests", dependencies: ["SweepRandom"]),
        .testTarget(name: "SweepSearchTests", dependencies: ["SweepSearch", "SweepSpec", "SweepConfig", "SweepRandom", "SweepTrain"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "SweepStoreTests", dependencies: ["SweepStore", "TestSupport"]),
        .testTarget(name: "SweepProtocolTests", dependencies: ["SweepProtocol"]),
        .testTarget(name: "SweepRuntimeTests", dependencies: ["SweepCoordinator", "SweepWorker", "TestSupport"]),
        .testTarget(name: "SweepCLITests", dependencies: ["TestSupport", "ZeroMQ", "SweepProtocol", "SweepEngine"]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"]),
        .testTarget(name: "SweepReportTests", dependencies: ["SweepReport", "SweepInsights", "SweepTrain", "SweepStore",
                                                       "SweepSearch", "TestSupport"]),
    ]
)
