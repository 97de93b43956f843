import Foundation

/// How many cores a process may really use: the cgroup CPU quota a container
/// runtime or Kubernetes sets (`--cpus 2`, `limits.cpu: 1500m`), not just the
/// cores it can see. `--concurrency auto` gives one slot per core of this.
public enum CPUQuota {
    /// Slots for a CPU limit: the quota rounded up (as the JVM and .NET do: 1.5
    /// cores of quota keep two threads busy 75% of the time rather than idling
    /// half a core), at least 1, at most the cores the process sees.
    public static func slots(limit: Double?, onlineCores: Int) -> Int {
        let cores = max(1, onlineCores)
        guard let limit, limit > 0 else { return cores }
        return min(cores, max(1, Int(limit.rounded(.up))))
    }

    /// cgroup v2 `cpu.max`: "QUOTA PERIOD" in microseconds, or "max PERIOD" for no limit.
    public static func limit(cpuMax: String) -> Double? {
        let fields = cpuMax.split(whereSeparator: \.isWhitespace)
        guard fields.count >= 1, let quota = Double(fields[0]), quota > 0 else { return nil }
        let period = fields.count >= 2 ? Double(fields[1]) ?? 100_000 : 100_000
        return period > 0 ? quota / period : nil
    }

    /// cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us`; a quota of -1 means no limit.
    public static func limit(cfsQuota: String, cfsPeriod: String) -> Double? {
        guard let quota = Double(cfsQuota.trimmingCharacters(in: .whitespacesAndNewlines)), quota > 0,
              let period = Double(cfsPeriod.trimmingCharacters(in: .whitespacesAndNewlines)), period > 0 else { return nil }
        return quota / period
    }

    /// The tightest limit among the cgroup directories that apply to this process,
    /// given `/proc/self/cgroup` and a way to read a file (nil when absent). A
    /// quota on any ancestor cgroup binds too, so every directory from the
    /// process's own up to the hierarchy's root counts. Inside a container the
    /// root of the mounted hierarchy is the container's own cgroup.
    public static func limit(procSelfCgroup: String, root: String = "/sys/fs/cgroup",
                             read: (String) -> String?) -> Double? {
        var limits: [Double] = []
        for line in procSelfCgroup.split(separator: "\n") {
            // "ID:CONTROLLERS:PATH"; v2 is "0::PATH"
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let controllers = parts[1].split(separator: ",")
            let path = String(parts[2])
            if parts[0] == "0" && controllers.isEmpty {
                for dir in ancestors(path, under: root) {
                    if let text = read(dir + "/cpu.max"), let l = limit(cpuMax: text) { limits.append(l) }
                }
            } else if controllers.contains("cpu") {
                for mount in [root + "/cpu", root + "/cpu,cpuacct", root + "/cpuacct,cpu"] {
                    for dir in ancestors(path, under: mount) {
                        if let quota = read(dir + "/cpu.cfs_quota_us"), let period = read(dir + "/cpu.cfs_period_us"),
                           let l = limit(cfsQuota: quota, cfsPeriod: period) { limits.append(l) }
                    }
                }
            }
        }
        return limits.min()
    }

    /// The slots `--concurrency auto` gives on this machine, in this cgroup.
    public static func autoSlots() -> Int {
        let read: (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) }
        let quota = read("/proc/self/cgroup").flatMap { limit(procSelfCgroup: $0, read: read) }
        return slots(limit: quota, onlineCores: ProcessInfo.processInfo.activeProcessorCount)
    }

    /// `root + path` and each of its parents up to `root`, deepest first.
    static func ancestors(_ path: String, under root: String) -> [String] {
        var components = path.split(separator: "/").map(String.init)
        var dirs: [String] = []
        while true {
            dirs.append(([root] + components).joined(separator: "/"))
            if components.isEmpty { return dirs }
            components.removeLast()
        }
    }
}
