public import Logging
public import OTCCore
public import PostgresNIO
public import SwiftProtobuf
public import Foundation
import NIOCore
import Synchronization

/// The only way to touch tenant data (ARCHITECTURE §4).
///
/// Every transaction starts with one statement that, still as the server's NOINHERIT login role,
/// re-checks that the tenant is active and that the principal may still act for it (a key revoked
/// or a grant withdrawn mid-connection takes effect on the next call), and in the same round trip
/// switches to the tenant's role and schema with `set_config(…, true)`: transaction-local, so a
/// pooled connection comes back clean at COMMIT or ROLLBACK. The call's deadline becomes the
/// transaction's `statement_timeout`.
public struct TenantStore: Sendable {
    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Runs `body` in a transaction scoped to the context's tenant.
    public func transaction<Result: Sendable>(
        _ context: CallContext,
        _ body: (TenantTransaction) async throws -> Result
    ) async throws -> Result {
        let tenant = try context.requireTenant()
        do {
            return try await client.withTransaction(logger: context.logger) { connection in
                let (timeZone, role) = try await Self.enter(tenant: tenant, context: context, connection: connection)
                return try await body(TenantTransaction(connection: connection, tenant: tenant, context: context, timeZone: timeZone,
                                                        role: role))
            }
        } catch {
            throw PostgresErrors.map(error)
        }
    }

    /// Like `transaction`, and honours the call's idempotency key: the first result is stored in the
    /// same transaction as the change; a retry returns it without running `body`; the same key with
    /// a different request is INVALID_ARGUMENT. Concurrent retries queue on the key's unique index,
    /// so exactly one of them runs `body`.
    public func idempotentTransaction<Response: SwiftProtobuf.Message>(
        _ context: CallContext,
        _ body: (TenantTransaction) async throws -> Response
    ) async throws -> Response {
        guard let key = context.idempotencyKey, !key.isEmpty else { return try await transaction(context, body) }
        return try await transaction(context) { tx in
            let claimed = try await tx.connection.query(
                """
                INSERT INTO idempotency_keys (key, method, request_digest, principal)
                VALUES (\(key), \(context.method), \(ByteBuffer(bytes: context.requestDigest)), \(context.principal.auditID))
                ON CONFLICT (key) DO NOTHING RETURNING 1
                """, logger: context.logger
            ).collect().count == 1
            if !claimed {
                let rows = try await tx.connection.query(
                    "SELECT method, request_digest, response FROM idempotency_keys WHERE key = \(key)",
                    logger: context.logger)
                for try await (method, digest, response) in rows.decode((String, ByteBuffer, ByteBuffer?).self) {
                    guard method == context.method, Array(digest.readableBytesView) == context.requestDigest else {
                        throw OTCError.invalidArgument(
                            "idempotency key '\(key)' was already used for a different request (\(method)); use a new key for a new request")
                    }
                    guard let response else { break }
                    context.replay.set()
                    return try Response(serializedBytes: Array(response.readableBytesView))
                }
                throw OTCError(.aborted, "idempotency key '\(key)' is held by a call that has not finished; retry shortly")
            }
            let response = try await body(tx)
            let bytes: [UInt8] = try response.serializedBytes()
            try await tx.connection.query(
                "UPDATE idempotency_keys SET response = \(ByteBuffer(bytes: bytes)) WHERE key = \(key)",
                logger: context.logger)
            return response
        }
    }

    /// The scoping statement. Reads otc_control as the login role, then switches role, schema and
    /// time zone (so `current_date` in SQL is the tenant's business day). Returns the time zone and
    /// the operator's role on the tenant as granted now (nil for ERP credentials).
    static func enter(tenant: TenantSlug, context: CallContext, connection: PostgresConnection) async throws -> (String, Role?) {
        let (kind, principalID): (String, String) = switch context.principal {
        case .erp(let id, _, _): ("erp", id)
        case .operatorAccount(let login, _, true): ("admin", login)
        case .operatorAccount(let login, _, false): ("operator", login)
        }
        let timeout = String(context.remainingMilliseconds)
        let rows = try await connection.query(
            """
            SELECT t.status, t.status_reason, t.time_zone,
                   CASE \(kind)
                       WHEN 'erp' THEN (SELECT c.status FROM otc_control.credentials c WHERE c.id = \(principalID) AND c.tenant = t.slug)
                       WHEN 'operator' THEN (SELECT g.role FROM otc_control.grants g WHERE g.login = \(principalID) AND g.tenant = t.slug)
                       ELSE 'admin'
                   END,
                   set_config('role', \(tenant.roleName), true),
                   set_config('search_path', \(tenant.schemaName), true),
                   set_config('statement_timeout', \(timeout), true),
                   set_config('timezone', t.time_zone, true)
            FROM otc_control.tenants t WHERE t.slug = \(tenant.rawValue)
            """, logger: context.logger)
        var found: String?
        var role: Role?
        for try await (status, reason, timeZone, access) in rows.decode((String, String, String, String?).self) {
            found = timeZone
            switch status {
            case "active": break
            case "suspended":
                throw OTCError.failedPrecondition(
                    "client '\(tenant)' is suspended\(reason.isEmpty ? "" : ": \(reason)"); no calls are accepted until a platform admin resumes it")
            default:
                throw OTCError(.unavailable, "client '\(tenant)' is still being onboarded; retry when onboarding has finished")
            }
            switch kind {
            case "erp" where access != "active":
                throw OTCError(.unauthenticated, "this API key has been revoked; ask the delivery center for a new one")
            case "operator":
                guard let access, let granted = Role(rawValue: access) else {
                    throw OTCError.permissionDenied("you have no role on client '\(tenant)'; ask a platform admin for a grant")
                }
                guard granted >= context.minimumRole else {
                    throw OTCError.permissionDenied(
                        "\(context.method) needs the \(context.minimumRole.rawValue) role on '\(tenant)'; you are \(granted.rawValue)")
                }
                role = granted
            case "admin": role = .admin
            default: break
            }
        }
        guard let found else {
            // Only platform admins learn which tenants exist; everyone else sees a denial.
            if kind == "admin" { throw OTCError.notFound("client '\(tenant)' does not exist") }
            throw OTCError.permissionDenied("you have no role on client '\(tenant)'; ask a platform admin for a grant")
        }
        return (found, role)
    }
}

