#if canImport(Glibc)
import Glibc
#endif

/// Multipart messages (the wire codec's frames) over a pipe between a worker and
/// its slot processes: a message is its frame count, then each frame's length and
/// bytes, all lengths little-endian UInt32. ZeroMQ would need an endpoint on disk
/// or a name per slot; a pipe ends with the process at its other end, which is how
/// a worker learns that a slot died.
enum PipeFrames {
    /// Largest message accepted from a pipe: a weights chunk is 512 KiB.
    static let maxMessage = 64 << 20

    static func encode(_ frames: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4 + frames.reduce(0) { $0 + 4 + $1.count })
        func put(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { out.append(contentsOf: $0) } }
        put(frames.count)
        for f in frames {
            put(f.count)
            out.append(contentsOf: f)
        }
        return out
    }

    /// Writes all of `bytes` to `fd`; false when the other end is gone.
    static func write(_ frames: [[UInt8]], to fd: Int32) -> Bool {
        let bytes = encode(frames)
        return bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                done += n
            }
            return true
        }
    }
}

/// Reads messages from a pipe into a buffer and cuts them out whole.
struct FrameReader {
    private var buffer: [UInt8] = []
    private var start = 0
    /// The peer broke the format; treated as the end of the stream.
    private(set) var corrupt = false
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)

    /// Reads what the pipe holds (blocking until something or EOF); false at EOF or error.
    mutating func fill(from fd: Int32) -> Bool {
        if start > 0 && start * 2 >= buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
    }

    /// The next whole message, if the buffer holds one.
    mutating func next() -> [[UInt8]]? {
        guard !corrupt else { return nil }
        var at = start
        func u32() -> Int? {
            guard buffer.count - at >= 4 else { return nil }
            let v = Int(buffer[at]) | Int(buffer[at + 1]) << 8 | Int(buffer[at + 2]) << 16 | Int(buffer[at + 3]) << 24
            at += 4
            return v
        }
        guard let count = u32() else { return nil }
        guard count <= 64 else { corrupt = true; return nil }
        var frames: [[UInt8]] = []
        var total = 0
        for _ in 0..<count {
            guard let length = u32() else { return nil }
            total += length
            guard total <= PipeFrames.maxMessage else { corrupt = true; return nil }
            guard buffer.count - at >= length else { return nil }
            frames.append(Array(buffer[at..<at + length]))
            at += length
        }
        start = at
        return frames
    }
}
