public import Logging
public import OTCCore
public import PostgresNIO

/// Brings tenant schemas to the current `TenantSchema`.
///
/// Each step runs in its own transaction as the tenant's role and is recorded with its checksum in
/// the tenant's `schema_migrations`, so an interrupted run resumes where it stopped. A run over many
/// tenants is parallel with a bound, and one failing tenant does not stop the others.
public struct TenantMigrator: Sendable {
    public let client: PostgresClient
    public let schema: TenantSchema
    public let logger: Logger

    public init(client: PostgresClient, schema: TenantSchema, logger: Logger) {
        self.client = client
        self.schema = schema
        self.logger = logger
    }

    public struct Outcome: Sendable {
        public let tenant: TenantSlug
        public let fromVersion: Int
        public let toVersion: Int
        /// `nil` when the tenant is current.
        public let error: String?
    }

    /// Migrates the given tenants, at most `parallelism` at once; `progress` hears of each result.
    public func migrate(
        _ tenants: [TenantSlug], parallelism: Int = 4,
        progress: @escaping @Sendable (Outcome) -> Void = { _ in }
    ) async -> [Outcome] {
        await withTaskGroup(of: Outcome.self) { group in
            var outcomes: [Outcome] = []
            var pending = tenants[...]
            for _ in 0..<max(1, parallelism) {
                guard let next = pending.popFirst() else { break }
                group.addTask { await self.migrateReportingErrors(next) }
            }
            for await outcome in group {
                progress(outcome)
                outcomes.append(outcome)
                if let next = pending.popFirst() {
                    group.addTask { await self.migrateReportingErrors(next) }
                }
            }
            return outcomes.sorted { $0.tenant < $1.tenant }
        }
    }

    private func migrateReportingErrors(_ tenant: TenantSlug) async -> Outcome {
        do {
            let (from, to) = try await migrate(tenant)
            return Outcome(tenant: tenant, fromVersion: from, toVersion: to, error: nil)
        } catch {
            let unwrapped = PostgresErrors.unwrap(error)
            logger.error("tenant migration failed", metadata: ["tenant": "\(tenant)", "error": "\(String(reflecting: unwrapped))"])
            let current = (try? await recordedVersion(tenant)) ?? 0
            let message = (unwrapped as? PSQLError).map { $0.serverInfo?[.message] ?? "\($0)" } ?? "\(unwrapped)"
            return Outcome(tenant: tenant, fromVersion: current, toVersion: current, error: message)
        }
    }

    /// Creates the schema and role when missing, then applies every pending step.
    public func migrate(_ tenant: TenantSlug) async throws -> (from: Int, to: Int) {
        try await client.withTransaction(logger: logger) { conn in
            // Serialise concurrent runs for one tenant (two otcd instances starting at once).
            try await conn.query("SELECT pg_advisory_xact_lock(hashtext(\("otc-migrate:" + tenant.rawValue)))", logger: logger)
            let exists = try await conn.query(
                "SELECT 1 FROM pg_roles WHERE rolname = \(tenant.roleName)", logger: logger).collect().count == 1
            if !exists {
                // Identifiers come only from a validated slug (TenantSlug), never from raw input.
                try await conn.query(PostgresQuery(unsafeSQL: "CREATE ROLE \(tenant.roleName) NOLOGIN NOINHERIT"), logger: logger)
            }
            try await conn.query(PostgresQuery(unsafeSQL: "GRANT \(tenant.roleName) TO CURRENT_USER"), logger: logger)
            try await conn.query(
                PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(tenant.schemaName) AUTHORIZATION \(tenant.roleName)"),
                logger: logger)
            try await conn.enterTenantSchema(tenant, logger: logger)
            try await conn.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    module text NOT NULL, version int NOT NULL, name text NOT NULL, checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (module, version))
                """, logger: logger)
        }
        let applied = try await appliedSteps(tenant)
        for migration in schema.migrations {
            if let checksum = applied["\(migration.module)#\(migration.version)"] {
                guard checksum == migration.checksum else {
                    throw OTCError.failedPrecondition(
                        "migration \(migration.module) v\(migration.version) '\(migration.name)' changed after it was applied to \(tenant); add a new step instead")
                }
                continue
            }
            try await client.withTransaction(logger: logger) { conn in
                try await conn.query("SELECT pg_advisory_xact_lock(hashtext(\("otc-migrate:" + tenant.rawValue)))", logger: logger)
                try await conn.enterTenantSchema(tenant, logger: logger)
                let again = try await conn.query(
                    "SELECT 1 FROM schema_migrations WHERE module = \(migration.module) AND version = \(migration.version)",
                    logger: logger).collect().count
                guard again == 0 else { return }
                for statement in migration.statements {
                    try await conn.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await conn.query(
                    """
                    INSERT INTO schema_migrations (module, version, name, checksum)
                    VALUES (\(migration.module), \(migration.version), \(migration.name), \(migration.checksum))
                    """, logger: logger)
            }
        }
        let from = applied.count
        let to = schema.migrations.count
        try await client.query(
            "UPDATE otc_control.tenants SET schema_version = \(to), updated_at = now() WHERE slug = \(tenant.rawValue)",
            logger: logger)
        return (from, to)
    }

    func appliedSteps(_ tenant: TenantSlug) async throws -> [String: String] {
        try await client.withTransaction(logger: logger) { conn in
            try await conn.enterTenantSchema(tenant, logger: logger)
            var applied: [String: String] = [:]
            let rows = try await conn.query("SELECT module, version, checksum FROM schema_migrations", logger: logger)
            for try await (module, version, checksum) in rows.decode((String, Int, String).self) {
                applied["\(module)#\(version)"] = checksum
            }
            return applied
        }
    }

    func recordedVersion(_ tenant: TenantSlug) async throws -> Int {
        try await appliedSteps(tenant).count
    }
}

extension PostgresConnection {
    /// Switches the current transaction to a tenant's role and schema, transaction-locally, with
    /// bound parameters. Used where no principal is involved (migrations, onboarding, sweeps);
    /// calls go through `TenantStore.enter`, which also checks the principal.
    public func enterTenantSchema(_ tenant: TenantSlug, logger: Logger) async throws {
        try await query(
            "SELECT set_config('role', \(tenant.roleName), true), set_config('search_path', \(tenant.schemaName), true)",
            logger: logger)
    }
}
