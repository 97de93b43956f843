import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import Synchronization
import SweepConfig
import SweepStore

/// The live page and metrics over HTTP (docs/live.md), for `sweep run`, `sweep
/// coordinator` and `sweep dashboard`:
/// - `/`: the page; it opens `/api/events`, a server-sent-events stream whose `update`
///   events carry the page's sections as HTML, sent when the store changed;
/// - `/api/state`: the same as JSON (progress counts, workers, the sections);
/// - `/task/<id>`: one task's configuration, curves and pictures;
/// - `/metrics`: Prometheus's text format.
///
/// It reads the store through a read-only connection of its own, so it serves a store
/// whose sweep is over as well as one a coordinator writes, and offers no action. With a
/// token, every request must carry `Authorization: Bearer <token>`.
public final class LiveServer: Sendable {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        /// Required of every request when set.
        public var token: String?
        public init(host: String, port: Int, token: String?) {
            self.host = host
            self.port = port
            self.token = token
        }
    }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The address the page is at, e.g. http://127.0.0.1:41234/
    public let url: String
    private let task: Task<Void, any Error>

    /// The Prometheus registry of this process, which swift-metrics reports to once a server
    /// has started (the coordinator's counters); one per process, as swift-metrics' bootstrap is.
    static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = Mutex(false)

    /// Starts serving `store` (the sweep named, or the store's latest) and returns once the
    /// port is bound. Throws StartError when it cannot be (address in use, a host that does
    /// not resolve).
    public init(store: String, sweep: String?, options: Options) throws {
        Self.bootstrapped.withLock { done in
            guard !done else { return }
            MetricsSystem.bootstrap(SweepMetricsFactory(registry: Self.registry))
            done = true
        }
        let state = LiveState(store: store, sweep: sweep)
        let router = Router()
        if let token = options.token { router.add(middleware: BearerToken(token: token)) }
        Self.routes(router, state: state)
        let bound = Bound()
        // the server's own log lines (started, a stream cut by the stop) are not the user's business;
        // what goes wrong at the start is thrown as StartError
        var logger = Logger(label: "sweep-http")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "sweep"),
            onServerRunning: { channel in bound.set(channel.localAddress?.port ?? -1) },
            logger: logger)
        task = Task {
            do { try await app.run() } catch {
                bound.fail("\(error)")
                throw error
            }
        }
        switch bound.wait(seconds: 30) {
        case .port(let port):
            let host = options.host.contains(":") ? "[\(options.host)]" : options.host
            url = "http://\(host):\(port)/"
        case .failed(let reason):
            task.cancel()
            throw StartError(description: "--http \(options.host):\(options.port): \(reason)")
        }
    }

    /// Stops serving; open streams end.
    public func stop() {
        task.cancel()
    }

    deinit { task.cancel() }

    private static func routes(_ router: Router<BasicRequestContext>, state: LiveState) {
        router.get("/") { _, _ in
            html(LivePage.shell(title: "Sweep (live)", snapshot: try? state.current()))
        }
        router.get("/api/state") { _, _ in
            let s = try state.current()
            return json(stateJSON(s))
        }
        router.get("/api/events") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                     body: ResponseBody { writer in
                         var sent = 0
                         var quietSince = Date()
                         while !Task.isCancelled {
                             let s = try state.current()
                             if s.version != sent {
                                 sent = s.version
                                 quietSince = Date()
                                 try await writer.write(ByteBuffer(string: "event: update\ndata: \(stateJSON(s).encoded)\n\n"))
                             } else if Date().timeIntervalSince(quietSince) > 15 {
                                 quietSince = Date()
                                 try await writer.write(ByteBuffer(string: ": still here\n\n"))   // keeps proxies from closing it
                             }
                             try await Task.sleep(for: .milliseconds(250))
                         }
                         try await writer.finish(nil)
                     })
        }
        router.get("/api/leaderboard") { request, _ in
            let names = (request.uri.queryParameters.get("group") ?? "").split(separator: ",").map(String.init).filter { !$0.isEmpty }
            if names.isEmpty, let page = request.uri.queryParameters.get("page").flatMap({ Int($0) }) {
                return html(try state.leaderboardPage(page))
            }
            return html(try state.grouped(by: names))
        }
        router.get("/task/:id") { _, context in
            guard let id = context.parameters.get("id"), let page = try state.task(id) else {
                return Response(status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: "no such task\n")))
            }
            return html(page)
        }
        router.get("/metrics") { _, _ in
            let s = try state.current()
            let name = s.sweepName
            func gauge(_ label: String, _ labels: [(String, String)]) -> Prometheus.Gauge {
                registry.makeGauge(descriptor: SweepMetricsFactory.descriptor(label), labels: labels)
            }
            for status in TaskStatus.allCases {
                gauge("sweep_tasks", [("sweep", name), ("status", status.rawValue)]).set(Double(s.counts[status] ?? 0))
            }
            let connected = s.workers.filter { $0.state == .connected }
            gauge("sweep_workers_connected", [("sweep", name)]).set(Double(connected.count))
            gauge("sweep_slots_connected", [("sweep", name)]).set(Double(connected.reduce(0) { $0 + $1.slots }))
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }

    static func stateJSON(_ s: LiveState.Snapshot) -> JSON {
        .object([
            ("version", .int(s.version)),
            ("sweep", .string(s.sweepName)),
            ("done", .bool(s.done)),
            ("tasks", .object(TaskStatus.allCases.map { ($0.rawValue, .int(s.counts[$0] ?? 0)) })),
            ("workers", .array(s.workers.map { w in
                .object([("worker", .string(w.worker)), ("host", .string(w.host)), ("slots", .int(w.slots)),
                         ("state", .string(w.state.rawValue)), ("last_seen", .double(w.lastSeen)),
                         ("running", .int(w.running)), ("done", .int(w.done)), ("lost", .int(w.lost))])
            })),
            ("sections", .array(s.sections.map { .object([("id", .string($0.id)), ("html", .string($0.html))]) })),
        ])
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: JSON) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.encoded)))
    }

    /// Waits for the server to be bound, or to fail.
    private final class Bound: Sendable {
        enum Outcome { case port(Int), failed(String) }
        private let outcome = Mutex<Outcome?>(nil)
        private let ready = DispatchSemaphore(value: 0)

        func set(_ port: Int) {
            let first = outcome.withLock { o -> Bool in
                guard o == nil else { return false }
                o = port > 0 ? .port(port) : .failed("no port bound")
                return true
            }
            if first { ready.signal() }
        }

        func fail(_ reason: String) {
            let first = outcome.withLock { o -> Bool in
                guard o == nil else { return false }
                o = .failed(reason)
                return true
            }
            if first { ready.signal() }
        }

        func wait(seconds: Double) -> Outcome {
            if ready.wait(timeout: .now() + seconds) == .timedOut { return .failed("the server did not start within \(Int(seconds)) s") }
            return outcome.withLock { $0! }
        }
    }
}

/// Every request must carry `Authorization: Bearer <token>`; others get 401.
struct BearerToken<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let value = request.headers[.authorization], Self.matches(value, token: token) else {
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"sweep\"", .contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "401: this page needs Authorization: Bearer <token> (--http-token)\n")))
        }
        return try await next(request, context)
    }

    /// Compared in constant time: how long a wrong token takes says nothing of the right one.
    static func matches(_ header: String, token: String) -> Bool {
        let given = Array(header.utf8), expected = Array(("Bearer " + token).utf8)
        guard given.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(given, expected) { difference |= a ^ b }
        return difference == 0
    }
}
