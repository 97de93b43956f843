import Foundation
import Testing
import TestSupport

/// `sweep expand`: the table shows exactly the keys that vary, and the JSON lists every key
/// in the same places for every task, `architecture` and `augment` included.
@Suite struct ExpandTests {
    static let spec = """
        name: expand-augment
        method: grid
        parameters:
          model: {value: cnn}
          augment: {values: [none, flip+crop]}
          learning_rate: {values: [0.001, 0.01]}
        """

    @Test func tableShowsTheKeysThatVaryAndJSONEveryKey() throws {
        let dir = makeTemporaryDirectory("sweep-expand")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, Self.spec)
        let table = try runSweep(["expand", spec])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.first == ["augment", "learning_rate", "task_id"])
        #expect(lines.dropFirst().map { Array($0.prefix(2)) }
                == [["none", "0.001"], ["none", "0.01"], ["flip+crop", "0.001"], ["flip+crop", "0.01"]])

        let json = try runSweep(["expand", spec, "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let tasks = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(tasks.count == 4)
        for task in tasks {
            let params = try #require(task["params"] as? [String: Any])
            #expect(params["architecture"] is NSNull)
            #expect(["none", "flip+crop"].contains(params["augment"] as? String))
        }
    }
}
