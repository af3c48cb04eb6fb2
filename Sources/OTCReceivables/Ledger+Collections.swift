public import OTCCore
public import OTCStore
import Foundation
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
    /// then, with what was open then (today's open amount plus what was applied after `asOf`).
    /// One row per customer and currency with its buckets as arrays: a tenant with 200,000 open
    /// items gives tens of thousands of rows, and decoding was most of the call's time.
    public func aging(asOf: BusinessDate, buckets: AgingBuckets, customer: String?, currency: String?, today: BusinessDate,
                      in tx: TenantTransaction) async throws -> [AgingRow] {
        try await Self.prepareForScans(tx)
        var bindings = PostgresBindings()
        bindings.append(asOf.dayNumber)
        // Lower bounds of the overdue buckets: width_bucket counts how many a day count reaches.
        bindings.append([1] + buckets.bounds.map { $0 + 1 })
        bindings.append(customer)
        bindings.append(currency)
        let past = asOf < today
        let sql = """
            WITH later AS (
                SELECT item_id AS id, amount FROM ar_applications WHERE \(past) AND applied_on > DATE '1970-01-01' + $1::int
                UNION ALL
                SELECT source_item_id, amount FROM ar_applications
                WHERE \(past) AND source_item_id IS NOT NULL AND applied_on > DATE '1970-01-01' + $1::int),
            l AS (SELECT id, sum(amount) AS applied FROM later GROUP BY id),
            o AS (
                SELECT i.customer_number, i.currency,
                       CASE WHEN i.due_date IS NULL THEN 0
                            ELSE 1 + width_bucket((DATE '1970-01-01' + $1::int) - i.due_date, $2::int[]) END AS bucket,
                       i.open_amount + sign(i.amount)::bigint * coalesce(l.applied, 0) AS open
                FROM ar_items i LEFT JOIN l ON l.id = i.id
                WHERE \(past ? "i.issue_date <= DATE '1970-01-01' + $1::int" : "i.open_amount <> 0")
                  AND ($3::text IS NULL OR i.customer_number = $3) AND ($4::text IS NULL OR i.currency = $4)),
            g AS (SELECT customer_number, currency, bucket, sum(open)::bigint AS amount, count(*)::int AS n
                  FROM o WHERE open <> 0 GROUP BY 1, 2, 3)
            SELECT customer_number, currency::text, array_agg(bucket), array_agg(amount), sum(n)::int FROM g GROUP BY 1, 2
            """
        var rows: [AgingRow] = []
        let width = buckets.labels.count
        for try await (customer, currency, indexes, amounts, count) in try await tx.query(PostgresQuery(unsafeSQL: sql, binds: bindings))
            .decode((String, String, [Int32], [Int64], Int).self)
        {
            var row = AgingRow(customerNumber: customer, currency: currency, buckets: .init(repeating: 0, count: width), items: count)
            for (index, amount) in zip(indexes, amounts) { row.buckets[Int(index)] += amount }
            rows.append(row)
        }
        return rows
    }

    /// Settings for the few statements that read a whole tenant's ledger: JIT compilation cost
    /// half a second per call and never paid back here, and grouping 200,000 items spilled to
    /// disk at the default work_mem. Transaction-local, like the tenant scoping.
    static func prepareForScans(_ tx: TenantTransaction) async throws {
        try await tx.query("SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)")
    }

    /// Per customer and currency: open and overdue amounts (debit items due before `asOf`) and
    /// the most days any of them is past due, for customers with something overdue.
    public func overdueAccounts(asOf: BusinessDate, in tx: TenantTransaction) async throws
        -> [(customer: String, currency: String, open: Int64, overdue: Int64, maxDays: Int)]
    {
        try await Self.prepareForScans(tx)
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

    /// A period of one customer's payments in one currency.
    public struct ReceiptWindow: Sendable, Equatable {
        public var customer: String
        public var currency: String
        public var from: BusinessDate
        public var through: BusinessDate

        public init(customer: String, currency: String, from: BusinessDate, through: BusinessDate) {
            self.customer = customer
            self.currency = currency
            self.from = from
            self.through = through
        }
    }

    /// Money received in each window (dates inclusive): cash applied to the customer's items, net
    /// of reversals, plus payments put on account. One statement for any number of windows.
    public func receipts(_ windows: [ReceiptWindow], in tx: TenantTransaction) async throws -> [Int64] {
        guard !windows.isEmpty else { return [] }
        let rows = try await tx.query(
            """
            SELECT w.n::int,
                   coalesce((SELECT sum(a.amount) FROM ar_items i JOIN ar_applications a ON a.item_id = i.id
                             WHERE i.customer_number = w.customer AND i.currency = w.currency AND a.source_account = 'cash'
                               AND a.applied_on BETWEEN DATE '1970-01-01' + w.from_day AND DATE '1970-01-01' + w.through_day), 0)::bigint
                 + coalesce((SELECT -sum(p.amount) FROM ar_items p
                             WHERE p.customer_number = w.customer AND p.currency = w.currency AND p.kind = 'payment_on_account'
                               AND p.issue_date BETWEEN DATE '1970-01-01' + w.from_day AND DATE '1970-01-01' + w.through_day), 0)::bigint
            FROM unnest(\(windows.map(\.customer))::text[], \(windows.map(\.currency))::text[], \(windows.map(\.from.dayNumber))::int[],
                        \(windows.map(\.through.dayNumber))::int[]) WITH ORDINALITY AS w(customer, currency, from_day, through_day, n)
            """)
        var result = [Int64](repeating: 0, count: windows.count)
        for try await (n, total) in rows.decode((Int, Int64).self) { result[n - 1] = total }
        return result
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
