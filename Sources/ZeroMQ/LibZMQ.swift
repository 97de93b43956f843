import CZeroMQ

/// Every libzmq call of the package, each turned into a Swift function that
/// throws `ZMQError` with the errno it left. No other file calls `zmq_*`.
/// Handles are passed in; the classes that own them decide when they are valid.
enum LibZMQ {
    typealias Handle = UnsafeMutableRawPointer

    static func describe(errno: Int32) -> String { String(cString: zmq_strerror(errno)) }

    private static func failure(_ operation: @autoclosure () -> String) -> ZMQError {
        ZMQError(errno: zmq_errno(), operation: operation())
    }

    private static func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(ZMQError) {
        if rc < 0 { throw failure(operation()) }
    }

    // MARK: Library

    static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    static func has(_ capability: String) -> Bool { zmq_has(capability) != 0 }

    // MARK: Context

    static func newContext(blocky: Bool) throws(ZMQError) -> Handle {
        guard let context = zmq_ctx_new() else { throw failure("zmq_ctx_new") }
        if zmq_ctx_set(context, ZMQ_BLOCKY, blocky ? 1 : 0) < 0 {
            let error = failure("zmq_ctx_set(ZMQ_BLOCKY)")
            zmq_ctx_term(context)
            throw error
        }
        return context
    }

    /// Makes every blocking call on the context's sockets fail with ETERM.
    static func shutdownContext(_ context: Handle) { zmq_ctx_shutdown(context) }

    /// Waits until every socket of the context is closed, then frees it.
    static func terminateContext(_ context: Handle) {
        while zmq_ctx_term(context) < 0 && zmq_errno() == EINTR {}
    }

    // MARK: Socket

    static func newSocket(_ context: Handle, type: SocketType) throws(ZMQError) -> Handle {
        let cType: Int32 = switch type {
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .pair: ZMQ_PAIR
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        }
        guard let socket = zmq_socket(context, cType) else { throw failure("socket(\(type))") }
        return socket
    }

    static func closeSocket(_ socket: Handle) { zmq_close(socket) }

    static func bind(_ socket: Handle, _ endpoint: String) throws(ZMQError) {
        try check(zmq_bind(socket, endpoint), "bind(\(endpoint))")
    }

    static func unbind(_ socket: Handle, _ endpoint: String) throws(ZMQError) {
        try check(zmq_unbind(socket, endpoint), "unbind(\(endpoint))")
    }

    static func connect(_ socket: Handle, _ endpoint: String) throws(ZMQError) {
        try check(zmq_connect(socket, endpoint), "connect(\(endpoint))")
    }

    static func disconnect(_ socket: Handle, _ endpoint: String) throws(ZMQError) {
        try check(zmq_disconnect(socket, endpoint), "disconnect(\(endpoint))")
    }

    // MARK: Socket options

