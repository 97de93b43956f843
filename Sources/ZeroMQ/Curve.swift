/// CURVE keys in Z85 text: 40 characters for 32 bytes.
public enum Curve {
    /// A new key pair (zmq_curve_keypair); `.notSupported` if libzmq lacks CURVE.
    public static func keyPair() throws(ZMQError) -> (publicKey: String, secretKey: String) {
        try LibZMQ.curveKeyPair()
    }

    /// The public key belonging to a Z85 secret key (zmq_curve_public).
    public static func publicKey(fromSecret secretKey: String) throws(ZMQError) -> String {
        guard isKey(secretKey) else {
            throw ZMQError.invalidArgument.during("Curve.publicKey(fromSecret:) needs 40 Z85 characters")
        }
        return try LibZMQ.curvePublicKey(fromSecret: secretKey)
    }

    /// Whether `text` has the shape of a Z85 CURVE key (40 Z85 characters).
    public static func isKey(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy(z85Alphabet.contains)
    }

    /// Z85 text of a 32-byte binary key (as ZAP hands it over).
    public static func z85(_ key: [UInt8]) throws(ZMQError) -> String {
        guard key.count == 32 else { throw ZMQError.invalidArgument.during("Curve.z85: \(key.count) bytes, not 32") }
        return try LibZMQ.z85Encode(key)
    }

    private static let z85Alphabet = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)
}

/// The linked libzmq's version (zmq_version).
public var zmqVersion: (major: Int, minor: Int, patch: Int) { LibZMQ.version }

/// Whether the linked libzmq supports CURVE security (zmq_has("curve")).
public var zmqHasCurve: Bool { LibZMQ.has("curve") }
