public import OTCCore
public import OTCStore
public import Foundation
import PostgresNIO

/// The AR subledger's Swift API. Billing, cash application and collections post through it inside
/// their own tenant transaction, so a document and its posting commit or roll back together.
///
/// Dates travel as day numbers (`date - DATE '1970-01-01'`), so SQL and `BusinessDate` agree
/// without time-zone conversions.
public struct Ledger: Sendable {
    public init() {}

    static let itemColumns = """
        id, kind, customer_number, currency, amount, open_amount, document_id, document_number,
        issue_date - DATE '1970-01-01', due_date - DATE '1970-01-01', discount_date - DATE '1970-01-01', discount_amount
        """

    /// Posts a document: its open item plus one balanced posting whose receivables (or
    /// on-account) line is the item's amount and whose other lines are `counter`.
    public func post(_ draft: OpenItemDraft, counter: [PostingLine], description: String,
                     in tx: TenantTransaction) async throws -> OpenItem {
        let itemLine = PostingLine(draft.kind.account, draft.amount)
        let posting = try Posting(currency: draft.currency, lines: [itemLine] + counter, description: description)
        let itemID = UUID()
        try await insert(posting, customer: draft.customerNumber, itemID: itemID, on: draft.issueDate, newItem: draft, in: tx)
        return OpenItem(
            id: itemID, kind: draft.kind, customerNumber: draft.customerNumber, currency: draft.currency, amount: draft.amount,
            openAmount: draft.amount, documentID: draft.documentID, documentNumber: draft.documentNumber,
            issueDate: draft.issueDate, dueDate: draft.dueDate, discountDate: draft.discountDate,
            discountAmount: draft.discountAmount)
    }

    /// Writes a balanced posting, and the open item a document posts (`newItem`), in one
    /// statement: documents post while their number series is locked, so every round trip counts.
    /// Lines on the receivables and on-account accounts carry the customer and the item, so the
    /// check can reconcile them per customer.
    @discardableResult
    private func insert(_ posting: Posting, customer: String, itemID: UUID?, on date: BusinessDate, newItem: OpenItemDraft? = nil,
                        in tx: TenantTransaction) async throws -> UUID {
        let id = UUID()
        try await tx.query(
            """
            WITH p AS (
                INSERT INTO ar_postings (id, currency, description, posted_on, principal, request_id)
                VALUES (\(id), \(posting.currency.code), \(posting.description), DATE '1970-01-01' + \(date.dayNumber)::int,
                        \(tx.context.principal.auditID), \(tx.context.requestID))
                RETURNING id),
            l AS (
                INSERT INTO ar_posting_lines (posting_id, line_no, account, customer_number, item_id, amount)
                SELECT (SELECT id FROM p), l.n, l.account,
                       CASE WHEN l.account IN ('receivables', 'on_account') THEN \(customer) END,
                       CASE WHEN l.account IN ('receivables', 'on_account') THEN \(itemID)::uuid END, l.amount
                FROM unnest(\(posting.lines.map(\.account.rawValue))::text[], \(posting.lines.map(\.amount))::bigint[])
                     WITH ORDINALITY AS l(account, amount, n)
                RETURNING 1)
            INSERT INTO ar_items (id, kind, account, customer_number, currency, amount, open_amount, document_id, document_number,
                                  issue_date, due_date, discount_date, discount_amount, posting_id)
            SELECT \(itemID)::uuid, \(newItem?.kind.rawValue)::text, \(newItem?.kind.account.rawValue)::text, \(customer),
                   \(posting.currency.code), \(newItem?.amount)::bigint, \(newItem?.amount)::bigint, \(newItem?.documentID)::uuid,
                   \(newItem?.documentNumber)::text, DATE '1970-01-01' + \(newItem?.issueDate.dayNumber)::int,
                   DATE '1970-01-01' + \(newItem?.dueDate?.dayNumber)::int, DATE '1970-01-01' + \(newItem?.discountDate?.dayNumber)::int,
                   \(newItem?.discountAmount)::bigint, id
            FROM p WHERE \(newItem != nil)
            """)
        return id
    }

