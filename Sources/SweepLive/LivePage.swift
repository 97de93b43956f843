import Foundation
import SweepConfig
import SweepReport
import SweepStore

/// The live page's HTML: a shell that loads nothing from the network and opens one
/// server-sent-events stream (`/api/events`), and the fragments the stream carries, which
/// replace the sections they are keyed by. Charts and the leaderboard are the report's
/// own (HTMLReport), so the page and the report draw alike.
enum LivePage {
    /// The sections of the page, in order: id and title.
    static let layout: [(id: String, title: String)] = [
        ("progress", "Progress"), ("leaderboard", "Leaderboard"), ("curves", "Learning curves"),
        ("workers", "Workers"), ("stopping", "Early stopping"), ("importance", "Parameter importance"),
        ("parallel", "Parallel coordinates"), ("parameters", "Parameters"),
    ]

    /// The page with `snapshot`'s sections already in place (it reads before its first event,
    /// and without JavaScript).
    static func shell(title: String, snapshot: LiveState.Snapshot?) -> String {
        let initial = Dictionary((snapshot?.sections ?? []).map { ($0.id, $0.html) }, uniquingKeysWith: { a, _ in a })
        var html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        html += "<title>\(escape(title))</title>\n<style>\(HTMLReport.css)\(css)</style>\n</head>\n<body>\n"
        html += "<header><h1>Sweep <span class=\"name\" id=\"sweep-name\">\(escape(snapshot?.sweepName ?? ""))</span> <span class=\"live\" id=\"live\">connecting…</span></h1></header>\n"
        html += "<nav><ul>" + layout.map { "<li><a href=\"#\($0.id)\">\(escape($0.title))</a></li>" }.joined() + "</ul></nav>\n<main>\n"
        for s in layout {
            html += "<section id=\"section-\(s.id)\">\n<h2>\(escape(s.title))</h2>\n"
            if s.id == "leaderboard" {
                html += "<div id=\"leaderboard-controls\" class=\"live-fragment\">\(initial["leaderboard-controls"] ?? "")</div>\n"
                html += "<div id=\"leaderboard-grouped\"></div>\n"
            }
            html += "<div id=\"\(s.id)\" class=\"live-fragment\">\(initial[s.id] ?? "")</div>\n</section>\n"
        }
        html += "</main>\n<script>\(script)</script>\n</body>\n</html>\n"
        return html
    }

    static let css = """
    .live { font-size: 0.8rem; font-weight: 400; color: var(--muted); margin-left: 10px; }
    .live.on::before { content: "● "; color: #2a8a3e; } .live.off::before { content: "● "; color: #a33; }
    .progress-bar { height: 10px; background: var(--band); border-radius: 5px; overflow: hidden; max-width: 640px; }
    .progress-bar > div { height: 100%; background: var(--accent); }
    table.workers td.lost { color: #a33; } table.stops td.stopped { color: #a33; font-weight: 600; }
    th.sortable { cursor: pointer; } th.sortable:hover { text-decoration: underline; }
    """

