import Foundation
import Logging
import NIOCore
import NIOPosix
import OTCApp
import OTCClient
import OTCCore
import OTCProto
import OTCServer
import OTCStore
import PostgresNIO
import ServiceLifecycle
import SwiftProtobuf
import Testing

/// Shared facts of the integration-test process: the database (from OTC_TEST_DATABASE_URL,
/// which scripts/test sets after starting its own PostgreSQL), a dev certificate, the pepper.
enum TestEnvironment {
    static let pepper = Array("integration-test-pepper-0123456789".utf8)
    static let logger: Logger = {
        var logger = Logger(label: "otc-test")
        logger.logLevel = ProcessInfo.processInfo.environment["OTC_TEST_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        return logger
    }()

    static var databaseURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["OTC_TEST_DATABASE_URL"] else {
                throw TestSetupError("integration tests need a real PostgreSQL: run scripts/test, or set OTC_TEST_DATABASE_URL=postgres://otc_server@127.0.0.1:PORT/otc_test")
            }
            return url
        }
    }

    /// One self-signed certificate for every test server of this process.
    static let certificate: (cert: String, key: String) = {
        let dir = NSTemporaryDirectory() + "otc-test-certs-\(getpid())"
        return try! DevCertificates.write(to: dir)
    }()

    /// A unique tenant slug, so tests can run in parallel against one database.
    static func slug(_ prefix: String) -> String {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10).lowercased()
        return "\(prefix)_\(suffix)"
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A real otcd (PlatformService + PostgresClient in a ServiceGroup) on 127.0.0.1, port 0.
final class TestServer: Sendable {
    let group: ServiceGroup
    let platform: PlatformService
    let client: PostgresClient
    let control: ControlPlane
    let port: Int
    let runTask: Task<Void, any Error>

    private init(group: ServiceGroup, platform: PlatformService, client: PostgresClient, control: ControlPlane,
                 port: Int, runTask: Task<Void, any Error>) {
        self.group = group
        self.platform = platform
        self.client = client
        self.control = control
        self.port = port
        self.runTask = runTask
    }

    static func start(configure: (inout ServerConfiguration) -> Void = { _ in },
                      extraServices: [any RPCService] = []) async throws -> TestServer {
        let database = try DatabaseConfiguration(url: try TestEnvironment.databaseURL, maxConnections: 8)
        let client = database.makeClient(logger: TestEnvironment.logger)
        var configuration = ServerConfiguration(
            certificatePath: TestEnvironment.certificate.cert, privateKeyPath: TestEnvironment.certificate.key)
        configuration.port = 0
        configure(&configuration)
        let platform = PlatformService(configuration: configuration, client: client, pepper: TestEnvironment.pepper,
                                       logger: TestEnvironment.logger, extraServices: extraServices, migrateTenantsAtStart: false)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: client), .init(service: platform)],
            gracefulShutdownSignals: [], cancellationSignals: [], logger: TestEnvironment.logger))
        let runTask = Task { try await group.run() }
        let port = try await platform.server.boundPort()
        let control = ControlPlane(client: client, secrets: SecretKeeper(pepper: TestEnvironment.pepper), logger: TestEnvironment.logger)
        return TestServer(group: group, platform: platform, client: client, control: control, port: port, runTask: runTask)
    }

    /// Graceful shutdown (GoAway, drain), then waits for the group to finish.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await runTask.value
    }

    func connect(_ credential: ClientCredential, name: String = "test") async throws -> OTCConnection {
        var options = ClientOptions(host: "127.0.0.1", port: port, credential: credential,
                                    trust: .pinned(certificatePath: TestEnvironment.certificate.cert), clientName: name)
        options.connectTimeout = .seconds(5)
        return try await OTCConnection.connect(options)
    }

    /// A fresh platform admin, created the way `otcctl bootstrap` does.
    func admin() async throws -> OTCConnection {
        let login = "admin-" + UUID().uuidString.prefix(8).lowercased()
        let (_, token) = try await control.bootstrapAdmin(login: login, displayName: "Test admin")
        return try await connect(.operatorToken(token))
    }

    /// Onboards a tenant over the wire and returns its slug and first ERP key.
    func onboard(_ prefix: String, admin: OTCConnection, currency: String = "EUR") async throws -> (slug: String, apiKey: String) {
        let slug = TestEnvironment.slug(prefix)
        var request = Otc_Admin_V1_OnboardTenantRequest()
        request.slug = slug
        request.name = "Tenant \(slug)"
        request.baseCurrency = currency
        request.timeZone = "Europe/Berlin"
        let response: Otc_Admin_V1_OnboardTenantResponse = try await admin.call(
            "/otc.admin.v1.AdminService/OnboardTenant", request: request)
        return (slug, response.erpCredential.apiKey)
    }

    /// Runs SQL directly as the server's login role (no tenant role): for isolation checks and counts.
    func rawQuery(_ sql: String) async throws -> [PostgresRow] {
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: TestEnvironment.logger).collect()
    }

    /// Runs `body` in a transaction as the tenant's role, in its schema (no principal check).
    @discardableResult
    func asTenant<T: Sendable>(_ tenant: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withTransaction(logger: TestEnvironment.logger) { conn in
            try await conn.enterTenantSchema(TenantSlug(tenant)!, logger: TestEnvironment.logger)
            return try await body(conn)
        }
    }

    /// Counts rows of a tenant table, switching to the tenant's role the way the store does.
    func count(_ table: String, tenant: String, where condition: String = "true") async throws -> Int {
        try await asTenant(tenant) { conn in
            let rows = try await conn.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table) WHERE \(condition)"),
                                            logger: TestEnvironment.logger)
            for try await n in rows.decode(Int.self) { return n }
            return 0
        }
    }
}

