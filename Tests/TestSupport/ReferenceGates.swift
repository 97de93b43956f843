import Foundation
import SweepEngine

/// A recurrent layer's forward written out scalar by scalar in Double from PyTorch's
/// documentation of nn.LSTM and nn.GRU, as the reference for the gate activations
/// the engine caches:
///   LSTM  i = σ(W_ii x + b_ii + W_hi h + b_hi), f = σ(…), g = tanh(…), o = σ(…),
///         c' = f c + i g, h' = o tanh(c')
///   GRU   r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(…),
///         n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 − z) n + z h
public struct ReferenceRecurrent {
    /// One array per gate (LSTM i, f, g, o; GRU r, z, n), its values in (t, b, j) order.
    public var gates: [[Double]]
    /// The hidden states (B, T, H), the next stacked layer's input.
    public var sequence: [Float]

    /// x (B, T, I); weightIH (G·H, I), weightHH (G·H, H), biasIH and biasHH (G·H) as PyTorch lays them out.
    public init(cell: CellKind, x: [Float], batch: Int, steps: Int, inputs: Int, hidden n: Int,
                weightIH: [Float], weightHH: [Float], biasIH: [Float], biasHH: [Float]) {
        precondition(cell != .rnn, "the RNN has no gates")
        let g = cell.gateCount
        func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        gates = Array(repeating: Array(repeating: 0, count: steps * batch * n), count: g)
        sequence = Array(repeating: 0, count: batch * steps * n)
        for b in 0..<batch {
            var h = [Double](repeating: 0, count: n), c = [Double](repeating: 0, count: n)
            for t in 0..<steps {
                let xt = (0..<inputs).map { Double(x[(b * steps + t) * inputs + $0]) }
                // input and hidden sides of row `row` of the stacked gate blocks
                func inputSide(_ row: Int) -> Double {
                    (0..<inputs).reduce(Double(biasIH[row])) { $0 + Double(weightIH[row * inputs + $1]) * xt[$1] }
                }
                func hiddenSide(_ row: Int) -> Double {
                    (0..<n).reduce(Double(biasHH[row])) { $0 + Double(weightHH[row * n + $1]) * h[$1] }
                }
                var step = [[Double]](repeating: [Double](repeating: 0, count: n), count: g)
                for j in 0..<n {
                    switch cell {
                    case .lstm:
                        let pre = (0..<4).map { inputSide($0 * n + j) + hiddenSide($0 * n + j) }
                        step[0][j] = sigmoid(pre[0])
                        step[1][j] = sigmoid(pre[1])
                        step[2][j] = tanh(pre[2])
                        step[3][j] = sigmoid(pre[3])
                    case .gru:
                        step[0][j] = sigmoid(inputSide(j) + hiddenSide(j))
                        step[1][j] = sigmoid(inputSide(n + j) + hiddenSide(n + j))
                        step[2][j] = tanh(inputSide(2 * n + j) + step[0][j] * hiddenSide(2 * n + j))
                    case .rnn: break
                    }
                }
                for j in 0..<n {
                    switch cell {
                    case .lstm:
                        c[j] = step[1][j] * c[j] + step[0][j] * step[2][j]
                        h[j] = step[3][j] * tanh(c[j])
                    case .gru:
                        h[j] = (1 - step[1][j]) * step[2][j] + step[1][j] * h[j]
                    case .rnn: break
                    }
                    sequence[(b * steps + t) * n + j] = Float(h[j])
                }
                for k in 0..<g {
                    for j in 0..<n { gates[k][(t * batch + b) * n + j] = step[k][j] }
                }
            }
        }
    }
}
