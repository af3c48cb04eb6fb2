public import OTCCore
public import OTCStore
import OTCProto
import Foundation
import SwiftProtobuf

/// `otc.customers.v1.CustomerService`: the customer master over the wire.
public struct CustomerService: RPCService {
    let store: TenantStore
    let customers = CustomerStore()

    public init(store: TenantStore) {
        self.store = store
    }

    static let prefix = "/otc.customers.v1.CustomerService/"

    public func registerMethods(with table: inout MethodTable) {
        let write = MethodAccess.tenant(scope: .customersWrite, role: .analyst)
        let read = MethodAccess.tenant(scope: .customersRead, role: .viewer)
        table.register(Self.prefix + "UpsertCustomer", access: write, mutating: true, upsert)
        table.register(Self.prefix + "ImportCustomers", access: write, mutating: true, importCustomers)
        table.register(Self.prefix + "GetCustomer", access: read, mutating: false, get)
        table.register(Self.prefix + "ListCustomers", access: read, mutating: false, list)
    }

    @Sendable func upsert(_ request: Otc_Customers_V1_UpsertCustomerRequest, _ context: CallContext) async throws
        -> Otc_Customers_V1_Customer
    {
        let draft = try Self.draft(request.customer)
        return try await store.idempotentTransaction(context) { tx in
            Self.message(try await customers.upsert(draft, in: tx).0)
        }
    }

    /// Validates every line first; valid lines are written in one transaction, invalid ones are
    /// reported with their position and reason, and lose nothing else.
    @Sendable func importCustomers(_ request: Otc_Customers_V1_ImportCustomersRequest, _ context: CallContext) async throws
        -> Otc_Customers_V1_ImportCustomersResponse
    {
        guard request.customers.count <= 5000 else {
            throw OTCError.invalidArgument("an import call takes at most 5000 customers; send the file in chunks (otcctl does)")
        }
        var results: [Otc_Customers_V1_ImportLineResult] = []
        var drafts: [(line: UInt32, draft: CustomerDraft)] = []
        var seen = Set<String>()
        for (index, customer) in request.customers.enumerated() {
            let line = UInt32(index + 1)
            do {
                let draft = try Self.draft(customer)
                guard seen.insert(draft.number).inserted else {
                    throw OTCError.invalidArgument("customer \(draft.number) appears twice in this import")
                }
                drafts.append((line, draft))
            } catch {
                var result = Otc_Customers_V1_ImportLineResult()
                result.line = line
                result.number = customer.number
                result.outcome = "error"
                result.error = (error as? OTCError)?.message ?? "\(error)"
                results.append(result)
            }
        }
        let written = try await store.idempotentTransaction(context) { tx in
            var response = Otc_Customers_V1_ImportCustomersResponse()
            for (line, draft) in drafts {
                let (_, outcome) = try await customers.upsert(draft, in: tx)
                var result = Otc_Customers_V1_ImportLineResult()
                result.line = line
                result.number = draft.number
                result.outcome = outcome.rawValue
                response.results.append(result)
            }
            return response
        }
        var response = Otc_Customers_V1_ImportCustomersResponse()
        response.results = (written.results + results).sorted { $0.line < $1.line }
        response.created = UInt32(response.results.filter { $0.outcome == "created" }.count)
        response.updated = UInt32(response.results.filter { $0.outcome == "updated" }.count)
        response.unchanged = UInt32(response.results.filter { $0.outcome == "unchanged" }.count)
        response.failed = UInt32(results.count)
        return response
    }

    @Sendable func get(_ request: Otc_Customers_V1_GetCustomerRequest, _ context: CallContext) async throws
        -> Otc_Customers_V1_Customer
    {
        try await store.transaction(context) { tx in
            guard let customer = try await customers.find(request.number, in: tx) else {
                throw OTCError.notFound("customer '\(request.number)' does not exist")
            }
            return Self.message(customer)
        }
    }

    @Sendable func list(_ request: Otc_Customers_V1_ListCustomersRequest, _ context: CallContext) async throws
        -> Otc_Customers_V1_ListCustomersResponse
    {
        let paging = try Paging(pageSize: request.pageSize, pageToken: request.pageToken, kind: "customers")
        return try await store.transaction(context) { tx in
            let page = try await customers.list(
                query: request.query, blockedOnly: request.blockedOnly, after: paging.after, limit: paging.limit, in: tx)
            var response = Otc_Customers_V1_ListCustomersResponse()
            response.customers = page.map(Self.message)
            response.nextPageToken = paging.nextToken(lastKey: page.last?.number, returned: page.count, kind: "customers")
            return response
        }
    }

    static func draft(_ m: Otc_Customers_V1_Customer) throws -> CustomerDraft {
        try CustomerDraft(number: m.number, name: m.name, currency: m.currency, country: m.country, taxID: m.taxID,
                          email: m.email, blocked: m.blocked, blockReason: m.blockReason, paymentTerms: m.paymentTerms,
                          invoiceChannel: m.invoiceChannel)
    }

    static func message(_ c: Customer) -> Otc_Customers_V1_Customer {
        var m = Otc_Customers_V1_Customer()
        m.number = c.number
        m.name = c.name
        m.currency = c.currency.code
        m.country = c.country
        m.taxID = c.taxID
        m.email = c.email
        m.blocked = c.blocked
        m.blockReason = c.blockReason
        m.paymentTerms = c.paymentTerms
        m.invoiceChannel = c.invoiceChannel
        m.createdAt = Timestamp.string(c.createdAt)
        m.updatedAt = Timestamp.string(c.updatedAt)
        m.version = c.version
        return m
    }
}