    /// Settles `amount` of an item: from another item of the same customer and currency (a credit
    /// memo or on-account money against an invoice), or from an account (cash, discount,
    /// write-off, bank charges), which posts against the item's account.
    @discardableResult
    public func apply(_ amount: Int64, to itemID: UUID, from source: SettlementSource, on date: BusinessDate,
                      reason: String, in tx: TenantTransaction) async throws -> Application {
        guard amount > 0 else { throw OTCError.invalidArgument("an application amount must be positive (got \(amount))") }
        let sourceItemID: UUID? = if case .item(let id) = source { id } else { nil }
        let locked = try await items(ids: [itemID] + (sourceItemID.map { [$0] } ?? []), lock: true, in: tx)
        guard let item = locked[itemID] else { throw LedgerError.notFound("open item \(itemID) does not exist") }
        try Self.checkRoom(item, amount)
        var postingID: UUID?
        switch source {
        case .item(let otherID):
            guard let other = locked[otherID] else { throw LedgerError.notFound("open item \(otherID) does not exist") }
            guard other.currency == item.currency else {
                throw LedgerError.currencyMismatch(item: item.documentNumber, itemCurrency: item.currency, other: other.currency)
            }
            guard other.customerNumber == item.customerNumber else {
                throw LedgerError.customerMismatch(item: other.documentNumber, other: item.customerNumber)
            }
            guard other.amount.signum() == -item.amount.signum() else {
                throw OTCError.failedPrecondition("\(other.documentNumber) and \(item.documentNumber) are both \(item.amount > 0 ? "debits" : "credits"); only a credit settles a debit")
            }
            try Self.checkRoom(other, amount)
            if other.kind.account != item.kind.account {
                // Money on account moves into receivables: Dr on-account, Cr receivables (per item direction).
                let posting = try Posting(currency: item.currency, lines: [
                    PostingLine(item.kind.account, -item.amount.signum() * amount),
                    PostingLine(other.kind.account, item.amount.signum() * amount),
                ], description: "apply \(other.documentNumber) to \(item.documentNumber)")
                postingID = try await insert(posting, customer: item.customerNumber, itemID: nil, on: date, in: tx)
            }
        case .account(let account):
            guard !account.holdsOpenItems, account != .revenue, account != .tax else {
                throw OTCError.invalidArgument("\(account.rawValue) cannot settle an item; use cash, discount, write_off or bank_charges")
            }
            let posting = try Posting(currency: item.currency, lines: [
                PostingLine(item.kind.account, -item.amount.signum() * amount),
                PostingLine(account, item.amount.signum() * amount),
            ], description: "\(account.rawValue) against \(item.documentNumber)")
            postingID = try await insert(posting, customer: item.customerNumber, itemID: itemID, on: date, in: tx)
        }
        return try await record(amount: amount, item: itemID, source: source, posting: postingID, date: date,
                                reason: reason, reversalOf: nil, in: tx)
    }

    /// Undoes an application with a new one of the negated amount; the items open again.
    @discardableResult
    public func reverse(applicationID: UUID, on date: BusinessDate, reason: String,
                        in tx: TenantTransaction) async throws -> Application {
        let rows = try await tx.query(
            """
            SELECT a.item_id, a.source_item_id, a.source_account, a.amount, a.applied_on - DATE '1970-01-01', a.reason,
                   a.reversal_of, EXISTS (SELECT 1 FROM ar_applications r WHERE r.reversal_of = a.id)
            FROM ar_applications a WHERE a.id = \(applicationID)
            """)
        var found: (UUID, UUID?, String?, Int64, Int, String, UUID?, Bool)?
        for try await row in rows.decode((UUID, UUID?, String?, Int64, Int, String, UUID?, Bool).self) { found = row }
        guard let (itemID, sourceItem, sourceAccount, amount, _, _, reversalOf, reversed) = found else {
            throw LedgerError.notFound("application \(applicationID) does not exist")
        }
        guard reversalOf == nil else { throw OTCError.failedPrecondition("application \(applicationID) is itself a reversal") }
        guard !reversed else { throw LedgerError.alreadyReversed("application \(applicationID)") }
        let locked = try await items(ids: [itemID] + (sourceItem.map { [$0] } ?? []), lock: true, in: tx)
        guard let item = locked[itemID] else { throw LedgerError.notFound("open item \(itemID) does not exist") }
        let source: SettlementSource = sourceItem.map { .item($0) } ?? .account(LedgerAccount(rawValue: sourceAccount ?? "cash") ?? .cash)
        var postingID: UUID?
        switch source {
        case .item(let otherID):
            if let other = locked[otherID], other.kind.account != item.kind.account {
                let posting = try Posting(currency: item.currency, lines: [
                    PostingLine(item.kind.account, item.amount.signum() * amount),
                    PostingLine(other.kind.account, -item.amount.signum() * amount),
                ], description: "reverse \(other.documentNumber) on \(item.documentNumber)")
                postingID = try await insert(posting, customer: item.customerNumber, itemID: nil, on: date, in: tx)
            }
        case .account(let account):
            let posting = try Posting(currency: item.currency, lines: [
                PostingLine(item.kind.account, item.amount.signum() * amount),
                PostingLine(account, -item.amount.signum() * amount),
            ], description: "reverse \(account.rawValue) on \(item.documentNumber)")
            postingID = try await insert(posting, customer: item.customerNumber, itemID: itemID, on: date, in: tx)
        }
        return try await record(amount: -amount, item: itemID, source: source, posting: postingID, date: date,
                                reason: reason, reversalOf: applicationID, in: tx)
    }

