public import OTCCore
public import OTCStore
import OTCProto
import Foundation
import PostgresNIO
import SwiftProtobuf

/// Hears, inside the same transaction, that documents were settled (by a payment or a
/// write-off): credit management re-checks the customer's held orders (exposure fell), order
/// management closes orders whose invoices are all settled now.
public protocol SettlementObserver: Sendable {
    func settled(customer: String, documents documentNumbers: [String], cause: String, rules: VersionedRules,
                 in tx: TenantTransaction) async throws
}

/// `otc.receivables.v1.LedgerService`: the subledger check, statements of account, open items, balances.
public struct LedgerService: RPCService {
    let store: TenantStore
    let ledger = Ledger()
    let customers = CustomerStore()
    let observers: [any SettlementObserver]

    /// `observers` hear of every payment that settled documents (credit re-checks held orders,
    /// order management closes paid orders), in the payment's transaction.
    public init(store: TenantStore, observers: [any SettlementObserver] = []) {
        self.store = store
        self.observers = observers
    }

    static let prefix = "/otc.receivables.v1.LedgerService/"

    public func registerMethods(with table: inout MethodTable) {
        let read = MethodAccess.tenant(scope: .receivablesRead, role: .viewer)
        table.register(Self.prefix + "CheckLedger", access: read, mutating: false, checkLedger)
        table.register(Self.prefix + "GetStatement", access: read, mutating: false, getStatement)
        table.register(Self.prefix + "ListOpenItems", access: read, mutating: false, listOpenItems)
        table.register(Self.prefix + "GetBalances", access: read, mutating: false, getBalances)
        table.register(Self.prefix + "RecordPayment", access: .tenant(scope: .paymentsWrite, role: .analyst), mutating: true, recordPayment)
    }

