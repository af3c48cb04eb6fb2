import Foundation

/// How a client proves who it is in Hello.
public enum ClientCredential: Sendable {
    case apiKey(String)
    case operatorToken(String)
    /// No token: the TLS client certificate in `ClientOptions` authenticates.
    case clientCertificate
}

/// How the client decides to trust the server's certificate.
public enum ServerTrust: Sendable {
    /// The platform's trust store and a hostname check (production).
    case system
    /// Trust exactly the certificate in this PEM file (dev certificates from `scripts/serve`).
    case pinned(certificatePath: String)
    /// No verification at all. Only for throwaway local experiments.
    case insecure
}

public struct ClientOptions: Sendable {
    public var host: String
    public var port: Int
    public var credential: ClientCredential
    public var trust: ServerTrust
    public var clientName: String
    /// PEM files of a client certificate and key, for mTLS.
    public var clientCertificatePath: String?
    public var clientKeyPath: String?
    /// Largest frame this client accepts from the server.
    public var maxFrameBytes: Int = 8 * 1024 * 1024
    public var connectTimeout: Duration = .seconds(10)

    public init(host: String, port: Int, credential: ClientCredential, trust: ServerTrust, clientName: String = "otc-swift-client") {
        self.host = host
        self.port = port
        self.credential = credential
        self.trust = trust
        self.clientName = clientName
    }

    /// Parses "host:port" (port defaults to 7443).
    public static func endpoint(_ text: String) -> (host: String, port: Int) {
        if let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) {
            return (String(text[..<colon]), port)
        }
        return (text, 7443)
    }
}

/// A non-OK status from the server, or a failure of the connection itself.
public struct RPCStatusError: Error, Sendable, CustomStringConvertible {
    /// gRPC canonical code name, e.g. "PERMISSION_DENIED".
    public var code: Code
    public var message: String
    public var details: [String: String]

    public init(code: Code, message: String, details: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code.name): \(message)" }

    /// Wraps the wire code number so callers need not import the generated types.
    public struct Code: Hashable, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let cancelled = Code(rawValue: 1)
        public static let invalidArgument = Code(rawValue: 3)
        public static let deadlineExceeded = Code(rawValue: 4)
        public static let notFound = Code(rawValue: 5)
        public static let alreadyExists = Code(rawValue: 6)
        public static let permissionDenied = Code(rawValue: 7)
        public static let resourceExhausted = Code(rawValue: 8)
        public static let failedPrecondition = Code(rawValue: 9)
        public static let aborted = Code(rawValue: 10)
        public static let unimplemented = Code(rawValue: 12)
        public static let internalError = Code(rawValue: 13)
        public static let unavailable = Code(rawValue: 14)
        public static let unauthenticated = Code(rawValue: 16)

        public var name: String {
            ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
             "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
             "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"][safe: rawValue] ?? "CODE_\(rawValue)"
        }

        /// Codes after which the very same call (same idempotency key) may succeed. ABORTED is not
        /// among them: it asks the caller to re-read and decide again (e.g. a stale order version).
        public var isRetryable: Bool { [Code.unavailable, .resourceExhausted, .aborted].contains(self) }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
