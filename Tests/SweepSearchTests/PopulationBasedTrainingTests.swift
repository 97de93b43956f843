import Foundation
import Testing
import SweepConfig
import SweepRandom
import SweepSpec
@testable import SweepSearch

/// Population-based training's rules: the initial population, selection (quantiles,
/// ties), explore (perturb, clip, resample), determinism, and replay after a restart.
@Suite struct PopulationBasedTrainingTests {
    static func pbt(seed: Int = 1, population: Int = 8, resample: Double = 0.25, quantile: Double = 0.25,
                    goal: String = "maximize") -> String {
        """
        method: pbt
        seed: \(seed)
        metric: {name: test_accuracy, goal: \(goal)}
        pbt: {population: \(population), interval: 2, quantile: \(quantile), resample_probability: \(resample)}
        parameters:
          model: {value: noop}
          epochs: {value: 10}
          optimizer: {values: [sgd, momentum]}
          momentum: {distribution: uniform, min: 0.5, max: 0.99, when: {optimizer: momentum}}
          learning_rate: {distribution: log_uniform_values, min: 1e-4, max: 1e-1}
          dropout: {distribution: q_uniform, min: 0, max: 0.5, q: 0.05}
          hidden: {values: [16, 32]}
        """
    }

    static func population(_ yaml: String) throws -> PopulationBasedTraining {
        var pbt = PopulationBasedTraining(spec: try spec(yaml))
        _ = try pbt.propose(count: 100)
        return pbt
    }

    static func standings(_ scores: [Double], config: TrainConfig = TrainConfig()) -> [PopulationBasedTraining.Standing] {
        scores.enumerated().map { .init(memberID: "m\($0)", index: $0, config: config, score: $1) }
    }

    // MARK: the population

    @Test func theInitialPopulationIsTheSpecsTasks() throws {
        let s = try spec(Self.pbt())
        #expect(try s.sampler() is PopulationBasedTraining)
        var pbt = PopulationBasedTraining(spec: s)
        let members = try pbt.propose(count: 20)
        let more = try pbt.propose()
        #expect(members.count == 8 && more == nil)
        #expect(members.map(\.id) == (try s.expand()).map(\.id))
        #expect(pbt.members.map(\.id) == members.map(\.id) && pbt.members.map(\.index) == Array(0..<8))
        #expect(pbt.members.allSatisfy { $0.lastExploit == nil })
        #expect(pbt.epochs == 10 && pbt.boundaries == [2, 4, 6, 8])
        #expect(!pbt.mayContinue(after: 2) && pbt.mayContinue(after: 3) && pbt.mayContinue(after: 10))
    }

    // MARK: selection

    /// Ray Tune's rounding: ⌈n·q⌉, at most ⌊n/2⌋.
    @Test func quantileSizesAtSmallPopulations() {
        let cases: [(n: Int, q: Double, k: Int)] = [(8, 0.25, 2), (2, 0.25, 1), (3, 0.25, 1), (3, 0.5, 1), (4, 0.5, 2),
                                                     (5, 0.25, 2), (7, 0.5, 3), (10, 0.1, 1), (1, 0.5, 0), (20, 0.25, 5)]
        for (n, q, k) in cases {
            let (bottom, top) = PopulationBasedTraining.quantiles(Self.standings((0..<n).map(Double.init)), fraction: q, maximize: true)
            #expect(bottom.count == k && top.count == k, "n \(n), q \(q)")
            #expect(Set(bottom.map(\.index)).isDisjoint(with: top.map(\.index)))
            // Maximised: the top holds the highest scores.
            #expect(top.map(\.index) == Array((0..<n).reversed().prefix(k)))
        }
    }

