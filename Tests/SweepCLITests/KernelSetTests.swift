import Foundation
import SweepEngine
import Testing
import TestSupport

/// The kernel set as a user meets it (docs/metrics.md, docs/commands.md): `sweep train --json`
/// names it, `SWEEP_KERNELS` forces one, each set is deterministic, a set the CPU cannot run
/// and a CPU without AVX2 are one-line errors.
@Suite struct KernelSetTests {
    /// A small CNN and an LSTM: the GEMM, the implicit convolutions, the LSTM step and Adam all run.
    static let cnn = ["dataset=synthetic", "model=lenet5", "train_per_class=20", "test_per_class=10", "epochs=1", "optimizer=adam"]
    static let lstm = ["dataset=synthetic", "model=rnn", "cell=lstm", "hidden=16", "train_per_class=20", "test_per_class=10",
                       "epochs=1", "optimizer=adam"]

    static func result(_ stdout: String) -> [String: Any] {
        let last = stdout.split(separator: "\n").last.map(String.init) ?? ""
        return (try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]) ?? [:]
    }

    @Test(arguments: kernelSets)
    func eachSetIsNamedAndDeterministic(kernels: KernelSet) throws {
        for config in [Self.cnn, Self.lstm] {
            let args = ["train", "--json"] + config
            let a = try runSweep(args, environment: ["SWEEP_KERNELS": kernels.name])
            let b = try runSweep(args, environment: ["SWEEP_KERNELS": kernels.name])
            #expect(a.status == 0 && b.status == 0, "\(a.stderr)\(b.stderr)")
            #expect(Self.result(a.stdout)["kernels"] as? String == kernels.name, "\(a.stdout)")
            #expect(withoutTiming(a.stdout) == withoutTiming(b.stdout), "\(kernels.name): the same config and seed, the same bits")
        }
    }

    @Test func theFastestSetRunsByDefaultAndThreadsRunOpenBLAS() throws {
        let plain = try runSweep(["train", "--json"] + Self.lstm, environment: ["SWEEP_KERNELS": "", "SWEEP_GEMM": ""])
        #expect(Self.result(plain.stdout)["kernels"] as? String == KernelSet.best.name, "\(plain.stdout)")
        let threaded = try runSweep(["train", "--json", "threads=2"] + Self.lstm)
        #expect(Self.result(threaded.stdout)["kernels"] as? String == "openblas", "\(threaded.stdout)")
        let noop = try runSweep(["train", "--json", "model=noop"])
        #expect(Self.result(noop.stdout)["kernels"] == nil, "model=noop runs no kernels: \(noop.stdout)")
    }

    @Test func aSetTheCPUCannotRunIsOneLine() throws {
        let unknown = try runSweep(["status", "--db", "/nonexistent.db"], environment: ["SWEEP_KERNELS": "avx9"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.hasPrefix("sweep: SWEEP_KERNELS=avx9: no such kernel set (expected one of avx512, avx2, neon, portable, openblas;"),
                "\(unknown.stderr)")
        #expect(unknown.stderr.split(separator: "\n").count == 1)
        #if arch(x86_64)
        let neon = try runSweep(["train"] + Self.lstm, environment: ["SWEEP_KERNELS": "neon"])
        #expect(neon.status == 2)
        #expect(neon.stderr.hasPrefix("sweep: SWEEP_KERNELS=neon: this CPU cannot run the neon kernels (it runs "), "\(neon.stderr)")
        #endif
    }

    /// An x86-64 CPU without AVX2 (qemu-user emulating a Westmere) gets one line and exit 2,
    /// not SIGILL; one with AVX2 but not AVX-512 (Haswell) runs, on the avx2 set.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-x86_64"), "qemu-user is not installed: make test installs it"))
    func aCPUWithoutAVX2SaysSo() throws {
        #if arch(x86_64)
        let old = try runCommand("/usr/bin/qemu-x86_64", ["-cpu", "Westmere", sweepBinary(), "--help"])
        #expect(old.status == 2)
        #expect(old.stderr.split(separator: "\n").filter { !$0.hasPrefix("qemu-x86_64: warning") }
                == ["sweep: this CPU lacks AVX2 and FMA, which this x86-64 build needs (Intel Haswell, AMD Zen or later)"], "\(old.stderr)")
        let haswell = try runCommand("/usr/bin/qemu-x86_64", ["-cpu", "Haswell", sweepBinary(), "train", "--json"] + Self.lstm)
        #expect(haswell.status == 0, "\(haswell.stderr)")
        #expect(Self.result(haswell.stdout)["kernels"] as? String == "avx2", "\(haswell.stdout)")
        #endif
    }
}
