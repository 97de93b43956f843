import Foundation
import FuzzTargets

/// Exits with code 2 and one line on stderr.
func fail(_ line: String) -> Never {
    FileHandle.standardError.write(Data((line + "\n").utf8))
    exit(2)
}

func targetNames() -> String { FuzzTarget.all.map(\.name).joined(separator: ", ") }

#if FUZZING
// Built by Fuzz/run.sh (-DFUZZING, -sanitize=fuzzer,address): libFuzzer runs the target
// SWEEP_FUZZ_TARGET names, with libFuzzer's own arguments (-max_total_time=…, corpus dirs).
import CFuzzer

/// The target libFuzzer's callback runs: a C function pointer captures nothing.
enum Selected {
    static let target: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["SWEEP_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget.named(name) else {
            fail("sweep-fuzz: SWEEP_FUZZ_TARGET='\(name)' names no target (expected one of \(targetNames()))")
        }
        return target
    }()
}

_ = Selected.target   // an unknown name stops here, before libFuzzer starts
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    Selected.target.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
})
#else
// A normal build: `sweep-fuzz TARGET FILE|DIR…` runs files through a target, e.g. a crash
// input with a plain Swift backtrace or under a debugger.
let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let target = FuzzTarget.named(name), arguments.count > 1 else {
    fail("usage: sweep-fuzz TARGET FILE|DIR… (targets: \(targetNames()))")
}
var count = 0
for path in arguments.dropFirst() {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { fail("sweep-fuzz: \(path): no such file") }
    let files = isDirectory.boolValue
        ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { "\(path)/\($0)" }
        : [path]
    for file in files {
        target.run(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        count += 1
    }
}
print("sweep-fuzz: \(count) inputs through \(name), no finding")
#endif
