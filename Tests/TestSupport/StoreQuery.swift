import Foundation

public let sqlite3Path = "/usr/bin/sqlite3"

/// The rows of a query on a store, read with the sqlite3 command (waiting up to 2 s
/// for a writer's lock), fields split on a unit separator. Throws when the query
/// fails; a store that does not exist yet is never created.
public func storeRows(_ db: String, _ sql: String) throws -> [[String]] {
    guard FileManager.default.fileExists(atPath: db) else { throw StoreQueryError("\(db) does not exist") }
    let r = try runQuickCommand(sqlite3Path, ["-cmd", ".timeout 2000", "-separator", "\u{1F}", db, sql])
    guard r.status == 0 else { throw StoreQueryError("sqlite3 \(db): \(r.stderr)") }
    return r.stdout.split(separator: "\n", omittingEmptySubsequences: true)
        .map { $0.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init) }
}

/// `storeRows` for polling: none while the store, or its schema, does not exist yet.
public func storeRowsIfAny(_ db: String, _ sql: String) -> [[String]] {
    (try? storeRows(db, sql)) ?? []
}

/// The first field of the first row (e.g. a count), "" when there is none.
public func storeValue(_ db: String, _ sql: String) -> String {
    storeRowsIfAny(db, sql).first?.first ?? ""
}

public struct StoreQueryError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
