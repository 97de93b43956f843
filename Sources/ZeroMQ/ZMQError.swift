import CZeroMQ  // errno constants only (ETERM, EFSM, … exist only in zmq.h); no zmq_ calls here

/// A failed libzmq call: the errno it left, and which call it was.
///
/// Errors compare by `errno` alone, so `catch ZMQError.again` and
/// `error == .hostUnreachable` work whatever the operation was.
public struct ZMQError: Error, Hashable, Sendable, CustomStringConvertible {
    public let errno: Int32
    /// The call that failed, e.g. `connect(foo://x)`; empty for the constants below.
    public let operation: String

    public init(errno: Int32, operation: String = "") {
        self.errno = errno
        self.operation = operation
    }

    /// The same errno, naming the call that failed.
    public func during(_ operation: String) -> ZMQError {
        ZMQError(errno: errno, operation: operation)
    }

    /// libzmq's text for the errno (`zmq_strerror`).
    public var message: String { LibZMQ.describe(errno: errno) }

    public var description: String {
        operation.isEmpty ? "\(message) (errno \(errno))" : "\(operation): \(message) (errno \(errno))"
    }

    public static func == (a: ZMQError, b: ZMQError) -> Bool { a.errno == b.errno }
    public func hash(into hasher: inout Hasher) { hasher.combine(errno) }

    /// Lets `catch ZMQError.again` match inside untyped `catch` clauses.
    public static func ~= (pattern: ZMQError, value: any Error) -> Bool {
        (value as? ZMQError)?.errno == pattern.errno
    }

    /// Nothing to receive / cannot send now (`dontWait`, a timeout, or a full queue).
    public static let again = ZMQError(errno: EAGAIN)
    /// A signal arrived during a blocking call.
    public static let interrupted = ZMQError(errno: EINTR)
    /// The context was shut down or terminated.
    public static let terminated = ZMQError(errno: ETERM)
    /// ROUTER_MANDATORY: no peer with that routing id.
    public static let hostUnreachable = ZMQError(errno: EHOSTUNREACH)
    public static let messageTooLarge = ZMQError(errno: EMSGSIZE)
    /// The socket was closed (or never was a socket).
    public static let notSocket = ZMQError(errno: ENOTSOCK)
    public static let invalidArgument = ZMQError(errno: EINVAL)
    /// Unknown transport in an endpoint (`foo://x`).
    public static let protocolNotSupported = ZMQError(errno: EPROTONOSUPPORT)
    public static let noCompatibleProtocol = ZMQError(errno: ENOCOMPATPROTO)
    public static let addressInUse = ZMQError(errno: EADDRINUSE)
    public static let addressNotAvailable = ZMQError(errno: EADDRNOTAVAIL)
    /// Binding a non-local interface, or connecting inproc to nothing on old libzmq.
    public static let noDevice = ZMQError(errno: ENODEV)
    /// `unbind`/`disconnect` of an endpoint that is not bound/connected.
    public static let notFound = ZMQError(errno: ENOENT)
    public static let notSupported = ZMQError(errno: ENOTSUP)
    /// The socket type does not allow this now (REQ sending twice, …).
    public static let wrongState = ZMQError(errno: EFSM)
    public static let tooManyOpenFiles = ZMQError(errno: EMFILE)
}
