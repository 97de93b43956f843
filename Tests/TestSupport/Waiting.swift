import Foundation

/// Polls `condition` every `poll` seconds until it holds or `timeout` seconds have
/// passed; returns whether it held. Tests wait on the event itself (a store row, a
/// log line, a file, a process exit) this way, never for a fixed time.
@discardableResult
public func waitUntil(timeout: Double, poll: Double = 0.02, _ condition: () throws -> Bool) rethrows -> Bool {
    try waitFor(timeout: timeout, poll: poll) { try condition() ? true : nil } ?? false
}

/// Polls `probe` every `poll` seconds until it returns a value or `timeout` seconds
/// have passed; returns that value, or nil on timeout.
public func waitFor<T>(timeout: Double, poll: Double = 0.02, _ probe: () throws -> T?) rethrows -> T? {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if let value = try probe() { return value }
        if Date() >= deadline { return nil }
        Thread.sleep(forTimeInterval: poll)
    }
}