    static func checkRoom(_ item: OpenItem, _ amount: Int64) throws {
        guard amount <= item.openAmount.magnitude else {
            throw LedgerError.exceedsOpen(item: item.documentNumber, open: Int64(item.openAmount.magnitude),
                                          requested: amount, currency: item.currency)
        }
    }

    /// Stores the application and moves the open amounts of the item (and the source item).
    private func record(amount: Int64, item: UUID, source: SettlementSource, posting: UUID?, date: BusinessDate,
                        reason: String, reversalOf: UUID?, in tx: TenantTransaction) async throws -> Application {
        let sourceItem: UUID? = if case .item(let id) = source { id } else { nil }
        let sourceAccount: String? = if case .account(let account) = source { account.rawValue } else { nil }
        let rows = try await tx.query(
            """
            WITH a AS (
                INSERT INTO ar_applications (item_id, source_item_id, source_account, amount, applied_on, posting_id, reason,
                                             reversal_of, principal)
                VALUES (\(item), \(sourceItem), \(sourceAccount), \(amount), DATE '1970-01-01' + \(date.dayNumber)::int,
                        \(posting), \(reason), \(reversalOf), \(tx.context.principal.auditID))
                RETURNING id),
            u AS (
                UPDATE ar_items SET open_amount = open_amount - sign(amount)::bigint * \(amount)
                WHERE id = \(item) OR id = \(sourceItem)::uuid RETURNING 1)
            SELECT id, (SELECT count(*) FROM u) FROM a
            """)
        for try await (id, _) in rows.decode((UUID, Int64).self) {
            return Application(id: id, itemID: item, source: source, amount: amount, appliedOn: date, reversedBy: nil,
                               reason: reason)
        }
        throw OTCError.internal(LedgerFault("application insert returned no id"))
    }

    /// Items by id; `lock` takes row locks in id order (so two settlements never deadlock).
    public func items(ids: [UUID], lock: Bool, in tx: TenantTransaction) async throws -> [UUID: OpenItem] {
        var bindings = PostgresBindings()
        bindings.append(ids)
        let sql = "SELECT \(Self.itemColumns) FROM ar_items WHERE id = ANY($1) ORDER BY id" + (lock ? " FOR UPDATE" : "")
        var result: [UUID: OpenItem] = [:]
        for item in try await load(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx) { result[item.id] = item }
        return result
    }

    /// The item a document posted.
    public func item(documentID: UUID, lock: Bool = false, in tx: TenantTransaction) async throws -> OpenItem? {
        var bindings = PostgresBindings()
        bindings.append(documentID)
        let sql = "SELECT \(Self.itemColumns) FROM ar_items WHERE document_id = $1" + (lock ? " FOR UPDATE" : "")
        return try await load(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx).first
    }

    /// Open amounts of many documents at once (for listings).
    public func openAmounts(documentIDs: [UUID], in tx: TenantTransaction) async throws -> [UUID: Int64] {
        let rows = try await tx.query("SELECT document_id, open_amount FROM ar_items WHERE document_id = ANY(\(documentIDs))")
        var result: [UUID: Int64] = [:]
        for try await (id, open) in rows.decode((UUID, Int64).self) { result[id] = open }
        return result
    }

    /// A page of items still open (by seq), optionally of one customer or currency, or only
    /// those due before `overdueOn`.
    public func openItems(customer: String?, currency: Currency?, overdueOn: BusinessDate?, afterSeq: Int64?, limit: Int,
                          in tx: TenantTransaction) async throws -> [(item: OpenItem, seq: Int64)] {
        var bindings = PostgresBindings()
        bindings.append(customer)
        bindings.append(currency?.code)
        bindings.append(overdueOn?.dayNumber)
        bindings.append(afterSeq)
        bindings.append(limit)
        let sql = """
            SELECT \(Self.itemColumns), seq FROM ar_items
            WHERE open_amount <> 0 AND ($1::text IS NULL OR customer_number = $1) AND ($2::text IS NULL OR currency = $2)
              AND ($3::int IS NULL OR due_date < DATE '1970-01-01' + $3::int) AND ($4::bigint IS NULL OR seq > $4)
            ORDER BY seq LIMIT $5
            """
        var result: [(OpenItem, Int64)] = []
        for try await row in try await tx.query(PostgresQuery(unsafeSQL: sql, binds: bindings)) {
            result.append((try Self.item(row), try Array(row)[12].decode(Int64.self, context: .default)))
        }
        return result
    }