    /// Opens the event stream; each `update` carries every section's fragment and replaces
    /// those whose text changed. A header of the leaderboard sorts its rows on a click.
    static let script = """
    (function () {
      var shown = {}, sortBy = null;
      function status(text, on) { var s = document.getElementById('live'); s.textContent = text; s.className = 'live ' + (on ? 'on' : 'off'); }
      function sortable() {
        var table = document.querySelector('#leaderboard table');
        if (!table) return;
        var heads = table.querySelectorAll('thead th');
        heads.forEach(function (th, k) {
          th.classList.add('sortable');
          th.onclick = function () { sortBy = { k: k, up: sortBy && sortBy.k === k ? !sortBy.up : false }; sortRows(); };
        });
        sortRows();
      }
      function sortRows() {
        var body = document.querySelector('#leaderboard table tbody');
        if (!body || !sortBy) return;
        var rows = Array.prototype.slice.call(body.rows);
        function key(r) { var t = r.cells[sortBy.k] ? r.cells[sortBy.k].textContent : ''; var n = parseFloat(t); return isNaN(n) ? t : n; }
        rows.sort(function (a, b) { var x = key(a), y = key(b); var c = x < y ? -1 : x > y ? 1 : 0; return sortBy.up ? c : -c; });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      // grouping: the grouped table replaces the plain one, fetched again at every update
      var groupBy = '';
      function regroup() {
        var plain = document.getElementById('leaderboard'), grouped = document.getElementById('leaderboard-grouped');
        if (!groupBy) { grouped.innerHTML = ''; plain.style.display = ''; return; }
        fetch('api/leaderboard?group=' + encodeURIComponent(groupBy)).then(function (r) { return r.text(); }).then(function (html) {
          grouped.innerHTML = html; plain.style.display = 'none';
          grouped.setAttribute('data-group', groupBy);
        });
      }
      function controls() {
        var select = document.getElementById('group-by');
        if (!select) return;
        select.value = groupBy;
        select.onchange = function () { groupBy = select.value; regroup(); };
      }
      controls();
      var events = new EventSource('api/events');
      events.addEventListener('update', function (e) {
        var d = JSON.parse(e.data);
        document.getElementById('sweep-name').textContent = d.sweep;
        d.sections.forEach(function (s) {
          if (shown[s.id] === s.html) return;
          shown[s.id] = s.html;
          var el = document.getElementById(s.id);
          if (el) el.innerHTML = s.html;
          if (s.id === 'leaderboard') { sortable(); if (groupBy) regroup(); }
          if (s.id === 'leaderboard-controls') controls();
        });
        document.body.setAttribute('data-version', d.version);
        status(d.done ? 'finished' : 'live', !d.done);
      });
      events.onerror = function () { status('reconnecting…', false); };
      events.onopen = function () { status('live', true); };
    })();
    """

    /// The leaderboard's grouping: none, or one of the parameters that vary.
    static func groupControls(_ parameters: [String]) -> String {
        guard !parameters.isEmpty else { return "" }
        var html = "<p class=\"meta\"><label>Group by <select id=\"group-by\"><option value=\"\">no grouping</option>"
        for p in parameters { html += "<option value=\"\(escape(p))\">\(escape(p))</option>" }
        return html + "</select></label> (a click on a column's header sorts)</p>"
    }

    /// A grouped leaderboard: the parameters' values, the tasks that ended, the mean ± std
    /// of the sort metric and of the usual metrics, best group first.
    static func grouped(_ board: Leaderboard) -> String {
        let metrics = [board.sortMetric] + ["test_accuracy", "test_loss", "train_loss"].filter { $0 != board.sortMetric && board.metricNames.contains($0) }
        var html = "<div class=\"scroll\"><table class=\"leaderboard grouped\"><thead><tr><th>#</th>"
        html += board.groupBy.map { "<th>\(escape($0))</th>" }.joined() + "<th class=\"num\">n</th>"
        html += metrics.map { "<th class=\"num\">\(escape($0)) mean ± std</th>" }.joined() + "</tr></thead><tbody>\n"
        for g in board.groups {
            html += "<tr><td>\(g.rank.map(String.init) ?? "–")</td>"
            html += g.values.map { "<td>\(escape(Leaderboard.text(param: $0.1)))</td>" }.joined() + "<td class=\"num\">\(g.n)</td>"
            html += metrics.map { m in
                guard let mean = g.mean(m) else { return "<td class=\"num\">–</td>" }
                return "<td class=\"num\">\(String(format: "%.4g", mean)) ± \(String(format: "%.2g", g.std(m) ?? 0))</td>"
            }.joined() + "</tr>\n"
        }
        return html + "</tbody></table></div>"
    }

