import Foundation
import Synchronization
import SweepConfig
import SweepCoordinator
import SweepEngine
import SweepPictures
import SweepReport
import SweepTrain

/// The pictures of a sweep's trained networks for `sweep report`: the best task's (from
/// `best.safetensors`) and every task's whose own weights were kept (`--save-weights`),
/// made from the weights files beside the store and the test data (ProbePictures).
///
/// Each task's pictures are a pure function of its weights file, so they are kept beside
/// it (`pictures/<task id>.html`, stamped with the file's size and time) and made again
/// only when it changed: a second report of a 200-task sweep reads them back. Missing ones
/// are made on every core, one network per core, each on one BLAS thread.
enum NetworkPictures {
    /// Bumped when the pictures change, so that kept ones are made again.
    static let version = 2

    struct Made {
        /// Task id → its pictures' HTML.
        var pictures: [String: String] = [:]
        /// Why some or all tasks have none, for the page.
        var note: String?
        /// How many were made now, and how many read back.
        var computed = 0, kept = 0
    }

    static func make(data: ReportData, store: String, sweep: String) -> Made {
        let directory = WeightsFiles.directory(store: store, sweep: sweep)
        let best = (try? String(contentsOfFile: directory + "/best.txt", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let files = Set(((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".safetensors") && $0 != "best.safetensors" }
            .map { String($0.dropLast(".safetensors".count)) })
        // in leaderboard order; the best from its own file when it has one
        var work: [(id: String, config: TrainConfig, weights: String)] = []
        var skipped: [String] = []
        for run in data.runs where run.taskID == best || files.contains(run.taskID) {
            let file = directory + "/" + (files.contains(run.taskID) ? run.taskID : "best") + ".safetensors"
            guard let params = try? JSON.parse(run.row.task.params), let config = try? TrainConfig(json: params) else {
                skipped.append("task \(run.taskID)'s parameters do not read back")
                continue
            }
            guard config.model != .noop || config.architecture != nil else { continue }
            work.append((run.taskID, config, file))
        }
        var made = Made()
        if work.isEmpty {
            made.note = best == nil && files.isEmpty ? "No pictures of the networks: no saved weights in \(directory)."
                : "No pictures of the networks: " + (skipped.first ?? "the sweep's model (noop) has no network") + "."
            return made
        }
        // read back what is kept; the rest is made below
        var todo: [Int] = []
        for (k, w) in work.enumerated() {
            if let html = kept(w.id, weights: w.weights, directory: directory) {
                made.pictures[w.id] = html
                made.kept += 1
            } else {
                todo.append(k)
            }
        }
        let datasets = DatasetCache()
        let results = Mutex<[String: Result<String, PictureError>]>([:])
        BLAS.setThreads(1)   // one network per core, each on CKernels' single-threaded GEMM
        let jobs = todo.map { work[$0] }
        DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
            let w = jobs[i]
            let r: Result<String, PictureError>
            if let bytes = FileManager.default.contents(atPath: w.weights) {
                do {
                    let tensors = try Safetensors.decode(Array(bytes)).tensors
                    r = .success(ProbePictures.html(try ProbePictures.inputs(config: w.config, weights: tensors, datasets: datasets)))
                } catch let e as ConfigError {
                    r = .failure(PictureError(message: e.message))
                } catch {
                    r = .failure(PictureError(message: "\(error)"))
                }
            } else {
                r = .failure(PictureError(message: "\(w.weights) cannot be read"))
            }
            results.withLock { $0[w.id] = r }
        }
        var failures: [String] = []
        for k in todo {
            let w = work[k]
            switch results.withLock({ $0[w.id] }) {
            case .success(let html)?:
                made.pictures[w.id] = html
                made.computed += 1
                keep(html, of: w.id, weights: w.weights, directory: directory)
            case .failure(let e)?:
                failures.append("task \(w.id): \(e.message)")
            case nil:
                break
            }
        }
        if let first = failures.first {
            made.note = "No pictures for \(failures.count) task(s) whose weights were saved; the first: \(first)."
        }
        return made
    }

    struct PictureError: Error {
        let message: String
    }

    /// What stamps a kept file: the version, and the weights file's size and modification time.
    private static func stamp(weights: String) -> String? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: weights),
              let size = a[.size] as? NSNumber, let time = a[.modificationDate] as? Date else { return nil }
        return "<!-- sweep pictures \(version) \(size) \(time.timeIntervalSince1970) -->\n"
    }

    private static func keptPath(_ id: String, directory: String) -> String {
        directory + "/pictures/" + id + ".html"
    }

    private static func kept(_ id: String, weights: String, directory: String) -> String? {
        guard let stamp = stamp(weights: weights),
              let text = try? String(contentsOfFile: keptPath(id, directory: directory), encoding: .utf8),
              text.hasPrefix(stamp) else { return nil }
        return String(text.dropFirst(stamp.count))
    }

    /// Best effort: a store read from a directory this user cannot write still gets its report.
    private static func keep(_ html: String, of id: String, weights: String, directory: String) {
        guard let stamp = stamp(weights: weights) else { return }
        try? FileManager.default.createDirectory(atPath: directory + "/pictures", withIntermediateDirectories: true)
        try? (stamp + html).write(toFile: keptPath(id, directory: directory), atomically: true, encoding: .utf8)
    }
}
