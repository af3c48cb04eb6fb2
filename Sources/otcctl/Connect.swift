import ArgumentParser
import Foundation
import OTCClient
import OTCProto
import SwiftProtobuf

/// Options every server command shares, so `--context`, `--tenant` and `-o` work the same everywhere.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Use this context instead of the current one.") var context: String?
    @Option(help: "Act for this tenant (overrides the context's tenant for this command).") var tenant: String?
    @Option(name: [.short, .long], help: "Output format: table or json.") var output: OutputFormat = .table
    @Option(help: "Config file (default: $OTCCTL_CONFIG or ~/.otcctl/config.json).") var config: String?

    var configPath: String { config ?? ConfigFile.defaultPath }
    var json: Bool { output == .json }

    /// The context to use: an explicit name, else `--context`, else the config's current context.
    func resolveContext(_ explicit: String? = nil) throws -> (name: String, context: ContextEntry) {
        let config = try ConfigFile.load(configPath)
        let name = explicit ?? context ?? config.currentContext
        guard !name.isEmpty else {
            throw CLIError("no current context: run 'otcctl context add NAME --server HOST:PORT --token-file F --use' (config: \(configPath))")
        }
        guard let entry = config.contexts[name] else {
            throw CLIError("no context named \(name) in \(configPath); see 'otcctl context list'")
        }
        return (name, entry)
    }

    /// Connects with the resolved context; run the body, then close the connection whatever happens.
    func withSession<T>(_ body: (Session) async throws -> T) async throws -> T {
        let (name, entry) = try resolveContext()
        let session = try await Session.open(contextName: name, context: entry, tenantOverride: tenant, output: output)
        do {
            let result = try await body(session)
            await session.close()
            return result
        } catch {
            await session.close()
            throw error
        }
    }
}

enum AdminMethods {
    static let prefix = "/otc.admin.v1.AdminService/"
    static let onboardTenant = prefix + "OnboardTenant"
    static let listTenants = prefix + "ListTenants"
    static let getTenant = prefix + "GetTenant"
    static let suspendTenant = prefix + "SuspendTenant"
    static let resumeTenant = prefix + "ResumeTenant"
    static let issueCredential = prefix + "IssueCredential"
    static let revokeCredential = prefix + "RevokeCredential"
    static let listCredentials = prefix + "ListCredentials"
    static let createOperator = prefix + "CreateOperator"
    static let listOperators = prefix + "ListOperators"
    static let grantRole = prefix + "GrantRole"
    static let revokeRole = prefix + "RevokeRole"
    static let migrateTenants = prefix + "MigrateTenants"
}

enum SystemMethods {
    static let ping = "/otc.system.v1.SystemService/Ping"
    static let whoAmI = "/otc.system.v1.SystemService/WhoAmI"
}

enum CustomerMethods {
    static let prefix = "/otc.customers.v1.CustomerService/"
    static let upsert = prefix + "UpsertCustomer"
    static let importCustomers = prefix + "ImportCustomers"
    static let get = prefix + "GetCustomer"
    static let list = prefix + "ListCustomers"
}

enum OrderMethods {
    static let prefix = "/otc.orders.v1.OrderService/"
    static let create = prefix + "CreateOrder"
    static let get = prefix + "GetOrder"
    static let list = prefix + "ListOrders"
    static let amend = prefix + "AmendOrder"
    static let cancel = prefix + "CancelOrder"
    static let release = prefix + "ReleaseHold"
    static let ship = prefix + "RecordShipment"
}

/// One authenticated connection plus the tenant the command acts for.
struct Session {
    let connection: OTCConnection
    let contextName: String
    let context: ContextEntry
    /// `--tenant`, else the context's tenant, else the only tenant an ERP key is bound to.
    let tenant: String?
    let output: OutputFormat

    var json: Bool { output == .json }

    static func clientOptions(_ context: ContextEntry) throws -> ClientOptions {
        let (host, port) = ClientOptions.endpoint(context.server)
        guard !host.isEmpty, (1...65535).contains(port) else {
            throw CLIError("server '\(context.server)' is not HOST:PORT")
        }
        let credential: ClientCredential = switch context.credential.kind {
        case .operatorToken: .operatorToken(context.credential.secret)
        case .apiKey: .apiKey(context.credential.secret)
        }
        let trust: ServerTrust
        if context.insecure {
            trust = .insecure
        } else if !context.caFile.isEmpty {
            guard FileManager.default.fileExists(atPath: context.caFile) else {
                throw CLIError("the context's CA file \(context.caFile) does not exist")
            }
            trust = .pinned(certificatePath: context.caFile)
        } else {
            trust = .system
        }
        var options = ClientOptions(host: host, port: port, credential: credential, trust: trust, clientName: "otcctl/1")
        options.connectTimeout = .seconds(10)
        return options
    }