/// A transaction inside one tenant's schema, as that tenant's role. Domain stores run their SQL on
/// `connection`; cross-process steps (order → credit → invoice → AR) share one of these, so they
/// commit or roll back together.
public struct TenantTransaction: Sendable {
    public let connection: PostgresConnection
    public let tenant: TenantSlug
    public let context: CallContext
    /// The tenant's IANA time zone; SQL's `current_date` is already set to it.
    public let timeZone: String
    /// The operator's role on this tenant, read in this transaction (maker-checker approval limits
    /// depend on it); nil for ERP credentials.
    public let role: Role?

    public var logger: Logger { context.logger }

    /// Today in the tenant's time zone: the default issue date and "as of" date.
    public var today: BusinessDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? .gmt
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        return BusinessDate(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1) ?? BusinessDate(utc: Date())
    }

    /// Runs one statement, mapping database errors to wire statuses.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try await connection.query(query, logger: context.logger)
    }

    /// Appends to the tenant's audit log (the database refuses UPDATE and DELETE on it).
    public func audit(action: String, entityType: String, entityID: String, details: [String: String] = [:]) async throws {
        let json = JSONText.object(details)
        try await query(
            """
            INSERT INTO audit_log (principal, request_id, method, action, entity_type, entity_id, details)
            VALUES (\(context.principal.auditID), \(context.requestID), \(context.method), \(action), \(entityType), \(entityID), \(json)::jsonb)
            """)
    }

    /// The rule set in force now (the highest version already effective).
    public func currentRules() async throws -> VersionedRules {
        let rows = try await query(
            "SELECT version, body::text FROM rule_sets WHERE effective_from <= now() ORDER BY version DESC LIMIT 1")
        for try await (version, body) in rows.decode((Int, String).self) {
            return VersionedRules(version: version, rules: try RulesCache.shared.rules(for: body))
        }
        return VersionedRules(version: 0, rules: .defaults)
    }

    /// Opens a work-queue task whose SLA comes from the rules.
    @discardableResult
    public func openTask(kind: String, subjectType: String, subjectID: String, title: String,
                         rules: VersionedRules, details: [String: String] = [:]) async throws -> UUID {
        let hours = rules.rules.slaHours(for: kind)
        let json = JSONText.object(details)
        let rows = try await query(
            """
            INSERT INTO tasks (kind, subject_type, subject_id, title, sla_due_at, rules_version, details)
            VALUES (\(kind), \(subjectType), \(subjectID), \(title), now() + make_interval(hours => \(hours)::int), \(rules.version), \(json)::jsonb)
            RETURNING id
            """)
        for try await id in rows.decode(UUID.self) { return id }
        throw OTCError.internal(OTCStoreError.configuration("task insert returned no id"))
    }

    /// Closes the open tasks of a subject (optionally of one kind) with a resolution.
    public func closeTasks(subjectType: String, subjectID: String, kind: String? = nil,
                           status: String = "done", resolution: String) async throws {
        try await query(
            """
            UPDATE tasks SET status = \(status), closed_at = now(), closed_by = \(context.principal.auditID), resolution = \(resolution)
            WHERE subject_type = \(subjectType) AND subject_id = \(subjectID) AND status = 'open'
              AND (\(kind)::text IS NULL OR kind = \(kind))
            """)
    }
}

/// Decoded rule sets by their stored JSON. A stored rule-set version is never edited, and decoding
/// JSON on every order showed up in profiles; keyed by the text itself, a changed body is a miss.
final class RulesCache: Sendable {
    static let shared = RulesCache()
    private let cache = Mutex<[String: TenantRules]>([:])

    func rules(for body: String) throws -> TenantRules {
        if let hit = cache.withLock({ $0[body] }) { return hit }
        let rules = try JSONDecoder().decode(TenantRules.self, from: Data(body.utf8))
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[body] = rules
        }
        return rules
    }
}

extension JSONEncoder {
    /// Deterministic JSON for audit details.
    public static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension TenantTransaction {
    /// Runs `body` under a savepoint: when it throws, only its own statements are undone and the
    /// transaction goes on, so one receipt that cannot post does not fail a whole matching run.
    public func savepoint<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await query("SAVEPOINT step")
        do {
            let result = try await body()
            try await query("RELEASE SAVEPOINT step")
            return result
        } catch {
            try await query("ROLLBACK TO SAVEPOINT step")
            throw error
        }
    }
}
