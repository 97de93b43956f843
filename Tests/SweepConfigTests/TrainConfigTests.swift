import Testing
@testable import SweepConfig

@Suite struct TrainConfigTests {
    @Test func defaultsFollowTheSpec() throws {
        let c = try TrainConfig(arguments: [])
        #expect(c.dataset == "fashion-mnist")
        #expect(c.model == .rnn && c.cell == .lstm && c.hidden == 128 && c.layers == 1)
        #expect(c.optimizer == .adam && c.learningRate == 0.001)
        #expect(c.validationFraction == 0.1 && c.epochs == 1 && c.batchSize == 32 && c.seed == 1 && c.threads == 1)
        #expect(c.initScheme == .xavier && c.clipNorm == nil && c.weightDecay == 0 && !c.batchnorm)
    }

    @Test func defaultsThatDependOnModelAndOptimizer() throws {
        #expect(try TrainConfig(arguments: ["model=lenet5"]).resolvedActivation == .tanh)
        #expect(try TrainConfig(arguments: ["model=lenet5"]).resolvedDropout == 0.5)
        #expect(try TrainConfig(arguments: ["model=mlp"]).resolvedActivation == .relu)
        #expect(try TrainConfig(arguments: ["model=mlp"]).resolvedDropout == 0)
        // a line of one's own: act is relu, whatever the (default rnn) model says, unless activation is given
        #expect(try TrainConfig(arguments: ["architecture=conv(8, 3) act dense(classes)"]).resolvedActivation == .relu)
        #expect(try TrainConfig(arguments: ["architecture=dense(classes)", "activation=tanh"]).resolvedActivation == .tanh)
        #expect(try TrainConfig(arguments: ["model=rnn"]).resolvedActivation == .tanh)
        #expect(try TrainConfig(arguments: ["optimizer=rmsprop"]).resolvedMomentum == 0)
        #expect(try TrainConfig(arguments: ["optimizer=momentum"]).resolvedMomentum == 0.9)
        #expect(try TrainConfig(arguments: ["model=lenet5", "dropout=0"]).resolvedDropout == 0)
    }

    @Test func parsesEveryKey() throws {
        let c = try TrainConfig(arguments: [
            "dataset=cifar10", "data_dir=/d", "train_per_class=500", "test_per_class=88", "validation_fraction=0",
            "model=mlp", "cell=gru", "hidden=64", "layers=2", "activation=sigmoid", "dropout=0.25",
            "batchnorm=true", "optimizer=nadam", "learning_rate=1.7e-4", "momentum=0.08", "weight_decay=0.01",
            "clip_norm=5", "init=truncated_normal", "epochs=25", "batch_size=50", "seed=-3", "threads=2",
            "duration_ms=50",
        ])
        #expect(c.dataset == "cifar10" && c.dataDir == "/d" && c.trainPerClass == 500 && c.testPerClass == 88)
        #expect(c.validationFraction == 0 && c.model == .mlp && c.cell == .gru && c.hidden == 64 && c.layers == 2)
        #expect(c.activation == .sigmoid && c.dropout == 0.25 && c.batchnorm && c.optimizer == .nadam)
        #expect(c.learningRate == 1.7e-4 && c.momentum == 0.08 && c.weightDecay == 0.01 && c.clipNorm == 5)
        #expect(c.initScheme == .truncatedNormal && c.epochs == 25 && c.batchSize == 50 && c.seed == -3)
        #expect(c.threads == 2 && c.durationMs == 50)
        #expect(ConfigKeys.names.count == 25)
    }

    @Test(arguments: [
        ("learning_rate=0", "invalid value '0' for learning_rate: expected a number > 0"),
        ("learning_rate=abc", "invalid value 'abc' for learning_rate: expected a number > 0"),
        ("epochs=0", "invalid value '0' for epochs: expected an integer >= 1"),
        ("epochs=2.5", "invalid value '2.5' for epochs: expected an integer >= 1"),
        ("dropout=1", "invalid value '1' for dropout: expected a probability with 0 <= p < 1"),
        ("validation_fraction=-0.1", "invalid value '-0.1' for validation_fraction: expected a number with 0 <= f < 1"),
        ("model=resnet50", "invalid value 'resnet50' for model: expected one of mlp, lenet5, rnn, cnn, inception, resnet, noop"),
        ("architecture=conv(8, 3) convv", "architecture: unknown layer 'convv' at position 12"),
        ("batchnorm=maybe", "invalid value 'maybe' for batchnorm: expected true or false"),
        ("learning_rate=nan", "invalid value 'nan' for learning_rate: expected a number > 0"),
        ("clip_norm=-1", "invalid value '-1' for clip_norm: expected a number > 0 or none"),
        ("lerning_rate=0.1", "unknown key 'lerning_rate' (did you mean learning_rate?)"),
        ("=3", "expected KEY=VALUE, got '=3'"),
        ("epochs", "expected KEY=VALUE, got 'epochs'"),
    ])
    func rejectsBadInputWithOneLine(word: String, message: String) {
        #expect(throws: ConfigError(message)) { try TrainConfig(arguments: [word]) }
    }

    @Test func rejectsAKeyGivenTwice() {
        #expect(throws: ConfigError("key 'seed' given twice")) { try TrainConfig(arguments: ["seed=1", "seed=2"]) }
    }

    @Test func unknownKeyFarFromAnyListsTheKnownOnes() {
        #expect(ConfigKeys.unknownKeyMessage("zzzzzzzzzz").hasPrefix("unknown key 'zzzzzzzzzz' (known keys: dataset, data_dir,"))
    }

    @Test func canonicalJSONIsStableAndResolved() throws {
        let c = try TrainConfig(arguments: ["model=lenet5", "learning_rate=1e-5"])
        let s = c.canonical.encoded
        #expect(s.hasPrefix(#"{"dataset":"fashion-mnist","data_dir":null,"#))
        #expect(s.contains(#""activation":"tanh","dropout":0.5,"#))
        #expect(s.contains(#""learning_rate":1e-05,"#))
        #expect(s == (try TrainConfig(arguments: ["learning_rate=0.00001", "model=lenet5"])).canonical.encoded)
    }

    @Test func jsonEncodesEdgeCases() {
        let v = JSON.object([("a", .double(.nan)), ("b", .string("q\"\n\u{1}")), ("c", .array([.int(1), .double(2), .bool(false), .null]))])
        #expect(v.encoded == #"{"a":null,"b":"q\"\n\u0001","c":[1,2.0,false,null]}"#)
    }
}
