/// The CIFAR-10 binary format: records of 1 label byte + 3072 pixel bytes
/// (1024 red, 1024 green, 1024 blue, each row-major 32×32), normally 10000 per file.
enum CIFAR10 {
    static let shape = [3, 32, 32]
    static let imageBytes = 3 * 32 * 32
    static let recordBytes = 1 + imageBytes
    static let trainFiles = (1...5).map { "data_batch_\($0).bin" }
    static let testFiles = ["test_batch.bin"]
    static let subdirectory = "cifar-10-batches-bin"

    /// Reads and concatenates the batches at `paths`, in order.
    static func read(_ paths: [String], classes: Int) throws -> ImageSet {
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        for path in paths {
            let bytes = try readFile(path)
            guard !bytes.isEmpty else { throw DataError(path, "empty file") }
            guard bytes.count % recordBytes == 0 else {
                throw DataError(path, "length \(bytes.count) is not a multiple of the \(recordBytes)-byte record (1 label + 3072 pixels)")
            }
            let records = bytes.count / recordBytes
            pixels.reserveCapacity(pixels.count + records * imageBytes)
            labels.reserveCapacity(labels.count + records)
            for r in 0..<records {
                let start = r * recordBytes
                let label = bytes[start]
                guard Int(label) < classes else {
                    throw DataError(path, "label \(label) of record \(r) is out of range (expected 0–\(classes - 1))")
                }
                labels.append(Int32(label))
                pixels.append(contentsOf: bytes[(start + 1)..<(start + recordBytes)])
            }
        }
        return ImageSet(pixels: pixels, labels: labels)
    }
}
