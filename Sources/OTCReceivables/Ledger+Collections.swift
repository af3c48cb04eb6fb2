public import OTCCore
public import OTCStore
public import Foundation
import PostgresNIO

/// The ledger's reads for collections and credit: aging over every customer, overdue accounts,
/// overdue items with their last payment, and money received in a period. Aggregated in SQL:
/// a tenant has hundreds of thousands of open items.
extension Ledger {
    /// One aged row: a customer (or, with an empty customer, the tenant) in one currency.
    public struct AgingRow: Sendable, Equatable {
        public var customerNumber: String
        public var currency: String
        /// Indexed like `AgingBuckets.labels`.
        public var buckets: [Int64]
        public var items: Int
        public var total: Int64 { buckets.reduce(0, +) }

        public init(customerNumber: String, currency: String, buckets: [Int64], items: Int) {
            self.customerNumber = customerNumber
            self.currency = currency
            self.buckets = buckets
            self.items = items
        }
        /// Everything in the overdue buckets (index 2 on).
        public var overdue: Int64 { buckets.dropFirst(2).reduce(0, +) }
    }

    /// Open items by customer, currency and bucket as they stood at the end of `asOf`: issued by
    /// then, less the applications made by then. Today's aging reads the open amounts directly.
    public func aging(asOf: BusinessDate, buckets: AgingBuckets, customer: String?, currency: String?, today: BusinessDate,
                      in tx: TenantTransaction) async throws -> [AgingRow] {
        var bindings = PostgresBindings()
        bindings.append(asOf.dayNumber)
        bindings.append(buckets.bounds)
        bindings.append(customer)
        bindings.append(currency)
        let openAmount = asOf >= today ? "i.open_amount" : """
            (i.amount - sign(i.amount)::bigint * coalesce((
                SELECT sum(a.amount) FROM ar_applications a
                WHERE (a.item_id = i.id OR a.source_item_id = i.id) AND a.applied_on <= DATE '1970-01-01' + $1::int), 0))
            """
        let scope = asOf >= today ? "i.open_amount <> 0" : "i.issue_date <= DATE '1970-01-01' + $1::int"
        let sql = """
            WITH o AS (
                SELECT i.customer_number, i.currency, i.due_date, \(openAmount) AS open
                FROM ar_items i
                WHERE \(scope) AND ($3::text IS NULL OR i.customer_number = $3) AND ($4::text IS NULL OR i.currency = $4))
            SELECT customer_number, currency::text,
                   CASE WHEN due_date IS NULL THEN 0
                        WHEN due_date >= DATE '1970-01-01' + $1::int THEN 1
                        ELSE 2 + (SELECT count(*)::int FROM unnest($2::int[]) b WHERE b < (DATE '1970-01-01' + $1::int) - due_date)
                   END AS bucket,
                   sum(open)::bigint, count(*)::int
            FROM o WHERE open <> 0 GROUP BY 1, 2, 3
            """
        var rows: [String: AgingRow] = [:]
        let width = buckets.labels.count
        for try await (customer, currency, bucket, amount, count) in try await tx.query(PostgresQuery(unsafeSQL: sql, binds: bindings))
            .decode((String, String, Int, Int64, Int).self)
        {
            let key = customer + "\u{1F}" + currency
            var row = rows[key] ?? AgingRow(customerNumber: customer, currency: currency, buckets: .init(repeating: 0, count: width), items: 0)
            row.buckets[bucket] += amount
            row.items += count
            rows[key] = row
        }
        return Array(rows.values)
    }

    /// Per customer and currency: open and overdue amounts (debit items due before `asOf`) and
    /// the most days any of them is past due, for customers with something overdue.
    public func overdueAccounts(asOf: BusinessDate, in tx: TenantTransaction) async throws
        -> [(customer: String, currency: String, open: Int64, overdue: Int64, maxDays: Int)]
    {
        let rows = try await tx.query(
            """
            SELECT customer_number, currency::text, sum(open_amount)::bigint,
                   coalesce(sum(open_amount) FILTER (WHERE amount > 0 AND due_date < DATE '1970-01-01' + \(asOf.dayNumber)::int), 0)::bigint,
                   coalesce(max((DATE '1970-01-01' + \(asOf.dayNumber)::int) - due_date)
                            FILTER (WHERE amount > 0 AND due_date < DATE '1970-01-01' + \(asOf.dayNumber)::int), 0)
            FROM ar_items WHERE open_amount <> 0 GROUP BY 1, 2
            HAVING bool_or(amount > 0 AND due_date < DATE '1970-01-01' + \(asOf.dayNumber)::int)
            """)
        var result: [(String, String, Int64, Int64, Int)] = []
        for try await row in rows.decode((String, String, Int64, Int64, Int).self) { result.append(row) }
        return result.map { (customer: $0.0, currency: $0.1, open: $0.2, overdue: $0.3, maxDays: $0.4) }
    }

