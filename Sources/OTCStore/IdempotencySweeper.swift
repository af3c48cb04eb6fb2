public import Logging
public import PostgresNIO
public import ServiceLifecycle
import OTCCore

/// Forgets idempotency keys older than the retention (7 days by default; the protocol promises at
/// least 24 h), tenant by tenant as each tenant's role, once an hour. A retry after that is a new
/// request; order entry stays idempotent through the ERP's order_ref, which never expires.
public struct IdempotencySweeper: Service {
    let client: PostgresClient
    let logger: Logger
    let retention: Duration
    let interval: Duration

    public init(client: PostgresClient, logger: Logger, retention: Duration = .seconds(7 * 24 * 3600),
                interval: Duration = .seconds(3600)) {
        precondition(retention >= .seconds(24 * 3600), "idempotency keys must live at least 24 h")
        self.client = client
        self.logger = logger
        self.retention = retention
        self.interval = interval
    }

    public func run() async throws {
        await Rounds.every(interval) {
            do {
                let removed = try await sweepOnce()
                if removed > 0 { logger.info("expired idempotency keys removed", metadata: ["keys": "\(removed)"]) }
            } catch {
                logger.warning("idempotency sweep failed; retrying next round", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One pass over every active tenant; returns how many keys were removed.
    public func sweepOnce() async throws -> Int {
        var tenants: [TenantSlug] = []
        for try await slug in try await client.query(
            "SELECT slug FROM otc_control.tenants WHERE status <> 'onboarding'", logger: logger
        ).decode(String.self) {
            if let tenant = TenantSlug(slug) { tenants.append(tenant) }
        }
        let seconds = retention.components.seconds
        var removed = 0
        for tenant in tenants {
            removed += try await client.withTransaction(logger: logger) { conn in
                try await conn.enterTenantSchema(tenant, logger: logger)
                return try await conn.query(
                    "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => \(Double(seconds))) RETURNING 1",
                    logger: logger
                ).collect().count
            }
        }
        return removed
    }
}
