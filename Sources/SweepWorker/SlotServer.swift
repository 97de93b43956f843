import Foundation
import SweepProtocol
import SweepTrain
#if canImport(Glibc)
import Glibc
#endif

/// The child side of a training slot (`sweep slot`, started by a worker, never by
/// hand): reads tasks and cancels from stdin, trains one task at a time, and writes
/// its progress, weights and result to stdout, in the wire codec's frames
/// (`PipeFrames`). It dies with its worker (PR_SET_PDEATHSIG), leaves SIGINT and
/// SIGTERM to the worker (which decides whether running tasks finish), and ends
/// when its stdin does.
public enum SlotServer {
    public static func run(parent: Int32, memoryLimit: MemoryLimit) -> Never {
        ParentDeath.follow(parent: parent)
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        // the limit makes a runaway allocation fail in this process, not wake the host's OOM killer. It
        // counts address space, of which the idle runtime reserves a few hundred MB (thread stacks, BLAS
        // buffers) that tasks never use: those come on top, so the limit is what tasks may allocate.
        let cap = rlim_t(min(Double(rlim_t.max / 2), memoryLimit.bytes + addressSpace()))
        var limit = rlimit(rlim_cur: cap, rlim_max: cap)
        var current = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &current) == 0, current.rlim_max > cap {
            _ = setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit)
        }
        // messages go to the worker on what was stdout; anything else printed lands in stderr
        let out = dup(1)
        dup2(2, 1)
        Server(output: out, memoryLimit: memoryLimit).serve()
    }

    /// This process's address space now (VmSize), in bytes.
    static func addressSpace() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmSize:") {
            return (Double(line.split(whereSeparator: \.isWhitespace)[1]) ?? 0) * 1024
        }
        return 0
    }

    final class Server {
        init(output: Int32, memoryLimit: MemoryLimit) {
            self.output = output
            self.memoryLimit = memoryLimit
        }

        let output: Int32
        let memoryLimit: MemoryLimit
        var reader = FrameReader()
        let datasets = DatasetCache()
        var queue: [Assignment] = []
        var cancelled: Set<String> = []

        func serve() -> Never {
            // ready: the worker takes no task before its slots can train
            guard PipeFrames.write(Codec.encode(.heartbeat), to: output) else { exit(0) }
            while true {
                if queue.isEmpty {
                    guard reader.fill(from: 0) else { exit(0) }   // the worker closed stdin, or died
                    take()
                }
                guard !queue.isEmpty else { continue }
                let a = queue.removeFirst()
                let out = output
                let outcome = Slot.train(a, datasets: datasets, memoryLimit: memoryLimit,
                                         isCancelled: { checkStdin(); return cancelled.contains(a.taskID) },
                                         pause: { self.wait(upTo: $0) },
                                         progress: { p in _ = PipeFrames.write(Codec.encode(.progress(p)), to: out) },
                                         weights: { file in
                                             for chunk in WeightsChunk.split(file, taskID: a.taskID, attempt: a.attempt) {
                                                 _ = PipeFrames.write(Codec.encode(.weights(chunk)), to: out)
                                             }
                                         })
                cancelled.remove(a.taskID)
                guard PipeFrames.write(Codec.encode(.result(outcome)), to: out) else { exit(0) }
            }
        }

        /// Messages already read: tasks queue, cancels are noted.
        func take() {
            while let frames = reader.next() {
                switch try? Codec.decode(frames) {
                case .task(let a)?: queue.append(a)
                case .cancel(let id)?: cancelled.insert(id)
                default: break
                }
            }
            if reader.corrupt { exit(3) }
        }

        /// While training: reads stdin if it holds something (a cancel), without blocking.
        func checkStdin() {
            wait(milliseconds: 0)
        }

        /// A no-op task's wait: until `duration` passed or stdin has something (a cancel), read then.
        /// poll counts whole milliseconds: the last fraction of one is slept exactly, so a 50 ms
        /// task takes 50 ms, not up to 51 (its caller asks again with what is left).
        func wait(upTo duration: Duration) {
            let (s, a) = duration.components
            let milliseconds = s * 1000 + a / 1_000_000_000_000_000
            if milliseconds >= 1 {
                wait(milliseconds: Int32(clamping: milliseconds))
            } else {
                var t = timespec(tv_sec: 0, tv_nsec: Int(max(0, a / 1_000_000_000)))
                nanosleep(&t, nil)
            }
        }

        /// Reads stdin once it holds something, waiting up to `milliseconds`.
        private func wait(milliseconds: Int32) {
            var fd = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            guard poll(&fd, 1, milliseconds) > 0 else { return }
            guard reader.fill(from: 0) else { exit(0) }
            take()
        }
    }
}
