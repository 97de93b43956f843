import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Trained weights on the coordinator's disk, next to the store:
/// `<db dir>/weights/<sweep>/<task id>.safetensors` for every task under
/// `--save-weights`, and `best.safetensors` (with `best.txt`, the task id) for the
/// best task so far. Each file is written to a temporary name, fsynced, renamed
/// over the old one and the directory fsynced, so a reader never sees half a file
/// and a result acknowledged after the write has its weights on disk.
public enum WeightsFiles {
    /// A failed file system call: the path it was about and its errno.
    public struct WriteError: Error, CustomStringConvertible, Equatable {
        public let path: String
        public let errno: Int32
        public var reason: String { String(cString: strerror(errno)) }
        public var description: String { "\(path): \(reason)" }
    }

    /// The startup check's failure: the weights directory and what stops it from taking files.
    public struct UnwritableDirectory: Error, CustomStringConvertible, Equatable {
        public let directory: String
        public let cause: WriteError
        public var description: String {
            // the reason alone when the directory itself failed; else the path that did (a parent, the probe file)
            "weights directory \(directory) is not writable: " + (cause.path == directory ? cause.reason : cause.description)
        }
    }

    public static func directory(store: String, sweep: String) -> String {
        let base = (store as NSString).deletingLastPathComponent
        let safe = String(sweep.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
        return (base.isEmpty ? "." : base) + "/weights/" + (safe.hasPrefix(".") ? "_" + safe : safe)
    }

    public static func write(_ file: [UInt8], taskID: String, asTask: Bool, asBest: Bool, directory: String) throws {
        _ = try makeDirectories(directory)
        if asTask { try writeDurably(file, to: directory + "/" + taskID + ".safetensors") }
        if asBest {
            try writeDurably(file, to: directory + "/best.safetensors")
            try writeDurably(Array((taskID + "\n").utf8), to: directory + "/best.txt")
        }
        try syncDirectory(directory)
    }

    /// Fails unless weights can be written in `directory`: creates it and writes a probe
    /// file there as `write` does (temporary name, fsync, rename), then removes the probe
    /// and the directories it created, so a sweep that never keeps weights (noop tasks)
    /// leaves nothing behind. Run before a sweep starts: the best task's weights always
    /// go there, and a directory that cannot take them is bad input, better found then
    /// than as results without their files.
    public static func checkWritable(directory: String) throws {
        let created: [String]
        do { created = try makeDirectories(directory) } catch let e as WriteError {
            throw UnwritableDirectory(directory: directory, cause: e)
        }
        defer { for d in created.reversed() { rmdir(d) } }
        let probe = directory + "/.write-check-\(getpid())"
        do { try writeDurably(Array("sweep\n".utf8), to: probe) } catch let e as WriteError {
            unlink(probe + ".partial")
            throw UnwritableDirectory(directory: directory, cause: e.path.hasPrefix(probe) ? WriteError(path: directory, errno: e.errno) : e)
        }
        unlink(probe)
    }

    /// Creates `path` and its missing parents (mkdir -p); returns those it created,
    /// outermost first. A failure names the directory that could not be made.
    static func makeDirectories(_ path: String) throws -> [String] {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw WriteError(path: path, errno: ENOTDIR) }
            return []
        }
        let parent = (path as NSString).deletingLastPathComponent
        let created = parent.isEmpty || parent == path ? [] : try makeDirectories(parent)
        guard mkdir(path, 0o755) == 0 else {
            if errno == EEXIST { return created }   // made meanwhile by someone else
            throw WriteError(path: path, errno: errno)
        }
        return created + [path]
    }

    static func writeDurably(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(path: temporary, errno: errno) }
        var written = 0
        let ok = bytes.withUnsafeBytes { raw -> Bool in
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; return false }
                written += n
            }
            return fsync(fd) == 0
        }
        let error = errno
        close(fd)
        guard ok else { throw WriteError(path: temporary, errno: error) }
        guard rename(temporary, path) == 0 else { throw WriteError(path: path, errno: errno) }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw WriteError(path: path, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw WriteError(path: path, errno: errno) }
    }
}
