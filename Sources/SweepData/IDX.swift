/// The IDX format of MNIST and Fashion-MNIST: a big-endian header (magic, counts,
/// dimensions) followed by unsigned bytes, one image row-major after another.
enum IDX {
    static let imagesMagic: UInt32 = 0x0000_0803   // unsigned bytes, 3 dimensions
    static let labelsMagic: UInt32 = 0x0000_0801   // unsigned bytes, 1 dimension

    struct Images {
        var count: Int
        var rows: Int
        var columns: Int
        var pixels: [UInt8]
    }

    static func images(_ bytes: [UInt8], path: String) throws -> Images {
        try checkHeader(bytes, path: path, magic: imagesMagic, headerBytes: 16)
        let count = Int(bigEndian(bytes, at: 4)), rows = Int(bigEndian(bytes, at: 8)), columns = Int(bigEndian(bytes, at: 12))
        guard rows > 0, columns > 0 else { throw DataError(path, "bad image dimensions \(rows)×\(columns)") }
        let (plane, o1) = rows.multipliedReportingOverflow(by: columns)
        let (expected, o2) = plane.multipliedReportingOverflow(by: count)
        let actual = bytes.count - 16
        guard !o1, !o2, actual == expected else {
            let problem = actual < expected || o1 || o2 ? "truncated" : "trailing bytes"
            throw DataError(path, "\(problem): header says \(count) images of \(rows)×\(columns) but file has \(actual) bytes of pixels")
        }
        return Images(count: count, rows: rows, columns: columns, pixels: Array(bytes[16...]))
    }

    static func labels(_ bytes: [UInt8], path: String, classes: Int) throws -> [Int32] {
        try checkHeader(bytes, path: path, magic: labelsMagic, headerBytes: 8)
        let count = Int(bigEndian(bytes, at: 4))
        let actual = bytes.count - 8
        guard actual == count else {
            let problem = actual < count ? "truncated" : "trailing bytes"
            throw DataError(path, "\(problem): header says \(count) labels but file has \(actual) bytes of labels")
        }
        let labels = bytes[8...]
        if let bad = labels.firstIndex(where: { Int($0) >= classes }) {
            throw DataError(path, "label \(labels[bad]) at index \(bad - 8) is out of range (expected 0–\(classes - 1))")
        }
        return labels.map { Int32($0) }
    }

    private static func checkHeader(_ bytes: [UInt8], path: String, magic: UInt32, headerBytes: Int) throws {
        guard bytes.count >= 4 else {
            throw DataError(path, "truncated: \(bytes.count) bytes, shorter than the \(headerBytes)-byte header")
        }
        let found = bigEndian(bytes, at: 0)
        guard found == magic else { throw DataError(path, "bad magic number \(hex(found)) (expected \(hex(magic)))") }
        guard bytes.count >= headerBytes else {
            throw DataError(path, "truncated: \(bytes.count) bytes, shorter than the \(headerBytes)-byte header")
        }
    }

    /// The caller has checked that bytes[offset..<offset+4] exist.
    private static func bigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
