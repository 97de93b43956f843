import CKernels

// Branch-free elementwise kernels that LLVM vectorises. libm's tanhf is scalar and
// costs ~20 ns per call: LeNet5 evaluates ~2 M activations per batch of 50.

/// tanh of one Float (tests, scalar code): the eight-lane kernel below is the one definition.
@inline(__always)
public func fastTanh(_ x: Float) -> Float { fastTanh(Lanes(repeating: x))[0] }

/// σ(x) = ½ + ½·tanh(x/2), exact as an identity, so it shares the tanh kernel.
@inline(__always)
public func fastSigmoid(_ x: Float) -> Float { 0.5 + 0.5 * fastTanh(0.5 * x) }

/// The engine's kernels: the kernel set (KernelSet.swift) and the activation loops.
public enum Kernels {
    public static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        forEachLanes(count) { j, w in y.setLanes(j, w, fastTanh(x.lanes(j, w))) }
    }

    public static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        forEachLanes(count) { j, w in y.setLanes(j, w, fastSigmoid(x.lanes(j, w))) }
    }

    public static func relu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] = max(x[i], 0) }
    }
}

// MARK: - Lanes

/// Eight Floats: the cells' fused loops and the activation kernels are written on these. The engine is built for
/// baseline x86-64, and LLVM does not vectorise loops over as many pointers as a
/// cell step reads and writes (the LSTM forward ran scalar, 6× slower).
typealias Lanes = SIMD8<Float>

/// Calls body(j, w) for j = 0, 8, 16, … < n, with w = 8 valid lanes except in the last block.
@inline(__always)
func forEachLanes(_ n: Int, _ body: (_ j: Int, _ w: Int) -> Void) {
    var j = 0
    while j + 8 <= n {
        body(j, 8)
        j += 8
    }
    if j < n { body(j, n - j) }
}

extension UnsafePointer<Float> {
    /// Elements j..<j+w as lanes (w ≤ 8; the other lanes are zero).
    @inline(__always)
    func lanes(_ j: Int, _ w: Int) -> Lanes {
        if w == 8 { return UnsafeRawPointer(self + j).loadUnaligned(as: Lanes.self) }
        var v = Lanes()
        for k in 0..<w { v[k] = self[j + k] }
        return v
    }
}

extension UnsafeMutablePointer<Float> {
    @inline(__always)
    func lanes(_ j: Int, _ w: Int) -> Lanes { UnsafePointer(self).lanes(j, w) }

    /// Stores the first w lanes of v at j..<j+w.
    @inline(__always)
    func setLanes(_ j: Int, _ w: Int, _ v: Lanes) {
        if w == 8 { return UnsafeMutableRawPointer(self + j).storeBytes(of: v, as: Lanes.self) }
        for k in 0..<w { self[j + k] = v[k] }
    }
}

/// tanh on eight lanes by the rational approximation of Eigen's
/// `generic_fast_tanh_float` (odd degree-13 numerator over even degree-6
/// denominator, inputs clamped to ±7.905; clamped with `replacing`, since
/// pointwiseMin/Max are not inlined). Maximum absolute error against libm's
/// tanhf is a few ulp.
@inline(__always)
func fastTanh(_ x: Lanes) -> Lanes {
    let c: Float = 7.905_311_107_635_498_05
    let x = x.replacing(with: -c, where: x .< -c).replacing(with: c, where: x .> c)
    let x2 = x * x
    // Horner steps as fused multiply-adds (Swift does not contract p * x2 + c itself):
    // one instruction and one rounding each, as Eigen's pmadd.
    @inline(__always) func step(_ p: Lanes, _ c: Float) -> Lanes { Lanes(repeating: c).addingProduct(p, x2) }
    var p = Lanes(repeating: -2.760_768_477_423_55e-16)
    p = step(p, 2.000_187_904_824_77e-13)
    p = step(p, -8.604_671_522_137_35e-11)
    p = step(p, 5.122_297_090_371_14e-08)
    p = step(p, 1.485_722_357_179_79e-05)
    p = step(p, 6.372_619_288_754_36e-04)
    p = step(p, 4.893_524_558_917_86e-03)
    p = p * x
    var q = Lanes(repeating: 1.198_258_394_667_02e-06)
    q = step(q, 1.185_347_056_866_54e-04)
    q = step(q, 2.268_434_632_439_00e-03)
    q = step(q, 4.893_525_185_543_85e-03)
    return p / q
}

/// σ(x) = ½ + ½·tanh(x/2) on eight lanes.
@inline(__always)
func fastSigmoid(_ x: Lanes) -> Lanes { 0.5 + 0.5 * fastTanh(0.5 * x) }
