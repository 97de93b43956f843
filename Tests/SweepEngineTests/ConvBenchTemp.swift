import Testing
@testable import SweepEngine
import TestSupport

@Suite struct ConvBenchTemp {
    @Test func bench() {
        BLAS.setThreads(1)
        for (shape, oc, needDx) in [([32, 14, 14], 64, true), ([3, 28, 28], 32, false)] {
            let params = ParameterStore()
            let conv = Conv2D(inputShape: shape, outChannels: oc, kernel: 5, params: params, name: "c")
            params.finalize()
            conv.needsInputGradient = needDx
            let b = 50
            let x = Tensor(shape: [b] + shape, values: testValues(b * shape.reduce(1, *)))
            let dy = Tensor(shape: [b] + conv.outputShape, values: testValues(b * conv.outputShape.reduce(1, *), seed: 2))
            _ = conv.forward(x, mode: .train); _ = conv.backward(dy)
            let clock = ContinuousClock()
            var fw = Duration.zero, bw = Duration.zero
            let reps = 30
            for _ in 0..<reps {
                let t0 = clock.now
                _ = conv.forward(x, mode: .train)
                let t1 = clock.now
                _ = conv.backward(dy)
                fw += t1 - t0; bw += clock.now - t1
            }
            print("BENCH \(shape)->\(oc) dx=\(needDx): forward \(fw / reps), backward \(bw / reps)")
        }
    }
}
