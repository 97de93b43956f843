import Foundation
import SweepConfig
import SweepData
import SweepEngine
import SweepReport
import SweepTrain

/// The report's look inside one trained network (`NetworkProbe`): for one test image per
/// class, occlusion and Grad-CAM maps over the image with the true and predicted class;
/// each convolution's feature maps for those images; the test images that excite up to 16
/// filters of each convolution most; and those filters' favourite inputs by gradient ascent.
/// Every picture is a PNG (libpng) inlined in the page.
public enum ProbePictures {
    /// Filters shown per convolution at most.
    public static let filters = 16

    /// One picture: its kind (occlusion-gradcam, feature-maps, filters), a file name
    /// without extension, and its caption as HTML.
    public struct Picture {
        public var kind: String
        public var name: String
        public var caption: String
        public var layer: String?
        /// The picture at one pixel per value; shown (and written to files) `zoom` times larger.
        public var image: PNG.Image
        public var zoom: Int

        /// The picture as a file shows it: every pixel a `zoom` × `zoom` square.
        public var enlarged: PNG.Image { image.enlarged(by: zoom) }
    }

    /// What the pictures are made from: the trained model and the test images.
    public struct Inputs {
        public let probe: NetworkProbe
        /// The first test image of each class, and its class.
        public let images: [[Float]], labels: [Int]
        /// The test images the top images are chosen from (the first 1,000).
        public let pool: [[Float]]
    }

    /// The model of `config` with `weights` (a state dict as training saves it), and its
    /// dataset's test images. Throws ConfigError when the data cannot be loaded or the
    /// weights do not fit.
    public static func inputs(config: TrainConfig, weights: [Safetensors.Tensor], datasets: DatasetCache? = nil) throws -> Inputs {
        let options = Trainer.dataOptions(config)
        let dataset = try datasets?.dataset(options) ?? loadDataset(options)
        let model = try Models.make(config, inputShape: dataset.shape, classes: dataset.classes)
        if let error = model.load(stateDict: weights) { throw ConfigError(error) }
        let count = min(dataset.test.count, 1000), size = dataset.shape.reduce(1, *)
        let all = Tensor(shape: [count] + dataset.shape)
        let labels = UnsafeMutablePointer<Int32>.allocate(capacity: max(count, 1))
        defer { labels.deallocate() }
        dataset.gather(dataset.test, indices: Array(0..<count)[...], images: all.data, labels: labels)
        let pool = (0..<count).map { Array(UnsafeBufferPointer(start: all.data + $0 * size, count: size)) }
        var firsts: [(image: [Float], label: Int)] = []
        for c in 0..<dataset.classes {
            if let i = (0..<count).first(where: { Int(labels[$0]) == c }) { firsts.append((pool[i], c)) }
        }
        return Inputs(probe: NetworkProbe(model), images: firsts.map(\.image), labels: firsts.map(\.label), pool: pool)
    }

