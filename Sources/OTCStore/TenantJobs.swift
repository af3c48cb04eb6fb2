public import Logging
public import PostgresNIO
public import ServiceLifecycle
import OTCCore
import Foundation

/// Work that runs on its own for every active tenant, such as finding broken promises to pay or
/// escalating disputes past their SLA. Each job runs in its own tenant transaction, as the
/// principal `op:system.<name>` (which the audit log shows).
public struct TenantJob: Sendable {
    public let name: String
    /// Returns how many things it changed (for the log).
    public let run: @Sendable (TenantTransaction) async throws -> Int

    public init(name: String, run: @escaping @Sendable (TenantTransaction) async throws -> Int) {
        self.name = name
        self.run = run
    }
}

/// Runs the tenant jobs in `Rounds` of `interval`. One failing tenant or job does not stop the rest.
public struct TenantJobRunner: Service {
    let client: PostgresClient
    let logger: Logger
    let jobs: [TenantJob]
    let interval: Duration

    public init(client: PostgresClient, logger: Logger, jobs: [TenantJob], interval: Duration = .seconds(900)) {
        self.client = client
        self.logger = logger
        self.jobs = jobs
        self.interval = interval
    }

    public func run() async throws {
        await Rounds.every(interval) {
            let (changed, failed) = await runOnce()
            if changed.values.contains(where: { $0 > 0 }) || failed > 0 {
                logger.info("tenant jobs ran", metadata: ["changed": "\(changed)", "failures": "\(failed)"])
            }
        }
    }

    /// One round over every active tenant; returns what each job changed and how many tenant
    /// runs failed.
    public func runOnce() async -> (changed: [String: Int], failed: Int) {
        var tenants: [TenantSlug] = []
        do {
            for try await slug in try await client.query("SELECT slug FROM otc_control.tenants WHERE status = 'active'", logger: logger)
                .decode(String.self)
            {
                if let tenant = TenantSlug(slug) { tenants.append(tenant) }
            }
        } catch {
            logger.warning("tenant jobs could not list tenants", metadata: ["error": "\(error)"])
            return ([:], 1)
        }
        let store = TenantStore(client: client)
        var changed: [String: Int] = [:]
        var failed = 0
        for tenant in tenants {
            for job in jobs {
                let context = CallContext(
                    requestID: "\(job.name)-" + UUID().uuidString.prefix(8).lowercased(), method: "system/\(job.name)",
                    principal: .operatorAccount(login: "system.\(job.name)", grants: [:], platformAdmin: true), tenant: tenant,
                    deadline: .now + .seconds(60), logger: logger)
                do {
                    changed[job.name, default: 0] += try await store.transaction(context) { tx in try await job.run(tx) }
                } catch {
                    failed += 1
                    logger.warning("tenant job failed", metadata: ["job": "\(job.name)", "tenant": "\(tenant)", "error": "\(error)"])
                }
            }
        }
        return (changed, failed)
    }
}
