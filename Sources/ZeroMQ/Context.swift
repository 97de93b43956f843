/// A libzmq context: owns the I/O thread and creates sockets.
///
/// `@unchecked Sendable`: libzmq contexts are thread-safe, and this class guards
/// its own state (the handle and the list of open sockets) with a lock.
///
/// New sockets start with linger 0 (ZMQ_BLOCKY off, unless `blocky: true`), so
/// closing or terminating never waits for undelivered messages; call
/// `setLinger` on a socket whose last messages must be flushed.
public final class Context: @unchecked Sendable {
    private let lock = Lock()
    private var handle: LibZMQ.Handle?
    /// Sockets still open, so `terminate` can close those nobody closed.
    private var openSockets: [ObjectIdentifier: WeakSocket] = [:]

    private struct WeakSocket { weak var socket: Socket? }

    public init(blocky: Bool = false) throws(ZMQError) {
        handle = try LibZMQ.newContext(blocky: blocky)
    }

    deinit { terminate() }

    /// A new socket; throws `.terminated` once the context is shut down or terminated.
    public func socket(_ type: SocketType) throws(ZMQError) -> Socket {
        try lock.withLock { () throws(ZMQError) -> Socket in
            guard let handle else { throw ZMQError.terminated.during("socket(\(type))") }
            let socket = Socket(context: self, type: type, handle: try LibZMQ.newSocket(handle, type: type))
            openSockets[ObjectIdentifier(socket)] = WeakSocket(socket: socket)
            return socket
        }
    }

    /// Wakes every thread blocked on a socket of this context with `.terminated`
    /// (zmq_ctx_shutdown), without waiting. Use it from a signal-watching thread;
    /// the loop threads then close their sockets and someone calls `terminate`.
    public func shutdown() {
        lock.withLock {
            if let handle { LibZMQ.shutdownContext(handle) }
        }
    }

    /// Shuts the context down, closes (with linger 0) every socket still open,
    /// then frees it (zmq_ctx_term). Idempotent; `deinit` calls it too.
    ///
    /// Threads blocked in `receive`, `send` or `poll` on these sockets wake with
    /// `.terminated`; their later calls throw `.notSocket`.
    public func terminate() {
        let (handle, sockets) = lock.withLock {
            defer { self.handle = nil; openSockets = [:] }
            return (self.handle, openSockets.values.compactMap(\.socket))
        }
        guard let handle else { return }
        LibZMQ.shutdownContext(handle)
        for socket in sockets { socket.close(linger: 0) }
        LibZMQ.terminateContext(handle)
    }

    func forget(_ socket: ObjectIdentifier) {
        lock.withLock { _ = openSockets.removeValue(forKey: socket) }
    }
}
