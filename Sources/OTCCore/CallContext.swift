public import Logging
import Synchronization

/// Everything a handler knows about the call it serves, passed explicitly (never a task-local).
public struct CallContext: Sendable {
    /// Unique per call, carried into logs and audit records.
    public var requestID: String
    public var method: String
    public var principal: Principal
    /// The tenant the call acts for, already checked against the principal; `nil` for platform methods.
    public var tenant: TenantSlug?
    /// When the caller stops waiting. Becomes the transaction's statement_timeout.
    public var deadline: ContinuousClock.Instant
    public var idempotencyKey: String?
    /// SHA-256 of method and request payload, to tell a retry from a different request under the same key.
    public var requestDigest: [UInt8]
    /// The least operator role the method needs (checked again inside each tenant transaction).
    public var minimumRole: Role
    public var logger: Logger
    /// Set by the store when a stored result is returned for a retried idempotency key.
    public let replay: ReplayFlag

    public init(
        requestID: String, method: String, principal: Principal, tenant: TenantSlug?,
        deadline: ContinuousClock.Instant, idempotencyKey: String? = nil, requestDigest: [UInt8] = [],
        minimumRole: Role = .viewer, logger: Logger
    ) {
        self.requestID = requestID
        self.method = method
        self.principal = principal
        self.tenant = tenant
        self.deadline = deadline
        self.idempotencyKey = idempotencyKey
        self.requestDigest = requestDigest
        self.minimumRole = minimumRole
        self.logger = logger
        self.replay = ReplayFlag()
    }

    /// The tenant, or FAILED_PRECONDITION when a tenant method was called without one.
    public func requireTenant() throws -> TenantSlug {
        guard let tenant else {
            throw OTCError.invalidArgument("this method acts for one client: set Call.tenant (otcctl: --tenant or a context)")
        }
        return tenant
    }

    /// Milliseconds until the deadline, at least 1.
    public var remainingMilliseconds: Int64 {
        let remaining = deadline - ContinuousClock.now
        let ms = remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000
        return max(1, ms)
    }
}

/// A one-way flag shared between a handler and the connection that sends its reply.
public final class ReplayFlag: Sendable {
    private let value = Atomic<Bool>(false)
    public init() {}
    public func set() { value.store(true, ordering: .relaxed) }
    public var isSet: Bool { value.load(ordering: .relaxed) }
}
