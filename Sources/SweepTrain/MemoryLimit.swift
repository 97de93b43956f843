import Foundation
import SweepConfig
import SweepEngine

/// How much memory one training run may use, and who said so: the machine (or the
/// cgroup a container runs in) for `sweep train`, a worker's `--max-task-memory`
/// for each of its slots.
public struct MemoryLimit: Sendable, Equatable, CustomStringConvertible {
    public var bytes: Double
    /// Where the figure comes from, for error messages ("this machine's memory").
    public var source: String

    public init(bytes: Double, source: String) {
        self.bytes = bytes
        self.source = source
    }

    public var description: String { "\(MemoryLimit.format(bytes)) (\(source))" }

    /// The memory this process may use: the tightest cgroup limit (v2 `memory.max`,
    /// v1 `memory.limit_in_bytes`) on the path of `/proc/self/cgroup`, else the
    /// machine's `MemTotal`.
    public static func machine(root: String = "/sys/fs/cgroup") -> MemoryLimit {
        let total = read("/proc/meminfo").flatMap(memTotal(meminfo:)) ?? Double(ProcessInfo.processInfo.physicalMemory)
        if let cgroup = read("/proc/self/cgroup").flatMap({ cgroupLimit(procSelfCgroup: $0, root: root, read: read) }),
           cgroup < total {
            return MemoryLimit(bytes: cgroup, source: "the cgroup's memory limit")
        }
        return MemoryLimit(bytes: total, source: "this machine's memory")
    }

    /// `MemTotal:  24567890 kB` in /proc/meminfo, in bytes.
    public static func memTotal(meminfo: String) -> Double? {
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard fields.count >= 2, let kb = Double(fields[1]) else { return nil }
            return kb * 1024
        }
        return nil
    }

    /// The tightest memory limit among the cgroup directories on this process's path,
    /// from its own up to the root (a limit on any ancestor binds too). "max" and v1's
    /// huge "no limit" value count as none.
    public static func cgroupLimit(procSelfCgroup: String, root: String, read: (String) -> String?) -> Double? {
        var limits: [Double] = []
        for line in procSelfCgroup.split(separator: "\n") {
            // "ID:CONTROLLERS:PATH"; v2 is "0::PATH"
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let v2 = parts[0] == "0" && parts[1].isEmpty
            guard v2 || parts[1].split(separator: ",").contains("memory") else { continue }
            let base = v2 ? root : root + "/memory"
            var path = String(parts[2])
            while true {
                let file = v2 ? "\(base)\(path == "/" ? "" : path)/memory.max"
                              : "\(base)\(path == "/" ? "" : path)/memory.limit_in_bytes"
                if let text = read(file)?.trimmingCharacters(in: .whitespacesAndNewlines),
                   let v = Double(text), v > 0, v < 1e18 {
                    limits.append(v)
                }
                if path == "/" || path.isEmpty { break }
                path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
                if path.isEmpty { path = "/" }
            }
        }
        return limits.min()
    }

    private static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    /// "512.0 MiB", "23.4 GiB", "32.0 TiB": binary units, as `free -h` prints them.
    public static func format(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var v = bytes
        var u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(Int(v)) B" : String(format: "%.1f %@", v, units[u])
    }

    /// Parses "4G", "512M", "1.5GiB", "2000000" (bytes); nil when not a size.
    public static func parse(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let (k, m, g, t1): (Double, Double, Double, Double) = (1024, 1024 * 1024, 1024 * 1024 * 1024, 1024 * 1024 * 1024 * 1024)
        let suffixes: [(String, Double)] = [("kib", k), ("mib", m), ("gib", g), ("tib", t1), ("kb", k), ("mb", m),
                                            ("gb", g), ("tb", t1), ("k", k), ("m", m), ("g", g), ("t", t1), ("b", 1)]
        for (suffix, scale) in suffixes where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v > 0, v.isFinite else { return nil }
            return v * scale
        }
        guard let v = Double(t), v > 0, v.isFinite else { return nil }
        return v
    }
}

/// The least memory a training run needs, known once its network is declared and
/// before any buffer is allocated: parameters, their gradients and the optimizer's
/// state, and one batch of every layer's output and its gradient. Real runs need
/// more (recurrent steps, im2col, the data), so a run this says does not fit cannot.
public struct MemoryNeed: Sendable {
    public var parameters: Double
    public var bytes: Double

    public init(model: Model, optimizer: OptimizerSettings, batchSize: Int) {
        parameters = model.params.declaredFloats
        let (first, second) = optimizer.stateBuffers
        let copies = 2.0 + (first ? 1 : 0) + (second ? 1 : 0)
        let activations = model.outputFloatsPerSample * Double(batchSize) * 2
        bytes = 4 * (parameters * copies + activations)
    }

    /// Throws a one-line `ConfigError` naming both sizes when the run cannot fit.
    public func check(against limit: MemoryLimit) throws(ConfigError) {
        guard bytes > limit.bytes else { return }
        throw ConfigError("the network needs at least \(MemoryLimit.format(bytes)) "
            + "(\(Self.count(parameters)) parameters with gradients and optimizer state, and one batch of activations); "
            + "a run may use \(limit)")
    }

    /// 1,234,567 below a billion, 8.0e12 above.
    static func count(_ v: Double) -> String {
        v < 1e9 ? Int(v).groupedDigits : String(format: "%.1e", v)
    }
}

extension Int {
    /// 2,168,362: thousands separated by commas, as torchinfo prints parameter counts.
    public var groupedDigits: String {
        var digits = String(magnitude), out = ""
        while digits.count > 3 {
            out = "," + digits.suffix(3) + out
            digits.removeLast(3)
        }
        return (self < 0 ? "-" : "") + digits + out
    }
}
