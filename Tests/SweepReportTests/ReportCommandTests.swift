import Foundation
import Synchronization
import Testing
import SweepInsights
import SweepConfig
import SweepStore
import TestSupport
@testable import SweepReport
@testable import SweepTrain

/// The repository root (for the Makefile's tool directory).
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Debian's chromium (`make deps-browser`), or $SWEEP_CHROMIUM.
let chromium: String? = {
    let candidates = [ProcessInfo.processInfo.environment["SWEEP_CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser"]
    return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

/// A Python with safetensors, numpy and pandas (`make deps-report`), or $SWEEP_TEST_PYTHON.
let reportPython: String? = {
    let candidates = [ProcessInfo.processInfo.environment["SWEEP_TEST_PYTHON"], repository + "/.build/report-tools/bin/python"]
    return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

/// One small finished sweep shared by the tests below: LeNet5 and an MLP, SGD and
/// Adam, two seeds each (8 tasks of about a second), every task's weights kept.
/// Built once, on first use.
enum SmallSweep {
    static let spec = """
        name: report-test
        method: grid
        metric: {name: test_accuracy, goal: maximize}
        parameters:
          dataset: {value: synthetic}
          train_per_class: {value: 20}
          test_per_class: {value: 6}
          epochs: {value: 3}
          batch_size: {value: 10}
          hidden: {value: 32}
          activation: {value: relu}
          model: {values: [lenet5, mlp]}
          optimizer: {values: [sgd, adam]}
          learning_rate: {value: 0.01}
          seed: {values: [1, 2]}
        """

    struct Built: Sendable {
        let dir: String
        var db: String { dir + "/sweep.db" }
        var weights: String { dir + "/weights/report-test" }
    }

    /// The directory, once built; removed when the suites that use it end (`.removesSmallSweep`).
    private static let made = Mutex<String?>(nil)

    static let built: Result<Built, CommandFailed> = {
        let dir = makeTemporaryDirectory("sweep-report")
        made.withLock { $0 = dir }
        do {
            try spec.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
            let r = try runSweep(["run", "spec.yaml", "--db", "sweep.db", "--workers", "2", "--save-weights"], directory: dir)
            guard r.status == 0 else { return .failure(CommandFailed(text: "sweep run: \(r.status)\n\(r.stderr)")) }
        } catch {
            return .failure(CommandFailed(text: "\(error)"))
        }
        return .success(Built(dir: dir))
    }()

    static func get() throws -> Built { try built.get() }

    static func remove() {
        if let dir = made.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: dir) }
    }
}

/// Removes the small sweep once every test of the suite has run, however they ended.
struct RemovesSmallSweep: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        defer { SmallSweep.remove() }
        try await function()
    }
}

extension Trait where Self == RemovesSmallSweep {
    static var removesSmallSweep: Self { Self() }
}

struct CommandFailed: Error, CustomStringConvertible { let text: String; var description: String { text } }

