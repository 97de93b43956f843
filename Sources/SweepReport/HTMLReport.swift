import Foundation
import SweepConfig
import SweepSearch
import SweepStore
import SweepInsights

/// `sweep report`: one self-contained HTML page (inline CSS, SVG and PNG data
/// URIs, no network) with the leaderboard, learning curves, a parameter-vs-metric
/// view, the parameters' importance, the first-layer filters of CNN runs and the activation statistics.
/// Laid out for a laptop screen and, through print CSS, for A4 paper.
public struct HTMLReport {
    public let data: ReportData
    /// Lines per chart before the curves are split into several charts.
    public var maxLines = 10
    /// Leaderboard rows shown.
    public var leaderboardRows = 50
    /// Runs whose filters and activation tables are shown (the best ones).
    public var detailedRuns = 6
    /// Dots per scatter plot at most (the best tasks): a 100,000-task sweep stays a page, not 20 MB.
    public var scatterPoints = 2000
    /// How many finished tasks the sweep has with a value, when `data` holds only the best of
    /// them (the live page of a big sweep): the notes then count the whole sweep.
    public var rankedTotal: Int?
    /// "Inside the networks" (`ProbePictures`): the pictures of each task whose weights were
    /// saved (task id → HTML), which the caller builds from the weights files and the test
    /// data (the report's records hold neither).
    public var pictures: [String: String] = [:]
    /// Why there are no pictures (no weights saved, a noop sweep), shown in their place.
    public var picturesNote: String?
    /// Where a task's id in the leaderboard leads, when not to its pictures (the live page: its task page).
    public var taskLink: (@Sendable (String) -> String)?
    /// `method: pbt`: the population's exploits in the order made (`lineage(from:)` reads the
    /// store's entries), drawn in a section of their own.
    public var lineage: [LineageEntry] = []

    /// The store's lineage entries (JSON text, Store.lineage) as entries; unreadable ones are left out.
    public static func lineage(from records: [String]) -> [LineageEntry] {
        let decoder = JSONDecoder()
        return records.compactMap { try? decoder.decode(LineageEntry.self, from: Data($0.utf8)) }
    }

    public init(data: ReportData) { self.data = data }

    static let epochMetrics = ["train_loss", "val_loss", "test_loss", "train_accuracy", "val_accuracy", "test_accuracy"]

    public func render(generated: String) -> String {
        let sections = self.sections()
        var html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        html += "<title>Sweep \(escape(data.sweep.name))</title>\n<style>\(Self.css)</style>\n</head>\n<body>\n"
        html += header(generated: generated)
        html += "<nav><ul>" + sections.map { "<li><a href=\"#\($0.id)\">\(escape($0.title))</a></li>" }.joined() + "</ul></nav>\n<main>\n"
        for s in sections { html += "<section id=\"\(s.id)\">\n<h2>\(escape(s.title))</h2>\n\(s.html)\n</section>\n" }
        html += "</main>\n<script>\(Self.script)</script>\n</body>\n</html>\n"
        return html
    }

    /// The page's sections in order: id, title and HTML (the live page shows some of them,
    /// drawn by the same code).
    public func sections() -> [(id: String, title: String, html: String)] {
        var sections: [(id: String, title: String, html: String)] = []
        sections.append(("leaderboard", "Leaderboard", leaderboard()))
        if data.board.pareto != nil { sections.append(("pareto", "Pareto front", paretoFront())) }
        if !lineage.isEmpty {
            let members = data.runs.map(\.row.task).sorted { ($0.index, $0.taskID) < ($1.index, $1.taskID) }.map(\.taskID)
            let epochs = Int(data.runs.compactMap { $0.row.metric("epoch")?.doubleValue }.max() ?? 0)
            sections.append(("pbt", "Population-based training",
                             LineageChart.section(entries: lineage, members: members, epochs: epochs, metric: data.sweep.metric)))
        }
        sections.append(("curves", "Learning curves", curves()))
        let byParameter = parameterCurves()
        if !byParameter.isEmpty { sections.append(("by-parameter", "Curves by parameter", byParameter)) }
        sections.append(("parameters", "Parameters against \(data.sweep.metric)", parameterView()))
        sections.append(("importance", "Parameter importance", importanceSection()))
        sections.append(("parallel", "Parallel coordinates", parallelCoordinates()))
        let filters = filterGrids()
        if !filters.isEmpty { sections.append(("filters", "First-layer filters", filters)) }
        sections.append(("activations", "Activation statistics", activationTables()))
        let trace = traceSection()
        if !trace.isEmpty { sections.append(("activations-over-training", "Activations over training", trace)) }
        if !pictures.isEmpty || picturesNote != nil {
            sections.append(("inside", pictures.count > 1 ? "Inside the networks" : "Inside the best network", insideSection()))
        }
        return sections
    }

