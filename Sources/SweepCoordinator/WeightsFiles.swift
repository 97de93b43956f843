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
    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func directory(store: String, sweep: String) -> String {
        let base = (store as NSString).deletingLastPathComponent
        let safe = String(sweep.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
        return (base.isEmpty ? "." : base) + "/weights/" + (safe.hasPrefix(".") ? "_" + safe : safe)
    }

    public static func write(_ file: [UInt8], taskID: String, asTask: Bool, asBest: Bool, directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if asTask { try writeDurably(file, to: directory + "/" + taskID + ".safetensors") }
        if asBest {
            try writeDurably(file, to: directory + "/best.safetensors")
            try writeDurably(Array((taskID + "\n").utf8), to: directory + "/best.txt")
        }
        try syncDirectory(directory)
    }

    static func writeDurably(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(description: "\(temporary): \(String(cString: strerror(errno)))") }
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
        guard ok else { throw WriteError(description: "\(temporary): \(String(cString: strerror(error)))") }
        guard rename(temporary, path) == 0 else { throw WriteError(description: "\(path): \(String(cString: strerror(errno)))") }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw WriteError(description: "\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw WriteError(description: "\(path): \(String(cString: strerror(errno)))") }
    }
}
