import Foundation

/// A ZAP handler (ZeroMQ RFC 27) that admits CURVE clients whose public key is
/// in a set, and refuses every other client: unknown keys and other mechanisms.
///
/// It binds `inproc://zeromq.zap.01` in `context` and answers on its own
/// thread; libzmq then asks it about every new connection to a CURVE server
/// socket of that context (create the handler before binding the server).
/// `stop()` ends the thread (within ~0.1 s); terminating the context or
/// `deinit` ends it too. One handler per context.
///
/// `@unchecked Sendable`: the key set is behind a lock and the socket belongs
/// to the handler's thread.
public final class ZAPHandler: @unchecked Sendable {
    public static let endpoint = "inproc://zeromq.zap.01"
    /// How often the handler thread checks whether it should stop.
    static let stopCheckMilliseconds = 100

    /// One answered request, for logging.
    public struct Decision: Sendable {
        /// The client's Z85 public key, nil if it did not use CURVE.
        public let publicKey: String?
        /// The client's IP address as libzmq reports it.
        public let address: String
        public let domain: String
        public let accepted: Bool
    }

    private let state: State
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - authorizedKeys: Z85 public keys (40 characters) of the admitted clients.
    ///   - onDecision: called on the handler's thread after each answer.
    public init(context: Context, authorizedKeys: Set<String>,
                onDecision: (@Sendable (Decision) -> Void)? = nil) throws(ZMQError) {
        try Self.validate(authorizedKeys)
        let socket = try context.socket(.rep)
        do {
            try socket.setReceiveTimeout(milliseconds: Self.stopCheckMilliseconds)
            try socket.bind(Self.endpoint)
        } catch {
            socket.close()
            throw error
        }
        let state = State(keys: authorizedKeys, onDecision: onDecision)
        let finished = finished
        self.state = state
        let thread = Thread {
            Self.serve(socket, state)
            finished.signal()
        }
        thread.name = "ZAPHandler"
        thread.start()
    }

    deinit { stop() }

    /// The Z85 public keys admitted from now on; malformed keys throw `.invalidArgument`.
    public func setAuthorizedKeys(_ keys: Set<String>) throws(ZMQError) {
        try Self.validate(keys)
        state.lock.withLock { state.keys = keys }
    }

    public var authorizedKeys: Set<String> { state.lock.withLock { state.keys } }

    /// Stops answering and waits for the handler thread to close its socket. Idempotent.
    public func stop() {
        let first = state.lock.withLock {
            defer { state.stopping = true }
            return !state.stopping
        }
        if first { finished.wait() }
    }

    private static func validate(_ keys: Set<String>) throws(ZMQError) {
        if let bad = keys.first(where: { !Curve.isKey($0) }) {
            throw ZMQError.invalidArgument.during("ZAPHandler: \"\(bad)\" is not a 40-character Z85 key")
        }
    }

    private final class State: @unchecked Sendable {
        let lock = Lock()
        var keys: Set<String>
        var stopping = false
        let onDecision: (@Sendable (Decision) -> Void)?

        init(keys: Set<String>, onDecision: (@Sendable (Decision) -> Void)?) {
            self.keys = keys
            self.onDecision = onDecision
        }

        var shouldStop: Bool { lock.withLock { stopping } }
    }

    private static func serve(_ socket: Socket, _ state: State) {
        defer { socket.close() }
        while !state.shouldStop {
            do {
                guard let request = try socket.receive() else { continue }  // timeout: check stop
                try socket.send(answer(request, state))
            } catch {
                return  // context terminated or socket closed
            }
        }
    }

    /// Request: version, request id, domain, address, routing id, mechanism, credentials…
    /// Reply: version, request id, status code, status text, user id, metadata.
    private static func answer(_ request: [[UInt8]], _ state: State) -> [[UInt8]] {
        let requestID = request.count > 1 ? request[1] : []
        func reply(_ code: String, _ text: String, user: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), requestID, Array(code.utf8), Array(text.utf8), Array(user.utf8), []]
        }
        guard request.count >= 6, request[0] == Array("1.0".utf8) else {
            return reply("500", "Malformed ZAP request")
        }
        let text = { (frame: [UInt8]) in String(decoding: frame, as: UTF8.self) }
        let mechanism = text(request[5])
        let publicKey = mechanism == "CURVE" && request.count >= 7 ? try? Curve.z85(request[6]) : nil
        let accepted = publicKey.map { key in state.lock.withLock { state.keys.contains(key) } } ?? false
        state.onDecision?(Decision(publicKey: publicKey, address: text(request[3]),
                                   domain: text(request[2]), accepted: accepted))
        if accepted { return reply("200", "OK", user: publicKey!) }
        return reply("400", publicKey == nil ? "CURVE required" : "Unknown key")
    }
}