    /// A `ZMQ_*` socket option number, with the name used in error messages.
    struct Option {
        let value: Int32
        let name: String
        static let linger = Option(value: ZMQ_LINGER, name: "ZMQ_LINGER")
        static let routingID = Option(value: ZMQ_ROUTING_ID, name: "ZMQ_ROUTING_ID")
        static let subscribe = Option(value: ZMQ_SUBSCRIBE, name: "ZMQ_SUBSCRIBE")
        static let unsubscribe = Option(value: ZMQ_UNSUBSCRIBE, name: "ZMQ_UNSUBSCRIBE")
        static let routerMandatory = Option(value: ZMQ_ROUTER_MANDATORY, name: "ZMQ_ROUTER_MANDATORY")
        static let routerHandover = Option(value: ZMQ_ROUTER_HANDOVER, name: "ZMQ_ROUTER_HANDOVER")
        static let maxMessageSize = Option(value: ZMQ_MAXMSGSIZE, name: "ZMQ_MAXMSGSIZE")
        static let sendHighWaterMark = Option(value: ZMQ_SNDHWM, name: "ZMQ_SNDHWM")
        static let receiveHighWaterMark = Option(value: ZMQ_RCVHWM, name: "ZMQ_RCVHWM")
        static let sendTimeout = Option(value: ZMQ_SNDTIMEO, name: "ZMQ_SNDTIMEO")
        static let receiveTimeout = Option(value: ZMQ_RCVTIMEO, name: "ZMQ_RCVTIMEO")
        static let reconnectInterval = Option(value: ZMQ_RECONNECT_IVL, name: "ZMQ_RECONNECT_IVL")
        static let reconnectIntervalMax = Option(value: ZMQ_RECONNECT_IVL_MAX, name: "ZMQ_RECONNECT_IVL_MAX")
        static let heartbeatInterval = Option(value: ZMQ_HEARTBEAT_IVL, name: "ZMQ_HEARTBEAT_IVL")
        static let heartbeatTimeout = Option(value: ZMQ_HEARTBEAT_TIMEOUT, name: "ZMQ_HEARTBEAT_TIMEOUT")
        static let heartbeatTTL = Option(value: ZMQ_HEARTBEAT_TTL, name: "ZMQ_HEARTBEAT_TTL")
        static let handshakeInterval = Option(value: ZMQ_HANDSHAKE_IVL, name: "ZMQ_HANDSHAKE_IVL")
        static let connectTimeout = Option(value: ZMQ_CONNECT_TIMEOUT, name: "ZMQ_CONNECT_TIMEOUT")
        static let immediate = Option(value: ZMQ_IMMEDIATE, name: "ZMQ_IMMEDIATE")
        static let curveServer = Option(value: ZMQ_CURVE_SERVER, name: "ZMQ_CURVE_SERVER")
        static let curvePublicKey = Option(value: ZMQ_CURVE_PUBLICKEY, name: "ZMQ_CURVE_PUBLICKEY")
        static let curveSecretKey = Option(value: ZMQ_CURVE_SECRETKEY, name: "ZMQ_CURVE_SECRETKEY")
        static let curveServerKey = Option(value: ZMQ_CURVE_SERVERKEY, name: "ZMQ_CURVE_SERVERKEY")
        static let zapDomain = Option(value: ZMQ_ZAP_DOMAIN, name: "ZMQ_ZAP_DOMAIN")
        static let lastEndpoint = Option(value: ZMQ_LAST_ENDPOINT, name: "ZMQ_LAST_ENDPOINT")
        static let fileDescriptor = Option(value: ZMQ_FD, name: "ZMQ_FD")
        static let events = Option(value: ZMQ_EVENTS, name: "ZMQ_EVENTS")
        static let receiveMore = Option(value: ZMQ_RCVMORE, name: "ZMQ_RCVMORE")
    }

    static func setOption(_ socket: Handle, _ option: Option, _ value: Int32) throws(ZMQError) {
        var value = value
        try check(zmq_setsockopt(socket, option.value, &value, MemoryLayout<Int32>.size),
                  "setsockopt(\(option.name), \(value))")
    }

    static func setOption(_ socket: Handle, _ option: Option, _ value: Int64) throws(ZMQError) {
        var value = value
        try check(zmq_setsockopt(socket, option.value, &value, MemoryLayout<Int64>.size),
                  "setsockopt(\(option.name), \(value))")
    }

