import CZlib

/// Refuse to inflate beyond this: the largest real file (MNIST train images) is 47 MB.
let maxInflatedBytes = 1 << 31

/// Inflates gzip data (all concatenated members) from a file's bytes; `path` names it in errors.
func gunzip(_ compressed: [UInt8], path: String) throws -> [UInt8] {
    guard compressed.count <= Int(UInt32.max) else { throw DataError(path, "compressed file larger than 4 GiB") }
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer { stream.deallocate() }
    // 15 + 32: a 32 KiB window and automatic gzip/zlib header detection.
    guard czlib_inflate_init2(stream, 15 + 32) == Z_OK else { throw DataError(path, "cannot initialise zlib") }
    defer { inflateEnd(stream) }

    var output = [UInt8](repeating: 0, count: initialCapacity(compressed))
    var produced = 0
    try compressed.withUnsafeBufferPointer { input in
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        stream.pointee.avail_in = uInt(input.count)
        while true {
            if produced == output.count {
                guard output.count < maxInflatedBytes else {
                    throw DataError(path, "gzip data inflates to more than \(maxInflatedBytes >> 30) GiB")
                }
                output.append(contentsOf: repeatElement(0, count: min(output.count, maxInflatedBytes - output.count)))
            }
            let room = min(output.count - produced, Int(UInt32.max))
            let status = output.withUnsafeMutableBufferPointer { out in
                stream.pointee.next_out = out.baseAddress! + produced
                stream.pointee.avail_out = uInt(room)
                return inflate(stream, Z_NO_FLUSH)
            }
            produced += room - Int(stream.pointee.avail_out)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                if stream.pointee.avail_in == 0 { return }
                guard inflateReset(stream) == Z_OK else { throw DataError(path, "corrupt gzip data") }
            case Z_BUF_ERROR where stream.pointee.avail_in > 0 && stream.pointee.avail_out == 0:
                continue                          // output full: grow and go on
            case Z_BUF_ERROR:
                throw DataError(path, "corrupt gzip data (unexpected end of file)")
            default:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw DataError(path, "corrupt gzip data (\(reason))")
            }
        }
    }
    output.removeLast(output.count - produced)
    return output
}

/// gzip's trailer holds the last member's size mod 2³²: a good first guess, capped in case it lies.
private func initialCapacity(_ compressed: [UInt8]) -> Int {
    let n = compressed.count
    guard n >= 18 else { return 1 << 16 }
    let isize = Int(compressed[n - 4]) | Int(compressed[n - 3]) << 8 | Int(compressed[n - 2]) << 16 | Int(compressed[n - 1]) << 24
    return max(1 << 16, min(isize + 1, 1 << 28))
}
