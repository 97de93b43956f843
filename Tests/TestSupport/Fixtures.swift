import Foundation
import SweepEngine

/// A JSON object from a golden fixture. Tensors are stored as
/// `{"shape": [...], "data": [...]}` (see Tests/<target>/Fixtures/make_*.py).
public struct Fixture {
    public let object: [String: Any]

    public init(object: [String: Any]) { self.object = object }

    /// Reads `Fixtures/<name>` next to the calling test file.
    public init(named name: String, filePath: String = #filePath) throws {
        let url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        guard let object = json as? [String: Any] else { throw FixtureError.notAnObject(name) }
        self.object = object
    }

    public var keys: [String] { object.keys.sorted() }

    public func has(_ key: String) -> Bool { object[key] != nil }

    /// A nested object.
    public subscript(key: String) -> Fixture {
        guard let o = object[key] as? [String: Any] else { fatalError("fixture has no object \"\(key)\"") }
        return Fixture(object: o)
    }

    public func double(_ key: String) -> Double {
        guard let n = object[key] as? NSNumber else { fatalError("fixture has no number \"\(key)\"") }
        return n.doubleValue
    }

    public func int(_ key: String) -> Int { Int(double(key)) }

    public func string(_ key: String) -> String {
        guard let s = object[key] as? String else { fatalError("fixture has no string \"\(key)\"") }
        return s
    }

    public func shape(_ key: String) -> [Int] { (self[key].object["shape"] as? [NSNumber] ?? []).map(\.intValue) }

    public func floats(_ key: String) -> [Float] {
        guard let d = self[key].object["data"] as? [NSNumber] else { fatalError("fixture tensor \"\(key)\" has no data") }
        return d.map(\.floatValue)
    }

    public func tensor(_ key: String) -> Tensor { Tensor(shape: shape(key), values: floats(key)) }
}

public enum FixtureError: Error { case notAnObject(String) }