    @Test func tiesNaNAndGoals() throws {
        // Equal scores rank by member index, the lower first; NaN is the worst score.
        let scores: [Double] = [0.5, 0.9, 0.5, .nan, 0.9, 0.5, 0.1, 0.5]
        let (bottom, top) = PopulationBasedTraining.quantiles(Self.standings(scores), fraction: 0.25, maximize: true)
        #expect(top.map(\.index) == [1, 4] && bottom.map(\.index) == [6, 3])
        let (low, high) = PopulationBasedTraining.quantiles(Self.standings(scores), fraction: 0.25, maximize: false)
        #expect(high.map(\.index) == [6, 0] && low.map(\.index) == [4, 3])

        // A bottom member that ties the worst of the top gains nothing by copying: it stays.
        let s = try spec(Self.pbt(population: 4, quantile: 0.5))
        let flat = try PopulationBasedTraining.step(at: 2, Self.standings([0.1, 0.1, 0.1, 0.1]), spec: s)
        #expect(flat.isEmpty)
        let partly = try PopulationBasedTraining.step(at: 2, Self.standings([0.3, 0.2, 0.2, 0.1]), spec: s)
        #expect(partly.map(\.memberID) == ["m3"])
        #expect(partly[0].sourceID == "m0" || partly[0].sourceID == "m1")
        // Minimised (test_accuracy here stands for any metric): the high scores copy.
        let minimized = try spec(Self.pbt(population: 4, quantile: 0.5, goal: "minimize"))
        let entries = try PopulationBasedTraining.step(at: 2, Self.standings([0.3, 0.2, 0.25, 0.1]), spec: minimized)
        #expect(entries.map(\.memberID) == ["m0", "m2"] && entries.allSatisfy { ["m1", "m3"].contains($0.sourceID) })
    }

    /// Each member of the bottom quantile copies one of the top, chosen by its own
    /// generator: over many boundaries both top members are chosen, about equally.
    @Test func sourcesAreSpreadOverTheTop() throws {
        let s = try spec(Self.pbt())
        var chosen: [String: Int] = [:]
        for epoch in stride(from: 2, to: 802, by: 2) {
            let entries = try PopulationBasedTraining.step(at: epoch, Self.standings([8, 7, 6, 5, 4, 3, 2, 1]), spec: s)
            #expect(entries.map(\.memberID) == ["m6", "m7"])
            for e in entries { chosen[e.sourceID, default: 0] += 1 }
        }
        #expect(Set(chosen.keys) == ["m0", "m1"])
        #expect(abs(chosen["m0"]! - 400) < 60, "\(chosen)")
    }

    // MARK: explore

    static func source(learningRate: Double, dropout: Double, momentum: Double? = 0.9) -> TrainConfig {
        var config = TrainConfig()
        config.model = .noop
        config.epochs = 10
        config.optimizer = momentum == nil ? .sgd : .momentum
        config.momentum = momentum
        config.learningRate = learningRate
        config.dropout = dropout
        config.hidden = 32
        return config
    }

    @Test func perturbMultipliesAndClips() throws {
        let s = try spec(Self.pbt(resample: 0))
        var factors: [Double: Int] = [:]
        for member in 0..<400 {
            var rng = PopulationBasedTraining.generator(seed: 1, epoch: 2, member: member)
            let source = Self.source(learningRate: 0.01, dropout: 0.25, momentum: 0.9)
            let (config, changes) = try PopulationBasedTraining.explore(source, for: TrainConfig(), spec: s, &rng)
            // Every explorable parameter the source sets, in spec order; the others as copied.
            #expect(changes.map(\.key) == ["momentum", "learning_rate", "dropout"])
            #expect(config.hidden == 32 && config.optimizer == .momentum && config.epochs == 10)
            for change in changes {
                #expect(change.how == .perturb)
                let factor = try #require(change.factor)
                #expect(factor == 0.8 || factor == 1.2)
                factors[factor, default: 0] += 1
                let raw = change.copied * factor
                switch change.key {
                case "momentum": #expect(change.new == min(max(raw, 0.5), 0.99) && config.momentum == change.new)
                case "learning_rate": #expect(abs(change.new - raw) < 1e-15 && config.learningRate == change.new)
                default: #expect(change.new == (factor == 0.8 ? 0.2 : 0.3) && config.dropout == change.new)   // 0.25·0.8, 0.25·1.2 on q 0.05
                }
            }
        }
        #expect(abs(factors[0.8]! - factors[1.2]!) < 120, "\(factors)")
        // Held within the distribution's bounds: at the top of the range ×1.2 stays there.
        var clippedUp = false, clippedDown = false
        for member in 0..<50 {
            var rng = PopulationBasedTraining.generator(seed: 1, epoch: 4, member: member)
            let source = Self.source(learningRate: 0.1, dropout: 0.5, momentum: 0.5)
            let (config, _) = try PopulationBasedTraining.explore(source, for: source, spec: s, &rng)
            #expect(config.learningRate <= 0.1 && config.dropout! <= 0.5 && config.momentum! >= 0.5)
            clippedUp = clippedUp || config.learningRate == 0.1
            clippedDown = clippedDown || config.momentum == 0.5
        }
        #expect(clippedUp && clippedDown)
        // A parameter the source does not set (momentum under sgd: its `when` fails) stays as it is.
        var rng = PopulationBasedTraining.generator(seed: 1, epoch: 2, member: 0)
        let plain = Self.source(learningRate: 0.01, dropout: 0.1, momentum: nil)
        let (sgd, changes) = try PopulationBasedTraining.explore(plain, for: TrainConfig(), spec: s, &rng)
        #expect(sgd.canonical["momentum"] == plain.canonical["momentum"] && changes.map(\.key) == ["learning_rate", "dropout"])
    }