    /// Open debit items due before `asOf`, with the date of the last payment (cash, or money on
    /// account applied) made after the due date and by `asOf`: dunning counts days from there.
    public func overdueItems(asOf: BusinessDate, in tx: TenantTransaction) async throws -> [(item: OpenItem, lastPayment: BusinessDate?)] {
        var bindings = PostgresBindings()
        bindings.append(asOf.dayNumber)
        let sql = """
            SELECT i.id, i.kind, i.customer_number, i.currency, i.amount, i.open_amount, i.document_id, i.document_number,
                   i.issue_date - DATE '1970-01-01', i.due_date - DATE '1970-01-01', i.discount_date - DATE '1970-01-01',
                   i.discount_amount,
                   (SELECT max(a.applied_on) - DATE '1970-01-01' FROM ar_applications a
                    LEFT JOIN ar_items s ON s.id = a.source_item_id
                    WHERE a.item_id = i.id AND a.reversal_of IS NULL AND a.applied_on > i.due_date
                      AND a.applied_on <= DATE '1970-01-01' + $1::int
                      AND (a.source_account = 'cash' OR s.kind = 'payment_on_account')
                      AND NOT EXISTS (SELECT 1 FROM ar_applications r WHERE r.reversal_of = a.id))
            FROM ar_items i
            WHERE i.open_amount > 0 AND i.amount > 0 AND i.due_date < DATE '1970-01-01' + $1::int
            ORDER BY i.customer_number, i.currency, i.due_date, i.seq
            """
        var result: [(OpenItem, BusinessDate?)] = []
        for try await row in try await tx.query(PostgresQuery(unsafeSQL: sql, binds: bindings)) {
            let last = try Array(row)[12].decode(Int?.self, context: .default)
            result.append((try Self.item(row), last.map(BusinessDate.init(dayNumber:))))
        }
        return result.map { (item: $0.0, lastPayment: $0.1) }
    }

    /// Money received from a customer in a currency between two dates (inclusive): cash applied
    /// to items (net of reversals) plus payments put on account.
    public func receipts(customer: String, currency: String, from: BusinessDate, through: BusinessDate,
                         in tx: TenantTransaction) async throws -> Int64 {
        let rows = try await tx.query(
            """
            SELECT coalesce((SELECT sum(a.amount) FROM ar_applications a JOIN ar_items i ON i.id = a.item_id
                             WHERE i.customer_number = \(customer) AND i.currency = \(currency) AND a.source_account = 'cash'
                               AND a.applied_on BETWEEN DATE '1970-01-01' + \(from.dayNumber)::int
                                                    AND DATE '1970-01-01' + \(through.dayNumber)::int), 0)::bigint
                 + coalesce((SELECT -sum(amount) FROM ar_items
                             WHERE customer_number = \(customer) AND currency = \(currency) AND kind = 'payment_on_account'
                               AND issue_date BETWEEN DATE '1970-01-01' + \(from.dayNumber)::int
                                                  AND DATE '1970-01-01' + \(through.dayNumber)::int), 0)::bigint
            """)
        for try await total in rows.decode(Int64.self) { return total }
        return 0
    }

    /// The item of a document by its number (the newest, should a number repeat across series).
    public func item(documentNumber: String, lock: Bool = false, in tx: TenantTransaction) async throws -> OpenItem? {
        var bindings = PostgresBindings()
        bindings.append(documentNumber)
        let sql = "SELECT \(Self.itemColumns) FROM ar_items WHERE document_number = $1 ORDER BY seq DESC LIMIT 1" + (lock ? " FOR UPDATE" : "")
        var result: OpenItem?
        for try await row in try await tx.query(PostgresQuery(unsafeSQL: sql, binds: bindings)) { result = try Self.item(row) }
        return result
    }
}
