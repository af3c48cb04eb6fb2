/// The one error type that crosses module boundaries on its way to the wire.
///
/// Modelled on grpc-swift's `RPCError`: a struct with an extensible ``Code``, a message a person
/// can act on, machine-readable details, and an optional underlying cause that is logged but
/// never sent to the client.
public struct OTCError: Error, Sendable, CustomStringConvertible {
    public var code: Code
    public var message: String
    public var details: [String: String]
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, details: [String: String] = [:], cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.details = details
        self.cause = cause
    }

    public var description: String { "\(code): \(message)" }

    /// A canonical status code with gRPC's numbering. A struct over a private enum, so new codes
    /// can be added without breaking exhaustive switches in other modules.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Int, Sendable {
            case ok = 0, cancelled, unknown, invalidArgument, deadlineExceeded, notFound, alreadyExists,
                permissionDenied, resourceExhausted, failedPrecondition, aborted, outOfRange,
                unimplemented, internalError, unavailable, dataLoss, unauthenticated
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The gRPC status number, e.g. 3 for INVALID_ARGUMENT.
        public var rawValue: Int { wrapped.rawValue }

        public init?(rawValue: Int) {
            guard let wrapped = Wrapped(rawValue: rawValue) else { return nil }
            self.wrapped = wrapped
        }

        public static let ok = Code(.ok)
        public static let cancelled = Code(.cancelled)
        public static let unknown = Code(.unknown)
        public static let invalidArgument = Code(.invalidArgument)
        public static let deadlineExceeded = Code(.deadlineExceeded)
        public static let notFound = Code(.notFound)
        public static let alreadyExists = Code(.alreadyExists)
        public static let permissionDenied = Code(.permissionDenied)
        public static let resourceExhausted = Code(.resourceExhausted)
        public static let failedPrecondition = Code(.failedPrecondition)
        public static let aborted = Code(.aborted)
        public static let outOfRange = Code(.outOfRange)
        public static let unimplemented = Code(.unimplemented)
        public static let internalError = Code(.internalError)
        public static let unavailable = Code(.unavailable)
        public static let dataLoss = Code(.dataLoss)
        public static let unauthenticated = Code(.unauthenticated)

        public var description: String {
            switch wrapped {
            case .ok: "OK"
            case .cancelled: "CANCELLED"
            case .unknown: "UNKNOWN"
            case .invalidArgument: "INVALID_ARGUMENT"
            case .deadlineExceeded: "DEADLINE_EXCEEDED"
            case .notFound: "NOT_FOUND"
            case .alreadyExists: "ALREADY_EXISTS"
            case .permissionDenied: "PERMISSION_DENIED"
            case .resourceExhausted: "RESOURCE_EXHAUSTED"
            case .failedPrecondition: "FAILED_PRECONDITION"
            case .aborted: "ABORTED"
            case .outOfRange: "OUT_OF_RANGE"
            case .unimplemented: "UNIMPLEMENTED"
            case .internalError: "INTERNAL"
            case .unavailable: "UNAVAILABLE"
            case .dataLoss: "DATA_LOSS"
            case .unauthenticated: "UNAUTHENTICATED"
            }
        }
    }
}

extension OTCError {
    public static func invalidArgument(_ message: String, details: [String: String] = [:]) -> OTCError {
        OTCError(.invalidArgument, message, details: details)
    }
    public static func notFound(_ message: String) -> OTCError { OTCError(.notFound, message) }
    public static func failedPrecondition(_ message: String, details: [String: String] = [:]) -> OTCError {
        OTCError(.failedPrecondition, message, details: details)
    }
    public static func permissionDenied(_ message: String) -> OTCError { OTCError(.permissionDenied, message) }
    public static func alreadyExists(_ message: String) -> OTCError { OTCError(.alreadyExists, message) }
    public static func `internal`(_ cause: any Error) -> OTCError {
        OTCError(.internalError, "internal error; the server logged the cause", cause: cause)
    }
}

/// Domain errors map themselves to a wire status by conforming to this protocol
/// (grpc-swift's `RPCErrorConvertible`). Anything else becomes INTERNAL with a logged cause.
public protocol OTCErrorConvertible: Error {
    var otcError: OTCError { get }
}

extension OTCError: OTCErrorConvertible {
    public var otcError: OTCError { self }
}
