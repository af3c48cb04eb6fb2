import Crypto
import Foundation

/// Issues and verifies API keys and operator tokens.
///
/// A secret is `<prefix>_<id>_<secret>`: the id finds the row, the secret is checked against its
/// HMAC-SHA256 under the server pepper in constant time. The database never holds a usable key, and
/// a stolen table is useless without the pepper, which lives only in the server's configuration.
public struct SecretKeeper: Sendable {
    private let pepper: SymmetricKey

    public init(pepper: [UInt8]) {
        precondition(pepper.count >= 16, "the pepper must have at least 16 bytes")
        self.pepper = SymmetricKey(data: pepper)
    }

    /// A new secret of the given kind; only its HMAC may be stored.
    public func issue(prefix: String) -> (id: String, token: String, hmac: [UInt8]) {
        let id = Self.randomString(length: 12, alphabet: "abcdefghijkmnpqrstuvwxyz23456789")
        let secret = Self.randomString(length: 40, alphabet: "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789")
        return (id, "\(prefix)_\(id)_\(secret)", mac(secret))
    }

    public func mac(_ secret: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(secret.utf8), using: pepper))
    }

    /// Constant-time check of a presented secret against a stored HMAC.
    public func verify(secret: String, storedHMAC: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(storedHMAC, authenticating: Array(secret.utf8), using: pepper)
    }

    /// Splits `prefix_id_secret`; `nil` when the shape is wrong.
    public static func parse(_ token: String, prefix: String) -> (id: String, secret: String)? {
        let parts = token.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == prefix, !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        return (String(parts[1]), String(parts[2]))
    }

    static func randomString(length: Int, alphabet: String) -> String {
        let chars = Array(alphabet)
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in chars[Int(generator.next(upperBound: UInt64(chars.count)))] })
    }

    /// Hex SHA-256, used for certificate fingerprints and request digests.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}
