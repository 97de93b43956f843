import Foundation
import Testing
import TestSupport

/// The live page and /metrics (docs/live.md) of the real `sweep` binary: pushed to a real
/// browser (headless chromium driven through the DevTools protocol) while a sweep runs,
/// served read-only by `sweep dashboard` after it, guarded by a token, and scraped by a
/// real Prometheus.
@Suite(.serialized) struct LivePageTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let prometheus = ["/usr/bin/prometheus"].first { FileManager.default.isExecutableFile(atPath: $0) }
    /// Tests/browser/cdp.py: the DevTools driver.
    static let driver = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("browser/cdp.py").path

    static let spec = """
        name: live
        method: grid
        metric: {name: test_accuracy, goal: maximize}
        early_terminate: {type: hyperband, min_iter: 1, eta: 2}
        parameters:
          model: {value: noop}
          duration_ms: {value: 700}
          epochs: {value: 3}
          hidden: {values: [8, 16, 32]}
          seed: {values: [1, 2, 3, 4]}
        """

    /// The URL a command printed ("… live page at http://127.0.0.1:PORT/ …").
    static func pageURL(_ p: some TestProcess, timeout: Double = 20) throws -> String {
        guard let line = p.waitForLine(containing: "live page at ", timeout: timeout),
              let r = line.range(of: "live page at ") else {
            throw ProcessError("no \"live page at\" line; stderr:\n\(p.stderr)")
        }
        return String(line[r.upperBound...].prefix { $0 != " " })
    }

    /// GET with curl: status code and body.
    static func get(_ url: String, token: String? = nil) throws -> (status: Int, body: String) {
        var args = ["-s", "--max-time", "10", "-w", "\n%{http_code}", url]
        if let token { args = ["-H", "Authorization: Bearer \(token)"] + args }
        let r = try runCommand("/usr/bin/curl", args)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? -1, lines.dropLast().joined(separator: "\n"))
    }

    @Test(.enabled(if: chromium != nil, "chromium is not installed: run `make deps-browser`"))
    func theRunsPageIsPushedToABrowserAndTheDashboardServesItAfter() throws {
        let dir = makeTemporaryDirectory("sweep-live")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let specPath = DistributedRunTests.writeSpec(dir, Self.spec)
        let db = dir + "/sweep.db"
        let processes = TestProcesses()
        defer { processes.endAll() }
        let run = try processes.sweep(["run", specPath, "--workers", "2", "--db", db])
        let url = try Self.pageURL(run)
        #expect(url.hasPrefix("http://127.0.0.1:"), "loopback by default: \(url)")

        // /metrics while it runs
        let metrics = try Self.get(url + "metrics")
        #expect(metrics.status == 200)
        for series in ["sweep_tasks{sweep=\"live\",status=\"pending\"}", "sweep_workers_connected{sweep=\"live\"}",
                       "sweep_slots_connected{sweep=\"live\"}", "sweep_results_total{sweep=\"live\"}",
                       "sweep_store_commit_seconds_count{sweep=\"live\"}", "sweep_leases_expired_total{sweep=\"live\"}",
                       "sweep_tasks_requeued_total{sweep=\"live\"}", "sweep_messages_malformed_total{sweep=\"live\"}"] {
            #expect(metrics.body.contains(series), "\(series) in:\n\(metrics.body)")
        }

        // a real browser: the page updates itself three times over one stream, without reloading
        let shot = dir + "/live.png"
        let b = try runCommand("/usr/bin/python3", [Self.driver, Self.chromium!, url,
                                                   // three updates pushed, and the leaderboard grouped by hidden as a user picks it
                                                   "--until", """
                                                   (function () {
                                                     var progress = document.getElementById('progress-line'), board = document.getElementById('leaderboard');
                                                     if (!progress || !board) return false;
                                                     // what the page showed first: the done count and the leaderboard must change from it
                                                     if (window.firstDone === undefined) { window.firstDone = progress.textContent; window.firstBoard = board.innerHTML; }
                                                     window.doneChanged = window.doneChanged || progress.textContent !== window.firstDone;
                                                     window.boardChanged = window.boardChanged || board.innerHTML !== window.firstBoard;
                                                     if (!window.doneChanged || !window.boardChanged) return false;
                                                     var s = document.getElementById('group-by');
                                                     if (s && s.value !== 'hidden') { s.value = 'hidden'; s.onchange(); }
                                                     return document.querySelectorAll('#leaderboard-grouped tbody tr').length === 3;
                                                   })()
                                                   """,
                                                   "--timeout", "60",
                                                   "--eval", "performance.getEntriesByType('navigation').length",
                                                   "--eval", "document.getElementById('progress-line').textContent",
                                                   "--eval", "document.querySelectorAll('#workers tbody tr').length",
                                                   "--eval", "document.querySelectorAll('#leaderboard tbody tr').length",
                                                   "--eval", "document.querySelectorAll('#curves svg.chart').length",
                                                   "--eval", "document.getElementById('live').textContent",
                                                   "--screenshot", shot])
        #expect(b.status == 0, "\(b.stderr)")
        let result = try JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any]
        #expect(result?["until"] as? Bool == true, "the done count and the leaderboard changed on the page, then it grouped: \(b.stdout)")
        let values = result?["values"] as? [Any] ?? []
        #expect(values.count == 6)
        if values.count == 6 {
            #expect(values[0] as? Int == 1, "one navigation: updates came pushed, not by reloading")
            #expect((values[1] as? String)?.contains("of 12 tasks done") == true, "\(values[1])")
            #expect(values[2] as? Int == 2, "both local workers listed")
            #expect(values[3] as? Int == 12, "every task in the (hidden) plain leaderboard")
            #expect(values[5] as? String != "connecting…")
        }
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        #expect(png.count > 20_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a screenshot of a page with something on it")

        #expect(run.wait(timeout: 120).status == 0, "\(run.stderr)")

        // after the sweep: the same page, read-only, from the store alone
        let dashboard = try processes.sweep(["dashboard", "--db", db])
        let after = try Self.pageURL(dashboard)
        let state = try Self.get(after + "api/state")
        #expect(state.status == 200)
        let json = try JSONSerialization.jsonObject(with: Data(state.body.utf8)) as? [String: Any]
        #expect(json?["done"] as? Bool == true && json?["sweep"] as? String == "live")
        let tasks = json?["tasks"] as? [String: Int] ?? [:]
        #expect(tasks.values.reduce(0, +) == 12 && (tasks["pending"] ?? -1) == 0 && (tasks["running"] ?? -1) == 0, "\(tasks)")
        let workers = json?["workers"] as? [[String: Any]] ?? []
        #expect(workers.count == 2 && workers.allSatisfy { $0["state"] as? String == "left" }, "\(workers)")
        let page = try Self.get(after)
        // the early-stopping decisions, each with the cut-off it was judged against
        let stops = page.body.components(separatedBy: "<table class=\"stops\">").dropFirst().first?.components(separatedBy: "</table>").first ?? ""
        #expect(stops.contains("<th class=\"num\">cut-off</th>"), "\(stops.prefix(300))")
        let rows = stops.components(separatedBy: "<tr><td>").dropFirst()
        #expect(!rows.isEmpty && rows.allSatisfy { $0.contains("continued") || $0.contains("stopped") })
        #expect(page.body.contains("<div id=\"leaderboard\" class=\"live-fragment\"><div class=\"scroll\"><table class=\"leaderboard\">"),
                "the page arrives with its sections in place")
        #expect(!page.body.contains("src=\"http") && !page.body.contains("href=\"http"), "nothing loaded from the network")
        // grouped as `sweep leaderboard --group-by hidden`: 3 groups of 4
        let grouped = try Self.get(after + "api/leaderboard?group=hidden")
        #expect(grouped.body.components(separatedBy: "<tr><td>").count - 1 == 3)
        #expect(grouped.body.components(separatedBy: "<td class=\"num\">4</td>").count - 1 == 3, "\(grouped.body)")
        // a task's page: configuration, curves; an unknown one is 404
        let id = try #require(page.body.components(separatedBy: "href=\"task/").dropFirst().first?.prefix { $0 != "\"" })
        let task = try Self.get(after + "task/" + id)
        #expect(task.status == 200 && task.body.contains("<h2>Configuration</h2>") && task.body.contains("&quot;hidden&quot;"))
        #expect(task.body.contains("<svg class=\"chart\""), "its curves")
        #expect(try Self.get(after + "task/nope").status == 404)
        // a screenshot of the finished sweep's page
        let finished = dir + "/finished.png"
        let f = try runCommand("/usr/bin/python3", [Self.driver, Self.chromium!, after, "--until", "document.body.dataset.version >= 1",
                                                   "--eval", "document.getElementById('live').textContent", "--screenshot", finished])
        #expect(f.status == 0 && f.stdout.contains("\"finished\""), "\(f.stdout) \(f.stderr)")
        #expect((try? Data(contentsOf: URL(fileURLWithPath: finished)))?.count ?? 0 > 20_000)
        if let keep = ProcessInfo.processInfo.environment["SWEEP_TEST_SCREENSHOTS"] {
            try? FileManager.default.copyItem(atPath: finished, toPath: keep + "/live-finished.png")
        }
        // Ctrl-C ends it at once
        kill(dashboard.pid, SIGINT)
        #expect(dashboard.wait(timeout: 10).status == 0)
    }

    /// A sweep over the page's full-load limit (2,000 tasks): the page reads the counts, the
    /// best tasks and an even sample from SQL, pages the leaderboard on the server, and a
    /// browser turns a page.
    @Test(.enabled(if: chromium != nil, "chromium is not installed: run `make deps-browser`"))
    func aBigSweepsLeaderboardIsPagedOnTheServer() throws {
        let dir = makeTemporaryDirectory("sweep-live-big")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let values = (1...50).map(String.init).joined(separator: ", ")
        let specPath = DistributedRunTests.writeSpec(dir, """
            name: big
            method: grid
            parameters:
              model: {value: noop}
              seed: {values: [\(values)]}
              hidden: {values: [\(values)]}
            """)
        let db = dir + "/sweep.db"
        let processes = TestProcesses()
        defer { processes.endAll() }
        let run = try processes.sweep(["run", specPath, "--workers", "2", "--db", db, "--http", "off"])
        #expect(run.wait(timeout: 120).status == 0, "\(run.stderr)")

        let dashboard = try processes.sweep(["dashboard", "--db", db])
        let url = try Self.pageURL(dashboard)
        let page = try Self.get(url)
        #expect(page.body.contains("Rows 1–50 of 2,500 tasks"), "the pager")
        #expect(page.body.contains("even sample of"), "importance from a sample, said so")
        let last = try Self.get(url + "api/leaderboard?page=50")
        #expect(last.body.contains("<td>2451</td>") && last.body.contains("<td>2500</td>") && !last.body.contains("next 50"), "\(last.body.prefix(400))")

        // a browser turns to the second page: ranks 51–100, fetched from the server
        let b = try runCommand("/usr/bin/python3", [Self.driver, Self.chromium!, url, "--until", """
            (function () {
              // the first update has come: the page's script runs (the rows arrive before it, in the HTML)
              if (!(document.body.dataset.version >= 1) || document.querySelectorAll('#leaderboard tbody tr').length !== 50) return false;
              var next = document.querySelector('#leaderboard a[data-page="2"]');
              if (next && !window.clicked) { window.clicked = true; next.click(); }
              var rows = document.querySelectorAll('#leaderboard-grouped tbody tr');
              return rows.length === 50 && document.getElementById('leaderboard').style.display === 'none';
            })()
            """, "--timeout", "30",
            "--eval", "document.querySelector('#leaderboard-grouped tbody tr td').textContent",
            "--eval", "document.querySelector('#leaderboard-grouped .pager').textContent"])
        #expect(b.status == 0, "\(b.stderr)")
        let result = try JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any]
        #expect(result?["until"] as? Bool == true, "\(b.stdout)")
        let shown = result?["values"] as? [Any] ?? []
        #expect(shown.first as? String == "51", "\(shown)")
        #expect((shown.last as? String)?.contains("Rows 51–100 of 2,500 tasks") == true, "\(shown)")
        kill(dashboard.pid, SIGINT)
        #expect(dashboard.wait(timeout: 10).status == 0)
    }

    @Test func aTokenGuardsEveryRequestAndOffLoopbackNeedsOne() throws {
        let dir = makeTemporaryDirectory("sweep-live-token")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let specPath = DistributedRunTests.writeSpec(dir, """
            name: guarded
            method: grid
            parameters:
              model: {value: noop}
              seed: {values: [1, 2]}
            """)
        let db = dir + "/sweep.db"
        #expect(try runSweep(["run", specPath, "--workers", "1", "--db", db, "--http", "off"]).status == 0)
        try "s3cret-token\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)

        // off loopback without a token: bad input, one line, exit 2
        let open = try runSweep(["dashboard", "--db", db, "--http", "0.0.0.0:0"])
        #expect(open.status == 2 && open.stderr.split(separator: "\n").count == 1, "\(open.stderr)")
        #expect(open.stderr.contains("--http 0.0.0.0:0 is not a loopback address: give --http-token FILE"), "\(open.stderr)")
        let bad = try runSweep(["dashboard", "--db", db, "--http", "somewhere"])
        #expect(bad.status == 2 && bad.stderr.contains("--http somewhere: expected HOST:PORT"), "\(bad.stderr)")
        let missing = try runSweep(["dashboard", "--db", db, "--http-token", dir + "/nope"])
        #expect(missing.status == 2 && missing.stderr.contains("cannot be read"), "\(missing.stderr)")

        let processes = TestProcesses()
        defer { processes.endAll() }
        let dashboard = try processes.sweep(["dashboard", "--db", db, "--http", "127.0.0.1:0", "--http-token", dir + "/token"])
        let url = try Self.pageURL(dashboard)
        for path in ["", "metrics", "api/state", "api/events", "task/x"] {
            #expect(try Self.get(url + path).status == 401, "/\(path) without the token")
            #expect(try Self.get(url + path, token: "wrong").status == 401, "/\(path) with a wrong token")
        }
        #expect(try Self.get(url + "metrics", token: "s3cret-token").status == 200)
        #expect(try Self.get(url, token: "s3cret-token").status == 200)
    }

    /// A real Prometheus scrapes a running coordinator's /metrics with the token and answers
    /// a query with the task counts; `promtool check metrics` accepts the exposition.
    @Test(.enabled(if: prometheus != nil, "prometheus is not installed: run `make deps-live`"))
    func prometheusScrapesTheCoordinator() throws {
        let dir = makeTemporaryDirectory("sweep-live-prom")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let specPath = DistributedRunTests.writeSpec(dir, """
            name: scraped
            method: grid
            parameters:
              model: {value: noop}
              seed: {values: [1, 2, 3]}
            """)
        try "prom-token".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        let processes = TestProcesses()
        defer { processes.endAll() }
        // no worker: its 3 tasks wait, pending, while it serves
        let coordinator = try processes.sweep(["coordinator", specPath, "--bind", "tcp://127.0.0.1:*", "--db", dir + "/sweep.db",
                                               "--http", "127.0.0.1:0", "--http-token", dir + "/token"])
        let url = try Self.pageURL(coordinator)
        let metrics = try Self.get(url + "metrics", token: "prom-token")
        #expect(metrics.status == 200)
        try metrics.body.write(toFile: dir + "/metrics.txt", atomically: true, encoding: .utf8)
        let check = try runCommand("/bin/sh", ["-c", "promtool check metrics < \(dir)/metrics.txt"])
        #expect(check.status == 0, "promtool: \(check.stdout) \(check.stderr)")
        let target = String(url.dropFirst("http://".count).dropLast())   // 127.0.0.1:PORT
        try """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: sweep
                metrics_path: /metrics
                authorization: {credentials_file: \(dir)/token}
                static_configs: [{targets: ["\(target)"]}]
            """.write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        // Prometheus takes a fixed port: one the system has just given out and taken back
        let port = try freePort()
        let prom = try processes.add(RunningProcess(Self.prometheus!, [
            "--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/tsdb",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]))
        let query = "http://127.0.0.1:\(port)/api/v1/query?query=" + "sweep_tasks{status=\"pending\"}"
            .addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        var answer = ""
        let scraped = waitUntil(timeout: 60) {
            answer = (try? Self.get(query).body) ?? ""
            return answer.contains("\"sweep\":\"scraped\"") && answer.contains("\"3\"]")
        }
        #expect(scraped, "Prometheus holds sweep_tasks{status=pending} = 3: \(answer); prometheus: \(prom.stderr)")
    }

    /// A TCP port nobody listens on now (bound to port 0, then closed).
    func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ProcessError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
