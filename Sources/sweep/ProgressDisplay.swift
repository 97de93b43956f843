import Foundation
import SweepConfig
import SweepSpec
import SweepStore
#if canImport(Glibc)
import Glibc
#endif

/// The live progress of a sweep (docs/commands.md § Progress): on a terminal one line rewritten in
/// place with done/total, running, failed, elapsed, ETA and the best metric so
/// far; off a terminal one plain line per finished task, written once per loop round
/// (`tick`) rather than one write per task: at thousands of tasks a second the
/// writes cost the coordinator more than the tasks.
final class ProgressDisplay {
    let total: Int
    let metric: MetricGoal
    let isTerminal = isatty(STDOUT_FILENO) != 0
    private var lastDraw = Date.distantPast
    private var done: Int
    private let startedWith: Int
    private var best: (value: Double, task: String)?
    private var running = 0
    private var failed = 0
    private let start = Date()
    /// Lines of finished tasks not yet written (off a terminal).
    private var pending = ""

    init(total: Int, metric: MetricGoal, alreadyDone: Int) {
        self.total = total
        self.metric = metric
        done = alreadyDone
        startedWith = alreadyDone
        if alreadyDone > 0 {
            printLine("resuming: \(alreadyDone) of \(total) task(s) already ended")
        }
    }

    /// `value`: the task's final value of the sweep metric.
    func finished(_ id: String, _ status: TaskStatus, value: Double?, running: Int, failed: Int) {
        done += 1
        self.running = running
        self.failed = failed
        if let v = value, best == nil || (metric.maximize ? v > best!.value : v < best!.value) { best = (v, id) }
        if isTerminal {
            redraw()
        } else {
            let shown = value.map { metric.name + " " + Self.fixed4($0) } ?? "-"
            pending += "[\(done)/\(total)] \(id) \(status.rawValue) \(shown)\n"
        }
    }

    /// `%.4f` without Foundation's formatter (which took a tenth of the coordinator's loop).
    static func fixed4(_ v: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = withVaList([v]) { vsnprintf(&buffer, buffer.count, "%.4f", $0) }
        guard n >= 0, n < buffer.count else { return String(format: "%.4f", v) }
        return String(decoding: buffer[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Writes the finished tasks' lines that wait (off a terminal).
    func flush() {
        guard !pending.isEmpty else { return }
        FileHandle.standardOutput.write(Data(pending.utf8))
        pending = ""
    }

    /// Called every loop round: writes the round's lines; on a terminal, redraws the line once a
    /// second (elapsed and ETA move on their own).
    func tick(running: Int, failed: Int) {
        flush()
        guard isTerminal, Date().timeIntervalSince(lastDraw) >= 1 else { return }
        self.running = running
        self.failed = failed
        redraw()
    }

    private func redraw() {
        let elapsed = Date().timeIntervalSince(start)
        let doneHere = done - startedWith
        let eta = doneHere > 0 ? elapsed / Double(doneHere) * Double(total - done) : nil
        var line = "\(done)/\(total) done  \(running) running  \(failed) failed  \(clock(elapsed)) elapsed"
        line += "  ETA " + (eta.map(clock) ?? "--:--")
        if let best { line += String(format: "  best %@ %.4f", metric.name, best.value) }
        FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + line).utf8))
        lastDraw = Date()
    }

    /// A line on stderr; on a terminal the progress line is cleared first and drawn again
    /// below it, so the two do not run into each other.
    func note(_ line: String) {
        flush()
        if isTerminal { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
        printError(line)
        if isTerminal { redraw() }
    }

    func end() {
        flush()
        if isTerminal { FileHandle.standardOutput.write(Data("\n".utf8)) }
    }

    private func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%02d:%02d", t / 60, t % 60)
    }
}
