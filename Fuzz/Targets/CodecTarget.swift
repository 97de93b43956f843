import SweepProtocol

extension FuzzTarget {
    /// Separates the frames of a codec input: never in UTF-8 text, so a seed's text
    /// frames (version, kind, JSON body) read as they are sent.
    public static let frameSeparator: UInt8 = 0xFF

    /// The frames of a codec input, split at every `frameSeparator` (so every frame count is reachable).
    public static func frames(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: frameSeparator, omittingEmptySubsequences: false).map(Array.init)
    }

    /// The wire codec: frames from any peer through `Codec.decode`; what decodes
    /// encodes to frames that decode to the same message, and encode the same again.
    static let codec = FuzzTarget(name: "codec") { bytes in
        guard let message = try? Codec.decode(frames(bytes)) else { return }
        let encoded = Codec.encode(message)
        let again: Message
        do {
            again = try Codec.decode(encoded)
        } catch {
            violated("decode(encode(m)) fails (\(error)) for \(message)")
        }
        guard again == message else { violated("decode(encode(m)) is \(again), not \(message)") }
        guard Codec.encode(again) == encoded else { violated("encode is not stable for \(message)") }
    }
}