    /// Sets a binary or string option from exactly these bytes (no terminating NUL).
    static func setOption(_ socket: Handle, _ option: Option, bytes: some Collection<UInt8>) throws(ZMQError) {
        let bytes = Array(bytes)
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(socket, option.value, $0.baseAddress, $0.count) }
        try check(rc, "setsockopt(\(option.name), \(bytes.count) bytes)")
    }

    static func getInt32(_ socket: Handle, _ option: Option) throws(ZMQError) -> Int32 {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try check(zmq_getsockopt(socket, option.value, &value, &size), "getsockopt(\(option.name))")
        return value
    }

    static func getInt64(_ socket: Handle, _ option: Option) throws(ZMQError) -> Int64 {
        var value: Int64 = 0
        var size = MemoryLayout<Int64>.size
        try check(zmq_getsockopt(socket, option.value, &value, &size), "getsockopt(\(option.name))")
        return value
    }

    /// A NUL-terminated string option (endpoints are at most a few hundred bytes).
    static func getString(_ socket: Handle, _ option: Option) throws(ZMQError) -> String {
        var buffer = [UInt8](repeating: 0, count: 1024)
        var size = buffer.count
        try check(zmq_getsockopt(socket, option.value, &buffer, &size), "getsockopt(\(option.name))")
        let length = buffer.prefix(size).firstIndex(of: 0) ?? size
        return String(decoding: buffer[..<length], as: UTF8.self)
    }

    static func events(_ socket: Handle) throws(ZMQError) -> (readable: Bool, writable: Bool) {
        let events = try getInt32(socket, .events)
        return (events & ZMQ_POLLIN != 0, events & ZMQ_POLLOUT != 0)
    }

    // MARK: Messages

    /// Sends one frame (libzmq copies it). `more` marks it as not the last of its message.
    static func sendFrame(_ socket: Handle, _ bytes: UnsafeRawBufferPointer, more: Bool, dontWait: Bool) throws(ZMQError) {
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        try check(zmq_send(socket, bytes.baseAddress, bytes.count, flags), "send")
    }

    /// Receives one whole multipart message into a `zmq_msg_t`, so no frame is
    /// truncated; each frame is copied once into its array. Returns nil on EAGAIN
    /// before the first frame (`dontWait`, or ZMQ_RCVTIMEO expired).
    static func receiveMessage(_ socket: Handle, dontWait: Bool) throws(ZMQError) -> [[UInt8]]? {
        try withUnsafeTemporaryAllocation(of: zmq_msg_t.self, capacity: 1) { buffer throws(ZMQError) -> [[UInt8]]? in
            let message = buffer.baseAddress!
            zmq_msg_init(message)
            defer { zmq_msg_close(message) }
            var frames: [[UInt8]] = []
            var flags = dontWait ? ZMQ_DONTWAIT : 0
            while true {
                if zmq_msg_recv(message, socket, flags) < 0 {
                    let error = failure("receive")
                    if frames.isEmpty && error == .again { return nil }
                    // The rest of a multipart message is already queued: finish it.
                    if !frames.isEmpty && error == .interrupted { continue }
                    throw error
                }
                let size = zmq_msg_size(message)
                if size == 0 {
                    // Not through unsafeUninitializedCapacity: for 0 it writes the count
                    // into the shared empty-array storage, a (benign) race TSan reports.
                    frames.append([])
                } else {
                    let data = zmq_msg_data(message)!.assumingMemoryBound(to: UInt8.self)
                    frames.append([UInt8](unsafeUninitializedCapacity: size) { frame, count in
                        frame.baseAddress!.initialize(from: data, count: size)
                        count = size
                    })
                }
                if zmq_msg_more(message) == 0 { return frames }
                flags = 0
            }
        }
    }

    // MARK: Poll

    /// One entry of `zmq_poll`: a socket handle or a plain file descriptor.
    struct PollEntry {
        var socket: Handle?
        var fileDescriptor: Int32
        var readable: Bool
        var writable: Bool
    }

    /// `zmq_poll`; EINTR returns all-false so callers can check a stop flag. A plain file
    /// descriptor whose other end hung up (a pipe whose writer exited) or that failed is
    /// readable: zmq_poll says POLLERR there, not POLLIN, and a read then gives the EOF or error.
    static func poll(_ entries: [PollEntry], timeoutMilliseconds: Int) throws(ZMQError) -> [(readable: Bool, writable: Bool)] {
        var items = entries.map { entry in
            zmq_pollitem_t(socket: entry.socket, fd: entry.fileDescriptor,
                           events: Int16((entry.readable ? ZMQ_POLLIN : 0) | (entry.writable ? ZMQ_POLLOUT : 0)),
                           revents: 0)
        }
        let rc = zmq_poll(&items, Int32(items.count), timeoutMilliseconds)
        if rc < 0 {
            let error = failure("poll")
            if error == .interrupted { return entries.map { _ in (false, false) } }
            throw error
        }
        return zip(entries, items).map { entry, item in
            let readable = entry.socket == nil && entry.readable ? ZMQ_POLLIN | ZMQ_POLLERR : ZMQ_POLLIN
            return (Int32(item.revents) & readable != 0, Int32(item.revents) & ZMQ_POLLOUT != 0)
        }
    }

    // MARK: CURVE and Z85

    static func curveKeyPair() throws(ZMQError) -> (publicKey: String, secretKey: String) {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        try check(zmq_curve_keypair(&publicKey, &secretKey), "zmq_curve_keypair")
        return (cString(publicKey), cString(secretKey))
    }

    static func curvePublicKey(fromSecret secretKey: String) throws(ZMQError) -> String {
        var publicKey = [CChar](repeating: 0, count: 41)
        try check(zmq_curve_public(&publicKey, secretKey), "zmq_curve_public")
        return cString(publicKey)
    }

    /// Z85 text of `bytes` (length a multiple of 4), e.g. a 32-byte CURVE key → 40 chars.
    static func z85Encode(_ bytes: [UInt8]) throws(ZMQError) -> String {
        var text = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        guard zmq_z85_encode(&text, bytes, bytes.count) != nil else {
            throw ZMQError.invalidArgument.during("zmq_z85_encode(\(bytes.count) bytes)")
        }
        return cString(text)
    }

    private static func cString(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