    @Test func resampleDrawsFromTheSpec() throws {
        let always = try spec(Self.pbt(resample: 1))
        for member in 0..<100 {
            var rng = PopulationBasedTraining.generator(seed: 2, epoch: 2, member: member)
            let (config, changes) = try PopulationBasedTraining.explore(Self.source(learningRate: 0.01, dropout: 0.25), for: TrainConfig(),
                                                                        spec: always, &rng)
            #expect(changes.allSatisfy { $0.how == .resample && $0.factor == nil })
            #expect((1e-4...1e-1).contains(config.learningRate) && (0.5...0.99).contains(config.momentum!))
            let steps = config.dropout! / 0.05
            #expect(abs(steps - steps.rounded()) < 1e-9 && (0...0.5).contains(config.dropout!))
        }
        // With probability 0.25, about a quarter of the changes are draws.
        let quarter = try spec(Self.pbt(resample: 0.25))
        var resampled = 0
        for member in 0..<400 {
            var rng = PopulationBasedTraining.generator(seed: 3, epoch: 2, member: member)
            let (_, changes) = try PopulationBasedTraining.explore(Self.source(learningRate: 0.01, dropout: 0.25), for: TrainConfig(),
                                                                   spec: quarter, &rng)
            resampled += changes.count { $0.how == .resample }
        }
        #expect(abs(resampled - 300) < 60, "\(resampled) of 1200")
    }

