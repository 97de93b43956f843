import Foundation

/// The standard normal distribution in log space, enough for truncated normals far
/// in the tails — the same steps as Optuna's `samplers/_tpe/_truncnorm.py`.
enum Gaussian {
    static let logSqrt2Pi = 0.5 * log(2 * Double.pi)

    static func logPDF(_ z: Double) -> Double { -0.5 * z * z - logSqrt2Pi }

    /// Φ(z).
    static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// log Φ(z); below -30 by the asymptotic series of Mills' ratio.
    static func logCDF(_ z: Double) -> Double {
        if z > 0 { return log1p(-0.5 * erfc(z / 2.0.squareRoot())) }
        if z > -30 { return log(cdf(z)) }
        let r = 1 / (z * z)
        return logPDF(z) - log(-z) + log1p(-r + 3 * r * r - 15 * r * r * r)
    }

    /// log(Φ(b) − Φ(a)) for a ≤ b, computed in the left tail where it is accurate.
    static func logMass(_ a: Double, _ b: Double) -> Double {
        if b <= 0 { return logDifference(logCDF(b), logCDF(a)) }
        if a > 0 { return logMass(-b, -a) }
        return log1p(-cdf(a) - cdf(-b))
    }

    /// z such that log Φ(z) = y (y ≤ 0): Acklam's rational approximation, then Newton.
    static func inverseLogCDF(_ y: Double) -> Double {
        if y == -.infinity { return -.infinity }
        if y >= 0 { return .infinity }
        var z = y > -690 ? acklam(exp(y)) : -(-2 * y - log(-2 * y) - 2 * logSqrt2Pi).squareRoot()
        for _ in 0..<4 {
            let logPhi = logCDF(z)
            let step = (logPhi - y) / exp(logPDF(z) - logPhi)
            guard step.isFinite else { break }
            z -= step
        }
        return z
    }

    /// Φ⁻¹(p) to about 1e-9 (P. J. Acklam, 2003).
    static func acklam(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        func tail(_ q: Double) -> Double {
            (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p < 0.02425 { return tail((-2 * log(p)).squareRoot()) }
        if p > 1 - 0.02425 { return -tail((-2 * log1p(-p)).squareRoot()) }
        let q = p - 0.5, r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }

    /// The q-quantile (0 ≤ q ≤ 1) of the standard normal truncated to [a, b].
    static func truncatedQuantile(_ q: Double, _ a: Double, _ b: Double) -> Double {
        let logMass = logMass(a, b)
        let z: Double
        if a < 0 {
            z = inverseLogCDF(logSum(logCDF(a), log(q) + logMass))
        } else {
            z = -inverseLogCDF(logSum(logCDF(-b), log1p(-q) + logMass))
        }
        return min(max(z, a), b)
    }

    /// log of the density at z of the standard normal truncated to [a, b].
    static func truncatedLogPDF(_ z: Double, _ a: Double, _ b: Double) -> Double {
        guard z >= a, z <= b else { return -.infinity }
        return logPDF(z) - logMass(a, b)
    }

    static func logSum(_ x: Double, _ y: Double) -> Double {
        let (hi, lo) = x > y ? (x, y) : (y, x)
        if lo == -.infinity { return hi }
        return hi + log1p(exp(lo - hi))
    }

    /// log(e^x − e^y) for x ≥ y.
    static func logDifference(_ x: Double, _ y: Double) -> Double {
        if y == -.infinity { return x }
        return x + log1p(-exp(y - x))
    }
}
