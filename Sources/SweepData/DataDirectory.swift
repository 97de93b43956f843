import Foundation

/// Where to look when data_dir is not given, in order: $SWEEP_DATA_DIR/<name>,
/// $SWEEP_DATA_DIR, ./data/<name>, and for fashion-mnist the Debian package's
/// /usr/share/datasets/fashion-mnist.
func candidateDirectories(for name: DatasetName,
                          environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
    var directories: [String] = []
    if let root = environment["SWEEP_DATA_DIR"], !root.isEmpty {
        directories += [join(root, name.rawValue), root]
    }
    directories.append(join("./data", name.rawValue))
    if name == .fashionMNIST { directories.append("/usr/share/datasets/fashion-mnist") }
    return directories
}

/// The first of `directories` that holds every one of `files` (each raw or, if
/// `gzipAllowed`, with `.gz`; raw preferred), and the path of each file there.
func locate(_ files: [String], gzipAllowed: Bool, in directories: [String],
            dataset: DatasetName) throws -> (directory: String, paths: [String]) {
    var best: (directory: String, found: Int, missing: String)?
    for directory in directories {
        var paths: [String] = []
        for file in files {
            let raw = join(directory, file)
            if isRegularFile(raw) { paths.append(raw) }
            else if gzipAllowed, isRegularFile(raw + ".gz") { paths.append(raw + ".gz") }
            else { break }
        }
        if paths.count == files.count { return (directory, paths) }
        let found = files.filter { isRegularFile(join(directory, $0)) || (gzipAllowed && isRegularFile(join(directory, $0) + ".gz")) }
        if found.count > (best?.found ?? -1) {
            best = (directory, found.count, files[paths.count])
        }
    }
    let suffix = gzipAllowed ? "[.gz]" : ""
    let tried = directories.joined(separator: ", ")
    guard let best, best.found > 0 else {
        throw DataError(dataset.rawValue, "\(files.first ?? "data")\(suffix) missing (looked in: \(tried))")
    }
    throw DataError(join(best.directory, best.missing) + suffix, "missing (looked in: \(tried))")
}

func join(_ directory: String, _ file: String) -> String {
    directory.hasSuffix("/") ? directory + file : directory + "/" + file
}
