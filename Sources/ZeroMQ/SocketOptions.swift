/// Typed socket options. Times are milliseconds; values that do not fit the
/// C `int` libzmq expects throw `.invalidArgument`. Options that affect
/// connections (identity, CURVE, MAXMSGSIZE, heartbeats…) must be set
/// before `bind`/`connect`.
extension Socket {
    func set(_ option: LibZMQ.Option, _ value: Int) throws(ZMQError) {
        guard let value = Int32(exactly: value) else {
            throw ZMQError.invalidArgument.during("setsockopt(\(option.name), \(value))")
        }
        try withHandle(option.name) { handle throws(ZMQError) in try LibZMQ.setOption(handle, option, value) }
    }

    func set(_ option: LibZMQ.Option, _ value: Bool) throws(ZMQError) {
        try set(option, value ? 1 : 0)
    }

    func set(_ option: LibZMQ.Option, bytes: some Collection<UInt8>) throws(ZMQError) {
        try withHandle(option.name) { handle throws(ZMQError) in try LibZMQ.setOption(handle, option, bytes: bytes) }
    }

    func getInt(_ option: LibZMQ.Option) throws(ZMQError) -> Int {
        Int(try withHandle(option.name) { handle throws(ZMQError) in try LibZMQ.getInt32(handle, option) })
    }

    // MARK: Queues and timing

    /// How long `close` waits to deliver queued messages (−1 = forever, 0 = drop).
    public func setLinger(milliseconds: Int) throws(ZMQError) { try set(.linger, milliseconds) }
    public var linger: Int { get throws(ZMQError) { try getInt(.linger) } }

    public func setSendHighWaterMark(_ messages: Int) throws(ZMQError) { try set(.sendHighWaterMark, messages) }
    public func setReceiveHighWaterMark(_ messages: Int) throws(ZMQError) { try set(.receiveHighWaterMark, messages) }

    /// After this long a blocking `receive` returns nil (−1 = never).
    public func setReceiveTimeout(milliseconds: Int) throws(ZMQError) { try set(.receiveTimeout, milliseconds) }
    /// After this long a blocking `send` throws `.again` (−1 = never).
    public func setSendTimeout(milliseconds: Int) throws(ZMQError) { try set(.sendTimeout, milliseconds) }

    /// Reconnect after `milliseconds`, doubling up to `max` (0 = no backoff).
    public func setReconnectInterval(milliseconds: Int, max: Int) throws(ZMQError) {
        try set(.reconnectInterval, milliseconds)
        try set(.reconnectIntervalMax, max)
    }

    /// ZMTP heartbeats: PING every `interval` ms; drop the connection when nothing
    /// arrives for `timeout` ms; ask the peer to drop us after `ttl` ms (0…6,553,599).
    public func setHeartbeat(interval: Int, timeout: Int, ttl: Int) throws(ZMQError) {
        try set(.heartbeatInterval, interval)
        try set(.heartbeatTimeout, timeout)
        try set(.heartbeatTTL, ttl)
    }

    /// Time allowed for the ZMTP (and CURVE) handshake (0 = forever).
    public func setHandshakeInterval(milliseconds: Int) throws(ZMQError) { try set(.handshakeInterval, milliseconds) }
    /// Time allowed for a TCP connect before it is retried (0 = system default).
    public func setConnectTimeout(milliseconds: Int) throws(ZMQError) { try set(.connectTimeout, milliseconds) }

    /// Queue messages only to completed connections, so a send with no live
    /// peer blocks or throws `.again` instead of waiting in a dead pipe.
    public func setImmediate(_ on: Bool) throws(ZMQError) { try set(.immediate, on) }

    // MARK: Routing

    /// ZMQ_ROUTING_ID: the identity a ROUTER peer sees as the first frame (1–255 bytes).
    public func setIdentity(_ bytes: [UInt8]) throws(ZMQError) { try set(.routingID, bytes: bytes) }

    /// ROUTER: sending to an unknown routing id throws `.hostUnreachable`
    /// instead of dropping the message silently.
    public func setRouterMandatory(_ on: Bool) throws(ZMQError) { try set(.routerMandatory, on) }

    /// ROUTER: a new peer with a routing id already in use takes it over
    /// (a reconnecting worker) instead of being refused.
    public func setRouterHandover(_ on: Bool) throws(ZMQError) { try set(.routerHandover, on) }

    /// Peers sending a frame larger than this are disconnected (−1 = no limit).
    public func setMaxMessageSize(_ bytes: Int64) throws(ZMQError) {
        try withHandle(LibZMQ.Option.maxMessageSize.name) { handle throws(ZMQError) in
            try LibZMQ.setOption(handle, .maxMessageSize, bytes)
        }
    }

    public var maxMessageSize: Int64 {
        get throws(ZMQError) {
            try withHandle(LibZMQ.Option.maxMessageSize.name) { handle throws(ZMQError) in
                try LibZMQ.getInt64(handle, .maxMessageSize)
            }
        }
    }

    /// SUB: receive messages whose first frame starts with `prefix` (empty = all).
    public func subscribe(_ prefix: [UInt8] = []) throws(ZMQError) { try set(.subscribe, bytes: prefix) }
    public func unsubscribe(_ prefix: [UInt8] = []) throws(ZMQError) { try set(.unsubscribe, bytes: prefix) }

    // MARK: Security

    /// Makes this socket a CURVE server with its Z85 secret key (40 characters).
    public func setCurveServer(secretKey: String) throws(ZMQError) {
        try set(.curveServer, true)
        try set(.curveSecretKey, bytes: secretKey.utf8)
    }

    /// Makes this socket a CURVE client of the server whose Z85 public key is
    /// `serverKey`, with its own Z85 key pair.
    public func setCurveClient(serverKey: String, publicKey: String, secretKey: String) throws(ZMQError) {
        try set(.curveServerKey, bytes: serverKey.utf8)
        try set(.curvePublicKey, bytes: publicKey.utf8)
        try set(.curveSecretKey, bytes: secretKey.utf8)
    }

    /// The ZAP domain sent to the handler at inproc://zeromq.zap.01.
    public func setZapDomain(_ domain: String) throws(ZMQError) { try set(.zapDomain, bytes: domain.utf8) }

    // MARK: State

    /// ZMQ_FD: becomes readable when `events` may have changed (edge-triggered).
    public var fileDescriptor: Int32 {
        get throws(ZMQError) {
            try withHandle(LibZMQ.Option.fileDescriptor.name) { handle throws(ZMQError) in
                try LibZMQ.getInt32(handle, .fileDescriptor)
            }
        }
    }

    /// ZMQ_EVENTS: whether a message can be received / sent without blocking now.
    public var events: (readable: Bool, writable: Bool) {
        get throws(ZMQError) {
            try withHandle(LibZMQ.Option.events.name) { handle throws(ZMQError) in try LibZMQ.events(handle) }
        }
    }

    /// ZMQ_RCVMORE; always false between `receive` calls, which take whole messages.
    public var hasMoreToReceive: Bool { get throws(ZMQError) { try getInt(.receiveMore) != 0 } }
}
