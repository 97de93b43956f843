/// What to watch in one `poll` call: a socket, or a plain file descriptor
/// (a self-pipe for signals, say).
public struct PollItem {
    enum Target {
        case socket(Socket)
        case fileDescriptor(Int32)
    }

    let target: Target
    public let readable: Bool
    public let writable: Bool

    public init(_ socket: Socket, readable: Bool = true, writable: Bool = false) {
        self.target = .socket(socket)
        self.readable = readable
        self.writable = writable
    }

    public init(fileDescriptor: Int32, readable: Bool = true, writable: Bool = false) {
        self.target = .fileDescriptor(fileDescriptor)
        self.readable = readable
        self.writable = writable
    }
}

/// Waits until one of `items` is ready or `timeoutMilliseconds` pass (−1 = forever,
/// 0 = just look). Returns, per item, whether it is readable and writable.
///
/// A signal (EINTR) returns all-false instead of throwing, so loops can check a
/// stop flag. A closed socket throws `.notSocket`; a terminated context
/// `.terminated`. The sockets' locks are held while waiting.
public func poll(_ items: [PollItem], timeoutMilliseconds: Int) throws(ZMQError) -> [(readable: Bool, writable: Bool)] {
    // Lock each socket once, in a fixed order, so concurrent polls cannot deadlock.
    // Items are few: a linear scan finds repeats without hashing.
    var sockets: [Socket] = []
    for item in items {
        if case .socket(let socket) = item.target, !sockets.contains(where: { $0 === socket }) {
            sockets.append(socket)
        }
    }
    sockets.sort { ObjectIdentifier($0) < ObjectIdentifier($1) }
    for socket in sockets { socket.lock.lock() }
    defer { for socket in sockets { socket.lock.unlock() } }

    var entries: [LibZMQ.PollEntry] = []
    entries.reserveCapacity(items.count)
    for item in items {
        switch item.target {
        case .socket(let socket):
            guard let handle = socket.lockedHandle else { throw ZMQError.notSocket.during("poll") }
            entries.append(.init(socket: handle, fileDescriptor: 0, readable: item.readable, writable: item.writable))
        case .fileDescriptor(let fd):
            entries.append(.init(socket: nil, fileDescriptor: fd, readable: item.readable, writable: item.writable))
        }
    }
    return try LibZMQ.poll(entries, timeoutMilliseconds: timeoutMilliseconds)
}
