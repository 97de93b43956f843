import Foundation
import Testing
@testable import ZeroMQ

@Suite("ZAPHandler", .enabled(if: zmqHasCurve)) struct ZAPHandlerTests {
    @Test func admitsOnlyAuthorizedKeys() throws {
        let server = try Curve.keyPair()
        let friend = try Curve.keyPair()
        let stranger = try Curve.keyPair()
        let context = try Context()
        defer { context.terminate() }
        let decisions = Decisions()
        let zap = try ZAPHandler(context: context, authorizedKeys: [friend.publicKey]) { decisions.append($0) }
        defer { zap.stop() }
        let router = try curveRouter(in: context, secretKey: server.secretKey)

        let strangerSocket = try curveDealer(in: context, to: router.endpoint, serverKey: server.publicKey, keys: stranger)
        try strangerSocket.send(["from stranger"], dontWait: true)
        #expect(try receive(router.socket, within: 1000) == nil)

        let friendSocket = try curveDealer(in: context, to: router.endpoint, serverKey: server.publicKey, keys: friend)
        try friendSocket.send(["from friend"])
        #expect(try receive(router.socket)?.last == bytes("from friend"))
        #expect(try receive(router.socket, within: 300) == nil)  // the stranger's message never comes

        let seen = decisions.all
        #expect(seen.contains { $0.publicKey == friend.publicKey && $0.accepted })
        #expect(seen.contains { $0.publicKey == stranger.publicKey && !$0.accepted })
        #expect(seen.allSatisfy { $0.address == "127.0.0.1" })
    }

    @Test func keysCanChangeWhileRunning() throws {
        let server = try Curve.keyPair()
        let late = try Curve.keyPair()
        let context = try Context()
        defer { context.terminate() }
        let zap = try ZAPHandler(context: context, authorizedKeys: [])
        let router = try curveRouter(in: context, secretKey: server.secretKey)

        try zap.setAuthorizedKeys([late.publicKey])
        #expect(zap.authorizedKeys == [late.publicKey])
        let dealer = try curveDealer(in: context, to: router.endpoint, serverKey: server.publicKey, keys: late)
        try dealer.send(["hello"])
        #expect(try receive(router.socket)?.last == bytes("hello"))
        #expect(throws: ZMQError.invalidArgument) { try zap.setAuthorizedKeys(["not a key"]) }
        zap.stop()
        zap.stop()  // idempotent
    }

    @Test func oneHandlerPerContext() throws {
        let context = try Context()
        defer { context.terminate() }
        let zap = try ZAPHandler(context: context, authorizedKeys: [])
        defer { zap.stop() }
        #expect(throws: ZMQError.addressInUse) { try ZAPHandler(context: context, authorizedKeys: []) }
    }

    @Test func terminatingTheContextStopsTheHandler() throws {
        let context = try Context()
        let zap = try ZAPHandler(context: context, authorizedKeys: [])
        #expect(finishes(within: 5) { context.terminate() })
        #expect(finishes(within: 5) { zap.stop() })
    }
}

final class Decisions: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [ZAPHandler.Decision] = []
    func append(_ decision: ZAPHandler.Decision) { lock.withLock { stored.append(decision) } }
    var all: [ZAPHandler.Decision] { lock.withLock { stored } }
}