/// Runs `body` against a fresh server and always shuts it down.
func withServer<T>(configure: (inout ServerConfiguration) -> Void = { _ in }, extraServices: [any RPCService] = [],
                   _ body: (TestServer) async throws -> T) async throws -> T {
    let server = try await TestServer.start(configure: configure, extraServices: extraServices)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// Fixtures for orders and customers.
enum Fixtures {
    static func customer(_ number: String, currency: String = "EUR", blocked: Bool = false) -> Otc_Customers_V1_UpsertCustomerRequest {
        var request = Otc_Customers_V1_UpsertCustomerRequest()
        request.customer.number = number
        request.customer.name = "Customer \(number)"
        request.customer.currency = currency
        request.customer.country = "DE"
        request.customer.email = "ap@\(number.lowercased()).example"
        request.customer.blocked = blocked
        request.customer.paymentTerms = "2/10NET30"
        return request
    }

    static func order(_ ref: String, customer: String, po: String = "", lines: [(qty: Int64, price: Int64, tax: String)] = [(2, 1250, "STD")],
                      currency: String = "EUR") -> Otc_Orders_V1_CreateOrderRequest {
        var request = Otc_Orders_V1_CreateOrderRequest()
        request.orderRef = ref
        request.customerNumber = customer
        request.customerPo = po
        request.currency = currency
        request.lines = lines.enumerated().map { index, line in
            var l = Otc_Orders_V1_OrderLine()
            l.lineNo = UInt32(index + 1)
            l.sku = "SKU-\(index + 1)"
            l.description_p = "Item \(index + 1)"
            l.quantity = line.qty
            l.unitPrice.units = line.price
            l.unitPrice.currency = currency
            l.taxCode = line.tax
            return l
        }
        return request
    }
}

enum Method {
    static let createOrder = "/otc.orders.v1.OrderService/CreateOrder"
    static let getOrder = "/otc.orders.v1.OrderService/GetOrder"
    static let listOrders = "/otc.orders.v1.OrderService/ListOrders"
    static let amendOrder = "/otc.orders.v1.OrderService/AmendOrder"
    static let cancelOrder = "/otc.orders.v1.OrderService/CancelOrder"
    static let releaseHold = "/otc.orders.v1.OrderService/ReleaseHold"
    static let recordShipment = "/otc.orders.v1.OrderService/RecordShipment"
    static let upsertCustomer = "/otc.customers.v1.CustomerService/UpsertCustomer"
    static let importCustomers = "/otc.customers.v1.CustomerService/ImportCustomers"
    static let listCustomers = "/otc.customers.v1.CustomerService/ListCustomers"
    static let ping = "/otc.system.v1.SystemService/Ping"
    static let admin = "/otc.admin.v1.AdminService/"
}

/// Expects a call to fail with `code`; returns the error for further checks.
@discardableResult
func expectStatus<T>(_ code: RPCStatusError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () async throws -> T) async -> RPCStatusError? {
    do {
        _ = try await body()
        Issue.record("expected \(code.name), but the call succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as RPCStatusError {
        #expect(error.code == code, "expected \(code.name), got \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected \(code.name), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
