import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// A child process that must not outlive the process that started it (a slot and its
/// worker; a worker and its `sweep run`), however the parent ends: SIGKILL included.
public enum ParentDeath {
    /// Asks the kernel for SIGKILL when `parent` goes, and exits at once if it is
    /// gone already (it may have died before this call; then the signal never comes).
    public static func follow(parent: Int32) {
        _ = sweep_set_parent_death_signal(SIGKILL)
        if getppid() != parent { exit(0) }
    }
}

/// The environment of a child process (a slot, a local worker): SWEEP_* variables are
/// options of the command they were given to, so they stay behind; training settings
/// (SWEEP_DATA_DIR) still reach the training.
public enum ChildEnvironment {
    public static let trainingVariables: Set<String> = ["SWEEP_DATA_DIR"]

    public static func filtered(_ environment: [String: String]) -> [String: String] {
        environment.filter { keeps($0.key) }
    }

    /// Whether a child keeps variable `name`.
    public static func keeps(_ name: String) -> Bool {
        !name.hasPrefix("SWEEP_") || trainingVariables.contains(name)
    }
}
