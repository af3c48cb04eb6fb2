public import OTCCore
import Foundation
import PostgresNIO

extension ControlPlane {
    static let tenantColumns = "slug, name, status, status_reason, base_currency, time_zone, schema_version, created_at"

    /// Registers a tenant in status `onboarding`; an unfinished onboarding of the same slug resumes.
    public func registerTenant(_ slug: TenantSlug, name: String, baseCurrency: Currency, timeZone: String,
                               context: CallContext) async throws -> (record: TenantRecord, resumed: Bool) {
        guard TimeZone(identifier: timeZone) != nil else {
            throw OTCError.invalidArgument("time zone '\(timeZone)' is not an IANA zone such as Europe/Berlin")
        }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 200 else {
            throw OTCError.invalidArgument("tenant name must have 1 to 200 characters")
        }
        let inserted = try await client.query(
            """
            INSERT INTO otc_control.tenants (slug, name, base_currency, time_zone)
            VALUES (\(slug.rawValue), \(name), \(baseCurrency.code), \(timeZone))
            ON CONFLICT (slug) DO NOTHING RETURNING slug
            """, logger: logger).collect().count == 1
        let record = try await tenant(slug)
        if !inserted && record.status != "onboarding" {
            throw OTCError.alreadyExists("client '\(slug)' already exists (status \(record.status))")
        }
        try await audit(context, action: inserted ? "tenant.register" : "tenant.onboarding_resumed", subject: slug.rawValue,
                        tenant: slug, details: ["name": name, "base_currency": baseCurrency.code, "time_zone": timeZone])
        return (record, !inserted)
    }

    /// Writes rule-set version 1 (the defaults) when the tenant has none yet.
    public func seedRules(_ slug: TenantSlug, rules: TenantRules, by principal: Principal) async throws {
        let body = String(decoding: try JSONEncoder.sorted.encode(rules), as: UTF8.self)
        try await client.withTransaction(logger: logger) { conn in
            try await conn.enterTenantSchema(slug, logger: logger)
            try await conn.query(
                """
                INSERT INTO rule_sets (version, body, note, created_by)
                VALUES (1, \(body)::jsonb, 'defaults at onboarding', \(principal.auditID))
                ON CONFLICT (version) DO NOTHING
                """, logger: logger)
        }
    }

    /// Marks a tenant active once every onboarding step has succeeded.
    public func completeOnboarding(_ slug: TenantSlug, context: CallContext) async throws -> TenantRecord {
        try await client.withTransaction(logger: logger) { conn in
            try await conn.query(
                """
                UPDATE otc_control.tenants SET status = 'active', status_reason = '', updated_at = now()
                WHERE slug = \(slug.rawValue) AND status = 'onboarding'
                """, logger: logger)
            try await audit(context, action: "tenant.onboarded", subject: slug.rawValue, tenant: slug, on: conn)
        }
        return try await tenant(slug)
    }

    public func tenant(_ slug: TenantSlug) async throws -> TenantRecord {
        let rows = try await client.query(
            PostgresQuery(unsafeSQL: "SELECT \(Self.tenantColumns) FROM otc_control.tenants WHERE slug = $1",
                          binds: binds(slug.rawValue)), logger: logger)
        for try await row in rows { return try Self.tenantRecord(row) }
        throw OTCError.notFound("client '\(slug)' does not exist")
    }

    public func tenants() async throws -> [TenantRecord] {
        var result: [TenantRecord] = []
        for try await row in try await client.query(
            PostgresQuery(unsafeSQL: "SELECT \(Self.tenantColumns) FROM otc_control.tenants ORDER BY slug"), logger: logger) {
            result.append(try Self.tenantRecord(row))
        }
        return result
    }

    /// Moves a tenant between active and suspended, audited with the reason.
    public func setTenantStatus(_ slug: TenantSlug, to status: String, reason: String, context: CallContext) async throws -> TenantRecord {
        let current = try await tenant(slug)
        if status == "active", current.status == "onboarding" {
            throw OTCError.failedPrecondition("client '\(slug)' has not finished onboarding; run onboard again to resume it")
        }
        try await client.withTransaction(logger: logger) { conn in
            try await conn.query(
                """
                UPDATE otc_control.tenants SET status = \(status), status_reason = \(reason), updated_at = now()
                WHERE slug = \(slug.rawValue)
                """, logger: logger)
            try await audit(context, action: "tenant.\(status == "active" ? "resume" : "suspend")", subject: slug.rawValue,
                            tenant: slug, details: ["from": current.status, "reason": reason], on: conn)
        }
        return try await tenant(slug)
    }

    static func tenantRecord(_ row: PostgresRow) throws -> TenantRecord {
        let (slug, name, status, reason, currency, zone, version, created) =
            try row.decode((String, String, String, String, String, String, Int, Date).self)
        return TenantRecord(slug: try TenantSlug.parse(slug), name: name, status: status, statusReason: reason,
                            baseCurrency: currency, timeZone: zone, schemaVersion: version, createdAt: created)
    }
}

func binds(_ values: String...) -> PostgresBindings {
    var bindings = PostgresBindings()
    for value in values { bindings.append(value) }
    return bindings
}
