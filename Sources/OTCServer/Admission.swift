import OTCCore
import Synchronization

/// Decides whether a call may run: principal × tenant × method access, then the per-tenant
/// limiter (in flight and rate) and the per-service bulkhead.
final class Admission: Sendable {
    private let limits: AdmissionLimits
    private let state: Mutex<State>

    private struct State {
        var tenantInFlight: [String: Int] = [:]
        var serviceInFlight: [String: Int] = [:]
        var buckets: [String: TokenBucket] = [:]
    }

    init(limits: AdmissionLimits) {
        self.limits = limits
        self.state = Mutex(State())
    }

    /// Access rules of ARCHITECTURE §5. Throws PERMISSION_DENIED / INVALID_ARGUMENT with the reason.
    static func authorize(_ principal: Principal, tenant: TenantSlug?, method: RPCMethod) throws -> Role {
        // An ERP key never names another tenant, whatever the method.
        if let tenant, case .erp(_, let bound, _) = principal, bound != tenant {
            throw OTCError.permissionDenied("this API key belongs to client '\(bound)'; it cannot act for '\(tenant)'")
        }
        switch method.access {
        case .anyPrincipal:
            return .viewer
        case .platformAdmin:
            guard principal.isPlatformAdmin else {
                throw OTCError.permissionDenied("\(method.name) is for platform admins only")
            }
            return .admin
        case .tenant(let scope, let role, let erpAllowed):
            guard tenant != nil else {
                throw OTCError.invalidArgument("\(method.name) acts for one client: set Call.tenant (otcctl: --tenant or a context)")
            }
            switch principal {
            case .erp(_, _, let scopes):
                guard erpAllowed else {
                    throw OTCError.permissionDenied("\(method.name) is for delivery-center operators, not ERP keys")
                }
                guard scope.isSatisfied(by: scopes) else {
                    throw OTCError.permissionDenied("\(method.name) needs the scope \(scope); this key has \(scopes.map(\.rawValue).sorted().joined(separator: ", "))")
                }
                return role
            case .operatorAccount:
                // Operators' grants change while they are connected, so the authoritative check
                // (grant exists, role high enough) runs inside the tenant transaction, against
                // otc_control as it is now (TenantStore.enter).
                return role
            }
        }
    }

    /// Takes a slot for the call or throws RESOURCE_EXHAUSTED with a retry hint; call `release` after.
    func acquire(tenant: TenantSlug?, service: String, now: ContinuousClock.Instant = .now) throws {
        try state.withLock { state in
            if let tenant {
                let key = tenant.rawValue
                if limits.tenantCallsPerSecond > 0 {
                    var bucket = state.buckets[key] ?? TokenBucket(rate: limits.tenantCallsPerSecond, burst: limits.tenantBurst, now: now)
                    guard bucket.take(now: now) else {
                        state.buckets[key] = bucket
                        throw OTCError(.resourceExhausted,
                                       "client '\(tenant)' is over its rate of \(limits.tenantCallsPerSecond) calls/s; slow down and retry",
                                       details: ["retry_after_ms": "\(bucket.millisecondsUntilToken())"])
                    }
                    state.buckets[key] = bucket
                }
                guard state.tenantInFlight[key, default: 0] < limits.tenantCallsInFlight else {
                    throw OTCError(.resourceExhausted,
                                   "client '\(tenant)' already has \(limits.tenantCallsInFlight) calls in flight; retry when some finish",
                                   details: ["retry_after_ms": "50"])
                }
                state.tenantInFlight[key, default: 0] += 1
            }
            guard state.serviceInFlight[service, default: 0] < limits.serviceCallsInFlight else {
                if let tenant { state.tenantInFlight[tenant.rawValue, default: 1] -= 1 }
                throw OTCError(.resourceExhausted, "\(service) is at its limit of \(limits.serviceCallsInFlight) calls in flight; retry shortly",
                               details: ["retry_after_ms": "50"])
            }
            state.serviceInFlight[service, default: 0] += 1
        }
    }

    func release(tenant: TenantSlug?, service: String) {
        state.withLock { state in
            if let tenant { state.tenantInFlight[tenant.rawValue, default: 1] -= 1 }
            state.serviceInFlight[service, default: 1] -= 1
        }
    }
}

/// Classic token bucket: `rate` tokens per second, at most `burst` saved up.
struct TokenBucket {
    let rate: Double
    let burst: Double
    var tokens: Double
    var last: ContinuousClock.Instant

    init(rate: Int, burst: Int, now: ContinuousClock.Instant) {
        self.rate = Double(rate)
        self.burst = Double(max(burst, rate))
        self.tokens = self.burst
        self.last = now
    }

    mutating func take(now: ContinuousClock.Instant) -> Bool {
        let elapsed = now - last
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + seconds * rate)
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    func millisecondsUntilToken() -> Int {
        max(1, Int(((1 - tokens) / rate * 1000).rounded(.up)))
    }
}