    /// Every picture, and a note for each kind that does not apply.
    public static func pictures(_ inputs: Inputs) -> (pictures: [Picture], notes: [String: String]) {
        let (probe, images, labels, pool) = (inputs.probe, inputs.images, inputs.labels, inputs.pool)
        let shape = probe.model.inputShape
        let convs = probe.convolutions
        guard shape.count == 3 else {
            return ([], ["occlusion-gradcam": "Its input is not an image: no occlusion, Grad-CAM or feature maps."])
        }
        var pictures: [Picture] = []
        let probabilities = probe.probabilities(images)
        let patch = max(2, shape[1] / 7), stride = max(1, patch / 2)
        let camLayer = convs.last.map(probe.mapsNode(of:))
        for (i, image) in images.enumerated() {
            let predicted = probabilities[i].indices.max { probabilities[i][$0] < probabilities[i][$1] } ?? 0
            let occlusion = probe.occlusion(image, label: labels[i], patch: patch, stride: stride,
                                            fill: Array(repeating: 0, count: shape[0]))
            var canvas = Canvas(width: shape[2] * 3 + 8, height: shape[1], zoom: 4)
            canvas.image(image, shape: shape, at: (0, 0))
            canvas.heat(occlusion.map, rows: occlusion.rows, columns: occlusion.columns, over: image, shape: shape,
                        at: (shape[2] + 4, 0), invert: true)
            if let camLayer {
                let cam = probe.gradCAM(image, classIndex: predicted, layer: camLayer)
                canvas.heat(cam.map, rows: cam.rows, columns: cam.columns, over: image, shape: shape, at: (2 * shape[2] + 8, 0))
            }
            pictures.append(Picture(kind: "occlusion-gradcam", name: "class-\(labels[i])-occlusion-gradcam",
                                    caption: "true \(labels[i]) · predicted \(predicted) (\(String(format: "%.0f%%", probabilities[i][predicted] * 100)))",
                                    image: canvas.image, zoom: canvas.zoom))
        }
        guard !convs.isEmpty else {
            return (pictures, ["feature-maps": "No convolution (a recurrent network reads the image row by row, an MLP sees it flat): no Grad-CAM, feature maps, top images or filter pictures."])
        }
        let maps = images.map { probe.featureMaps($0) }
        for (k, conv) in convs.enumerated() {
            let s = maps[0][k].shape, (c, h, w) = (s[0], s[1], s[2]), shown = min(c, filters)
            var canvas = Canvas(width: shown * (w + 1), height: images.count * (h + 1), zoom: max(1, 56 / max(h, w)))
            for (row, m) in maps.enumerated() {
                for ch in 0..<shown {
                    canvas.gray(Array(m[k].values[(ch * h * w)..<((ch + 1) * h * w)]), rows: h, columns: w,
                                at: (ch * (w + 1), row * (h + 1)))
                }
            }
            let name = probe.model.nodes[conv].name
            pictures.append(Picture(kind: "feature-maps", name: "feature-maps-\(name)", caption: "<code>\(escape(name))</code> \(c)×\(h)×\(w)",
                                    layer: name, image: canvas.image, zoom: canvas.zoom))
        }
        let shown = convs.map { Array(0..<min(probe.model.shape(of: $0)[0], filters)) }
        let tops = probe.topImages(pool, layers: Array(zip(convs, shown)), count: 9)
        for (k, conv) in convs.enumerated() {
            let count = shown[k].count
            var canvas = Canvas(width: 10 * (shape[2] + 1) + 3, height: count * (shape[1] + 1), zoom: 2)
            let ascents = probe.gradientAscent(layer: conv, filters: shown[k], steps: 20, rate: 0.1, seeds: shown[k].map { $0 + 1 })
            for f in 0..<count {
                for (j, index) in tops[k][f].enumerated() { canvas.image(pool[index], shape: shape, at: (j * (shape[2] + 1), f * (shape[1] + 1))) }
                canvas.image(ascents[f].image, shape: shape, at: (9 * (shape[2] + 1) + 3, f * (shape[1] + 1)))
            }
            let name = probe.model.nodes[conv].name
            pictures.append(Picture(kind: "filters", name: "filters-\(name)",
                                    caption: "<code>\(escape(name))</code>: top 9 test images | gradient ascent", layer: name,
                                    image: canvas.image, zoom: canvas.zoom))
        }
        return (pictures, [:])
    }

    /// One network's pictures as HTML, every picture inlined.
    public static func html(_ inputs: Inputs) -> String {
        html(pictures(inputs), pool: inputs.pool.count)
    }

    /// The HTML of pictures made from `pool` test images, every picture inlined.
    public static func html(_ made: (pictures: [Picture], notes: [String: String]), pool: Int) -> String {
        let (pictures, notes) = made
        func figures(_ kind: String) -> String {
            pictures.filter { $0.kind == kind }.map { p in
                "<figure class=\"probe\" data-picture=\"\(kind)\"\(p.layer.map { " data-layer=\"\(escape($0))\"" } ?? "")>"
                    + "\(img(p.image, alt: p.name, zoom: p.zoom))<figcaption>\(p.caption)</figcaption></figure>\n"
            }.joined()
        }
        var html = ""
        if let note = notes["occlusion-gradcam"] { return html + "<p class=\"note\">\(note)</p>" }
        html += "<h3>Occlusion and Grad-CAM</h3>\n<p class=\"note\">Each image, then its occlusion map: the probability of the true class with a grey square over each place (red: the square hides what the network needs); "
        html += "then Grad-CAM: the last convolution's maps weighted by their mean gradient for the predicted class (red: what the class rests on).</p>\n"
        html += "<div class=\"probe-grid\">\n" + figures("occlusion-gradcam") + "</div>\n"
        if let note = notes["feature-maps"] { return html + "<p class=\"note\">\(note)</p>" }
        html += "<h3>Feature maps</h3>\n<p class=\"note\">Each convolution's maps after its activation, one row per image (class 0 at the top), up to \(filters) channels, each map on its own range.</p>\n"
        html += figures("feature-maps")
        html += "<h3>What the filters respond to</h3>\n<p class=\"note\">Per convolution, up to \(filters) filters, one row each: the 9 test images that excite it most (of \(pool)), then the input that excites it most, grown by gradient ascent from noise.</p>\n"
        return html + figures("filters")
    }

    /// The picture at one pixel per value, shown `zoom` times larger with square pixels
    /// (a quarter to a sixteenth of the bytes of a PNG drawn enlarged).
    static func img(_ image: PNG.Image, alt: String, zoom: Int) -> String {
        guard let png = try? PNG.encode(image) else { return "" }
        return "<img class=\"probe\" alt=\"\(escape(alt))\" width=\"\(image.width * zoom)\" height=\"\(image.height * zoom)\" src=\"data:image/png;base64,\(Data(png).base64EncodedString())\">"
    }
}

