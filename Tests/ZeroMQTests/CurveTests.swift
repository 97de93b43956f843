import Foundation
import Testing
@testable import ZeroMQ

@Suite("CURVE", .enabled(if: zmqHasCurve)) struct CurveTests {
    @Test func keyPairsAreZ85AndConsistent() throws {
        let pair = try Curve.keyPair()
        #expect(pair.publicKey.utf8.count == 40 && Curve.isKey(pair.publicKey))
        #expect(pair.secretKey.utf8.count == 40 && Curve.isKey(pair.secretKey))
        #expect(try Curve.publicKey(fromSecret: pair.secretKey) == pair.publicKey)
        #expect(try Curve.keyPair().publicKey != pair.publicKey)
        #expect(throws: ZMQError.invalidArgument) { try Curve.publicKey(fromSecret: "too short") }
    }

    @Test func z85OfBinaryKeys() throws {
        // ZeroMQ RFC 32's test vector.
        let bytes: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(try LibZMQ.z85Encode(bytes) == "HelloWorld")
        #expect(throws: ZMQError.invalidArgument) { try Curve.z85([1, 2, 3]) }
    }

    @Test func clientWithTheServerKeyExchangesMessages() throws {
        let server = try Curve.keyPair()
        let context = try Context()
        defer { context.terminate() }
        let router = try curveRouter(in: context, secretKey: server.secretKey)
        let dealer = try curveDealer(in: context, to: router.endpoint, serverKey: server.publicKey,
                                     keys: try Curve.keyPair())
        try dealer.send(["secret hello"])
        let request = try #require(try receive(router.socket))
        #expect(request.last == bytes("secret hello"))
        try router.socket.send([request[0], bytes("secret reply")])
        #expect(try receive(dealer) == [bytes("secret reply")])
    }

    @Test func wrongServerKeyOrPlaintextGetsNothing() throws {
        let server = try Curve.keyPair()
        let context = try Context()
        defer { context.terminate() }
        let router = try curveRouter(in: context, secretKey: server.secretKey)
        let wrongKey = try curveDealer(in: context, to: router.endpoint, serverKey: try Curve.keyPair().publicKey,
                                       keys: try Curve.keyPair())
        try wrongKey.send(["wrong key"], dontWait: true)
        let plaintext = try context.socket(.dealer)
        try plaintext.connect(router.endpoint)
        try plaintext.send(["plaintext"], dontWait: true)
        #expect(try receive(router.socket, within: 1000) == nil)
    }
}
