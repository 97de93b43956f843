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
        ("progress", "Progress"), ("leaderboard", "Leaderboard"), ("pareto", "Pareto front"), ("curves", "Learning curves"),
        ("workers", "Workers"), ("stopping", "Early stopping"), ("importance", "Parameter importance"),
        ("parallel", "Parallel coordinates"), ("parameters", "Parameters"),
    ]

    /// Sections shown only when a snapshot has them (the Pareto front of a sweep of several
    /// metrics); hidden until then.
    static let optional: Set<String> = ["pareto"]

    /// The page with `snapshot`'s sections already in place (it reads before its first event,
    /// and without JavaScript).
    static func shell(title: String, snapshot: LiveState.Snapshot?) -> String {
        let initial = Dictionary((snapshot?.sections ?? []).map { ($0.id, $0.html) }, uniquingKeysWith: { a, _ in a })
        var html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        html += "<title>\(escape(title))</title>\n<style>\(HTMLReport.css)\(css)</style>\n</head>\n<body>\n"
        html += "<header><h1>Sweep <span class=\"name\" id=\"sweep-name\">\(escape(snapshot?.sweepName ?? ""))</span> <span class=\"live\" id=\"live\">connecting…</span></h1></header>\n"
        func hidden(_ id: String) -> String { optional.contains(id) && initial[id] == nil ? " hidden" : "" }
        html += "<nav><ul>" + layout.map { "<li id=\"nav-\($0.id)\"\(hidden($0.id))><a href=\"#\($0.id)\">\(escape($0.title))</a></li>" }.joined()
        html += "</ul></nav>\n<main>\n"
        for s in layout {
            html += "<section id=\"section-\(s.id)\"\(hidden(s.id))>\n<h2>\(escape(s.title))</h2>\n"
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
      function sortable(within) {
        var table = (within || document.getElementById('leaderboard')).querySelector('table');
        if (!table) return;
        var heads = table.querySelectorAll('thead th');
        heads.forEach(function (th, k) {
          th.classList.add('sortable');
          th.onclick = function () { sortBy = { k: k, up: sortBy && sortBy.k === k ? !sortBy.up : false }; sortRows(); };
        });
        sortRows();
      }
      function sortRows() {
        if (!sortBy) return;
        document.querySelectorAll('#leaderboard table tbody, #leaderboard-grouped table.leaderboard:not(.grouped) tbody').forEach(sortBody);
      }
      function sortBody(body) {
        var rows = Array.prototype.slice.call(body.rows);
        function key(r) { var t = r.cells[sortBy.k] ? r.cells[sortBy.k].textContent : ''; var n = parseFloat(t); return isNaN(n) ? t : n; }
        rows.sort(function (a, b) { var x = key(a), y = key(b); var c = x < y ? -1 : x > y ? 1 : 0; return sortBy.up ? c : -c; });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      // grouping, or a later page: the table from the server replaces the first page, and is
      // fetched again at every update
      var groupBy = '', page = 1;
      function regroup() {
        var plain = document.getElementById('leaderboard'), grouped = document.getElementById('leaderboard-grouped');
        if (!groupBy && page === 1) { grouped.innerHTML = ''; grouped.removeAttribute('data-group'); plain.style.display = ''; return; }
        var query = groupBy ? 'group=' + encodeURIComponent(groupBy) : 'page=' + page;
        fetch('api/leaderboard?' + query).then(function (r) { return r.text(); }).then(function (html) {
          grouped.innerHTML = html; plain.style.display = 'none';
          if (groupBy) grouped.setAttribute('data-group', groupBy); else grouped.removeAttribute('data-group');
          grouped.setAttribute('data-page', page);
          if (!groupBy) sortable(grouped);
        });
      }
      document.addEventListener('click', function (e) {
        var a = e.target.closest ? e.target.closest('a[data-page]') : null;
        if (!a) return;
        e.preventDefault();
        page = parseInt(a.getAttribute('data-page'), 10) || 1;
        regroup();
      });
      function controls() {
        var select = document.getElementById('group-by');
        if (!select) return;
        select.value = groupBy;
        select.onchange = function () { groupBy = select.value; page = 1; regroup(); };
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
          // an optional section (the Pareto front) shows once it has something
          ['section-', 'nav-'].forEach(function (p) { var e = document.getElementById(p + s.id); if (e && e.hidden && s.html) e.hidden = false; });
          if (s.id === 'leaderboard') { sortable(); if (groupBy || page > 1) regroup(); }
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

    /// The metrics a grouped leaderboard shows: the sort metric and the usual ones.
    static func groupedMetrics(sortMetric: String) -> [String] {
        [sortMetric] + ["test_accuracy", "test_loss", "train_loss"].filter { $0 != sortMetric }
    }

    /// A grouped leaderboard: the parameters' values, the tasks that ended, the mean ± std
    /// of the sort metric and of the usual metrics, best group first.
    static func grouped(_ groups: [Leaderboard.Group], by parameters: [String], metrics all: [String]) -> String {
        let metrics = all.enumerated().filter { m in m.offset == 0 || groups.contains { $0.mean(m.element) != nil } }.map(\.element)
        var html = "<div class=\"scroll\"><table class=\"leaderboard grouped\"><thead><tr><th>#</th>"
        html += parameters.map { "<th>\(escape($0))</th>" }.joined() + "<th class=\"num\">n</th>"
        html += metrics.map { "<th class=\"num\">\(escape($0)) mean ± std</th>" }.joined() + "</tr></thead><tbody>\n"
        for g in groups {
            html += "<tr><td>\(g.rank.map(String.init) ?? "–")</td>"
            html += g.values.map { "<td>\(escape(Leaderboard.text(param: $0.1)))</td>" }.joined() + "<td class=\"num\">\(g.n)</td>"
            html += metrics.map { m in
                guard let mean = g.mean(m) else { return "<td class=\"num\">–</td>" }
                return "<td class=\"num\">\(String(format: "%.4g", mean)) ± \(String(format: "%.2g", g.std(m) ?? 0))</td>"
            }.joined() + "</tr>\n"
        }
        return html + "</tbody></table></div>"
    }

    /// Done out of total with a bar, running, pending, failed, elapsed, the rate and the ETA,
    /// from the counts per status and the store's times (`Store.times`).
    static func progress(counts: [TaskStatus: Int], times: (firstStart: Double?, lastFinish: Double?, recent: [Double]),
                         now: Double) -> String {
        let total = counts.values.reduce(0, +), done = counts.filter { $0.key.isFinished }.values.reduce(0, +)
        let elapsed = times.firstStart.map { (done == total ? (times.lastFinish ?? now) : now) - $0 } ?? 0
        // the rate of the last results (up to 20), so a sweep that sped up or slowed down says so
        let recent = times.recent
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

    /// The leaderboard's pages: where this one is, and links to the first, previous and next.
    static func pager(page: Int, rows: Int, total: Int) -> String {
        guard total > rows else { return "" }
        let pages = (total + rows - 1) / rows, page = min(max(1, page), pages)
        var html = "<p class=\"meta pager\" data-page=\"\(page)\">Rows \(format((page - 1) * rows + 1))–\(format(min(total, page * rows))) of \(format(total)) tasks"
        if page > 1 { html += " · <a href=\"#leaderboard\" data-page=\"1\">first</a> · <a href=\"#leaderboard\" data-page=\"\(page - 1)\">‹ previous</a>" }
        if page < pages { html += " · <a href=\"#leaderboard\" data-page=\"\(page + 1)\">next \(rows) ›</a>" }
        return html + "</p>"
    }

    /// 100000 as "100,000".
    static func format(_ n: Int) -> String { n.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US"))) }

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
    static func stopDecisions(_ records: [String], count: Int, metric: String) -> String {
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
        let first = count - rows.count   // the records are the latest of `count`
        var html = "<p class=\"meta\">\(count) decisions" + (first > 0 ? "; the latest \(rows.count) shown, \(stopped) of them stopped a task.</p>\n"
                                                                         : ", \(stopped) stopped a task.</p>\n")
        html += "<div class=\"scroll\"><table class=\"stops\"><thead><tr><th>#</th><th>task</th><th class=\"num\">epoch</th>"
        html += "<th class=\"num\">\(escape(metric))</th><th class=\"num\">cut-off</th><th>decision</th></tr></thead><tbody>\n"
        for (k, r) in rows.enumerated().reversed().prefix(200) {
            html += "<tr><td>\(first + k + 1)</td><td><a href=\"task/\(escape(r.task))\"><code>\(escape(r.task))</code></a></td><td class=\"num\">\(r.epoch)</td>"
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
