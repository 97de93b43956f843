import Foundation
import Testing
@testable import ZeroMQ

/// The three transports the coordinator and workers use.
enum Transport: String, CaseIterable, CustomTestStringConvertible {
    case inproc, ipc, tcp

    var testDescription: String { rawValue }

    /// An endpoint to bind that no other test uses.
    func freshEndpoint() -> String {
        let unique = UUID().uuidString.prefix(8)
        switch self {
        case .inproc: return "inproc://test-\(unique)"
        case .ipc: return "ipc://\(FileManager.default.temporaryDirectory.path)/zmq-test-\(unique).sock"
        case .tcp: return "tcp://127.0.0.1:*"
        }
    }
}

/// A bound ROUTER and a DEALER connected to it, in a fresh context.
struct RouterDealerPair {
    let context: Context
    let router: Socket
    let dealer: Socket
    let endpoint: String

    init(_ transport: Transport = .tcp, dealerIdentity: [UInt8]? = nil,
         configureRouter: (Socket) throws -> Void = { _ in }) throws {
        context = try Context()
        router = try context.socket(.router)
        try configureRouter(router)
        try router.bind(transport.freshEndpoint())
        endpoint = try router.lastEndpoint
        dealer = try context.socket(.dealer)
        if let dealerIdentity { try dealer.setIdentity(dealerIdentity) }
        try dealer.connect(endpoint)
    }

    func close() {
        context.terminate()
        if endpoint.hasPrefix("ipc://") { try? FileManager.default.removeItem(atPath: String(endpoint.dropFirst(6))) }
    }
}

/// Waits up to `milliseconds` for a whole message on `socket`.
func receive(_ socket: Socket, within milliseconds: Int = 3000) throws -> [[UInt8]]? {
    guard try poll([PollItem(socket)], timeoutMilliseconds: milliseconds)[0].readable else { return nil }
    return try socket.receive(dontWait: true)
}

/// Runs `body` on its own thread; false if it has not returned after `seconds`
/// (the thread is then abandoned — the test has failed anyway).
func finishes(within seconds: Double, _ body: @escaping @Sendable () -> Void) -> Bool {
    let done = DispatchSemaphore(value: 0)
    Thread {
        body()
        done.signal()
    }.start()
    return done.wait(timeout: .now() + seconds) == .success
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

typealias KeyPair = (publicKey: String, secretKey: String)

/// A ROUTER serving CURVE with `secretKey` on a fresh loopback port.
func curveRouter(in context: Context, secretKey: String) throws -> (socket: Socket, endpoint: String) {
    let router = try context.socket(.router)
    try router.setCurveServer(secretKey: secretKey)
    try router.bind("tcp://127.0.0.1:*")
    return (router, try router.lastEndpoint)
}

/// A DEALER connected to `endpoint` as a CURVE client of `serverKey` with `keys`.
/// Keep it referenced: a released socket closes and drops what it queued.
func curveDealer(in context: Context, to endpoint: String, serverKey: String, keys: KeyPair) throws -> Socket {
    let dealer = try context.socket(.dealer)
    try dealer.setCurveClient(serverKey: serverKey, publicKey: keys.publicKey, secretKey: keys.secretKey)
    try dealer.connect(endpoint)
    return dealer
}
