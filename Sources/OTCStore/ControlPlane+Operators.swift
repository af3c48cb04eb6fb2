public import OTCCore
import Foundation
import NIOCore
import PostgresNIO

extension ControlPlane {
    /// Creates an operator and returns their token once.
    public func createOperator(login: String, displayName: String, platformAdmin: Bool,
                               context: CallContext) async throws -> (OperatorRecord, token: String) {
        guard login.range(of: "^[a-z][a-z0-9._-]{1,63}$", options: .regularExpression) != nil else {
            throw OTCError.invalidArgument(
                "login '\(login)' is invalid: 2-64 characters, a lower-case letter first, then lower-case letters, digits, '.', '_' or '-'")
        }
        let issued = secrets.issue(prefix: Self.operatorTokenPrefix)
        do {
            try await client.withTransaction(logger: logger) { conn in
                try await conn.query(
                    """
                    INSERT INTO otc_control.operators (login, display_name, platform_admin, token_id, token_hmac, created_by)
                    VALUES (\(login), \(displayName.isEmpty ? login : displayName), \(platformAdmin), \(issued.id),
                            \(ByteBuffer(bytes: issued.hmac)), \(context.principal.auditID))
                    """, logger: logger)
                try await audit(context, action: "operator.create", subject: login,
                                details: ["platform_admin": "\(platformAdmin)"], on: conn)
            }
        } catch where PostgresErrors.sqlState(error) == "23505" {
            throw OTCError.alreadyExists("operator '\(login)' already exists")
        }
        return (try await operatorRecord(login), issued.token)
    }

    /// Gives an operator a role on a tenant (replacing any earlier role there).
    public func grant(login: String, tenant: TenantSlug, role: Role, context: CallContext) async throws -> OperatorRecord {
        _ = try await operatorRecord(login)
        _ = try await self.tenant(tenant)
        try await client.withTransaction(logger: logger) { conn in
            try await conn.query(
                """
                INSERT INTO otc_control.grants (login, tenant, role, granted_by) VALUES (\(login), \(tenant.rawValue), \(role.rawValue), \(context.principal.auditID))
                ON CONFLICT (login, tenant) DO UPDATE SET role = EXCLUDED.role, granted_by = EXCLUDED.granted_by, granted_at = now()
                """, logger: logger)
            try await audit(context, action: "grant.set", subject: login, tenant: tenant, details: ["role": role.rawValue], on: conn)
        }
        return try await operatorRecord(login)
    }

    public func revoke(login: String, tenant: TenantSlug, context: CallContext) async throws -> OperatorRecord {
        _ = try await operatorRecord(login)
        try await client.withTransaction(logger: logger) { conn in
            let removed = try await conn.query(
                "DELETE FROM otc_control.grants WHERE login = \(login) AND tenant = \(tenant.rawValue) RETURNING role",
                logger: logger).collect().count
            guard removed == 1 else { throw OTCError.notFound("operator '\(login)' has no role on '\(tenant)'") }
            try await audit(context, action: "grant.revoke", subject: login, tenant: tenant, on: conn)
        }
        return try await operatorRecord(login)
    }

    public func operatorRecord(_ login: String) async throws -> OperatorRecord {
        let all = try await operators(login: login)
        guard let found = all.first else { throw OTCError.notFound("operator '\(login)' does not exist") }
        return found
    }

    public func operators(login: String? = nil) async throws -> [OperatorRecord] {
        var records: [OperatorRecord] = []
        var index: [String: Int] = [:]
        let rows = try await client.query(
            """
            SELECT login, display_name, platform_admin, created_at FROM otc_control.operators
            WHERE \(login)::text IS NULL OR login = \(login) ORDER BY login
            """, logger: logger)
        for try await (login, name, admin, created) in rows.decode((String, String, Bool, Date).self) {
            index[login] = records.count
            records.append(OperatorRecord(login: login, displayName: name, platformAdmin: admin, grants: [], createdAt: created))
        }
        let grants = try await client.query(
            "SELECT login, tenant, role FROM otc_control.grants WHERE \(login)::text IS NULL OR login = \(login) ORDER BY tenant",
            logger: logger)
        for try await (login, tenant, role) in grants.decode((String, String, String).self) {
            if let i = index[login] { records[i].grants.append((tenant, role)) }
        }
        return records
    }

    /// Creates the first platform admin directly in the database (`otcctl bootstrap`).
    public func bootstrapAdmin(login: String, displayName: String) async throws -> (OperatorRecord, token: String) {
        let context = CallContext(
            requestID: "bootstrap", method: "otcctl bootstrap",
            principal: .operatorAccount(login: "bootstrap", grants: [:], platformAdmin: true),
            tenant: nil, deadline: .now + .seconds(60), logger: logger)
        return try await createOperator(login: login, displayName: displayName, platformAdmin: true, context: context)
    }
}
