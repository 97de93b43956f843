import SweepEngine

/// Result of a finite-difference check: the worst relative error seen, for the
/// input gradient and for the parameter gradients.
public struct GradientCheckResult: CustomStringConvertible {
    public var input: Double = 0
    public var parameters: Double = 0
    public var checked = 0
    public var description: String { "input \(input), parameters \(parameters) over \(checked) entries" }
}

/// Deterministic pseudo-random values in [-1, 1) for test inputs.
public func testValues(_ n: Int, seed: UInt64 = 42, scale: Float = 1) -> [Float] {
    var rng = RNG(seed: seed)
    return (0..<n).map { _ in scale * (2 * rng.uniform() - 1) }
}

/// Checks a layer's backward against central finite differences of the scalar
/// L = Σ forward(x) ⊙ R for a fixed random R. Every input entry and every
/// parameter entry is probed (up to `maxProbes` of each, spread evenly).
///
/// The relative error of one entry is |a − n| / max(|a| + |n|, floor).
public func checkGradients(
    layer: Layer, params: ParameterStore, input: Tensor, mode: Mode = .train,
    eps: Float = 1e-2, floor: Double = 1e-2, maxProbes: Int = 400,
    beforeEachForward: () -> Void = {}
) -> GradientCheckResult {
    beforeEachForward()
    let y0 = layer.forward(input, mode: mode)
    let r = Tensor(shape: y0.shape, values: testValues(y0.count, seed: 7))

    func loss() -> Double {
        beforeEachForward()
        let y = layer.forward(input, mode: mode)
        var s = 0.0
        for i in 0..<y.count { s += Double(y[i]) * Double(r[i]) }
        return s
    }

    params.zeroGrads()
    _ = loss()
    let dx = layer.backward(r)
    let dInput = dx.array
    let dParams = params.gradBuffer.map { $0 }

    func relErr(_ a: Double, _ n: Double) -> Double { abs(a - n) / max(abs(a) + abs(n), floor) }
    func probe(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> Double {
        let old = p[i]
        p[i] = old + eps; let lp = loss()
        p[i] = old - eps; let lm = loss()
        p[i] = old
        return (lp - lm) / (2 * Double(eps))
    }

    var result = GradientCheckResult()
    if layer.needsInputGradient {
        let stride = max(1, input.count / maxProbes)
        for i in Swift.stride(from: 0, to: input.count, by: stride) {
            result.input = max(result.input, relErr(Double(dInput[i]), probe(input.data, i)))
            result.checked += 1
        }
    }
    if params.count > 0 {
        let stride = max(1, params.count / maxProbes)
        for i in Swift.stride(from: 0, to: params.count, by: stride) {
            result.parameters = max(result.parameters, relErr(Double(dParams[i]), probe(params.values, i)))
            result.checked += 1
        }
    }
    return result
}

/// The largest absolute difference between two equally long arrays.
public func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    var m: Float = 0
    for i in 0..<a.count { m = max(m, abs(a[i] - b[i])) }
    return m
}

/// The largest |actual − expected| / max(1, |expected|): absolute below 1, relative above,
/// how golden values are compared. Infinite when the lengths differ.
public func maxScaledDiff(_ actual: [Float], _ expected: [Float]) -> Float {
    guard actual.count == expected.count else { return .infinity }
    var worst: Float = 0
    for i in 0..<actual.count { worst = max(worst, abs(actual[i] - expected[i]) / max(1, abs(expected[i]))) }
    return worst
}
