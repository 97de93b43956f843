import Testing
import SweepConfig
import SweepEngine
@testable import SweepTrain
import TestSupport

/// NetworkProbe against PyTorch (Fixtures/probes.json, written by Fixtures/make_probes.py:
/// occlusion and Grad-CAM by their standard formulas), and on hand-made cases: gradient
/// ascent raises its filter, the top images of a one-pixel filter are the images bright there.
@Suite struct NetworkProbeTests {
    /// `line` built for `shape` with every parameter from `params` by name, if given.
    static func model(_ line: String, shape: [Int], params: Fixture? = nil) throws -> Model {
        let model = try GraphBuilder.declare(Architecture(parsing: line), config: TrainConfig(), inputShape: shape, classes: 10)
        model.finalize()
        if let params {
            #expect(model.params.refs.map(\.name).sorted() == params.keys)
            for ref in model.params.refs {
                #expect(params.shape(ref.name) == ref.shape, "\(ref.name)")
                model.params.set(ref, params.floats(ref.name))
            }
        }
        return model
    }

    static func golden() throws -> (Fixture, NetworkProbe, [[Float]]) {
        let g = try Fixture(named: "probes.json")
        let model = try model("conv(4, 3) relu maxpool(2) conv(6, 3) relu flatten dense(classes)", shape: [1, 8, 8],
                              params: g["params"])
        let all = g.floats("images"), size = 64
        return (g, NetworkProbe(model), [Array(all[0..<size]), Array(all[size..<2 * size])])
    }

    @Test func occlusionMatchesPyTorch() throws {
        let (g, probe, images) = try Self.golden()
        #expect(maxAbsDiff(probe.probabilities(images).flatMap { $0 }, g.floats("probabilities")) < 1e-6)
        let o = g["occlusion"]
        let r = probe.occlusion(images[0], label: o.int("label"), patch: o.int("patch"), stride: o.int("stride"),
                                fill: [Float(o.double("fill"))])
        #expect([r.rows, r.columns] == o.shape("map"))
        #expect(maxAbsDiff(r.map, o.floats("map")) < 1e-6, "\(r.map) vs \(o.floats("map"))")
        // the squares matter: the map is not flat
        #expect((r.map.max() ?? 0) - (r.map.min() ?? 0) > 0.01)
    }

    @Test func gradCAMMatchesPyTorch() throws {
        let (g, probe, images) = try Self.golden()
        let c = g["grad_cam"]
        let r = probe.gradCAM(images[1], classIndex: c.int("class"), layer: c.int("node"))
        #expect([r.rows, r.columns] == c.shape("map"))
        #expect(maxScaledDiff(r.map, c.floats("map")) < 1e-5, "\(r.map) vs \(c.floats("map"))")
        #expect(r.map.filter { $0 > 0 }.count >= 8)
        // the probe leaves no gradient behind
        #expect(probe.model.params.gradBuffer.allSatisfy { $0 == 0 })
    }

    /// At the ReLU that only the max pool reads, whose backward training leaves to the pool's
    /// (Model.backward): Grad-CAM still gets that node's gradient and draws a map.
    @Test func gradCAMAtAnActivationBeforeAPool() throws {
        let (g, probe, images) = try Self.golden()
        let r = probe.gradCAM(images[1], classIndex: g["grad_cam"].int("class"), layer: 1)
        #expect([r.rows, r.columns] == [8, 8])
        #expect(r.map.filter { $0 > 0 }.count >= 8, "\(r.map)")
    }

    @Test func featureMapsAreTheActivationsAfterEachConvolution() throws {
        let (_, probe, images) = try Self.golden()
        let maps = probe.featureMaps(images[0])
        #expect(maps.map(\.conv) == [0, 3])
        #expect(maps.map(\.shape) == [[4, 8, 8], [6, 4, 4]])
        // after the ReLU that reads each convolution: nothing negative, something positive
        #expect(maps.allSatisfy { m in m.values.count == m.shape.reduce(1, *) && m.values.allSatisfy { $0 >= 0 } })
        #expect(maps.allSatisfy { m in m.values.contains { $0 > 0 } })
    }

    @Test func gradientAscentRaisesItsFilter() throws {
        let (_, probe, _) = try Self.golden()
        // on the convolutions themselves: a ReLU map that is all zero at the start has no gradient
        for (layer, filter) in [(0, 2), (3, 5)] {
            let r = probe.gradientAscent(layer: layer, filter: filter, steps: 20, rate: 0.1, seed: 7)
            #expect(r.after > r.before + 0.1, "node \(layer) filter \(filter): \(r.before) -> \(r.after)")
            #expect(r.image.count == 64)
        }
        // seeded: the same call gives the same picture
        #expect(probe.gradientAscent(layer: 3, filter: 1, steps: 5, seed: 3).image
                == probe.gradientAscent(layer: 3, filter: 1, steps: 5, seed: 3).image)
    }

    /// A 5×5 'valid' filter with one tap, at pixel (2, 3): its images are the ones bright there,
    /// brightest first, whatever else is bright.
    @Test func topImagesOfAOnePixelFilterAreTheImagesBrightThere() throws {
        let model = try Self.model("conv(2, 5, 1, valid) flatten dense(classes)", shape: [1, 5, 5])
        let weight = try #require(model.params.ref(named: "net.0.weight")), bias = try #require(model.params.ref(named: "net.0.bias"))
        var w = [Float](repeating: 0, count: 50)
        w[2 * 5 + 3] = 1            // filter 0: pixel (2, 3)
        w[25 + 0] = 1               // filter 1: pixel (0, 0)
        model.params.set(weight, w)
        model.params.set(bias, [0, 0])
        var rng = RNG(seed: 5)
        var images = (0..<20).map { _ in (0..<25).map { _ in 0.1 * Float(rng.uniform()) } }
        for (image, value) in [(7, Float(0.9)), (13, 0.8), (4, 0.7)] { images[image][2 * 5 + 3] = value }
        images[5][0] = 1            // bright, but elsewhere
        images[11][24] = 2
        let top = NetworkProbe(model).topImages(images, layer: 0, filters: [0, 1], count: 3)
        #expect(top[0] == [7, 13, 4])
        #expect(top[1].first == 5)
    }
}
