import Foundation
import Testing
@testable import ZeroMQ

@Suite("Context") struct ContextTests {
    @Test func terminateWithOpenSocketsDoesNotHang() throws {
        let context = try Context()
        let router = try context.socket(.router)
        try router.bind("tcp://127.0.0.1:*")
        let dealer = try context.socket(.dealer)
        try dealer.connect("tcp://127.0.0.1:1")  // nobody there: the message stays queued
        try dealer.send(["pending"], dontWait: true)
        let blocky = try Context(blocky: true)  // sockets that would linger forever
        let lingering = try blocky.socket(.dealer)
        try lingering.connect("tcp://127.0.0.1:1")
        try lingering.send(["pending"], dontWait: true)

        #expect(finishes(within: 5) { context.terminate() })
        #expect(finishes(within: 5) { blocky.terminate() })
        #expect(router.isClosed && dealer.isClosed && lingering.isClosed)
        #expect(throws: ZMQError.notSocket) { try router.receive(dontWait: true) }
        #expect(throws: ZMQError.terminated) { try context.socket(.dealer) }
        #expect(finishes(within: 5) { context.terminate() })  // idempotent
    }

    @Test func terminateWakesABlockedReceive() throws {
        let context = try Context()
        let socket = try context.socket(.pull)
        try socket.bind("inproc://blocked")
        let outcome = Outcome()
        let started = DispatchSemaphore(value: 0)
        let returned = DispatchSemaphore(value: 0)
        Thread {
            started.signal()
            do throws(ZMQError) {
                _ = try socket.receive()
            } catch {
                outcome.set(error)
            }
            returned.signal()
        }.start()
        started.wait()
        Thread.sleep(forTimeInterval: 0.1)  // let it block in zmq_msg_recv (no event says so; a later recv fails alike)
        #expect(finishes(within: 5) { context.terminate() })
        #expect(returned.wait(timeout: .now() + 5) == .success)
        #expect(outcome.error == .terminated)
    }

    @Test func shutdownWakesPollWithoutClosing() throws {
        let context = try Context()
        defer { context.terminate() }
        let socket = try context.socket(.pull)
        try socket.bind("inproc://shutdown")
        let outcome = Outcome()
        let returned = DispatchSemaphore(value: 0)
        Thread {
            do throws(ZMQError) {
                _ = try poll([PollItem(socket)], timeoutMilliseconds: -1)
            } catch {
                outcome.set(error)
            }
            returned.signal()
        }.start()
        // the one wait on time here: no event says "blocked in zmq_poll"; a poll entered
        // later returns .terminated all the same, so this only makes the test's case likely
        Thread.sleep(forTimeInterval: 0.1)
        context.shutdown()
        #expect(returned.wait(timeout: .now() + 5) == .success)
        #expect(outcome.error == .terminated)
        #expect(!socket.isClosed)
        socket.close()
    }

    @Test func socketsOutliveTheirLastContextReference() throws {
        let socket = try Context().socket(.pair)  // the socket keeps its context alive
        try socket.bind("inproc://orphan")
        // Closing, then releasing the last socket deinits the context, which terminates it.
        #expect(finishes(within: 5) { socket.close() })
    }
}

/// An error handed from a helper thread to the test.
final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: ZMQError?
    func set(_ error: ZMQError) { lock.withLock { stored = error } }
    var error: ZMQError? { lock.withLock { stored } }
}
