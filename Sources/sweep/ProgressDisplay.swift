import Foundation
import SweepConfig
import SweepSpec
import SweepStore
#if canImport(Glibc)
import Glibc
#endif

/// The live progress of a sweep (docs/commands.md § Progress): on a terminal one line rewritten in
/// place with done/total, running, failed, elapsed, ETA and the best metric so
/// far; off a terminal one plain line per finished task.
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

    init(total: Int, metric: MetricGoal, alreadyDone: Int) {
        self.total = total
        self.metric = metric
        done = alreadyDone
        startedWith = alreadyDone
        if alreadyDone > 0 {
            printLine("resuming: \(alreadyDone) of \(total) task(s) already ended")
        }
    }

    func finished(_ id: String, _ status: TaskStatus, _ metrics: String, running: Int, failed: Int) {
        done += 1
        self.running = running
        self.failed = failed
        let value = (try? JSON.parse(metrics))?[metric.name]?.doubleValue
        if let v = value, best == nil || (metric.maximize ? v > best!.value : v < best!.value) { best = (v, id) }
        if isTerminal {
            redraw()
        } else {
            let shown = value.map { String(format: "%@ %.4f", metric.name, $0) } ?? "-"
            printLine("[\(done)/\(total)] \(id) \(status.rawValue) \(shown)")
        }
    }

    /// Called every loop round: redraws the terminal line once a second (elapsed and ETA move on their own).
    func tick(running: Int, failed: Int) {
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
        if isTerminal { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
        printError(line)
        if isTerminal { redraw() }
    }

    func end() {
        if isTerminal { FileHandle.standardOutput.write(Data("\n".utf8)) }
    }

    private func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%02d:%02d", t / 60, t % 60)
    }
}
