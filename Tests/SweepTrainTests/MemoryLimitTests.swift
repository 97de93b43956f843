import Testing
import SweepConfig
import SweepEngine
@testable import SweepTrain

/// What a run may use (the machine, its cgroup, --max-task-memory) and what a network
/// needs at least, known before anything is allocated.
@Suite struct MemoryLimitTests {
    @Test func sizesParseInBinaryUnits() {
        #expect(MemoryLimit.parse("4G") == Double(4 << 30))
        #expect(MemoryLimit.parse("512M") == Double(512 << 20))
        #expect(MemoryLimit.parse("1.5GiB") == 1.5 * 1024 * 1024 * 1024)
        #expect(MemoryLimit.parse("2000000") == 2_000_000)
        #expect(MemoryLimit.parse("64k") == 65536)
        for bad in ["", "G", "-1G", "0", "lots", "nanG", "infG"] { #expect(MemoryLimit.parse(bad) == nil, "\(bad)") }
        #expect(MemoryLimit.format(64 * 1024 * 1024) == "64.0 MiB")
        #expect(MemoryLimit.format(1.5 * 1024 * 1024 * 1024 * 1024) == "1.5 TiB")
        #expect(MemoryLimit.format(100) == "100 B")
    }

    @Test func memTotalIsReadFromMeminfo() {
        #expect(MemoryLimit.memTotal(meminfo: "MemTotal:       24567890 kB\nMemFree:  1 kB\n") == Double(24567890 * 1024))
        #expect(MemoryLimit.memTotal(meminfo: "MemFree:  1 kB\n") == nil)
    }

    /// The tightest limit on the cgroup path binds, v2 (memory.max, "max" = none) and v1.
    @Test func theTightestCgroupLimitOnThePathBinds() {
        let v2: [String: String] = [
            "/sys/fs/cgroup/kubepods/pod1/memory.max": "max\n",
            "/sys/fs/cgroup/kubepods/memory.max": "2147483648\n",
            "/sys/fs/cgroup/memory.max": "max\n",
        ]
        #expect(MemoryLimit.cgroupLimit(procSelfCgroup: "0::/kubepods/pod1\n", root: "/sys/fs/cgroup", read: { v2[$0] }) == 2147483648)
        #expect(MemoryLimit.cgroupLimit(procSelfCgroup: "0::/\n", root: "/sys/fs/cgroup", read: { v2[$0] }) == nil)
        let v1: [String: String] = [
            "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "1073741824\n",
            "/sys/fs/cgroup/memory/docker/memory.limit_in_bytes": "9223372036854771712\n",   // v1's "no limit"
        ]
        #expect(MemoryLimit.cgroupLimit(procSelfCgroup: "5:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n",
                                        root: "/sys/fs/cgroup", read: { v1[$0] }) == 1073741824)
        #expect(MemoryLimit.cgroupLimit(procSelfCgroup: "5:cpu,cpuacct:/docker/abc\n", root: "/sys/fs/cgroup", read: { v1[$0] }) == nil)
    }

    /// mlp 784 → 2,000,000 × 3 → 10 with Adam: 8.0e12 parameters, four copies of them
    /// (values, gradients, two moments): 116.4 TiB, more than any machine; the preset
    /// networks fit in well under 100 MiB.
    @Test func aNetworkIsMeasuredBeforeAnythingIsAllocated() throws {
        let huge = try TrainConfig(arguments: ["model=mlp", "hidden=2000000", "layers=3"])
        let model = try Models.declare(huge, inputShape: [1, 28, 28], classes: 10)
        let need = MemoryNeed(model: model, optimizer: OptimizerSettings(kind: .adam, learningRate: 1e-3), batchSize: 32)
        #expect(need.parameters == 784 * 2e6 + 2e6 + 2 * (2e6 * 2e6 + 2e6) + 2e6 * 10 + 10)
        #expect(MemoryLimit.format(need.bytes) == "116.4 TiB")
        let limit = MemoryLimit(bytes: 16 * 1024 * 1024 * 1024, source: "test")
        #expect(throws: ConfigError.self) { try need.check(against: limit) }
        do { try need.check(against: limit) } catch {
            #expect(error.message == "the network needs at least 116.4 TiB (8.0e+12 parameters with gradients and optimizer state, and one batch of activations); a run may use 16.0 GiB (test)")
        }

        let lenet = try TrainConfig(arguments: ["model=lenet5"])
        let small = MemoryNeed(model: try Models.declare(lenet, inputShape: [1, 28, 28], classes: 10),
                               optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.1), batchSize: 32)
        #expect(small.parameters == 3_274_634)
        #expect(small.bytes < 100 * 1024 * 1024)
        try small.check(against: limit)
    }
}
