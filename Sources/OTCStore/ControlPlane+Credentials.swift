public import OTCCore
import Foundation
import NIOCore
import PostgresNIO

extension ControlPlane {
    static let credentialColumns =
        "id, tenant, name, scopes, status, certificate_fingerprint, created_at, revoked_at, last_used_at"

    /// Issues an ERP API key for one tenant. Returns the key once; only its HMAC is stored.
    public func issueCredential(tenant: TenantSlug, name: String, scopes: [Scope], certificateFingerprint: String?,
                                context: CallContext) async throws -> (CredentialRecord, apiKey: String) {
        _ = try await self.tenant(tenant)
        let scopes = scopes.isEmpty ? Scope.allERP : scopes
        for scope in scopes where !Scope.allERP.contains(scope) {
            throw OTCError.invalidArgument(
                "scope '\(scope)' is unknown; ERP scopes are \(Scope.allERP.map(\.rawValue).joined(separator: ", "))")
        }
        let fingerprint = certificateFingerprint.flatMap { $0.isEmpty ? nil : $0.lowercased().replacingOccurrences(of: ":", with: "") }
        if let fingerprint, fingerprint.count != 64 || !fingerprint.allSatisfy(\.isHexDigit) {
            throw OTCError.invalidArgument("certificate fingerprint must be 64 hex digits (SHA-256 of the DER certificate)")
        }
        let issued = secrets.issue(prefix: Self.apiKeyPrefix)
        let displayName = name.isEmpty ? "erp" : name
        do {
            try await client.withTransaction(logger: logger) { conn in
                try await conn.query(
                    """
                    INSERT INTO otc_control.credentials (id, tenant, name, scopes, secret_hmac, certificate_fingerprint, created_by)
                    VALUES (\(issued.id), \(tenant.rawValue), \(displayName), \(scopes.map(\.rawValue)),
                            \(ByteBuffer(bytes: issued.hmac)), \(fingerprint), \(context.principal.auditID))
                    """, logger: logger)
                try await audit(context, action: "credential.issue", subject: issued.id, tenant: tenant,
                                details: ["name": displayName, "scopes": scopes.map(\.rawValue).joined(separator: " ")], on: conn)
            }
        } catch where PostgresErrors.sqlState(error) == "23505" {
            throw OTCError.alreadyExists("that client certificate is already registered to another credential")
        }
        return (try await credential(issued.id), issued.token)
    }

    public func revokeCredential(id: String, context: CallContext) async throws -> CredentialRecord {
        let current = try await credential(id)
        guard current.status == "active" else { return current }
        try await client.withTransaction(logger: logger) { conn in
            try await conn.query(
                "UPDATE otc_control.credentials SET status = 'revoked', revoked_at = now() WHERE id = \(id)", logger: logger)
            try await audit(context, action: "credential.revoke", subject: id, tenant: TenantSlug(current.tenant), on: conn)
        }
        return try await credential(id)
    }

    public func credential(_ id: String) async throws -> CredentialRecord {
        let rows = try await client.query(
            PostgresQuery(unsafeSQL: "SELECT \(Self.credentialColumns) FROM otc_control.credentials WHERE id = $1",
                          binds: binds(id)), logger: logger)
        for try await row in rows { return try Self.credentialRecord(row) }
        throw OTCError.notFound("credential '\(id)' does not exist")
    }

    public func credentials(tenant: TenantSlug?) async throws -> [CredentialRecord] {
        let query = tenant.map {
            PostgresQuery(unsafeSQL: "SELECT \(Self.credentialColumns) FROM otc_control.credentials WHERE tenant = $1 ORDER BY created_at",
                          binds: binds($0.rawValue))
        } ?? PostgresQuery(unsafeSQL: "SELECT \(Self.credentialColumns) FROM otc_control.credentials ORDER BY tenant, created_at")
        var result: [CredentialRecord] = []
        for try await row in try await client.query(query, logger: logger) { result.append(try Self.credentialRecord(row)) }
        return result
    }

    static func credentialRecord(_ row: PostgresRow) throws -> CredentialRecord {
        let (id, tenant, name, scopes, status, fingerprint, created, revoked, used) =
            try row.decode((String, String, String, [String], String, String?, Date, Date?, Date?).self)
        return CredentialRecord(id: id, tenant: tenant, name: name, scopes: scopes, status: status,
                                certificateFingerprint: fingerprint, createdAt: created, revokedAt: revoked, lastUsedAt: used)
    }
}