    /// The leaderboard table (the live page's too).
    public func leaderboardHTML(notes: Bool = true) -> String { leaderboard(notes: notes) }

    /// The learning-curve charts.
    public func curvesHTML() -> String { curves() }

    /// Each parameter against the sweep's metric.
    public func parametersHTML() -> String { parameterView() }

    /// The parameters' importance (PED-ANOVA).
    public func importanceHTML() -> String { importanceSection() }

    // MARK: header and leaderboard

    private func header(generated: String) -> String {
        var counts: [TaskStatus: Int] = [:]
        for r in data.runs { counts[r.row.task.status, default: 0] += 1 }
        let statusLine = TaskStatus.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }.joined(separator: " · ")
        var html = "<header><h1>Sweep <span class=\"name\">\(escape(data.sweep.name))</span></h1><p class=\"meta\">"
        html += "\(data.runs.count) task\(data.runs.count == 1 ? "" : "s"): \(escape(statusLine)) · metric <b>\(escape(data.sweep.metric))</b> "
        html += "(\(data.sweep.maximize ? "maximize" : "minimize"))"
        if let best = data.board.best, let v = best.value {
            html += " · best <b>\(formatNumber(v))</b> by task <code>\(escape(best.task.taskID))</code>"
            let setting = data.board.varyingParams.map { "\($0)=\(CurveAggregation.text(best.param($0)))" }.joined(separator: ", ")
            if !setting.isEmpty { html += " (\(escape(setting)))" }
        }
        html += "<br>Generated \(escape(generated)) by <code>sweep report</code>.</p></header>\n"
        return html
    }

    private func leaderboard(notes: Bool = true) -> String {
        let params = data.board.varyingParams
        let pareto = data.board.pareto
        let objectives = pareto?.objectives.map(\.name) ?? []
        var metrics = [data.board.sortMetric] + objectives.filter { $0 != data.board.sortMetric }
        metrics += ["test_accuracy", "test_loss", "val_accuracy", "train_loss", "epoch"]
            .filter { !metrics.contains($0) && data.board.metricNames.contains($0) }
        var html = "<div class=\"scroll\"><table class=\"leaderboard\"><thead><tr><th>#</th>"
        if pareto != nil { html += "<th class=\"num\">front</th>" }
        html += "<th>task</th><th>status</th>"
        html += params.map { "<th>\(escape($0))</th>" }.joined()
        html += metrics.map { "<th class=\"num\">\(escape($0))</th>" }.joined() + "<th class=\"num\">wall s</th></tr></thead><tbody>\n"
        for r in data.runs.prefix(leaderboardRows) {
            let row = r.row
            html += "<tr class=\"\(row.rank == 1 ? "best " : "")\(row.task.status.rawValue)\"><td>\(row.rank.map(String.init) ?? "–")</td>"
            if pareto != nil { html += "<td class=\"num\">\(row.front.map(String.init) ?? "–")</td>" }
            let id = "<code>\(escape(row.task.taskID))</code>"
            if let taskLink {
                html += "<td><a href=\"\(escape(taskLink(row.task.taskID)))\" title=\"its configuration and curves\">\(id)</a></td>"
            } else {
                html += "<td>\(pictures[row.task.taskID] == nil ? id : "<a href=\"#pictures-\(escape(row.task.taskID))\" title=\"its network's pictures\">\(id)</a>")</td>"
            }
            html += "<td>\(row.task.status.rawValue)</td>"
            html += params.map { "<td>\(escape(CurveAggregation.text(row.param($0))))</td>" }.joined()
            html += metrics.map { m in "<td class=\"num\">\(row.metric(m)?.doubleValue.map(formatNumber) ?? "–")</td>" }.joined()
            html += "<td class=\"num\">\(row.task.wallSeconds.map { String(format: "%.1f", $0) } ?? "–")</td></tr>\n"
        }
        html += "</tbody></table></div>"
        if notes, data.board.taskCount > leaderboardRows {
            html += "<p class=\"note\">The best \(leaderboardRows) of \(data.board.taskCount) tasks; <code>sweep leaderboard --db … --format csv</code> lists them all.</p>"
        }
        return html
    }

    // MARK: curves

    /// The charts of one section: per metric, one line per setting (mean ± std band
    /// over seeds), split into facets when there are more than `maxLines` settings.
    private func curves() -> String {
        let settings = data.settingParams
        let distinct = data.distinctValues(settings)
        var (facets, lines) = CurveAggregation.facets(settings, distinctValues: distinct, maxLines: maxLines)
        var facetGroups = group(data.runs, by: facets)
        // too many settings to draw them all (random search, continuous values): the best ones, in one chart a metric
        let settingCount = Set(data.runs.map { r in settings.map { r.row.param($0).encoded } }).count
        let capped = facetGroups.count > 12 || lines.reduce(1, { $0 * (distinct[$1] ?? 1) }) > maxLines
        if capped { (facets, lines, facetGroups) = ([], settings, [("", data.runs)]) }
        var html = "<p class=\"note\">One line per setting"
        html += data.board.varyingParams.contains("seed") ? ", the mean over seeds with a band of ± one standard deviation" : ""
        if capped { html += "; the best \(maxLines) of \(settingCount) settings" }
        html += facets.isEmpty ? "." : "; one chart per \(facets.joined(separator: " × ")) so that no chart holds more than \(maxLines) lines."
        html += "</p>\n<div class=\"charts\">\n"
        var n = 0
        let metrics = Self.epochMetrics.filter { m in data.runs.contains { !$0.curve(m).isEmpty } }
        for metric in metrics {
            for (facetLabel, runs) in facetGroups {
                // runs are in rank order, so the first settings to appear are the best ones
                let series = Array(CurveAggregation.series(runs, keys: lines, value: { $0.row.param($1) }, curve: { $0.curve(metric) })
                    .prefix(capped ? maxLines : .max))
                guard !series.isEmpty else { continue }
                n += 1
                html += figure(SVGChart.lines(title: metric + (facetLabel.isEmpty ? "" : " — " + facetLabel), metric: metric,
                                              xLabel: "epoch", yLabel: metric, series: series, id: "curve-\(n)"))
            }
        }
        for (facetLabel, runs) in facetGroups {
            let series = Array(CurveAggregation.series(runs, keys: lines, value: { $0.row.param($1) }, curve: { $0.stepCurve })
                .prefix(capped ? maxLines : .max))
            guard !series.isEmpty else { continue }
            n += 1
            let every = runs.compactMap { $0.insights?.steps.every }.first ?? 1
            html += figure(SVGChart.lines(title: "training loss every \(every) step\(every == 1 ? "" : "s")" + (facetLabel.isEmpty ? "" : " — " + facetLabel),
                                          metric: "step_train_loss", xLabel: "epoch", yLabel: "train_loss (mean over \(every) steps)",
                                          series: series, id: "curve-\(n)", clipOutliers: true))
        }
        html += "</div>"
        return n == 0 ? "<p class=\"note\">No task has recorded epochs yet.</p>" : html
    }

    /// For each parameter that varies: the sweep metric per epoch, one line per value,
    /// averaged over every other setting (a main effect).
    private func parameterCurves() -> String {
        let settings = data.settingParams
        guard settings.count > 1 else { return "" }
        let metric = data.sweep.metric
        var html = "<p class=\"note\">\(escape(metric)) per epoch for each value of one parameter, averaged over all other settings and seeds (band: ± one standard deviation).</p>\n<div class=\"charts\">\n"
        let distinct = data.distinctValues(settings)
        // a parameter with more values than a chart holds lines (continuous, from random search) is left to the scatter plots
        for (k, p) in settings.enumerated() where distinct[p] ?? 0 <= maxLines {
            let series = CurveAggregation.series(data.runs, keys: [p], value: { $0.row.param($1) }, curve: { $0.curve(metric) })
            guard !series.isEmpty else { continue }
            html += figure(SVGChart.lines(title: "\(metric) by \(p)", metric: metric, xLabel: "epoch", yLabel: metric,
                                          series: series, id: "by-\(k)"))
        }
        return html + "</div>"
    }

    private func parameterView() -> String {
        let metric = data.board.sortMetric
        let params = chartedParameters
        guard !params.isEmpty else { return "<p class=\"note\">No parameter varies in this sweep.</p>" }
        let ranked = finishedRuns
        let shown = ranked.prefix(scatterPoints)
        var html = "<p class=\"note\">Final \(escape(metric)) of "
        let total = rankedTotal ?? ranked.count
        html += shown.count < total ? "the best \(shown.count) of \(total) finished tasks" : "every finished task"
        html += " against each parameter that varies; hover a dot for its task.</p>\n<div class=\"charts small\">\n"
        for (k, p) in params.enumerated() {
            let points = shown.compactMap { r -> (x: ParamValue, y: Double, label: String)? in
                guard let y = r.row.value, y.isFinite else { return nil }
                let v = r.row.param(p)
                let setting = data.board.varyingParams.map { "\($0)=\(CurveAggregation.text(r.row.param($0)))" }.joined(separator: ", ")
                return (ParamValue(text: CurveAggregation.text(v), number: v.doubleValue), y, "\(r.taskID): \(setting) → \(formatNumber(y))")
            }
            html += figure(SVGChart.scatter(title: "\(metric) against \(p)", metric: metric, parameter: p, points: points, id: "scatter-\(k)"))
        }
        return html + "</div>"
    }

    /// The parameters the charts against the metric show: the settings', else every one that varies.
    private var chartedParameters: [String] { data.settingParams.isEmpty ? data.board.varyingParams : data.settingParams }

    /// The tasks with a finite metric, best first.
    private var finishedRuns: [ReportRun] { data.runs.filter { $0.row.value?.isFinite == true } }

    /// Parallel coordinates of the parameters that vary against the metric, for the best
    /// `scatterPoints` finished tasks.
    private func parallelCoordinates() -> String {
        let metric = data.board.sortMetric
        let params = chartedParameters
        let ranked = finishedRuns
        guard !params.isEmpty, ranked.count >= 2 else {
            return "<p class=\"note\">Parallel coordinates need a parameter that varies and two finished tasks.</p>"
        }
        let shown = Array(ranked.prefix(scatterPoints))
        var html = "<p class=\"note\">One line per task through its parameters to its final \(escape(metric)) (last axis), "
        let total = rankedTotal ?? ranked.count
        html += shown.count < total ? "for the best \(shown.count) of \(total) finished tasks" : "for every finished task"
        html += "; the darker, the better. Hover a line for its task.</p>\n"
        let axes = params.map { p in
            (name: p, values: shown.map { r in ParamValue(text: CurveAggregation.text(r.row.param(p)), number: r.row.param(p).doubleValue) })
        }
        let labels = shown.map { r in
            "\(r.taskID): " + params.map { "\($0)=\(CurveAggregation.text(r.row.param($0)))" }.joined(separator: ", ") + " → \(formatNumber(r.row.value!))"
        }
        html += "<figure class=\"chart parallel\">" + SVGChart.parallelCoordinates(
            title: "parameters → \(metric)", metric: metric, maximize: data.board.maximize, axes: axes,
            metricValues: shown.map { $0.row.value! }, labels: labels, id: "parallel") + "</figure>\n"
        return html
    }

    /// The parallel-coordinates chart.
    public func parallelHTML() -> String { parallelCoordinates() }

    /// The Pareto front of a sweep of several metrics; `drawnFrom` says which tasks when
    /// not every one that finished (the live page of a big sweep: a sample).
    public func paretoHTML(drawnFrom: String? = nil) -> String { paretoFront(drawnFrom: drawnFrom) }

    /// The first two metrics of a sweep that has several, one dot per task that finished
    /// with metrics (at most `scatterPoints`, front by front): the Pareto front highlighted
    /// and joined, the dominated tasks faded.
    private func paretoFront(drawnFrom: String? = nil) -> String {
        guard let pareto = data.board.pareto else { return "" }
        let (first, second) = (pareto.objectives[0], pareto.objectives[1])
        let ranked = data.runs.filter { $0.row.front != nil }
        guard !ranked.isEmpty else { return "<p class=\"note\">No task has finished with metrics yet.</p>" }
        let shown = ranked.prefix(scatterPoints)
        let points = shown.compactMap { r -> (x: Double, y: Double, front: Int, label: String)? in
            guard let x = r.row.metric(first.name)?.doubleValue, let y = r.row.metric(second.name)?.doubleValue,
                  x.isFinite, y.isFinite else { return nil }
            let setting = data.board.varyingParams.map { "\($0)=\(CurveAggregation.text(r.row.param($0)))" }.joined(separator: ", ")
            let values = pareto.objectives.map { "\($0.name) \(r.row.metric($0.name)?.doubleValue.map(formatNumber) ?? "–")" }
            return (x, y, r.row.front!, "\(r.taskID) (front \(r.row.front!)): \(setting) → \(values.joined(separator: ", "))")
        }
        let onFront = ranked.count { $0.row.front == 1 }
        var html = "<p class=\"note\">\(escape(first.name)) against \(escape(second.name)) for "
        if let drawnFrom {
            html += escape(drawnFrom)
        } else {
            html += shown.count < ranked.count ? "the first \(shown.count) by front of the \(ranked.count) tasks that finished with metrics"
                : "every task that finished with metrics (\(ranked.count))"
        }
        html += ". \(onFront) task\(onFront == 1 ? " is" : "s are") on the Pareto front (no other task is at least as good in every metric and better in one): "
        html += "highlighted and joined by the line that bounds what they dominate; the others are faded."
        if pareto.objectives.count > 2 {
            html += " The front is over all \(pareto.objectives.count) metrics (\(escape(pareto.objectives.map(\.name).joined(separator: ", ")))), so a task on it may look dominated in these two."
        }
        if points.count < shown.count { html += " \(shown.count - points.count) without a number for both are left out." }
        html += " Hover a dot for its task.</p>\n"
        html += figure(SVGChart.pareto(title: "Pareto front: \(first.name) and \(second.name)", x: (first.name, first.maximize),
                                       y: (second.name, second.maximize), points: points, id: "pareto-front"))
        return html
    }

    /// PED-ANOVA's importances as bars, or the line that says why there are none.
    private func importanceSection() -> String {
        let result = SweepImportance(board: data.board)
        if let reason = result.unavailable { return "<p class=\"note\">\(escape(reason.prefix(1).uppercased() + reason.dropFirst())).</p>" }
        let metric = data.sweep.metric
        var html = "<p class=\"note\">How much each parameter mattered for reaching the best 10% of \(escape(metric)) "
        html += "(\(data.sweep.maximize ? "maximized" : "minimized")) over the \(result.tasks) completed tasks: PED-ANOVA "
        html += "(Watanabe et al., IJCAI 2023), as Optuna's default importance evaluator computes it. The importances sum to 1; "
        html += "few tasks make them noisy.</p>\n<div class=\"charts\">\n"
        html += figure(SVGChart.bars(title: "importance for \(metric)", metric: metric, xLabel: "importance (PED-ANOVA)",
                                     bars: result.importances.map { ($0.parameter, $0.importance) }, id: "importance-bars"))
        return html + "</div>"
    }

    // MARK: filters and activations

    private var detailed: [ReportRun] {
        Array(data.runs.filter { $0.insights != nil && $0.row.task.status.isFinished }.prefix(detailedRuns))
    }

    private func filterGrids() -> String {
        let runs = data.runs.filter { $0.insights?.filters != nil }.prefix(detailedRuns)
        guard !runs.isEmpty else { return "" }
        var html = "<p class=\"note\">The first convolution's filters at the end of training, each scaled to its own range (dark: most negative, light: most positive), for the best \(runs.count) CNN task\(runs.count == 1 ? "" : "s").</p>\n<div class=\"filter-grids\">\n"
        for r in runs {
            let f = r.insights!.filters!
            guard let image = FilterGrid.image(f, zoom: 8), let png = try? PNG.encode(image) else { continue }
            html += "<figure class=\"filter-grid\"><img class=\"filters\" alt=\"\(f.shape[0]) filters of \(escape(f.layer)), task \(escape(r.taskID))\" "
            html += "width=\"\(image.width)\" height=\"\(image.height)\" data-task=\"\(escape(r.taskID))\" "
            html += "src=\"data:image/png;base64,\(Data(png).base64EncodedString())\">"
            html += "<figcaption>\(caption(r)) · \(escape(f.layer)) \(f.shape.map(String.init).joined(separator: "×"))</figcaption></figure>\n"
        }
        return html + "</div>"
    }

    private func activationTables() -> String {
        let runs = detailed.filter { !($0.insights?.activations.isEmpty ?? true) }
        guard !runs.isEmpty else { return "<p class=\"note\">No finished task has recorded activation statistics.</p>" }
        var html = "<p class=\"note\">Each layer's output on the whole test set at the end of training: mean, standard deviation and the share of exact zeros; for the gates of LSTM and GRU layers, the share of saturated values (within \(ValueStatistics.saturationMargin) of 0 or 1 for sigmoid, −1 or 1 for tanh).</p>\n"
        html += "<h3>After each nonlinearity, by setting</h3>\n"
        for (k, summary) in ActivationSummary.make(data.runs, settingParams: data.settingParams).enumerated() {
            html += "<div class=\"scroll\"><table class=\"activation-summary\" data-architecture=\"\(k)\"><thead><tr><th>setting</th><th class=\"num\">runs</th>"
            html += summary.columns.map { "<th colspan=\"3\" class=\"layer\">\(escape($0.title))</th>" }.joined() + "</tr><tr><th></th><th></th>"
            html += summary.columns.map { "<th class=\"num\">mean</th><th class=\"num\">std</th><th class=\"num\">\($0.saturation ? "saturated" : "zeros")</th>" }.joined()
            html += "</tr></thead><tbody>"
            for row in summary.rows {
                html += "<tr><td>\(escape(row.setting))</td><td class=\"num\">\(row.runs)</td>"
                html += zip(summary.columns, row.cells).map { column, c in
                    guard let c else { return "<td></td><td></td><td></td>" }
                    let share = column.saturation ? percent(c.saturation) : percent(c.zeros)
                    return "<td class=\"num\">\(String(format: "%.4f", c.mean))</td><td class=\"num\">\(String(format: "%.4f", c.std))</td><td class=\"num\">\(share)</td>"
                }.joined() + "</tr>"
            }
            html += "</tbody></table></div>\n"
        }
        html += "<h3>Every layer, best tasks</h3>\n<p class=\"note\"><i>before</i> marks a nonlinearity's input, <i>after</i> its output.</p>\n<div class=\"tables\">\n"
        for r in runs {
            html += "<figure class=\"activations\"><figcaption>\(caption(r))</figcaption><table class=\"activations\" data-task=\"\(escape(r.taskID))\">"
            let saturation = r.insights!.activations.contains { $0.statistics.saturation != nil }
            html += "<thead><tr><th>layer</th><th>kind</th><th>shape</th><th></th><th class=\"num\">mean</th><th class=\"num\">std</th><th class=\"num\">zeros</th>"
            html += (saturation ? "<th class=\"num\">saturated</th>" : "") + "</tr></thead><tbody>"
            for a in r.insights!.activations {
                let stage = switch a.stage { case .beforeNonlinearity: "before"; case .afterNonlinearity: "after"; case .other: "" }
                html += "<tr class=\"\(stage)\"><td><code>\(escape(a.layer))</code></td><td>\(escape(a.kind))</td>"
                html += "<td>\(a.shape.map(String.init).joined(separator: "×"))</td><td>\(stage)</td>"
                html += "<td class=\"num\">\(String(format: "%.4f", a.statistics.mean))</td><td class=\"num\">\(String(format: "%.4f", a.statistics.std))</td>"
                html += "<td class=\"num\">\(percent(a.statistics.zeroFraction))</td>"
                if saturation { html += "<td class=\"num saturation\">\(percent(a.statistics.saturation))</td>" }
                html += "</tr>"
            }
            html += "</tbody></table></figure>\n"
        }
        return html + "</div>"
    }

    /// The best task's activation trace: the statistics over training, and the histograms
    /// stacked by epoch (tasks from before the trace have none, and the section is left out).
    private func traceSection() -> String {
        guard let r = detailed.first(where: { $0.insights?.trace != nil }), let insights = r.insights,
              let trace = insights.trace else { return "" }
        var html = "<p class=\"note\">\(caption(r)). Every layer on \(ActivationTrace.images) fixed test images (the same for every task) at about ten points an epoch; "
        html += "their histograms at the end of each epoch. A convolution's output and the batchnorm after it are separate lines.</p>\n"
        html += "<div class=\"charts\">\n"
        for svg in TraceCharts.statistics(trace, stepsPerEpoch: insights.steps.stepsPerEpoch, id: "trace-\(r.taskID)") {
            html += figure(svg)
        }
        html += "</div>\n<h3>Histograms by epoch</h3>\n<div class=\"ridge-grid\">\n"
        for k in trace.layers.indices where !trace.histograms.isEmpty {
            html += "<figure class=\"ridges\">\(TraceCharts.histograms(trace, layer: k, id: "ridges-\(r.taskID)-\(k)"))</figure>\n"
        }
        return html + "</div>"
    }

    // MARK: inside the networks

    /// One fold per task with pictures, in leaderboard order: the best open, the others
    /// closed, one click away (here or from the leaderboard's task ids), so a sweep that
    /// saved 200 tasks' weights stays a page to scroll.
    private func insideSection() -> String {
        var html = ""
        if let picturesNote { html += "<p class=\"note\">\(escape(picturesNote))</p>\n" }
        let pictured = data.runs.filter { pictures[$0.taskID] != nil }
        guard !pictured.isEmpty else { return html }
        html += "<p class=\"note\">From the saved weights of \(pictured.count == 1 ? "the best task" : "\(pictured.count) tasks (the best, and every task of <code>--save-weights</code>)"), "
        html += "on the first test image of each class: the same images for every task, so two tasks' pictures compare."
        if pictured.count > 1 { html += " The best task's are open; click a task (here or in the leaderboard) for its own." }
        html += "</p>\n"
        for (k, r) in pictured.enumerated() {
            html += "<details class=\"pictures\" id=\"pictures-\(escape(r.taskID))\" data-task=\"\(escape(r.taskID))\"\(k == 0 ? " open" : "")>"
            html += "<summary>\(caption(r))</summary>\n\(pictures[r.taskID]!)</details>\n"
        }
        return html
    }

    private func percent(_ share: Double?) -> String { share.map { String(format: "%.1f%%", $0 * 100) } ?? "" }

    private func caption(_ r: ReportRun) -> String {
        let setting = data.board.varyingParams.map { "\($0)=\(CurveAggregation.text(r.row.param($0)))" }.joined(separator: ", ")
        var s = "#\(r.row.rank.map(String.init) ?? "–") <code>\(escape(r.taskID))</code>"
        if !setting.isEmpty { s += " " + escape(setting) }
        if let v = r.row.value { s += " · \(escape(data.board.sortMetric)) \(formatNumber(v))" }
        return s
    }

    // MARK: helpers

    private func figure(_ svg: String) -> String { "<figure class=\"chart\">\(svg)</figure>\n" }

    /// Runs grouped by the values of `keys`, groups in order of first appearance; one unlabelled group without keys.
    private func group(_ runs: [ReportRun], by keys: [String]) -> [(String, [ReportRun])] {
        guard !keys.isEmpty else { return [("", runs)] }
        var order: [String] = []
        var groups: [String: [ReportRun]] = [:]
        // facets in expansion order (task index), not rank order, so charts keep a stable layout
        for r in runs.sorted(by: { $0.row.task.index < $1.row.task.index }) {
            let label = keys.map { "\($0)=\(CurveAggregation.text(r.row.param($0)))" }.joined(separator: ", ")
            if groups[label] == nil { order.append(label) }
            groups[label, default: []].append(r)
        }
        return order.map { ($0, groups[$0]!) }
    }

    // MARK: style and script

    public static let css = """
    :root { --ink: #1b1f24; --muted: #5b6470; --rule: #d8dde3; --band: #f4f6f8; --accent: #0072B2; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); }
    header, nav, main { max-width: 1240px; margin: 0 auto; padding: 0 24px; }
    header { padding-top: 20px; }
    h1 { font-size: 1.6rem; margin: 0 0 4px; } h1 .name { color: var(--accent); }
    h2 { font-size: 1.25rem; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
    .meta, .note { color: var(--muted); margin: 4px 0 10px; }
    nav ul { list-style: none; padding: 0; margin: 12px 0 0; display: flex; flex-wrap: wrap; gap: 6px 18px; }
    nav a { color: var(--accent); text-decoration: none; } nav a:hover { text-decoration: underline; }
    code { font: 0.85em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
    .scroll { overflow-x: auto; }
    table { border-collapse: collapse; font-size: 0.86rem; font-variant-numeric: tabular-nums; }
    th, td { padding: 3px 9px; text-align: left; border-bottom: 1px solid var(--rule); white-space: nowrap; }
    th { background: var(--band); font-weight: 600; } .num { text-align: right; }
    tr.best td { font-weight: 600; background: #e8f2fa; }
    tr.failed td, tr.diverged td { color: #a33; }
    .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 14px 22px; }
    .charts.small { grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); }
    figure { margin: 0; break-inside: avoid; page-break-inside: avoid; }
    svg.chart { width: 100%; height: auto; display: block; font-size: 11px; }
    svg .plot { fill: #fff; stroke: #9aa3ad; stroke-width: 0.8; }
    svg .grid { stroke: #e6e9ed; stroke-width: 0.8; }
    svg .tick { fill: var(--muted); } svg .axis-label { fill: var(--ink); font-size: 12px; }
    svg .chart-title { font-size: 13px; font-weight: 600; fill: var(--ink); }
    svg .legend text { fill: var(--ink); }
    .probe-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 8px 16px; }
    figure.probe { margin: 0 0 12px 0; } figure.probe img { max-width: 100%; height: auto; image-rendering: pixelated; }
    details.pictures { border-top: 1px solid var(--rule); padding: 4px 0; }
    details.pictures > summary { cursor: pointer; padding: 4px 0; font-size: 0.92rem; }
    details.pictures[open] > summary { font-weight: 600; }
    .ridge-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 10px 18px; }
    figure.ridges { margin: 0; } .ridges .kind { fill: #666; font-size: 11px; }
    .filter-grids { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); gap: 18px 26px; }
    .filter-grid { max-width: 420px; }
    .filter-grid img { image-rendering: pixelated; max-width: 100%; height: auto; border: 1px solid var(--rule); }
    figcaption { font-size: 0.82rem; color: var(--muted); margin: 4px 0; }
    .tables { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 18px 26px; }
    table.activations tr.after td { background: #f7fbf2; }
    h3 { font-size: 1rem; margin: 16px 0 6px; }
    table.activation-summary th.layer { text-align: center; border-left: 1px solid var(--rule); }
    table.activation-summary { margin-bottom: 12px; }
    @media (max-width: 700px) { .charts, .charts.small, .tables { grid-template-columns: 1fr; } header, nav, main { padding: 0 12px; } }
    @media print {
      @page { size: A4; margin: 12mm; }
      body { font-size: 10pt; } nav { display: none; }
      header, main { max-width: none; padding: 0; }
      * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
      h2, section > p.note { break-after: avoid; page-break-after: avoid; }
      .charts, .charts.small { grid-template-columns: 1fr 1fr; gap: 8px 14px; }
      .tables, .filter-grids { grid-template-columns: 1fr 1fr; }
      .scroll { overflow: visible; }
      table { font-size: 8pt; } th, td { padding: 1px 5px; }
      tr { break-inside: avoid; }
    }
    """

    /// Marks each filter image and picture of the best network with whether the browser decoded it (tests read the
    /// dumped DOM), and the page as rendered once that is known.
    static let script = """
    function openTarget() {
      var target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
      if (target && target.tagName === 'DETAILS') { target.open = true; target.scrollIntoView(); }
    }
    window.addEventListener('hashchange', openTarget);
    window.addEventListener('load', function () {
      openTarget();
      document.querySelectorAll('img.filters').forEach(function (img) {
        img.setAttribute('data-decoded', img.complete && img.naturalWidth > 0 ? 'true' : 'false');
      });
      document.querySelectorAll('img.probe').forEach(function (img) {
        img.setAttribute('data-probe-decoded', img.complete && img.naturalWidth > 0 ? 'true' : 'false');
      });
      document.body.setAttribute('data-rendered', 'true');
    });
    """
}
