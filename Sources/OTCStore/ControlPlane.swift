public import Logging
public import OTCCore
public import PostgresNIO
import Foundation
import NIOCore

/// The `otc_control` schema: tenants, credentials, operators, grants, authentication and the
/// platform audit log. Runs as the server's login role; never reads tenant data.
public struct ControlPlane: Sendable {
    public let client: PostgresClient
    public let secrets: SecretKeeper
    public let logger: Logger

    public static let apiKeyPrefix = "otc"
    public static let operatorTokenPrefix = "otcop"

    public init(client: PostgresClient, secrets: SecretKeeper, logger: Logger) {
        self.client = client
        self.secrets = secrets
        self.logger = logger
    }

    // MARK: Schema

    /// Creates or upgrades `otc_control`. Safe to run from several processes at once.
    public func migrate() async throws {
        try await client.withTransaction(logger: logger) { conn in
            try await conn.query("SELECT pg_advisory_xact_lock(hashtext('otc-migrate:control'))", logger: logger)
            try await conn.query("CREATE SCHEMA IF NOT EXISTS otc_control", logger: logger)
            try await conn.query(
                """
                CREATE TABLE IF NOT EXISTS otc_control.schema_migrations (
                    module text NOT NULL, version int NOT NULL, name text NOT NULL, checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (module, version))
                """, logger: logger)
            var applied: [String: String] = [:]
            for try await (module, version, checksum) in try await conn.query(
                "SELECT module, version, checksum FROM otc_control.schema_migrations", logger: logger
            ).decode((String, Int, String).self) {
                applied["\(module)#\(version)"] = checksum
            }
            for migration in ControlPlaneMigrations.all {
                if let checksum = applied["\(migration.module)#\(migration.version)"] {
                    guard checksum == migration.checksum else {
                        throw OTCError.failedPrecondition("control-plane migration v\(migration.version) changed after it was applied")
                    }
                    continue
                }
                for statement in migration.statements {
                    try await conn.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await conn.query(
                    """
                    INSERT INTO otc_control.schema_migrations (module, version, name, checksum)
                    VALUES (\(migration.module), \(migration.version), \(migration.name), \(migration.checksum))
                    """, logger: logger)
            }
        }
    }

    // MARK: Authentication

    /// The principal behind an API key or operator token, or UNAUTHENTICATED with the reason.
    public func authenticate(token: String) async throws -> Principal {
        if let (id, secret) = SecretKeeper.parse(token, prefix: Self.apiKeyPrefix) {
            let rows = try await client.query(
                "SELECT tenant, scopes, secret_hmac, status FROM otc_control.credentials WHERE id = \(id)", logger: logger)
            for try await (tenant, scopes, mac, status) in rows.decode((String, [String], ByteBuffer, String).self) {
                guard secrets.verify(secret: secret, storedHMAC: Array(mac.readableBytesView)) else { break }
                guard status == "active" else { throw OTCError(.unauthenticated, "this API key has been revoked; ask the delivery center for a new one") }
                try await client.query("UPDATE otc_control.credentials SET last_used_at = now() WHERE id = \(id)", logger: logger)
                return .erp(credentialID: id, tenant: try TenantSlug.parse(tenant), scopes: Set(scopes.map { Scope($0) }))
            }
            throw OTCError(.unauthenticated, "the API key is not valid; check that it was copied whole")
        }
        if let (id, secret) = SecretKeeper.parse(token, prefix: Self.operatorTokenPrefix) {
            let rows = try await client.query(
                "SELECT login, token_hmac, status FROM otc_control.operators WHERE token_id = \(id)", logger: logger)
            for try await (login, mac, status) in rows.decode((String, ByteBuffer, String).self) {
                guard secrets.verify(secret: secret, storedHMAC: Array(mac.readableBytesView)) else { break }
                guard status == "active" else { throw OTCError(.unauthenticated, "operator '\(login)' is disabled") }
                return try await operatorPrincipal(login: login)
            }
            throw OTCError(.unauthenticated, "the operator token is not valid; check that it was copied whole")
        }
        throw OTCError(.unauthenticated, "credential has an unknown format: an API key starts with 'otc_', an operator token with 'otcop_'")
    }

    /// The ERP principal registered for a TLS client-certificate fingerprint (hex SHA-256 of the DER).
    public func authenticate(certificateFingerprint fingerprint: String) async throws -> Principal {
        let rows = try await client.query(
            "SELECT id, tenant, scopes, status FROM otc_control.credentials WHERE certificate_fingerprint = \(fingerprint.lowercased())",
            logger: logger)
        for try await (id, tenant, scopes, status) in rows.decode((String, String, [String], String).self) {
            guard status == "active" else { throw OTCError(.unauthenticated, "the credential of this client certificate has been revoked") }
            return .erp(credentialID: id, tenant: try TenantSlug.parse(tenant), scopes: Set(scopes.map { Scope($0) }))
        }
        throw OTCError(.unauthenticated, "no credential is registered for this client certificate (SHA-256 \(fingerprint))")
    }

    func operatorPrincipal(login: String) async throws -> Principal {
        var admin = false
        for try await flag in try await client.query(
            "SELECT platform_admin FROM otc_control.operators WHERE login = \(login)", logger: logger
        ).decode(Bool.self) {
            admin = flag
        }
        var grants: [TenantSlug: Role] = [:]
        for try await (tenant, role) in try await client.query(
            "SELECT tenant, role FROM otc_control.grants WHERE login = \(login)", logger: logger
        ).decode((String, String).self) {
            if let slug = TenantSlug(tenant), let role = Role(rawValue: role) { grants[slug] = role }
        }
        return .operatorAccount(login: login, grants: grants, platformAdmin: admin)
    }

    // MARK: Platform audit

    /// Appends to the platform audit log (append-only, enforced by a trigger).
    public func audit(_ context: CallContext, action: String, subject: String, tenant: TenantSlug? = nil,
                      details: [String: String] = [:], on connection: PostgresConnection? = nil) async throws {
        let json = JSONText.object(details)
        let query: PostgresQuery = """
            INSERT INTO otc_control.audit_log (principal, tenant, request_id, action, subject, details)
            VALUES (\(context.principal.auditID), \(tenant?.rawValue), \(context.requestID), \(action), \(subject), \(json)::jsonb)
            """
        if let connection {
            try await connection.query(query, logger: logger)
        } else {
            try await client.query(query, logger: logger)
        }
    }
}
