import CPNG

/// 8-bit grey or RGB images to and from PNG bytes, through libpng's simplified
/// API (`png_image_*`, libpng ≥ 1.6), which reports errors in `png_image.message`
/// instead of longjmp, so Swift can call it safely.
public enum PNG {
    public struct Image: Sendable, Equatable {
        public let width: Int
        public let height: Int
        /// 1 (grey) or 3 (RGB).
        public let channels: Int
        /// Rows top to bottom, `width × channels` bytes each.
        public var pixels: [UInt8]

        public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
            precondition(channels == 1 || channels == 3)
            precondition(pixels.count == width * height * channels)
            self.width = width
            self.height = height
            self.channels = channels
            self.pixels = pixels
        }

        /// The image with every pixel a `zoom` × `zoom` square.
        public func enlarged(by zoom: Int) -> Image {
            guard zoom > 1 else { return self }
            let rowBytes = width * channels
            var out = [UInt8](repeating: 0, count: rowBytes * zoom * height * zoom)
            for y in 0..<height {
                let row = y * zoom * rowBytes * zoom
                for x in 0..<width {
                    for c in 0..<channels {
                        let v = pixels[y * rowBytes + x * channels + c]
                        for dx in 0..<zoom { out[row + (x * zoom + dx) * channels + c] = v }
                    }
                }
                for dy in 1..<zoom {
                    out.replaceSubrange((row + dy * rowBytes * zoom)..<(row + (dy + 1) * rowBytes * zoom),
                                        with: out[row..<(row + rowBytes * zoom)])
                }
            }
            return Image(width: width * zoom, height: height * zoom, channels: channels, pixels: out)
        }
    }

    public struct PNGError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    private static func newImage() -> png_image {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        return image
    }

    private static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    public static func encode(_ img: Image) throws -> [UInt8] {
        var image = newImage()
        image.width = png_uint_32(img.width)
        image.height = png_uint_32(img.height)
        image.format = img.channels == 3 ? cpng_format_rgb : cpng_format_gray
        let stride = png_int_32(img.width * img.channels)
        var size: png_alloc_size_t = 0
        // first call sizes the output, second writes it
        let sized = img.pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, stride, nil) }
        guard sized != 0 else { throw PNGError(description: "libpng: \(message(&image))") }
        var out = [UInt8](repeating: 0, count: Int(size))
        let written = img.pixels.withUnsafeBytes { pixels in
            out.withUnsafeMutableBytes { png_image_write_to_memory(&image, $0.baseAddress, &size, 0, pixels.baseAddress, stride, nil) }
        }
        guard written != 0 else { throw PNGError(description: "libpng: \(message(&image))") }
        return Array(out.prefix(Int(size)))
    }

    /// Decodes any PNG to 8-bit grey or RGB (colour images become RGB, alpha is composed away by libpng).
    public static func decode(_ bytes: [UInt8]) throws -> Image {
        var image = newImage()
        let began = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard began != 0 else { throw PNGError(description: "libpng: \(message(&image))") }
        let colour = image.format & cpng_format_rgb != 0
        image.format = colour ? cpng_format_rgb : cpng_format_gray
        let channels = colour ? 3 : 1
        let (w, h) = (Int(image.width), Int(image.height))
        var pixels = [UInt8](repeating: 0, count: w * h * channels)
        let finished = pixels.withUnsafeMutableBytes {
            png_image_finish_read(&image, nil, $0.baseAddress, png_int_32(w * channels), nil)
        }
        guard finished != 0 else { throw PNGError(description: "libpng: \(message(&image))") }
        return Image(width: w, height: h, channels: channels, pixels: pixels)
    }
}
