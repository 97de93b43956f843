import Foundation
import Testing
@testable import ZeroMQ

@Suite("poll") struct PollTests {
    @Test func timesOutWhenNothingArrives() throws {
        let pair = try RouterDealerPair(.inproc)
        defer { pair.close() }
        let start = ContinuousClock.now
        let result = try poll([PollItem(pair.router), PollItem(pair.dealer)], timeoutMilliseconds: 200)
        let elapsed = milliseconds(ContinuousClock.now - start)
        #expect(result.map(\.readable) == [false, false])
        #expect(elapsed >= 180 && elapsed < 2000, "polled for \(elapsed) ms")
    }

    @Test func becomesReadableAfterASend() throws {
        let pair = try RouterDealerPair(.tcp)
        defer { pair.close() }
        #expect(try poll([PollItem(pair.router)], timeoutMilliseconds: 0)[0].readable == false)
        try pair.dealer.send(["ping"])
        let result = try poll([PollItem(pair.dealer), PollItem(pair.router)], timeoutMilliseconds: 3000)
        #expect(result[0].readable == false)
        #expect(result[1].readable == true)
        #expect(try pair.router.events.readable)
        #expect(try pair.router.receive(dontWait: true)?.last == bytes("ping"))
    }

    @Test func reportsWritable() throws {
        let pair = try RouterDealerPair(.inproc)
        defer { pair.close() }
        let result = try poll([PollItem(pair.dealer, readable: false, writable: true)], timeoutMilliseconds: 1000)
        #expect(result[0].writable)
        #expect(!result[0].readable)
    }

    @Test func watchesPlainFileDescriptors() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let pair = try RouterDealerPair(.inproc)
        defer { pair.close() }
        let items = [PollItem(pair.router), PollItem(fileDescriptor: fds[0])]
        #expect(try poll(items, timeoutMilliseconds: 0).map(\.readable) == [false, false])
        #expect(write(fds[1], "x", 1) == 1)
        #expect(try poll(items, timeoutMilliseconds: 1000).map(\.readable) == [false, true])
    }

    /// A pipe whose writer is gone is readable (the read says EOF): zmq_poll reports the
    /// hang-up as POLLERR, and a worker that waited for POLLIN never saw its slot process die.
    @Test func aHungUpPipeIsReadable() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let items = [PollItem(fileDescriptor: fds[0])]
        #expect(try poll(items, timeoutMilliseconds: 0).map(\.readable) == [false])
        close(fds[1])
        #expect(try poll(items, timeoutMilliseconds: 1000).map(\.readable) == [true])
    }

    @Test func sameSocketTwiceDoesNotDeadlock() throws {
        let pair = try RouterDealerPair(.inproc)
        defer { pair.close() }
        let result = try poll([PollItem(pair.router), PollItem(pair.router, readable: false, writable: true)],
                              timeoutMilliseconds: 0)
        #expect(result.count == 2)
    }
}
