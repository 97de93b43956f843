import Testing
@testable import SweepEngine

/// Buffers placed at a chosen offset into a page (PageOffsetBuffer), as a recurrent layer's are:
/// the offset holds when the tensor grows, and the data is zeroed and usable to its end.
@Suite struct PageOffsetTests {
    @Test(arguments: [0, 64, 1280, 4032])
    func tensorsKeepTheirPageOffset(offset: Int) {
        let t = Tensor(shape: [3], pageOffset: offset)
        #expect(Int(bitPattern: t.data) % 4096 == offset)
        for count in [1000, 300_000] {
            t.reshape([count])
            #expect(Int(bitPattern: t.data) % 4096 == offset, "after growing to \(count)")
            #expect(t.buffer.allSatisfy { $0 == 0 })
            for i in 0..<count { t[i] = Float(i) }
            #expect(t[count - 1] == Float(count - 1))
        }
    }

    @Test func tensorsWithoutAnOffsetStartOnALine() {
        let t = Tensor(shape: [300_000])
        #expect(Int(bitPattern: t.data) % 64 == 0)
    }
}