    @Sendable func recordPayment(_ request: Otc_Receivables_V1_RecordPaymentRequest, _ context: CallContext) async throws
        -> Otc_Receivables_V1_RecordPaymentResponse
    {
        let ref = request.paymentRef.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(ref.count) else {
            throw OTCError.invalidArgument("payment_ref is required (the bank's or ERP's reference, 1-64 characters)")
        }
        guard let currency = Currency(request.amount.currency), request.amount.units > 0 else {
            throw OTCError.invalidArgument("a payment needs a positive amount in an ISO 4217 currency")
        }
        guard request.allocations.allSatisfy({ $0.amount > 0 && !$0.documentNumber.isEmpty }) else {
            throw OTCError.invalidArgument("every allocation names a document and a positive amount")
        }
        let allocated = request.allocations.reduce(Int64(0)) { $0 + $1.amount }
        guard allocated <= request.amount.units else {
            throw OTCError.invalidArgument(
                "the allocations add up to \(Money(units: allocated, currency: currency)), more than the payment of \(Money(units: request.amount.units, currency: currency))")
        }
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let buckets = try AgingBuckets(bounds: rules.rules.collections.agingBuckets)
            let valueDate = try BusinessDate.optional(request.valueDate, isSet: request.hasValueDate, field: "value_date") ?? tx.today
            // One payment per reference: concurrent retries queue here, then find the first.
            try await tx.query("SELECT pg_advisory_xact_lock(hashtext('otc.payment:' || \(ref)))")
            if let existing = try await ledger.item(documentNumber: ref, in: tx), existing.kind == .paymentOnAccount {
                guard existing.customerNumber == request.customerNumber, existing.amount == -request.amount.units,
                      existing.currency == currency
                else {
                    throw OTCError.alreadyExists("payment \(ref) was already recorded with other content (\(existing.customerNumber), \(Money(units: -existing.amount, currency: existing.currency)))")
                }
                context.replay.set()
                var response = Otc_Receivables_V1_RecordPaymentResponse()
                response.paymentRef = ref
                response.payment = Self.message(existing, asOf: valueDate, buckets: buckets)
                return response
            }
            guard try await customers.find(request.customerNumber, in: tx) != nil else {
                throw OTCError.notFound("customer \(request.customerNumber) does not exist")
            }
            let payment = try await ledger.post(
                OpenItemDraft(kind: .paymentOnAccount, customerNumber: request.customerNumber, currency: currency, amount: -request.amount.units,
                              documentID: UUID(), documentNumber: ref, issueDate: valueDate, dueDate: nil),
                counter: [PostingLine(.cash, request.amount.units)], description: "payment \(ref)", in: tx)
            var settled: [String] = []
            for allocation in request.allocations {
                guard let item = try await ledger.item(documentNumber: allocation.documentNumber, in: tx), item.amount > 0 else {
                    throw OTCError.notFound("no invoice or debit memo \(allocation.documentNumber) is in the ledger")
                }
                try await ledger.apply(allocation.amount, to: item.id, from: .item(payment.id), on: valueDate,
                                       reason: "payment \(ref)", in: tx)
                settled.append(item.documentNumber)
            }
            try await tx.audit(action: "ledger.payment", entityType: "payment", entityID: ref, details: [
                "customer": request.customerNumber, "amount": Money(units: request.amount.units, currency: currency).description,
                "value_date": valueDate.description, "allocated": Money(units: allocated, currency: currency).description,
                "documents": settled.joined(separator: " "),
            ])
            for observer in observers {
                try await observer.settled(customer: request.customerNumber, documents: settled, cause: "payment \(ref)", rules: rules, in: tx)
            }
            var response = Otc_Receivables_V1_RecordPaymentResponse()
            response.paymentRef = ref
            let items = try await ledger.items(ids: [payment.id], lock: false, in: tx)
            response.payment = Self.message(items[payment.id] ?? payment, asOf: valueDate, buckets: buckets)
            for number in settled {
                if let item = try await ledger.item(documentNumber: number, in: tx) {
                    response.settled.append(Self.message(item, asOf: valueDate, buckets: buckets))
                }
            }
            return response
        }
    }

    @Sendable func checkLedger(_ request: Otc_Receivables_V1_CheckLedgerRequest, _ context: CallContext) async throws
        -> Otc_Receivables_V1_CheckLedgerResponse
    {
        try await store.transaction(context) { tx in
            let (violations, items, postings) = try await ledger.check(in: tx)
            var response = Otc_Receivables_V1_CheckLedgerResponse()
            response.clean = violations.isEmpty
            response.itemsChecked = items
            response.postingsChecked = postings
            response.violations = violations.map { v in
                var m = Otc_Receivables_V1_Violation()
                m.rule = v.rule
                m.subject = v.subject
                m.detail = v.detail
                return m
            }
            return response
        }
    }

    @Sendable func getStatement(_ request: Otc_Receivables_V1_GetStatementRequest, _ context: CallContext) async throws
        -> Otc_Receivables_V1_Statement
    {
        guard !request.customerNumber.isEmpty else { throw OTCError.invalidArgument("customer_number is required") }
        let asOf = try BusinessDate.optional(request.asOf, isSet: request.hasAsOf, field: "as_of")
        return try await store.transaction(context) { tx in
            guard let customer = try await customers.find(request.customerNumber, in: tx) else {
                throw OTCError.notFound("customer \(request.customerNumber) does not exist")
            }
            let rules = try await tx.currentRules()
            let buckets = try AgingBuckets(bounds: rules.rules.collections.agingBuckets)
            let date = asOf ?? tx.today
            let items = try await ledger.itemsAsOf(customer: customer.number, asOf: date, in: tx)
            var statement = Otc_Receivables_V1_Statement()
            statement.customerNumber = customer.number
            statement.customerName = customer.name
            statement.asOf = date.message
            statement.rulesVersion = Int32(rules.version)
            let byCurrency = Dictionary(grouping: items, by: \.currency.code)
            for currency in byCurrency.keys.sorted() {
                let list = byCurrency[currency]!
                var section = Otc_Receivables_V1_CurrencyStatement()
                section.currency = currency
                section.items = list.map { Self.message($0, asOf: date, buckets: buckets) }
                let totals = buckets.age(list.map { ($0.openAmount, $0.dueDate) }, asOf: date)
                section.aging = zip(buckets.labels, totals).map { label, amount in
                    var b = Otc_Receivables_V1_AgingBucket()
                    b.label = label
                    b.amount = amount
                    return b
                }
                section.totalOpen = list.reduce(0) { $0 + $1.openAmount }
                section.overdue = list.filter { ($0.dueDate.map { $0 < date }) ?? false }.reduce(0) { $0 + $1.openAmount }
                statement.currencies.append(section)
            }
            return statement
        }
    }

    @Sendable func listOpenItems(_ request: Otc_Receivables_V1_ListOpenItemsRequest, _ context: CallContext) async throws
        -> Otc_Receivables_V1_ListOpenItemsResponse
    {
        let paging = try Paging(pageSize: request.page.pageSize, pageToken: request.page.pageToken, kind: "items")
        var currency: Currency?
        if !request.currency.isEmpty {
            guard let parsed = Currency(request.currency) else {
                throw OTCError.invalidArgument("currency '\(request.currency)' is not an ISO 4217 code such as EUR")
            }
            currency = parsed
        }
        let asOf = try BusinessDate.optional(request.asOf, isSet: request.hasAsOf, field: "as_of")
        return try await store.transaction(context) { tx in
            let date = asOf ?? tx.today
            let buckets = try AgingBuckets(bounds: try await tx.currentRules().rules.collections.agingBuckets)
            let page = try await ledger.openItems(
                customer: request.customerNumber.isEmpty ? nil : request.customerNumber, currency: currency,
                overdueOn: request.overdueOnly ? date : nil, afterSeq: paging.after.flatMap { Int64($0) }, limit: paging.limit, in: tx)
            var response = Otc_Receivables_V1_ListOpenItemsResponse()
            response.items = page.map { Self.message($0.item, asOf: date, buckets: buckets) }
            response.nextPageToken = paging.nextToken(lastKey: page.last.map { String($0.seq) }, returned: page.count, kind: "items")
            return response
        }
    }

    @Sendable func getBalances(_ request: Otc_Receivables_V1_GetBalancesRequest, _ context: CallContext) async throws
        -> Otc_Receivables_V1_GetBalancesResponse
    {
        try await store.transaction(context) { tx in
            var response = Otc_Receivables_V1_GetBalancesResponse()
            for row in try await ledger.balances(customer: request.customerNumber.isEmpty ? nil : request.customerNumber,
                                                 overdueOn: tx.today, in: tx) {
                var b = Otc_Receivables_V1_Balance()
                b.customerNumber = row.customer
                b.currency = row.currency
                b.openAmount = row.open
                b.overdueAmount = row.overdue
                b.openItems = Int32(row.items)
                response.balances.append(b)
            }
            return response
        }
    }

    static func message(_ item: OpenItem, asOf: BusinessDate, buckets: AgingBuckets) -> Otc_Receivables_V1_OpenItem {
        var m = Otc_Receivables_V1_OpenItem()
        m.id = item.id.uuidString.lowercased()
        m.kind = item.kind.rawValue
        m.documentNumber = item.documentNumber
        m.customerNumber = item.customerNumber
        m.currency = item.currency.code
        m.issueDate = item.issueDate.message
        if let due = item.dueDate {
            m.dueDate = due.message
            m.daysOverdue = Int32(max(0, due.days(until: asOf)))
        }
        m.amount = item.amount
        m.openAmount = item.openAmount
        m.bucket = buckets.labels[buckets.bucket(due: item.dueDate, asOf: asOf)]
        if let discountDate = item.discountDate { m.discountDate = discountDate.message }
        m.discountAmount = item.discountAmount
        return m
    }
}