/// An RGB picture built from float maps, each scaled to its own range, at one pixel per
/// value; `zoom` is how much larger it is shown.
struct Canvas {
    let width: Int, height: Int, zoom: Int
    private var pixels: [UInt8]
    /// Whether any pixel is not grey: a grey picture is stored with one channel, a third of the bytes.
    private var colored = false

    init(width: Int, height: Int, zoom: Int) {
        (self.width, self.height, self.zoom) = (width, height, zoom)
        pixels = Array(repeating: 255, count: width * height * 3)
    }

    private mutating func set(_ x: Int, _ y: Int, _ rgb: (Double, Double, Double)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        func byte(_ v: Double) -> UInt8 { UInt8(max(0, min(255, (v * 255).rounded()))) }
        let p = (y * width + x) * 3
        (pixels[p], pixels[p + 1], pixels[p + 2]) = (byte(rgb.0), byte(rgb.1), byte(rgb.2))
        if pixels[p] != pixels[p + 1] || pixels[p + 1] != pixels[p + 2] { colored = true }
    }

    /// values in 0…1 on their own range (0.5 where they are all equal).
    private static func scaled(_ values: [Float]) -> [Double] {
        let finite = values.filter(\.isFinite)
        let lo = Double(finite.min() ?? 0), hi = Double(finite.max() ?? 0)
        return values.map { hi > lo && $0.isFinite ? (Double($0) - lo) / (hi - lo) : 0.5 }
    }

    /// An image (C, H, W) as one grey plane (H, W): the mean of its channels.
    private static func channelMean(_ image: [Float], shape: [Int]) -> [Float] {
        let (c, area) = (shape[0], shape[1] * shape[2])
        return (0..<area).map { p in (0..<c).reduce(Float(0)) { $0 + image[$1 * area + p] } / Float(c) }
    }

    /// An image (C, H, W): RGB when it has three channels, grey otherwise (the channel mean).
    mutating func image(_ image: [Float], shape: [Int], at origin: (Int, Int)) {
        let (c, h, w) = (shape[0], shape[1], shape[2])
        let shown = Self.scaled(c == 3 ? image : Self.channelMean(image, shape: shape))
        for y in 0..<h {
            for x in 0..<w {
                let p = y * w + x
                set(origin.0 + x, origin.1 + y, c == 3 ? (shown[p], shown[h * w + p], shown[2 * h * w + p]) : (shown[p], shown[p], shown[p]))
            }
        }
    }

    /// A map in grey on its own range.
    mutating func gray(_ values: [Float], rows: Int, columns: Int, at origin: (Int, Int)) {
        let v = Self.scaled(values)
        for y in 0..<rows { for x in 0..<columns { set(origin.0 + x, origin.1 + y, (v[y * columns + x], v[y * columns + x], v[y * columns + x])) } }
    }

    /// A map (rows × columns, stretched over the image) in red over the image in grey: the
    /// higher the value (the lower with `invert`), the redder.
    mutating func heat(_ map: [Float], rows: Int, columns: Int, over image: [Float], shape: [Int], at origin: (Int, Int),
                       invert: Bool = false) {
        let (h, w) = (shape[1], shape[2])
        let base = Self.scaled(Self.channelMean(image, shape: shape))
        let heat = Self.scaled(map).map { invert ? 1 - $0 : $0 }
        for y in 0..<h {
            for x in 0..<w {
                let m = heat[min(rows - 1, y * rows / h) * columns + min(columns - 1, x * columns / w)], g = 0.35 + 0.5 * base[y * w + x]
                set(origin.0 + x, origin.1 + y, (g * (1 - m) + m, g * (1 - m) + 0.15 * m, g * (1 - m) + 0.1 * m))
            }
        }
    }

    var image: PNG.Image {
        guard colored else {
            return PNG.Image(width: width, height: height, channels: 1, pixels: (0..<(width * height)).map { pixels[$0 * 3] })
        }
        return PNG.Image(width: width, height: height, channels: 3, pixels: pixels)
    }
}