    /// Done out of total with a bar, running, pending, failed, elapsed, the rate and the ETA.
    static func progress(_ tasks: [TaskRecord], sweep: SweepRecord, now: Double) -> String {
        var counts: [TaskStatus: Int] = [:]
        for t in tasks { counts[t.status, default: 0] += 1 }
        let total = tasks.count, done = tasks.filter { $0.status.isFinished }.count
        let started = tasks.compactMap(\.startedAt).min()
        let finishedAt = tasks.compactMap(\.finishedAt)
        let elapsed = started.map { (done == total ? (finishedAt.max() ?? now) : now) - $0 } ?? 0
        // the rate of the last results (up to 20), so a sweep that sped up or slowed down says so
        let recent = finishedAt.sorted().suffix(20)
        var eta = "–"
        if done == total, total > 0 {
            eta = "done"
        } else if recent.count >= 2, let first = recent.first, let last = recent.last, last > first {
            let rate = Double(recent.count - 1) / (last - first)
            eta = duration(Double(total - done) / rate)
        } else if done > 0, elapsed > 0 {
            eta = duration(Double(total - done) * elapsed / Double(done))
        }
        let share = total > 0 ? Double(done) / Double(total) : 0
        var html = "<div class=\"progress-bar\" data-done=\"\(done)\" data-total=\"\(total)\"><div style=\"width: \(String(format: "%.1f", share * 100))%\"></div></div>\n"
        html += "<p class=\"meta\" id=\"progress-line\"><b>\(done)</b> of \(total) tasks done · \(counts[.running] ?? 0) running · \(counts[.pending] ?? 0) pending"
        for s in [TaskStatus.failed, .diverged, .stopped] where (counts[s] ?? 0) > 0 { html += " · \(counts[s]!) \(s.rawValue)" }
        html += " · elapsed \(duration(elapsed)) · ETA <span id=\"eta\">\(eta)</span></p>"
        return html
    }