    /// A perturbed value the training key rejects is drawn anew: a normal's dropout at
    /// 0.9 times 1.2 would pass 1.
    @Test func aRejectedPerturbationIsResampled() throws {
        let s = try spec("""
            method: pbt
            pbt: {resample_probability: 0}
            parameters:
              epochs: {value: 4}
              dropout: {distribution: normal, mu: 0.3, sigma: 0.05}
            """)
        var source = TrainConfig()
        source.dropout = 0.9
        var saw = Set<ParameterChange.How>()
        for member in 0..<40 {
            var rng = PopulationBasedTraining.generator(seed: 0, epoch: 2, member: member)
            let (config, changes) = try PopulationBasedTraining.explore(source, for: source, spec: s, &rng)
            #expect(config.dropout! < 1)
            saw.insert(changes[0].how)
            if changes[0].how == .perturb { #expect(changes[0].factor == 0.8) }
        }
        #expect(saw == [.perturb, .resample])
    }

    // MARK: steps, determinism and replay

    /// A toy run: a member's "weights" are its progress, which grows each epoch by how
    /// close log10(learning_rate) is to −2. Synchronous, as a coordinator runs it.
    struct ToyRun {
        var pbt: PopulationBasedTraining
        var progress: [Double]
        var epoch = 0

        init(_ pbt: PopulationBasedTraining) {
            self.pbt = pbt
            progress = Array(repeating: 0, count: pbt.members.count)
        }

        static func gain(_ config: TrainConfig) -> Double { exp(-pow(log10(config.learningRate) + 2, 2)) }

        /// Trains every member to the next boundary (or the end), reports, applies the step.
        mutating func interval() throws -> [LineageEntry] {
            let next = pbt.boundaries.first { $0 > epoch } ?? pbt.epochs
            for m in pbt.members { progress[m.index] += Double(next - epoch) * Self.gain(m.config) }
            epoch = next
            var entries: [LineageEntry] = []
            for m in pbt.members { entries += try pbt.report(memberID: m.id, epoch: epoch, score: progress[m.index]) }
            let before = progress
            for e in entries { progress[pbt.member(id: e.memberID)!.index] = before[pbt.member(id: e.sourceID)!.index] }
            return entries
        }
    }

    @Test func aStepWaitsForTheWholePopulation() throws {
        var pbt = try Self.population(Self.pbt())
        let ids = pbt.members.map(\.id)
        for (i, id) in ids.dropLast().enumerated() { #expect(try pbt.report(memberID: id, epoch: 2, score: Double(i)).isEmpty) }
        #expect(!pbt.mayContinue(after: 2))
        #expect(try pbt.report(memberID: ids[0], epoch: 3, score: 9).isEmpty)      // no boundary
        #expect(try pbt.report(memberID: "nobody", epoch: 2, score: 9).isEmpty)
        let entries = try pbt.report(memberID: ids[7], epoch: 2, score: -1)
        // Bottom: member 7 (−1) and member 0 (0); top: members 6 and 5.
        #expect(entries.map(\.memberID) == [ids[0], ids[7]] && entries.allSatisfy { [ids[5], ids[6]].contains($0.sourceID) })
        #expect(pbt.mayContinue(after: 2) && pbt.lineage == entries)
        for e in entries {
            let member = try #require(pbt.member(id: e.memberID))
            let config = try PopulationBasedTraining.configuration(e.config)
            #expect(member.lastExploit == e && member.config == config)
            // The member takes the source's whole configuration (hidden and optimizer too), explored.
            let source = try #require(pbt.member(id: e.sourceID))
            #expect(member.config.hidden == source.config.hidden && member.config.optimizer == source.config.optimizer)
        }
        // A report of a boundary already stepped changes nothing.
        #expect(try pbt.report(memberID: ids[3], epoch: 2, score: 100).isEmpty && pbt.lineage == entries)
    }

    @Test func aDroppedMemberIsNotWaitedFor() throws {
        var pbt = try Self.population(Self.pbt(population: 4, quantile: 0.25))
        let ids = pbt.members.map(\.id)
        for (i, id) in ids.prefix(3).enumerated() { _ = try pbt.report(memberID: id, epoch: 2, score: Double(i)) }
        let entries = try pbt.drop(memberID: ids[3])
        // Three left: one copies (⌈3/4⌉ = 1): member 0 takes member 2's place.
        #expect(entries.map(\.memberID) == [ids[0]] && entries[0].sourceID == ids[2])
        #expect(try pbt.drop(memberID: ids[3]).isEmpty)
        for (i, id) in ids.prefix(3).enumerated() { _ = try pbt.report(memberID: id, epoch: 4, score: Double(3 - i)) }
        #expect(pbt.lineage.last?.epoch == 4 && pbt.lineage.allSatisfy { $0.sourceID != ids[3] })
    }

    @Test func theSameScoresMakeTheSameDecisions() throws {
        func lineage(seed: Int) throws -> [LineageEntry] {
            var run = ToyRun(try Self.population(Self.pbt(seed: seed)))
            while run.epoch < run.pbt.epochs { _ = try run.interval() }
            return run.pbt.lineage
        }
        let a = try lineage(seed: 4)
        #expect(a.count >= 6)   // 4 boundaries, up to 2 exploits each
        #expect(try lineage(seed: 4) == a)
        #expect(try lineage(seed: 5) != a)
    }

    /// A coordinator restarted after boundary 4 rebuilds the population from its tasks,
    /// the stored lineage (through JSON) and the stored scores, and goes on to make the
    /// same decisions as the run that did not stop.
    @Test func replayRebuildsThePopulation() throws {
        var original = ToyRun(try Self.population(Self.pbt(seed: 7)))
        _ = try original.interval()
        _ = try original.interval()
        #expect(original.epoch == 4 && !original.pbt.lineage.isEmpty)
        let stored = try JSONEncoder().encode(original.pbt.lineage)
        let progress = original.progress

        var pbt = PopulationBasedTraining(spec: try spec(Self.pbt(seed: 7)))
        for task in original.pbt.history.tasks { pbt.add(task.config) }
        try pbt.replay(JSONDecoder().decode([LineageEntry].self, from: stored))
        // Scores of boundaries already stepped are passed over.
        for m in pbt.members { #expect(try pbt.report(memberID: m.id, epoch: 2, score: 0).isEmpty) }
        #expect(pbt.members == original.pbt.members && pbt.lineage == original.pbt.lineage)
        #expect(pbt.mayContinue(after: 2) && pbt.mayContinue(after: 4))

        var restarted = ToyRun(pbt)
        restarted.progress = progress
        restarted.epoch = 4
        while original.epoch < original.pbt.epochs {
            #expect(try restarted.interval() == original.interval())
        }
        #expect(restarted.pbt.lineage == original.pbt.lineage && restarted.progress == original.progress)
    }

    /// A step whose entries were lost (the coordinator stopped before storing them) is
    /// taken again from the stored scores, with the same result.
    @Test func aLostStepIsTakenAgainTheSame() throws {
        var original = ToyRun(try Self.population(Self.pbt(seed: 9)))
        let first = try original.interval()
        #expect(!first.isEmpty)
        var fresh = PopulationBasedTraining(spec: try spec(Self.pbt(seed: 9)))
        for task in original.pbt.history.tasks { fresh.add(task.config) }
        var retaken: [LineageEntry] = []
        // The scores at boundary 2, as stored: two epochs of each member's initial configuration.
        for m in fresh.members { retaken += try fresh.report(memberID: m.id, epoch: 2, score: 2 * ToyRun.gain(m.config)) }
        #expect(retaken == first)
    }

    @Test func lineageEntriesAsJSON() throws {
        let entry = LineageEntry(memberID: "a1", epoch: 4, sourceID: "b2", score: .nan, sourceScore: 0.75,
                                 changes: [ParameterChange(key: "learning_rate", old: 0.02, copied: 0.01, new: 0.012, how: .perturb, factor: 1.2),
                                           ParameterChange(key: "momentum", old: nil, copied: 0.9, new: 0.62, how: .resample)],
                                 config: TrainConfig().canonical.encoded)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(entry), as: UTF8.self)
        #expect(text.hasPrefix(#"{"changes":[{"copied":0.01,"factor":1.2,"how":"perturb","key":"learning_rate","new":0.012,"old":0.02},"#
                               + #"{"copied":0.9,"how":"resample","key":"momentum","new":0.62}],"config":"#))
        #expect(text.hasSuffix(#","epoch":4,"member_id":"a1","score":null,"source_id":"b2","source_score":0.75}"#))
        #expect(try JSONDecoder().decode(LineageEntry.self, from: Data(text.utf8)) == entry)
    }

    /// Exploit and explore pay on the toy problem: against the same population trained
    /// without them, the best member gets at least as far (the best is never replaced)
    /// and the population as a whole further, on every seed.
    @Test func exploitAndExploreBeatTheStaticPopulation() throws {
        for seed in 1...10 {
            var run = ToyRun(try Self.population(Self.pbt(seed: seed)))
            while run.epoch < run.pbt.epochs { _ = try run.interval() }
            let still = run.pbt.history.tasks.map { 10 * ToyRun.gain($0.config) }
            #expect(run.progress.max()! >= still.max()!)
            #expect(run.progress.reduce(0, +) > 1.2 * still.reduce(0, +), "seed \(seed): \(run.progress) vs \(still)")
        }
    }
}
