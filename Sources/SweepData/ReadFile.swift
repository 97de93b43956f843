import Foundation

/// The whole file's bytes, or a DataError naming the file and errno's reason.
func readFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw DataError(path, "cannot open: \(errnoReason())") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw DataError(path, "cannot stat: \(errnoReason())") }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw DataError(path, "not a regular file") }
    let size = Int(info.st_size)
    guard size > 0 else { return [] }
    var failure: Int32 = 0
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
        var done = 0
        while done < size {
            let n = read(fd, buffer.baseAddress! + done, size - done)
            if n > 0 { done += n; continue }
            if n == 0 { break }                  // file shrank: the length checks will say so
            if errno == EINTR { continue }
            failure = errno
            break
        }
        initialized = done
    }
    guard failure == 0 else { throw DataError(path, "cannot read: \(String(cString: strerror(failure)))") }
    return bytes
}

private func errnoReason() -> String { String(cString: strerror(errno)) }

func isRegularFile(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
}
