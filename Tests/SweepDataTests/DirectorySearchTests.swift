import Testing
@testable import SweepData

@Suite struct DirectorySearchTests {
    @Test func searchOrder() {
        let environment = ["SWEEP_DATA_DIR": "/d"]
        #expect(candidateDirectories(for: .mnist, environment: environment) == ["/d/mnist", "/d", "./data/mnist"])
        #expect(candidateDirectories(for: .fashionMNIST, environment: [:])
                == ["./data/fashion-mnist", "/usr/share/datasets/fashion-mnist"])
        #expect(candidateDirectories(for: .cifar10, environment: ["SWEEP_DATA_DIR": ""]) == ["./data/cifar10"])
    }

    @Test func firstCompleteDirectoryWins() throws {
        let partial = try TemporaryDirectory(), complete = try TemporaryDirectory(), later = try TemporaryDirectory()
        try partial.write([1], to: "a")
        for directory in [complete, later] {
            try directory.write([1], to: "a")
            try directory.write([2], to: "b")
        }
        try complete.write([3], to: "b.gz")   // raw preferred when both exist
        let (directory, paths) = try locate(["a", "b"], gzipAllowed: true, in: [partial.path, complete.path, later.path], dataset: .mnist)
        #expect(directory == complete.path)
        #expect(paths == [complete.file("a"), complete.file("b")])
    }

    @Test func missingNamesTheMostCompleteDirectory() throws {
        let empty = try TemporaryDirectory(), partial = try TemporaryDirectory()
        try partial.write([1], to: "a.gz")
        let error = #expect(throws: DataError.self) {
            try locate(["a", "b"], gzipAllowed: true, in: [empty.path, partial.path], dataset: .mnist)
        }
        #expect(error?.message == "data: \(partial.file("b"))[.gz]: missing (looked in: \(empty.path), \(partial.path))")
    }
}
