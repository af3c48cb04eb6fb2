public import Logging
public import OTCServer
public import OTCStore
public import PostgresNIO
public import ServiceLifecycle
import OTCAdmin
public import OTCCore
import OTCBilling
import OTCCollections
import OTCCashApp
import OTCCredit
import OTCDisputes
import OTCOrders
import OTCReceivables

/// The composition root as a library, so `otcd` and the integration tests build the very same
/// server: every module's tenant migrations, every service registered with the router.
public enum Platform {
    /// Every tenant table, in module dependency order.
    public static let tenantSchema = TenantSchema(modules: [
        CoreTenantMigrations.all,
        ReceivablesMigrations.all,
        BillingMigrations.all,
        CreditMigrations.all,
        OrderMigrations.all,
        CollectionsMigrations.all,
        DisputeMigrations.all,
        CashAppMigrations.all,
    ])

    /// Every service of the platform in one method table.
    public static func methodTable(client: PostgresClient, control: ControlPlane, logger: Logger,
                                   extraServices: [any RPCService] = []) -> MethodTable {
        let store = TenantStore(client: client)
        let migrator = TenantMigrator(client: client, schema: tenantSchema, logger: logger)
        var table = MethodTable()
        table.register(SystemService())
        table.register(AdminService(control: control, migrator: migrator))
        table.register(RulesService(store: store))
        table.register(CustomerService(store: store))
        let orderCredit = OrderCredit()
        let orderBilling = OrderBilling(creditGate: orderCredit)
        table.register(LedgerService(store: store, observers: [orderCredit, orderBilling]))
        table.register(BillingService(store: store, shipments: orderBilling))
        table.register(OrderService(store: store, creditGate: orderCredit, shipmentObserver: orderBilling))
        table.register(CreditService(store: store, heldOrders: orderCredit))
        table.register(CollectionsService(store: store, observers: [orderCredit, orderBilling]))
        table.register(DisputeService(store: store))
        table.register(CashApplicationService(store: store, observers: [orderCredit, orderBilling]))
        for service in extraServices { service.registerMethods(with: &table) }
        return table
    }
}

/// Migrates the control plane and every tenant, then serves otc/1 until graceful shutdown.
/// Migrations run before the port is bound, so a serving otcd always has current schemas.
public final class PlatformService: Service, Sendable {
    public let server: OTCServer
    let client: PostgresClient
    let control: ControlPlane
    let logger: Logger

    let migrateTenantsAtStart: Bool

    /// `extraServices` lets tests add probe methods (a slow handler for deadline tests).
    /// `migrateTenantsAtStart: false` skips the pass over every tenant (onboarding migrates a new
    /// tenant anyway): tests start dozens of servers against one database, and each pass over
    /// every tenant the other tests created was most of their load.
    public init(configuration: ServerConfiguration, client: PostgresClient, pepper: [UInt8], logger: Logger,
                extraServices: [any RPCService] = [], migrateTenantsAtStart: Bool = true) {
        self.migrateTenantsAtStart = migrateTenantsAtStart
        self.client = client
        self.logger = logger
        self.control = ControlPlane(client: client, secrets: SecretKeeper(pepper: pepper), logger: logger)
        self.server = OTCServer(
            configuration: configuration,
            table: Platform.methodTable(client: client, control: control, logger: logger, extraServices: extraServices),
            authenticator: Authenticator(control: control), logger: logger)
    }

    public func run() async throws {
        try await control.migrate()
        let tenants = migrateTenantsAtStart ? try await control.tenants().map(\.slug) : []
        if !tenants.isEmpty {
            let migrator = TenantMigrator(client: client, schema: Platform.tenantSchema, logger: logger)
            let outcomes = await migrator.migrate(tenants, parallelism: 4)
            for failed in outcomes where failed.error != nil {
                logger.error("tenant not migrated; its calls may fail until fixed",
                             metadata: ["tenant": "\(failed.tenant)", "error": "\(failed.error ?? "")"])
            }
            logger.info("tenant schemas checked", metadata: [
                "tenants": "\(tenants.count)", "failed": "\(outcomes.filter { $0.error != nil }.count)",
                "version": "\(Platform.tenantSchema.targetVersion)",
            ])
        }
        try await server.run()
    }

    /// True when the listener accepts calls and the database answers (used by /health).
    public func isHealthy() async -> Bool {
        guard server.isServing else { return false }
        return (try? await client.query("SELECT 1", logger: logger).collect().count) == 1
    }
}