    /// "42 s", "3 min 5 s", "2 h 10 min".
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "–" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \((s % 3600) / 60) min"
    }

    /// One row per worker: name, host, slots, state, last heard from, running, done, lost.
    static func workers(_ workers: [WorkerRecord], now: Double) -> String {
        guard !workers.isEmpty else { return "<p class=\"note\">No worker has connected yet.</p>" }
        let connected = workers.filter { $0.state == .connected }
        var html = "<p class=\"meta\">\(connected.count) connected (\(connected.reduce(0) { $0 + $1.slots }) slots), \(workers.count) seen.</p>\n"
        html += "<div class=\"scroll\"><table class=\"workers\"><thead><tr><th>worker</th><th>host</th><th class=\"num\">slots</th><th>state</th>"
        html += "<th class=\"num\">last seen</th><th class=\"num\">running</th><th class=\"num\">done</th><th class=\"num\">lost</th></tr></thead><tbody>\n"
        for w in workers {
            html += "<tr data-worker=\"\(escape(w.worker))\" data-state=\"\(w.state.rawValue)\"><td><code>\(escape(w.worker))</code></td><td>\(escape(w.host))</td>"
            html += "<td class=\"num\">\(w.slots)</td><td class=\"\(w.state.rawValue)\">\(w.state.rawValue)</td>"
            html += "<td class=\"num\">\(duration(max(0, now - w.lastSeen))) ago</td><td class=\"num\">\(w.running)</td>"
            html += "<td class=\"num\">\(w.done)</td><td class=\"num\">\(w.lost)</td></tr>\n"
        }
        return html + "</tbody></table></div>"
    }

    /// Each decision of the early-stopping rule, latest first: task, epoch (the rung's, for
    /// hyperband), value, the cut-off it was judged against, and whether it stopped the task.
    static func stopDecisions(_ records: [String], metric: String) -> String {
        let rows: [(task: String, epoch: Int, value: Double?, stopped: Bool, cutoff: Double?)] = records.compactMap { text in
            guard case .object(let f)? = try? JSON.parse(text) else { return nil }
            let d = Dictionary(f, uniquingKeysWith: { a, _ in a })
            guard case .string(let task)? = d["task_id"], let epoch = d["epoch"]?.doubleValue else { return nil }
            let stopped: Bool
            if case .bool(let b)? = d["stopped"] { stopped = b } else { stopped = false }
            return (task, Int(epoch), d["value"]?.doubleValue, stopped, d["cutoff"]?.doubleValue)
        }
        guard !rows.isEmpty else { return "<p class=\"note\">No early-stopping decision (the sweep has no <code>early_terminate</code>, or no task has reached a rung).</p>" }
        let stopped = rows.filter(\.stopped).count
        var html = "<p class=\"meta\">\(rows.count) decisions, \(stopped) stopped a task.</p>\n"
        html += "<div class=\"scroll\"><table class=\"stops\"><thead><tr><th>#</th><th>task</th><th class=\"num\">epoch</th>"
        html += "<th class=\"num\">\(escape(metric))</th><th class=\"num\">cut-off</th><th>decision</th></tr></thead><tbody>\n"
        for (k, r) in rows.enumerated().reversed().prefix(200) {
            html += "<tr><td>\(k + 1)</td><td><a href=\"task/\(escape(r.task))\"><code>\(escape(r.task))</code></a></td><td class=\"num\">\(r.epoch)</td>"
            html += "<td class=\"num\">\(r.value.map { String(format: "%.4g", $0) } ?? "–")</td>"
            html += "<td class=\"num\">\(r.cutoff.map { String(format: "%.4g", $0) } ?? "–")</td>"
            html += "<td class=\"\(r.stopped ? "stopped" : "continued")\">\(r.stopped ? "stopped" : "continued")</td></tr>\n"
        }
        return html + "</tbody></table></div>"
    }

    /// A task's own page.
    static func task(_ t: TaskRecord, epochs: [[String: Double]], sweep: SweepRecord, picturesDirectory: String) -> String {
        var html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Task \(escape(t.taskID))</title>\n"
        html += "<style>\(HTMLReport.css)\(css)</style>\n</head>\n<body>\n<header><h1>Task <span class=\"name\">\(escape(t.taskID))</span></h1>"
        html += "<p class=\"meta\"><a href=\"../\">← sweep \(escape(sweep.name))</a> · \(t.status.rawValue) · attempts \(t.attempts)"
        if let w = t.worker { html += " · worker <code>\(escape(w))</code>" }
        html += "</p></header>\n<main>\n<section><h2>Configuration</h2><pre id=\"config\">\(escape(pretty(t.params)))</pre></section>\n"
        if let m = t.metrics { html += "<section><h2>Metrics</h2><pre id=\"metrics\">\(escape(pretty(m)))</pre></section>\n" }
        if let e = t.error { html += "<section><h2>Error</h2><pre>\(escape(e))</pre></section>\n" }
        var charts = ""
        for metric in ["train_loss", "val_loss", "test_loss", "train_accuracy", "val_accuracy", "test_accuracy"] {
            let curve = ReportRun.curve(metric, epochs: epochs)
            guard !curve.isEmpty else { continue }
            let series = Series(label: metric, points: curve.map { CurvePoint(x: $0.0, mean: $0.1, std: 0, n: 1) }, runs: 1)
            charts += "<figure class=\"chart\">" + SVGChart.lines(title: metric, metric: metric, xLabel: "epoch", yLabel: metric,
                                                                  series: [series], id: "task-\(metric)") + "</figure>\n"
        }
        html += "<section><h2>Curves</h2>" + (charts.isEmpty ? "<p class=\"note\">No epoch reported yet.</p>" : "<div class=\"charts small\">\(charts)</div>") + "</section>\n"
        // the pictures `sweep report` kept beside the weights, after its stamp line
        if let text = try? String(contentsOfFile: picturesDirectory + "/" + t.taskID + ".html", encoding: .utf8),
           let newline = text.firstIndex(of: "\n") {
            html += "<section><h2>Inside the network</h2>\(text[text.index(after: newline)...])</section>\n"
        } else {
            html += "<section><h2>Inside the network</h2><p class=\"note\">No pictures: <code>sweep report</code> makes them for the tasks whose weights were saved.</p></section>\n"
        }
        return html + "</main>\n</body>\n</html>\n"
    }

    /// A JSON object's text, one member per line.
    static func pretty(_ text: String) -> String {
        guard case .object(let fields)? = try? JSON.parse(text) else { return text }
        return "{\n" + fields.map { "  \"\($0.0)\": \($0.1.encoded)" }.joined(separator: ",\n") + "\n}"
    }
}
