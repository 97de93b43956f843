import Testing
@testable import SweepSpec

/// Task ids of specs that use none of metric lists, pbt or enqueue, as the reader before
/// them gave (commit 2546056): a stored sweep resumes with the same tasks.
@Suite struct StableIDsTests {
    @Test func idsAsBeforeSeveralObjectivesPBTAndEnqueue() throws {
        let cases: [(String, [String])] = [
            ("method: random\nrun_cap: 5\nseed: 7\nparameters:\n  cell: {values: [rnn, lstm, gru]}\n  hidden: {min: 8, max: 256}\n"
                + "  learning_rate: {distribution: log_uniform_values, min: 1e-4, max: 1e-1}\n  dropout: {distribution: uniform, min: 0, max: 0.5}\n",
             ["6820560b18d3c0b3", "86abac11238766ed", "fc9ac811ebae5cdf", "5e8d9252f70ce386", "a0b769670230c766"]),
            ("method: bayes\nrun_cap: 3\nmetric: {name: test_loss}\nparameters:\n  optimizer: {values: [sgd, momentum]}\n"
                + "  momentum: {distribution: uniform, min: 0.5, max: 0.99, when: {optimizer: momentum}}\n"
                + "  weight_decay: {distribution: q_uniform, min: 0, max: 0.01, q: 0.001}\n",
             ["55045cb2c61ebc04", "fcb3e68fc3fc543d", "3adc6f9f44651514"]),
            ("method: grid\nparameters:\n  cell: {values: [rnn, lstm]}\n  hidden: {values: [16, 32]}\n  learning_rate: {value: 0.01}\n",
             ["88881ccf93849ce3", "45c08e67f8ea4cc1", "509474e2e2a94ecd", "f17adbf93ac5ce2f"]),
        ]
        for (yaml, ids) in cases {
            #expect(try tasks(yaml).map(\.id) == ids)
        }
        let shipped: [(String, [String])] = [
            ("fashion-rnn-bayes.yaml", ["a63302a3004898cb", "dd22749685369f81", "6b1b0411c732de76", "b00e38d5c7f879d0"]),
            ("quickstart.yaml", ["beab84708b474aab", "80fdc884cb5c15d1", "8f56da0eace98801", "f3099afdf0918562"]),
        ]
        for (file, ids) in shipped {
            let s = try SweepSpec.load(path: sweepsDirectory().appendingPathComponent(file).path)
            #expect(try s.expand().prefix(4).map(\.id) == ids, "\(file)")
        }
    }
}