    static func open(contextName: String, context: ContextEntry, tenantOverride: String?, output: OutputFormat) async throws -> Session {
        let options = try clientOptions(context)
        // The SDK's TLS handshake and Hello have no deadline of their own; a port that accepts but
        // never answers would hang the CLI forever.
        let server = context.server
        let watchdog = Task {
            try await Task.sleep(for: .seconds(15))
            printError("error: cannot reach otcd at \(server): no TLS/Welcome answer within 15 s")
            exit(1)
        }
        defer { watchdog.cancel() }
        let connection: OTCConnection
        do {
            connection = try await OTCConnection.connect(options)
        } catch let error as RPCStatusError where error.code != .unavailable && error.code != .deadlineExceeded {
            // The server answered: a refused Hello (UNAUTHENTICATED…) is the server's word, print it as such.
            throw error
        } catch {
            throw CLIError("cannot reach otcd at \(context.server): \(connectionReason(error))")
        }
        var tenant = tenantOverride ?? (context.tenant.isEmpty ? nil : context.tenant)
        if tenant == nil, connection.welcome.tenants.count == 1, connection.welcome.principal.kind == .erp {
            tenant = connection.welcome.tenants[0]
        }
        return Session(connection: connection, contextName: contextName, context: context, tenant: tenant, output: output)
    }

    /// The tenant, or a usage hint when the command needs one and none is set.
    func requireTenant() throws -> String {
        guard let tenant, !tenant.isEmpty else {
            throw CLIError("this command acts for one tenant: pass --tenant SLUG or switch with 'otcctl context use <tenant>'")
        }
        return tenant
    }

    /// One call with retries of UNAVAILABLE/ABORTED/RESOURCE_EXHAUSTED under the same idempotency
    /// key, so a retried write happens at most once. Returns the reply's `replayed` flag too.
    func invoke<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String, _ request: Request, as: Response.Type = Response.self, tenant: String?,
        idempotencyKey: String? = nil, timeout: Duration? = nil, attempts: Int = 4
    ) async throws -> (response: Response, replayed: Bool) {
        let reply = try await connection.rawCallWithRetry(method, tenant: tenant, payload: try request.serializedBytes(),
                                                          timeout: timeout, idempotencyKey: idempotencyKey, attempts: attempts)
        return (try Response(serializedBytes: Array(reply.payload)), reply.replayed)
    }

    /// A listing: one page, or with `all` every page, merged into the first response.
    func readPages<Request: SwiftProtobuf.Message, Response: PagedResponse>(
        _ method: String, _ request: Request, as: Response.Type = Response.self, tenant: String?, all: Bool,
        pageToken: WritableKeyPath<Request, String>
    ) async throws -> Response {
        var request = request
        var combined = try await read(method, request, as: Response.self, tenant: tenant)
        while all, !combined.nextPageToken.isEmpty {
            request[keyPath: pageToken] = combined.nextPageToken
            combined.append(try await read(method, request, as: Response.self, tenant: tenant))
        }
        return combined
    }

    /// A read: no idempotency key needed.
    func read<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String, _ request: Request, as: Response.Type = Response.self, tenant: String?
    ) async throws -> Response {
        try await invoke(method, request, as: Response.self, tenant: tenant).response
    }

    /// A write: the server requires an idempotency key; a fresh one per command invocation.
    func write<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String, _ request: Request, as: Response.Type = Response.self, tenant: String?,
        idempotencyKey: String? = nil, attempts: Int = 4
    ) async throws -> Response {
        try await invoke(method, request, as: Response.self, tenant: tenant,
                         idempotencyKey: idempotencyKey ?? UUID().uuidString.lowercased(), attempts: attempts).response
    }

    func close() async {
        await connection.close()
    }
}

/// The useful part of a connect failure ("connection refused", "handshake failed"), not a dump.
func connectionReason(_ error: any Error) -> String {
    let text = (error as? RPCStatusError)?.message ?? String(describing: error)
    if text.contains("CERTIFICATE_VERIFY_FAILED") {
        return "TLS handshake failed: the server's certificate is not trusted (pin it with 'context add … --ca-file PEM')"
    }
    if text.contains("handshake") || text.contains("SSL") {
        return "TLS handshake failed (is the context's ca_file the server's certificate?): \(text)"
    }
    if text.contains("UnknownHost") || text.contains("Name or service not known") {
        return "unknown host"
    }
    if text.contains("connectTimeout") || text.contains("timeout") { return "connection timed out" }
    if text.contains("connection refused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
        return "connection refused"
    }
    return text
}

/// A list response that pages with `next_page_token`.
protocol PagedResponse: SwiftProtobuf.Message {
    var nextPageToken: String { get }
    /// Adds the next page's entries and takes its token.
    mutating func append(_ page: Self)
}

extension Otc_Customers_V1_ListCustomersResponse: PagedResponse {
    mutating func append(_ page: Self) { customers += page.customers; nextPageToken = page.nextPageToken }
}

extension Otc_Orders_V1_ListOrdersResponse: PagedResponse {
    mutating func append(_ page: Self) { orders += page.orders; nextPageToken = page.nextPageToken }
}

extension Otc_Billing_V1_ListDocumentsResponse: PagedResponse {
    mutating func append(_ page: Self) { documents += page.documents; nextPageToken = page.nextPageToken }
}

extension Otc_Receivables_V1_ListOpenItemsResponse: PagedResponse {
    mutating func append(_ page: Self) { items += page.items; nextPageToken = page.nextPageToken }
}
