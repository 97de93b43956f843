public enum SocketType: Sendable, CustomStringConvertible {
    case router, dealer, pair, push, pull, req, rep, pub, sub

    public var description: String {
        switch self {
        case .router: "ROUTER"
        case .dealer: "DEALER"
        case .pair: "PAIR"
        case .push: "PUSH"
        case .pull: "PULL"
        case .req: "REQ"
        case .rep: "REP"
        case .pub: "PUB"
        case .sub: "SUB"
        }
    }
}

/// A libzmq socket, made by `Context.socket(_:)`. Close it with `close()`;
/// `deinit` closes it too. Every call on a closed socket throws `.notSocket`.
///
/// `@unchecked Sendable`: libzmq sockets are not thread-safe, so every call
/// here holds the socket's lock, which makes handing a socket to another thread
/// (or `Context.terminate` closing it) memory-safe. Still drive a socket from
/// one thread at a time: a second thread would only wait for the lock, and
/// a blocking `receive` holds it until a message, a timeout or `.terminated`.
public final class Socket: @unchecked Sendable {
    public let type: SocketType
    /// Keeps the context alive while the socket exists (zmq_ctx_term waits for its sockets).
    public let context: Context
    let lock = Lock()
    /// nil once closed. Read or write it only while holding `lock`.
    private(set) var lockedHandle: LibZMQ.Handle?

    init(context: Context, type: SocketType, handle: LibZMQ.Handle) {
        self.context = context
        self.type = type
        self.lockedHandle = handle
    }

    deinit { close() }

    /// Runs `body` with the open handle under the lock; `.notSocket` if closed.
    func withHandle<R>(_ operation: @autoclosure () -> String,
                       _ body: (LibZMQ.Handle) throws(ZMQError) -> R) throws(ZMQError) -> R {
        lock.lock()
        defer { lock.unlock() }
        guard let handle = lockedHandle else { throw ZMQError.notSocket.during(operation()) }
        return try body(handle)
    }

    public var isClosed: Bool { lock.withLock { lockedHandle == nil } }

    /// Closes the socket, first setting its linger (ms, −1 = forever) if given.
    /// Idempotent.
    public func close(linger milliseconds: Int? = nil) {
        let wasOpen = lock.withLock {
            guard let handle = lockedHandle else { return false }
            if let milliseconds { try? LibZMQ.setOption(handle, .linger, Int32(clamping: milliseconds)) }
            LibZMQ.closeSocket(handle)
            lockedHandle = nil
            return true
        }
        if wasOpen { context.forget(ObjectIdentifier(self)) }
    }

    // MARK: Endpoints

    public func bind(_ endpoint: String) throws(ZMQError) {
        try withHandle("bind(\(endpoint))") { handle throws(ZMQError) in try LibZMQ.bind(handle, endpoint) }
    }

    public func unbind(_ endpoint: String) throws(ZMQError) {
        try withHandle("unbind(\(endpoint))") { handle throws(ZMQError) in try LibZMQ.unbind(handle, endpoint) }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        try withHandle("connect(\(endpoint))") { handle throws(ZMQError) in try LibZMQ.connect(handle, endpoint) }
    }

    public func disconnect(_ endpoint: String) throws(ZMQError) {
        try withHandle("disconnect(\(endpoint))") { handle throws(ZMQError) in try LibZMQ.disconnect(handle, endpoint) }
    }

    /// The endpoint last bound or connected, with the port filled in for `tcp://…:*`.
    public var lastEndpoint: String {
        get throws(ZMQError) {
            try withHandle("lastEndpoint") { handle throws(ZMQError) in try LibZMQ.getString(handle, .lastEndpoint) }
        }
    }

    // MARK: Messages

    /// Sends all frames as one multipart message (ZMQ_SNDMORE on all but the last).
    ///
    /// With `dontWait`, a full queue (or no peer) throws `.again`; libzmq queues
    /// a multipart message whole once its first frame is accepted, so a failure
    /// leaves nothing half-sent. A signal during a blocking send throws
    /// `.interrupted` before the first frame, and is retried after it.
    /// An empty `frames` throws `.invalidArgument`.
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws(ZMQError) {
        try withHandle("send") { handle throws(ZMQError) in
            guard !frames.isEmpty else { throw ZMQError.invalidArgument.during("send(no frames)") }
            let last = frames.count - 1
            for index in frames.indices {
                // withUnsafeBytes only rethrows untyped errors: carry ours out in a Result.
                try frames[index].withUnsafeBytes { bytes in
                    Result { () throws(ZMQError) in
                        try Self.sendFrame(handle, bytes, more: index < last, dontWait: dontWait, first: index == 0)
                    }
                }.get()
            }
        }
    }

    /// `send` with each string's UTF-8 bytes as a frame.
    public func send(_ frames: [String], dontWait: Bool = false) throws(ZMQError) {
        try withHandle("send") { handle throws(ZMQError) in
            guard !frames.isEmpty else { throw ZMQError.invalidArgument.during("send(no frames)") }
            let last = frames.count - 1
            for index in frames.indices {
                var frame = frames[index]
                try frame.withUTF8 { utf8 in
                    Result { () throws(ZMQError) in
                        try Self.sendFrame(handle, UnsafeRawBufferPointer(utf8), more: index < last,
                                           dontWait: dontWait, first: index == 0)
                    }
                }.get()
            }
        }
    }

    private static func sendFrame(_ handle: LibZMQ.Handle, _ bytes: UnsafeRawBufferPointer,
                                  more: Bool, dontWait: Bool, first: Bool) throws(ZMQError) {
        while true {
            do throws(ZMQError) {
                return try LibZMQ.sendFrame(handle, bytes, more: more, dontWait: dontWait)
            } catch where !first && error == .interrupted {
                continue  // the message has begun: finish it rather than leave it half-sent
            }
        }
    }

    /// Receives one whole multipart message. Returns nil when nothing arrived:
    /// with `dontWait` and an empty queue, or when the receive timeout expired.
    public func receive(dontWait: Bool = false) throws(ZMQError) -> [[UInt8]]? {
        try withHandle("receive") { handle throws(ZMQError) in
            try LibZMQ.receiveMessage(handle, dontWait: dontWait)
        }
    }
}
