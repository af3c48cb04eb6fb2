public import Logging
public import PostgresNIO
public import ServiceLifecycle
import OTCCore
import OTCStore
import Foundation

/// Finds broken promises to pay on its own: every `interval`, for each active tenant, promises
/// whose date (plus grace) has passed without payment become broken (each exactly once: the
/// state change is guarded in SQL) and open a follow-up task, so the account is on top of the
/// worklist when the shift starts, without anyone asking. Runs as the principal
/// `op:system.promise-watch`, which the audit log shows.
public struct PromiseWatcher: Service {
    let client: PostgresClient
    let logger: Logger
    let interval: Duration

    public init(client: PostgresClient, logger: Logger, interval: Duration = .seconds(900)) {
        self.client = client
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        var wait = min(interval, .seconds(60))
        while !Task.isShuttingDownGracefully {
            do {
                let pause = wait
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            } catch {
                return
            }
            wait = interval
            let (broken, failed) = await watchOnce()
            if broken > 0 || failed > 0 {
                logger.info("promises to pay checked", metadata: ["broken": "\(broken)", "tenants_failed": "\(failed)"])
            }
        }
    }

    /// One pass over every active tenant; returns the promises found broken and the tenants that
    /// failed (each tenant in its own transaction: one failure does not stop the others).
    public func watchOnce() async -> (broken: Int, failed: Int) {
        var tenants: [TenantSlug] = []
        do {
            for try await slug in try await client.query("SELECT slug FROM otc_control.tenants WHERE status = 'active'", logger: logger)
                .decode(String.self)
            {
                if let tenant = TenantSlug(slug) { tenants.append(tenant) }
            }
        } catch {
            logger.warning("promise watch could not list tenants", metadata: ["error": "\(error)"])
            return (0, 1)
        }
        let store = TenantStore(client: client)
        var broken = 0
        var failed = 0
        for tenant in tenants {
            let context = CallContext(
                requestID: "promise-watch-" + UUID().uuidString.prefix(8).lowercased(), method: "system/PromiseWatch",
                principal: .operatorAccount(login: "system.promise-watch", grants: [:], platformAdmin: true), tenant: tenant,
                deadline: .now + .seconds(60), logger: logger)
            do {
                broken += try await store.transaction(context) { tx in
                    let rules = try await tx.currentRules()
                    return try await Collections().detectPromises(asOf: tx.today, rules: rules, in: tx).broken.count
                }
            } catch {
                failed += 1
                logger.warning("promise watch failed for a tenant", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
            }
        }
        return (broken, failed)
    }
}