@Suite(.removesSmallSweep) struct ReportCommandTests {
    /// The page renders in a real browser: a screenshot that is not blank, every chart
    /// with as many series as the sweep has settings, every filter image decoded.
    @Test(.enabled(if: chromium != nil, "chromium is not installed: run `make deps-browser` to check the report in a browser"))
    func theReportRendersInAHeadlessBrowser() throws {
        let sweep = try SmallSweep.get()
        let out = sweep.dir + "/report.html"
        let r = try runSweep(["report", "--db", sweep.db, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("wrote \(out)"))
        let html = try String(contentsOfFile: out, encoding: .utf8)

        // self-contained: nothing fetched from the network (the SVG namespace is a name, not a fetch)
        let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!withoutNamespace.contains("http://") && !withoutNamespace.contains("https://"))
        #expect(!html.contains("<link") && !html.contains("@import"))
        #expect(html.contains("@media print"))

        // a screenshot: a PNG of the window's size with a real page in it, not a blank one
        let shot = sweep.dir + "/shot.png"
        let s = try Self.runBrowser(["--window-size=1280,1800", "--screenshot=\(shot)", "file://\(out)"])
        #expect(s.status == 0, "\(s.stderr)")
        let image = try PNG.decode(Array(try Data(contentsOf: URL(fileURLWithPath: shot))))
        #expect(image.width == 1280 && image.height == 1800)
        let stride = image.channels
        var inked = 0
        for i in Swift.stride(from: 0, to: image.pixels.count, by: stride) where image.pixels[i] < 200 { inked += 1 }
        let share = Double(inked) / Double(image.width * image.height)
        #expect(share > 0.01 && share < 0.6, "share of dark pixels \(share)")

        // the DOM after the page's script ran
        let d = try Self.runBrowser(["--virtual-time-budget=5000", "--dump-dom", "file://\(out)"])
        #expect(d.status == 0, "\(d.stderr)")
        let dom = d.stdout
        #expect(dom.contains("data-rendered=\"true\""), "the page's script did not finish")

        let charts = Self.charts(in: dom)
        let lines = charts.filter { $0.kind == "line" }
        // per setting (model × optimizer = 4 lines): 6 epoch metrics and the step losses
        let perSetting = lines.filter { $0.id.hasPrefix("curve-") }
        #expect(perSetting.count == 7)
        for c in perSetting {
            #expect(c.declared == 4 && c.groups == 4, "\(c.id) \(c.metric): \(c.declared) declared, \(c.groups) drawn")
            #expect(c.bands == 4, "\(c.id): each line averages two seeds, so it has a band")
        }
        #expect(Set(perSetting.map(\.metric)) == ["train_loss", "val_loss", "test_loss", "train_accuracy", "val_accuracy",
                                                  "test_accuracy", "step_train_loss"])
        // by parameter: one chart per parameter that varies (model, optimizer), two values each
        let byParameter = lines.filter { $0.id.hasPrefix("by-") }
        #expect(byParameter.map(\.groups) == [2, 2])
        // parameter against metric: one scatter per parameter, a dot per task
        let scatters = charts.filter { $0.kind == "scatter" }
        #expect(scatters.count == 2)
        #expect(scatters.allSatisfy { $0.points == 8 }, "\(scatters.map(\.points))")

        // filter grids: one per LeNet5 task (the MLP has none), each decoded by the browser
        let decoded = dom.components(separatedBy: "data-decoded=\"true\"").count - 1
        let failed = dom.components(separatedBy: "data-decoded=\"false\"").count - 1
        #expect(decoded == 4 && failed == 0)
        // activation tables for the best tasks
        #expect(dom.components(separatedBy: "<table class=\"activations\"").count - 1 == 6)
        // and the by-setting summary: one table per architecture (LeNet5, MLP)
        #expect(dom.components(separatedBy: "<table class=\"activation-summary\"").count - 1 == 2)
    }

    /// Every network whose weights were saved (`--save-weights`: all 8) pictured from its
    /// weights, one fold per task, the best open: for one test image per class (synthetic:
    /// 10), occlusion and Grad-CAM; per convolution, feature maps and top images with gradient
    /// ascent (LeNet5: 2 convolutions; an MLP has none and the page says so). Every picture
    /// decodes in the browser; a leaderboard link opens its task's fold; the pictures are kept
    /// beside the weights and made again only when the weights change.
    @Test(.enabled(if: chromium != nil, "chromium is not installed: run `make deps-browser` to check the report in a browser"))
    func everyNetworkWithSavedWeightsIsPictured() throws {
        // a copy of the store and its weights: other tests' reports keep pictures beside the shared ones
        let shared = try SmallSweep.get()
        let dir = makeTemporaryDirectory("sweep-pictures")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: shared.db, toPath: dir + "/sweep.db")
        if FileManager.default.fileExists(atPath: shared.db + "-wal") {
            try FileManager.default.copyItem(atPath: shared.db + "-wal", toPath: dir + "/sweep.db-wal")
        }
        try FileManager.default.createDirectory(atPath: dir + "/weights", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: shared.weights, toPath: dir + "/weights/report-test")
        try? FileManager.default.removeItem(atPath: dir + "/weights/report-test/pictures")
        let sweep = SmallSweep.Built(dir: dir)
        let out = sweep.dir + "/inside.html"
        let r = try runSweep(["report", "--db", sweep.db, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("pictures of 8 network(s), 8 made in"), "\(r.stdout)")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        #expect(html.contains("<section id=\"inside\">\n<h2>Inside the networks</h2>"))
        func count(_ s: String, in text: String? = nil) -> Int { (text ?? html).components(separatedBy: s).count - 1 }
        // the 8 tasks of --save-weights, one fold each; the best one open, first
        let best = try String(contentsOfFile: sweep.weights + "/best.txt", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(count("<details class=\"pictures\"") == 8)
        #expect(count("<details class=\"pictures\" id=\"pictures-\(best)\" data-task=\"\(best)\" open>") == 1)
        #expect(count(" open>") == 1)
        let folds = html.components(separatedBy: "<details class=\"pictures\"").dropFirst()
        #expect(folds.first?.contains("id=\"pictures-\(best)\"") == true, "the best task's fold comes first")
        // every task's id in the leaderboard leads to its fold
        #expect(count("<a href=\"#pictures-") == 8)
        // 10 overlays per network; lenet5's two convolutions have maps and filters, the MLPs say why they have none
        #expect(count("data-picture=\"occlusion-gradcam\"") == 80)
        #expect(count("data-picture=\"feature-maps\"") == 8 && count("data-picture=\"filters\"") == 8)
        for fold in folds {
            #expect(count("data-picture=\"feature-maps\"", in: fold) == 2 || fold.contains("No convolution"))
        }
        let d = try Self.runBrowser(["--virtual-time-budget=5000", "--dump-dom", "file://\(out)"])
        let decoded = d.stdout.components(separatedBy: "data-probe-decoded=\"true\"").count - 1
        #expect(decoded == 96 && !d.stdout.contains("data-probe-decoded=\"false\""), "\(decoded) decoded")
        // a link to a task's pictures opens its fold
        let other = try #require(folds.dropFirst().first.flatMap { $0.components(separatedBy: "data-task=\"").dropFirst().first?.prefix(16) })
        let opened = try Self.runBrowser(["--virtual-time-budget=5000", "--dump-dom", "file://\(out)#pictures-\(other)"])
        #expect(opened.stdout.contains("id=\"pictures-\(other)\" data-task=\"\(other)\" open=\"\""), "the linked fold opens")

        // made once: the next report reads them back, the same; a changed weights file is pictured again
        let again = try runSweep(["report", "--db", sweep.db, "--out", out + ".2"])
        #expect(again.stdout.contains("pictures of 8 network(s), 8 kept from an earlier report"), "\(again.stdout)")
        let second = try String(contentsOfFile: out + ".2", encoding: .utf8)
        func inside(_ page: String) -> String { page.components(separatedBy: "<section id=\"inside\">").last ?? "" }
        #expect(inside(second) == inside(html))
        let file = sweep.weights + "/\(other).safetensors"
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: file)
        let third = try runSweep(["report", "--db", sweep.db, "--out", out + ".3"])
        #expect(third.stdout.contains("pictures of 8 network(s), 1 made in") && third.stdout.contains("7 kept"), "\(third.stdout)")
    }

    /// The filter images are PNGs of 32 5×5 filters in 4 rows of 8, and show the stored weights.
    @Test func filterImagesAreThePNGsOfTheStoredFilters() throws {
        let sweep = try SmallSweep.get()
        let out = sweep.dir + "/filters.html"
        #expect(try runSweep(["report", "--db", sweep.db, "--out", out]).status == 0)
        let html = try String(contentsOfFile: out, encoding: .utf8)
        // the filter grids' images (the pictures of the best network are others)
        let uris = html.components(separatedBy: "<img class=\"filters\"").dropFirst().compactMap { tag in
            tag.components(separatedBy: "src=\"data:image/png;base64,").dropFirst().first.map { String($0.prefix { $0 != "\"" }) }
        }
        #expect(uris.count == 4)
        let store = try Store(path: sweep.db, readOnly: true)
        let data = try ReportData.load(store: store, sweep: try store.selectSweep(named: nil).sweep)
        let cnn = data.runs.filter { $0.insights?.filters != nil }
        #expect(cnn.count == 4 && cnn.allSatisfy { $0.row.param("model") == .string("lenet5") })
        for (uri, run) in zip(uris, cnn) {
            let png = try #require(Data(base64Encoded: uri))
            let image = try PNG.decode(Array(png))
            #expect(image.width == (8 * 6 + 1) * 8 && image.height == (4 * 6 + 1) * 8 && image.channels == 1)
            // the same pixels as drawn from the filters in the store
            #expect(image == FilterGrid.image(run.insights!.filters!, zoom: 8))
        }
    }

    /// A checkpoint read back by the PyPI safetensors package (numpy API): PyTorch
    /// names and shapes, and the same first-layer values the store holds.
    @Test(.enabled(if: reportPython != nil, "no Python with safetensors: run `make deps-report`"))
    func checkpointsLoadWithPythonSafetensors() throws {
        let sweep = try SmallSweep.get()
        let files = try FileManager.default.contentsOfDirectory(atPath: sweep.weights)
        #expect(files.filter { $0.hasSuffix(".safetensors") }.count == 9, "8 tasks and best: \(files.sorted())")
        let best = try String(contentsOfFile: sweep.weights + "/best.txt", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let store = try Store(path: sweep.db, readOnly: true)
        let data = try ReportData.load(store: store, sweep: try store.selectSweep(named: nil).sweep)
        #expect(best == data.board.best?.task.taskID)

        let lenet = try #require(data.runs.first { $0.row.param("model") == .string("lenet5") })
        let script = """
            import json, sys
            from safetensors.numpy import load_file
            from safetensors import safe_open
            t = load_file(sys.argv[1])
            with safe_open(sys.argv[1], "np") as f:
                meta = f.metadata()
            print(json.dumps({"shapes": {k: list(v.shape) for k, v in t.items()},
                              "dtypes": sorted({str(v.dtype) for v in t.values()}),
                              "filters": t["net.0.weight"].astype(float).ravel().tolist(),
                              "task_id": meta["task_id"]}))
            """
        let r = try runCommand(reportPython!, ["-c", script, sweep.weights + "/\(lenet.taskID).safetensors"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSON.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let shapes = try #require(json["shapes"])
        // nn.Sequential(conv, relu, pool, conv, relu, pool, flatten, linear, relu, dropout, linear)
        let expected: [(String, [Int])] = [
            ("net.0.weight", [32, 1, 5, 5]), ("net.0.bias", [32]), ("net.3.weight", [64, 32, 5, 5]), ("net.3.bias", [64]),
            ("net.7.weight", [1024, 64 * 7 * 7]), ("net.7.bias", [1024]), ("net.10.weight", [10, 1024]), ("net.10.bias", [10]),
        ]
        guard case .object(let fields) = shapes else { Issue.record("no shapes"); return }
        #expect(Set(fields.map(\.0)) == Set(expected.map(\.0)))
        for (name, shape) in expected { #expect(shapes[name] == .array(shape.map(JSON.int)), "\(name)") }
        #expect(json["dtypes"] == .array([.string("float32")]))
        #expect(json["task_id"] == .string(lenet.taskID))
        guard case .array(let values)? = json["filters"] else { Issue.record("no filters"); return }
        #expect(values.map { Float($0.doubleValue!) } == lenet.insights!.filters!.values)
    }

    /// The CSV leaderboard loads in pandas with one row per task, numeric metrics and the JSON format's values.
    @Test(.enabled(if: reportPython != nil, "no Python with pandas: run `make deps-report`"))
    func csvLoadsCleanlyInPandas() throws {
        let sweep = try SmallSweep.get()
        let csv = try runSweep(["leaderboard", "--db", sweep.db, "--format", "csv"])
        #expect(csv.status == 0)
        try csv.stdout.write(toFile: sweep.dir + "/board.csv", atomically: true, encoding: .utf8)
        let script = """
            import json, sys
            import pandas as pd
            d = pd.read_csv(sys.argv[1])
            print(json.dumps({"rows": len(d), "columns": list(d.columns),
                              "numeric": [c for c in ["rank", "test_accuracy", "test_loss", "learning_rate", "seed"]
                                          if pd.api.types.is_numeric_dtype(d[c])],
                              "test_accuracy": d["test_accuracy"].tolist(), "task_id": d["task_id"].tolist()}))
            """
        let r = try runCommand(reportPython!, ["-c", script, sweep.dir + "/board.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSON.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(json["rows"] == .int(8))
        #expect(json["numeric"] == .array(["rank", "test_accuracy", "test_loss", "learning_rate", "seed"].map(JSON.string)))
        let board = try JSON.parse(try runSweep(["leaderboard", "--db", sweep.db, "--format", "json"]).stdout)
        guard case .array(let rows) = board, case .array(let ids)? = json["task_id"], case .array(let accs)? = json["test_accuracy"] else {
            Issue.record("unexpected shapes"); return
        }
        #expect(ids == rows.map { $0["task_id"]! })
        #expect(accs.map(\.doubleValue) == rows.map { $0["metrics"]!["test_accuracy"]!.doubleValue })
    }

    /// --curves: a line of sparklines per task of the top K, after the table.
    @Test func leaderboardCurvesDrawTheTopTasks() throws {
        let sweep = try SmallSweep.get()
        let r = try runSweep(["leaderboard", "--db", sweep.db, "--curves", "--top", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        let after = try #require(r.stdout.components(separatedBy: "\n\n").last)
        let lines = after.split(separator: "\n")
        #expect(lines.count == 4, "\(after)")
        #expect(lines[0].contains("test_accuracy per epoch") && lines[0].contains("train loss"))
        for (k, line) in lines.dropFirst().enumerated() {
            #expect(line.hasPrefix("\(k + 1). "))
            #expect(line.unicodeScalars.filter { (0x2581...0x2588).contains($0.value) }.count >= 3 + 3, "\(line)")
        }
        let bad = try runSweep(["leaderboard", "--db", sweep.db, "--curves", "--format", "csv"])
        #expect(bad.status == 2)
        #expect(bad.stderr.split(separator: "\n").count == 1 && bad.stderr.contains("--curves"), "\(bad.stderr)")
    }

    @Test func badInputExitsTwoWithOneLine() throws {
        let dir = makeTemporaryDirectory("sweep-report")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let missing = try runSweep(["report", "--db", dir + "/none.db", "--out", dir + "/r.html"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains(dir + "/none.db") && missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/r.html"))
        let noOut = try runSweep(["report", "--db", dir + "/none.db"])
        #expect(noOut.status == 2 && noOut.stderr.contains("--out"))
        let sweep = try SmallSweep.get()
        let unwritable = try runSweep(["report", "--db", sweep.db, "--out", dir + "/no/such/dir/r.html"])
        #expect(unwritable.status == 2)
        #expect(unwritable.stderr.contains("--out") && unwritable.stderr.split(separator: "\n").count == 1, "\(unwritable.stderr)")
        let unknown = try runSweep(["report", "--db", sweep.db, "--sweep", "nope", "--out", dir + "/r.html"])
        #expect(unknown.status == 2 && unknown.stderr.contains("no sweep named 'nope'"))
    }

    // MARK: helpers

    static let browserFlags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                               "--disable-dev-shm-usage"]

    /// Runs headless chromium with a profile and temporary files of its own (TMPDIR:
    /// under --disable-dev-shm-usage its shared memory, .org.chromium.Chromium.*, goes
    /// there), removed when it has exited. The folder's path stays short: chromium's
    /// singleton socket lives in it, and a socket path has at most 107 bytes.
    static func runBrowser(_ arguments: [String]) throws -> CommandResult {
        let own = makeTemporaryDirectory("sweep-chromium")
        defer { try? FileManager.default.removeItem(atPath: own) }
        return try RunningProcess(chromium!, browserFlags + ["--user-data-dir=\(own)/profile"] + arguments,
                                  environment: ["TMPDIR": own]).wait(timeout: 120)
    }

    struct Chart {
        var id = "", kind = "", metric = ""
        var declared = 0, groups = 0, bands = 0, points = 0
    }

    /// Every `<svg class="chart">` of the page: its attributes and what it draws.
    static func charts(in dom: String) -> [Chart] {
        dom.components(separatedBy: "<svg class=\"chart\"").dropFirst().map { piece in
            let svg = piece.components(separatedBy: "</svg>")[0]
            func attribute(_ name: String) -> String {
                guard let r = svg.range(of: " \(name)=\"") else { return "" }
                return String(svg[r.upperBound...].prefix { $0 != "\"" })
            }
            var c = Chart(id: attribute("id"), kind: attribute("data-kind"), metric: attribute("data-metric"))
            c.declared = Int(attribute("data-series")) ?? -1
            c.groups = svg.components(separatedBy: "<g class=\"series\"").count - 1
            c.bands = svg.components(separatedBy: "class=\"band\"").count - 1
            c.points = svg.components(separatedBy: "<circle class=\"point\"").count - 1
            return c
        }
    }
}

/// `sweep train --out DIR` writes the trained weights; PyTorch loads them into the
/// equivalent module with strict names (when a Python with torch is at hand).
@Suite struct TrainOutputTests {
    /// A Python with torch and safetensors (the tests load the weights with its `load_file`):
    /// $SWEEP_TORCH_PYTHON, or the benchmark's /tmp/torch (README, Benchmarks).
    /// Why the tests that need torchPython are skipped without it.
    static let noTorch = Comment(rawValue: "no Python with torch and safetensors (README, Benchmarks): PyTorch loading not checked")
    static let torchPython: String? = {
        let candidates = [ProcessInfo.processInfo.environment["SWEEP_TORCH_PYTHON"], "/tmp/torch/bin/python"]
        return candidates.compactMap { $0 }.first { p in
            FileManager.default.isExecutableFile(atPath: p)
                && ((try? runCommand(p, ["-c", "import torch, numpy, safetensors"]).status) == 0)
        }
    }()

    @Test func trainOutWritesWeightsAndInsights() throws {
        let dir = makeTemporaryDirectory("sweep-train-out")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runSweep(["train", "--out", dir, "dataset=synthetic", "model=rnn", "cell=lstm", "hidden=8", "batchnorm=true",
                              "train_per_class=10", "test_per_class=4", "epochs=1"])
        #expect(r.status == 0, "\(r.stderr)")
        let file = try #require(FileManager.default.contents(atPath: dir + "/weights.safetensors"))
        let (tensors, metadata) = try Safetensors.decode(Array(file))
        #expect(Set(tensors.map(\.name)) == ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                                             "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
                                             "fc.weight", "fc.bias"])
        #expect(metadata["config"]?.contains("\"cell\":\"lstm\"") == true)
        let insights = try #require(RunInsights(json: JSON.parse(String(contentsOfFile: dir + "/insights.json", encoding: .utf8))))
        #expect(insights.filters == nil)   // no convolution
        #expect(insights.activations.map(\.layer) == ["rnn.l0", "rnn.l0.input_gate", "rnn.l0.forget_gate", "rnn.l0.cell_gate",
                                                      "rnn.l0.output_gate", "bn", "fc"])
        #expect(insights.activations[0].stage == .afterNonlinearity)
        // a recurrent network: occlusion of one image per class, and a note for the rest
        let pictures = try FileManager.default.contentsOfDirectory(atPath: dir + "/pictures").sorted()
        #expect(pictures == (0..<10).map { "class-\($0)-occlusion-gradcam.png" } + ["notes.txt"])
        #expect(try String(contentsOfFile: dir + "/pictures/notes.txt", encoding: .utf8).contains("No convolution"))
    }

    /// `sweep train --out` pictures a CNN: per class its occlusion and Grad-CAM, per convolution
    /// its feature maps and filters; every file a PNG of a sensible size.
    @Test func trainOutPicturesTheTrainedNetwork() throws {
        let dir = makeTemporaryDirectory("sweep-train-out")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runSweep(["train", "--out", dir, "dataset=synthetic", "model=lenet5", "train_per_class=10", "test_per_class=4",
                              "epochs=1"])
        #expect(r.status == 0, "\(r.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/pictures").sorted()
        #expect(names == ((0..<10).map { "class-\($0)-occlusion-gradcam.png" }
                          + ["feature-maps-net.0.png", "feature-maps-net.3.png", "filters-net.0.png", "filters-net.3.png"]).sorted())
        for name in names {
            let image = try PNG.decode(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/pictures/" + name))))
            // the overlays in colour, the maps and filters (of grey images) in grey; enlarged, as a file is looked at
            #expect(image.width >= 84 && image.height >= 28, "\(name) \(image.width)×\(image.height)")
            #expect(image.channels == (name.hasPrefix("class-") ? 3 : 1), "\(name): \(image.channels) channel(s)")
            #expect(Set(image.pixels).count > 8, "\(name) is not flat")
        }
    }

    @Test(.enabled(if: torchPython != nil, noTorch))
    func pyTorchLoadsTheCheckpointStrictly() throws {
        let dir = makeTemporaryDirectory("sweep-train-out")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runSweep(["train", "--out", dir, "dataset=synthetic", "model=lenet5", "batchnorm=true",
                              "train_per_class=6", "test_per_class=2", "epochs=1", "batch_size=20"])
        #expect(r.status == 0, "\(r.stderr)")
        let script = """
            import sys, torch
            from torch import nn
            import json, struct, numpy as np
            def load_file(path):
                # safetensors.torch.load_file when the package is there; else the format by hand
                try:
                    from safetensors.torch import load_file as real
                    return real(path)
                except ImportError:
                    data = open(path, "rb").read()
                    (n,) = struct.unpack("<Q", data[:8])
                    header = json.loads(data[8:8 + n])
                    types = {"F32": np.float32, "I64": np.int64}
                    return {k: torch.from_numpy(np.frombuffer(data[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]],
                                                              dtype=types[v["dtype"]]).reshape(v["shape"]).copy())
                            for k, v in header.items() if k != "__metadata__"}
            class LeNet5(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.net = nn.Sequential(
                        nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.Tanh(), nn.MaxPool2d(2),
                        nn.Conv2d(32, 64, 5, padding=2), nn.BatchNorm2d(64), nn.Tanh(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(64 * 7 * 7, 1024), nn.BatchNorm1d(1024), nn.Tanh(), nn.Dropout(0.5),
                        nn.Linear(1024, 10))
            model = LeNet5()
            model.load_state_dict(load_file(sys.argv[1]), strict=True)
            print(int(model.net[1].num_batches_tracked), float(model.net[0].weight.abs().sum()))
            """
        let p = try runCommand(Self.torchPython!, ["-c", script, dir + "/weights.safetensors"])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout.hasPrefix("3 "), "54 samples in batches of 20: 3 steps; got \(p.stdout)")
    }

    /// model=rnn, built from its line, keeps the names of one PyTorch module per part: two
    /// stacked GRU layers load into one nn.GRU(num_layers=2), and bn and fc as they are.
    @Test(.enabled(if: torchPython != nil, noTorch))
    func stackedRecurrentLayersLoadIntoOnePyTorchModule() throws {
        let dir = makeTemporaryDirectory("sweep-train-out")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runSweep(["train", "--out", dir, "dataset=synthetic", "model=rnn", "cell=gru", "layers=2", "hidden=16",
                              "dropout=0.2", "batchnorm=true", "train_per_class=2", "test_per_class=1", "epochs=1"])
        #expect(r.status == 0, "\(r.stderr)")
        let script = """
            import sys, torch
            import torch.nn as nn
            from safetensors.torch import load_file
            class RowGRU(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.rnn = nn.GRU(28, 16, num_layers=2, batch_first=True, dropout=0.2)
                    self.bn = nn.BatchNorm1d(16)
                    self.fc = nn.Linear(16, 10)
            net = RowGRU()
            net.load_state_dict(load_file(sys.argv[1]), strict=True)
            print(sum(p.numel() for p in net.parameters()))
            """
        let p = try runCommand(Self.torchPython!, ["-c", script, dir + "/weights.safetensors"])
        #expect(p.status == 0, "\(p.stderr)")
        // GRU: 3·16·(28 + 16) + 2·3·16 for layer 0, 3·16·(16 + 16) + 2·3·16 for layer 1; bn 32; fc 170
        #expect(p.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(2208 + 1632 + 32 + 170)")
    }

    /// model=cnn, inception and resnet load into the homework's own modules (hw4_models.py,
    /// written out here as it defines them) with strict names.
    @Test(.enabled(if: torchPython != nil, noTorch),
          arguments: ["cnn", "inception", "resnet"])
    func homeworkNetworksLoadIntoTheirPyTorchModules(_ model: String) throws {
        let dir = makeTemporaryDirectory("sweep-train-out")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runSweep(["train", "--out", dir, "dataset=synthetic", "model=\(model)",
                              "train_per_class=2", "test_per_class=1", "epochs=1", "batch_size=20"])
        #expect(r.status == 0, "\(r.stderr)")
        let script = """
            import sys, torch
            import torch.nn as nn
            from safetensors.torch import load_file
            def features(c):
                return nn.Sequential(nn.Conv2d(c, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
                    nn.MaxPool2d(2), nn.Dropout(0.25), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                    nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25))
            class Inception(nn.Module):
                def __init__(self, c=64, w=64):
                    super().__init__()
                    self.b1 = nn.Sequential(nn.Conv2d(c, w, 3, padding=1), nn.ReLU())
                    self.b2 = nn.Sequential(nn.Conv2d(c, w, 3, padding=1), nn.ReLU(), nn.Conv2d(w, w, 3, padding=1), nn.ReLU())
                    self.b3 = nn.Sequential(nn.Conv2d(c, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, stride=1, padding=1))
            class Residual(nn.Module):
                def __init__(self, c=64, w=128):
                    super().__init__()
                    self.conv1 = nn.Conv2d(c, w, 3, padding=1)
                    self.conv2 = nn.Conv2d(w, w, 3, padding=1)
                    self.proj = nn.Conv2d(w, c, 1)
            class HW4Net(nn.Module):
                def __init__(self, kind, channels=1, size=28, classes=10):
                    super().__init__()
                    self.features = features(channels)
                    s, c = size // 4, 64
                    if kind == "cnn": self.block = nn.Identity()
                    elif kind == "inception": self.block, c = Inception(), 192
                    else: self.block, s = nn.Sequential(Residual(), nn.MaxPool2d(2)), s // 2
                    self.head = nn.Sequential(nn.Flatten(), nn.Linear(c * s * s, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, classes))
            net = HW4Net(sys.argv[2])
            net.load_state_dict(load_file(sys.argv[1]), strict=True)
            print(sum(p.numel() for p in net.parameters()))
            """
        let p = try runCommand(Self.torchPython!, ["-c", script, dir + "/weights.safetensors", model])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == ["cnn": "1676266", "inception": "5035242", "resnet": "595242"][model])
    }
}
