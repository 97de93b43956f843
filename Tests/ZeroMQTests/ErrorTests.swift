import Foundation
import Testing
@testable import ZeroMQ

@Suite("Errors") struct ErrorTests {
    @Test func badEndpointKeepsErrnoAndDescription() throws {
        let context = try Context()
        defer { context.terminate() }
        let socket = try context.socket(.dealer)
        do {
            try socket.connect("foo://x")
            Issue.record("connect(foo://x) succeeded")
        } catch {
            #expect(error.errno == EPROTONOSUPPORT || error.errno == EINVAL)
            #expect(error.operation == "connect(foo://x)")
            #expect(!error.message.isEmpty)
            #expect(error.description.contains("foo://x"))
            #expect(error.description.contains(error.message))
        }
        #expect(throws: ZMQError.self) { try socket.bind("tcp://not an address") }
    }

    @Test func unbindingWhatIsNotBound() throws {
        let context = try Context()
        defer { context.terminate() }
        let socket = try context.socket(.router)
        #expect(throws: ZMQError.notFound) { try socket.unbind("tcp://127.0.0.1:1") }
    }

    @Test func closedSocketThrowsNotSocket() throws {
        let pair = try RouterDealerPair(.inproc)
        defer { pair.close() }
        pair.dealer.close()
        pair.dealer.close()  // idempotent
        #expect(pair.dealer.isClosed)
        #expect(throws: ZMQError.notSocket) { try pair.dealer.send(["x"]) }
        #expect(throws: ZMQError.notSocket) { try pair.dealer.receive(dontWait: true) }
        #expect(throws: ZMQError.notSocket) { try pair.dealer.connect(pair.endpoint) }
        #expect(throws: ZMQError.notSocket) { try pair.dealer.setLinger(milliseconds: 0) }
        #expect(throws: ZMQError.notSocket) { try pair.dealer.lastEndpoint }
        #expect(throws: ZMQError.notSocket) { try poll([PollItem(pair.dealer)], timeoutMilliseconds: 0) }
    }

    @Test func untypedCatchMatchesByErrno() throws {
        func failing() throws { throw ZMQError(errno: EAGAIN, operation: "send") }
        do {
            try failing()
        } catch ZMQError.again {
            // matched through ~=
        } catch {
            Issue.record("\(error) did not match .again")
        }
        #expect(ZMQError(errno: ZMQError.terminated.errno, operation: "x") == .terminated)
        #expect(ZMQError.terminated.errno != EAGAIN)
    }

    @Test func optionValuesOutOfRangeAreRefused() throws {
        let context = try Context()
        defer { context.terminate() }
        let socket = try context.socket(.dealer)
        #expect(throws: ZMQError.invalidArgument) { try socket.setLinger(milliseconds: Int(Int32.max) + 1) }
        #expect(throws: ZMQError.invalidArgument) { try socket.setHeartbeat(interval: 100, timeout: 300, ttl: 10_000_000) }
    }
}
