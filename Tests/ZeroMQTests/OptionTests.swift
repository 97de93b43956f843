import Foundation
import Testing
@testable import ZeroMQ

@Suite("Options") struct OptionTests {
    @Test func settersAcceptTypicalValues() throws {
        let context = try Context()
        defer { context.terminate() }
        let socket = try context.socket(.dealer)
        try socket.setLinger(milliseconds: 250)
        #expect(try socket.linger == 250)
        try socket.setSendHighWaterMark(10_000)
        try socket.setReceiveHighWaterMark(10_000)
        try socket.setSendTimeout(milliseconds: 100)
        try socket.setReceiveTimeout(milliseconds: 100)
        try socket.setReconnectInterval(milliseconds: 100, max: 5_000)
        try socket.setHeartbeat(interval: 1_000, timeout: 3_000, ttl: 3_000)
        try socket.setImmediate(true)
        try socket.setHandshakeInterval(milliseconds: 5_000)
        try socket.setConnectTimeout(milliseconds: 1_000)
        try socket.setIdentity(bytes("worker-7"))
        try socket.setMaxMessageSize(1 << 20)
        #expect(try socket.maxMessageSize == 1 << 20)
        #expect(try socket.fileDescriptor >= 0)
        #expect(try socket.hasMoreToReceive == false)

        let router = try context.socket(.router)
        try router.setRouterMandatory(true)
        try router.setRouterHandover(true)
        try router.setZapDomain("sweep")
    }

    @Test func newSocketsDoNotLingerUnlessBlocky() throws {
        let quick = try Context()
        defer { quick.terminate() }
        #expect(try quick.socket(.dealer).linger == 0)
        let blocky = try Context(blocky: true)
        defer { blocky.terminate() }
        #expect(try blocky.socket(.dealer).linger == -1)
    }

    @Test func versionAndCapabilities() {
        let version = zmqVersion
        #expect(version.major > 4 || (version.major == 4 && version.minor >= 3))
        _ = zmqHasCurve
    }

    /// Hostile input (issue 5): an oversized message is never delivered, and
    /// the connection comes back for messages within the limit.
    @Test func maxMessageSizeDropsOversizedMessages() throws {
        let pair = try RouterDealerPair(.tcp, dealerIdentity: bytes("peer")) { try $0.setMaxMessageSize(1024) }
        defer { pair.close() }
        try pair.dealer.setReconnectInterval(milliseconds: 50, max: 0)

        try pair.dealer.send([bytes("small")])
        #expect(try receive(pair.router)?.last == bytes("small"))

        try pair.dealer.send([[UInt8](repeating: 1, count: 4096)])
        #expect(try receive(pair.router, within: 500) == nil)

        // Messages queued while the connection was being dropped may be lost:
        // keep sending until one arrives on the new connection.
        var delivered: [[UInt8]]?
        let deadline = ContinuousClock.now + .seconds(5)
        while delivered == nil && ContinuousClock.now < deadline {
            try pair.dealer.send([bytes("again")], dontWait: true)
            delivered = try receive(pair.router, within: 100)
        }
        #expect(delivered == [bytes("peer"), bytes("again")])
        // Nothing of the oversized message trails behind.
        while let late = try receive(pair.router, within: 200) { #expect(late.last == bytes("again")) }
    }
}
