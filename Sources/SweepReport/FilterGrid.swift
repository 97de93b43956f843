import SweepInsights

/// The first convolution's filters drawn as a grid of small images, as the
/// seeds' reports show them: each filter scaled to 0…255 on its own range (so
/// that weak filters stay visible), RGB when it reads three channels, grey
/// otherwise (the mean over its channels), enlarged with square pixels.
public enum FilterGrid {
    public static func image(_ filters: Filters, columns: Int = 8, zoom: Int = 6) -> PNG.Image? {
        guard filters.shape.count == 4 else { return nil }
        let (count, channels, kh, kw) = (filters.shape[0], filters.shape[1], filters.shape[2], filters.shape[3])
        guard count > 0, channels > 0, kh > 0, kw > 0, filters.values.count == count * channels * kh * kw else { return nil }
        let colour = channels == 3
        let outChannels = colour ? 3 : 1
        let cols = min(columns, count), rows = (count + cols - 1) / cols
        let gap = 1
        let cellW = kw + gap, cellH = kh + gap
        let width = (cols * cellW + gap) * zoom, height = (rows * cellH + gap) * zoom
        // a mid-grey background between filters
        var pixels = [UInt8](repeating: 200, count: width * height * outChannels)
        let area = kh * kw
        for k in 0..<count {
            let base = k * channels * area
            // what each pixel shows, before scaling: RGB or the channel mean
            var shown = [Float](repeating: 0, count: area * outChannels)
            for p in 0..<area {
                if colour {
                    for c in 0..<3 { shown[p * 3 + c] = filters.values[base + c * area + p] }
                } else {
                    var sum: Float = 0
                    for c in 0..<channels { sum += filters.values[base + c * area + p] }
                    shown[p] = sum / Float(channels)
                }
            }
            let finite = shown.filter(\.isFinite)
            let lo = finite.min() ?? 0, range = (finite.max() ?? 0) - lo
            let (row, col) = (k / cols, k % cols)
            for y in 0..<kh {
                for x in 0..<kw {
                    let px0 = (col * cellW + gap + x) * zoom, py0 = (row * cellH + gap + y) * zoom
                    for c in 0..<outChannels {
                        let v = shown[(y * kw + x) * outChannels + c]
                        let byte: UInt8 = range > 0 && v.isFinite ? UInt8(max(0, min(255, ((v - lo) / range * 255).rounded()))) : 128
                        for dy in 0..<zoom {
                            for dx in 0..<zoom { pixels[((py0 + dy) * width + px0 + dx) * outChannels + c] = byte }
                        }
                    }
                }
            }
        }
        return PNG.Image(width: width, height: height, channels: outChannels, pixels: pixels)
    }
}