    /// The customer's items as they stood at the end of `asOf`: issued by then, with the
    /// applications made by then (later payments and reversals do not count), still open then.
    public func itemsAsOf(customer: String, asOf: BusinessDate, in tx: TenantTransaction) async throws -> [OpenItem] {
        var bindings = PostgresBindings()
        bindings.append(customer)
        bindings.append(asOf.dayNumber)
        let sql = """
            SELECT i.id, i.kind, i.customer_number, i.currency, i.amount,
                   (i.amount - sign(i.amount)::bigint * coalesce((
                       SELECT sum(a.amount) FROM ar_applications a
                       WHERE (a.item_id = i.id OR a.source_item_id = i.id) AND a.applied_on <= DATE '1970-01-01' + $2::int), 0))::bigint,
                   i.document_id, i.document_number, i.issue_date - DATE '1970-01-01', i.due_date - DATE '1970-01-01',
                   i.discount_date - DATE '1970-01-01', i.discount_amount
            FROM ar_items i
            WHERE i.customer_number = $1 AND i.issue_date <= DATE '1970-01-01' + $2::int
            ORDER BY i.currency, i.due_date NULLS FIRST, i.seq
            """
        return try await load(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx).filter(\.isOpen)
    }

    /// Open and overdue balance per customer and currency.
    public func balances(customer: String?, overdueOn: BusinessDate,
                         in tx: TenantTransaction) async throws -> [(customer: String, currency: String, open: Int64, overdue: Int64, items: Int)] {
        let rows = try await tx.query(
            """
            SELECT customer_number, currency, sum(open_amount)::bigint,
                   coalesce(sum(open_amount) FILTER (WHERE due_date < DATE '1970-01-01' + \(overdueOn.dayNumber)::int), 0)::bigint,
                   count(*)::int
            FROM ar_items WHERE open_amount <> 0 AND (\(customer)::text IS NULL OR customer_number = \(customer))
            GROUP BY customer_number, currency ORDER BY customer_number, currency LIMIT 10000
            """)
        var result: [(String, String, Int64, Int64, Int)] = []
        for try await row in rows.decode((String, String, Int64, Int64, Int).self) { result.append(row) }
        return result.map { (customer: $0.0, currency: $0.1, open: $0.2, overdue: $0.3, items: $0.4) }
    }

    /// Runs the ledger's invariants (`ledger_check()` in the tenant schema). Empty means consistent.
    public func check(in tx: TenantTransaction) async throws -> (violations: [LedgerViolation], items: Int64, postings: Int64) {
        var violations: [LedgerViolation] = []
        for try await (rule, subject, detail) in try await tx.query(
            "SELECT rule, subject, detail FROM ledger_check() ORDER BY rule, subject LIMIT 1000").decode((String, String, String).self)
        {
            violations.append(LedgerViolation(rule: rule, subject: subject, detail: detail))
        }
        var counts: (Int64, Int64) = (0, 0)
        for try await row in try await tx.query(
            "SELECT (SELECT count(*) FROM ar_items), (SELECT count(*) FROM ar_postings)").decode((Int64, Int64).self)
        {
            counts = row
        }
        return (violations, counts.0, counts.1)
    }

    private func load(_ query: PostgresQuery, in tx: TenantTransaction) async throws -> [OpenItem] {
        var result: [OpenItem] = []
        for try await row in try await tx.query(query) { result.append(try Self.item(row)) }
        return result
    }

    static func item(_ row: PostgresRow) throws -> OpenItem {
        let (id, kind, customer, currency, amount, open, documentID, number, issue, due, discountDate, discount) =
            try row.decode((UUID, String, String, String, Int64, Int64, UUID, String, Int, Int?, Int?, Int64).self)
        return OpenItem(
            id: id, kind: OpenItemKind(rawValue: kind) ?? .invoice, customerNumber: customer,
            currency: Currency(currency) ?? Currency("XXX")!, amount: amount, openAmount: open, documentID: documentID,
            documentNumber: number, issueDate: BusinessDate(dayNumber: issue), dueDate: due.map(BusinessDate.init(dayNumber:)),
            discountDate: discountDate.map(BusinessDate.init(dayNumber:)), discountAmount: discount)
    }
}
