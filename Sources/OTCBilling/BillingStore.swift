import OTCCore
public import OTCStore
public import Foundation
import NIOCore
import PostgresNIO

/// SQL of billing. Runs only inside a tenant transaction.
public struct BillingStore: Sendable {
    public init() {}

    static let columns = """
        d.id, d.kind, d.number, d.buyer::text, d.currency, d.issue_date - DATE '1970-01-01', d.due_date - DATE '1970-01-01',
        d.payment_terms, d.discount_date - DATE '1970-01-01', d.discount_amount, d.reference_id, d.reference_number,
        d.order_ref, d.customer_po, d.external_ref, d.reason, d.rules_version, d.created_at, d.created_by, d.seq
        """

    /// Stores an issued document. The lines go first (their foreign key is deferred); the number
    /// is drawn in the same statement that writes the header, so the series row stays locked
    /// for as short a time as the transaction allows, and a rollback gives the number back:
    /// the series has no gaps and never reuses a number.
    func insert(_ document: BillingDocument, numberPrefix: String, digits: Int, digest: [UInt8]?, cancelsReference: Bool,
                in tx: TenantTransaction) async throws -> (number: String, createdAt: Date) {
        let lines = document.lines
        try await tx.query(
            """
            INSERT INTO billing_document_lines (document_id, line_no, sku, description, quantity, unit_of_measure, unit_price,
                net_amount, tax_code, tax_rate_bp, tax_amount, order_ref, order_line_no, shipment_id, shipment_ref, invoice_line_no)
            SELECT \(document.id), l.line_no, l.sku, l.description, l.quantity, l.uom, l.price, l.net, l.tax_code, l.rate, l.tax,
                   nullif(l.order_ref, ''), nullif(l.order_line_no, 0), nullif(l.shipment_id, '00000000-0000-0000-0000-000000000000'::uuid),
                   nullif(l.shipment_ref, ''), nullif(l.invoice_line_no, 0)
            FROM unnest(\(lines.map(\.lineNo))::int[], \(lines.map(\.sku))::text[], \(lines.map(\.description))::text[],
                        \(lines.map(\.quantity))::bigint[], \(lines.map(\.unitOfMeasure))::text[], \(lines.map(\.unitPrice))::bigint[],
                        \(lines.map(\.netAmount))::bigint[], \(lines.map(\.taxCode))::text[], \(lines.map(\.taxRateBasisPoints))::int[],
                        \(lines.map(\.taxAmount))::bigint[], \(lines.map { $0.source?.orderRef ?? "" })::text[],
                        \(lines.map { $0.source?.orderLineNo ?? 0 })::int[], \(lines.map { $0.source?.shipmentID ?? Self.noID })::uuid[],
                        \(lines.map { $0.source?.shipmentRef ?? "" })::text[], \(lines.map { $0.invoiceLineNo ?? 0 })::int[])
                 AS l(line_no, sku, description, quantity, uom, price, net, tax_code, rate, tax, order_ref, order_line_no,
                      shipment_id, shipment_ref, invoice_line_no)
            """)
        let buyer = String(decoding: try JSONEncoder.sorted.encode(document.buyer), as: UTF8.self)
        let rows = try await tx.query(
            """
            WITH n AS (
                INSERT INTO number_series (series, kind, next_value) VALUES (\(numberPrefix), \(document.kind.rawValue), 2)
                ON CONFLICT (series) DO UPDATE SET next_value = number_series.next_value + 1, updated_at = now()
                RETURNING next_value - 1 AS value)
            INSERT INTO billing_documents (id, kind, number, series, series_value, customer_number, buyer, currency, issue_date,
                due_date, payment_terms, discount_date, discount_amount, net_total, tax_total, gross_total, reference_id,
                reference_number, cancels_reference, order_ref, customer_po, external_ref, create_digest, reason, rules_version,
                created_by, request_id)
            SELECT \(document.id), \(document.kind.rawValue), \(numberPrefix) || lpad(n.value::text, \(digits)::int, '0'),
                \(numberPrefix), n.value, \(document.buyer.number), \(buyer)::jsonb, \(document.currency.code),
                DATE '1970-01-01' + \(document.issueDate.dayNumber)::int, DATE '1970-01-01' + \(document.dueDate?.dayNumber)::int,
                \(document.paymentTerms), DATE '1970-01-01' + \(document.discountDate?.dayNumber)::int, \(document.discountAmount),
                \(document.netTotal), \(document.taxTotal), \(document.grossTotal), \(document.referenceID),
                \(document.referenceNumber), \(cancelsReference), \(document.orderRef), \(document.customerPO),
                \(document.externalRef), \(digest.map { ByteBuffer(bytes: $0) }), \(document.reason), \(document.rulesVersion),
                \(tx.context.principal.auditID), \(tx.context.requestID)
            FROM n
            RETURNING number, created_at
            """)
        for try await row in rows.decode((String, Date).self) { return row }
        throw OTCError.internal(BillingFault("document insert returned nothing"))
    }

    static let noID = LineSource.noShipment

    public func find(number: String, lock: Bool = false, in tx: TenantTransaction) async throws -> BillingDocument? {
        try await load(where: "d.number = $1", bind: number, suffix: lock ? " FOR UPDATE" : "", in: tx).first?.document
    }

    public func find(id: UUID, in tx: TenantTransaction) async throws -> BillingDocument? {
        try await load(where: "d.id = $1", bind: id, suffix: "", in: tx).first?.document
    }

    /// The invoice a direct-invoice reference created, with the digest of the request that created it.
    func find(externalRef: String, in tx: TenantTransaction) async throws -> (BillingDocument, [UInt8])? {
        let rows = try await tx.query(
            "SELECT id, create_digest FROM billing_documents WHERE kind = 'invoice' AND external_ref = \(externalRef)")
        for try await (id, digest) in rows.decode((UUID, ByteBuffer?).self) {
            guard let document = try await find(id: id, in: tx) else { return nil }
            return (document, digest.map { Array($0.readableBytesView) } ?? [])
        }
        return nil
    }

    /// Filters of a document listing.
    struct ListFilter {
        var kinds: [String]?
        var customer: String?
        var issuedFrom: BusinessDate?
        var issuedTo: BusinessDate?
        var orderRef: String?
        /// Only documents whose open amount is non-zero and due before this date.
        var overdueOn: BusinessDate?
        /// open | partially_settled | settled | cancelled | applied
        var statuses: [String]?
    }

    /// A page of documents, newest first, before the cursor `seq`.
    func list(_ filter: ListFilter, beforeSeq: Int64?, limit: Int, in tx: TenantTransaction) async throws -> [(document: BillingDocument, seq: Int64)] {
        var bindings = PostgresBindings()
        bindings.append(filter.kinds)
        bindings.append(filter.customer)
        bindings.append(filter.issuedFrom?.dayNumber)
        bindings.append(filter.issuedTo?.dayNumber)
        bindings.append(filter.orderRef)
        bindings.append(filter.overdueOn?.dayNumber)
        bindings.append(filter.statuses)
        bindings.append(beforeSeq)
        bindings.append(limit)
        let status = Self.statusSQL
        let sql = """
            SELECT \(Self.columns) FROM billing_documents d JOIN ar_items i ON i.document_id = d.id
            WHERE ($1::text[] IS NULL OR d.kind = ANY($1)) AND ($2::text IS NULL OR d.customer_number = $2)
              AND ($3::int IS NULL OR d.issue_date >= DATE '1970-01-01' + $3::int)
              AND ($4::int IS NULL OR d.issue_date <= DATE '1970-01-01' + $4::int)
              AND ($5::text IS NULL OR d.order_ref = $5)
              AND ($6::int IS NULL OR (i.open_amount <> 0 AND d.due_date < DATE '1970-01-01' + $6::int))
              AND ($7::text[] IS NULL OR \(status) = ANY($7))
              AND ($8::bigint IS NULL OR d.seq < $8)
            ORDER BY d.seq DESC LIMIT $9
            """
        return try await load(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx)
    }

    /// The status of a document from its open item: the same expression for listing and filtering.
    static let statusSQL = """
        (CASE WHEN d.kind = 'credit_memo' THEN 'applied'
              WHEN EXISTS (SELECT 1 FROM billing_documents c WHERE c.reference_id = d.id AND c.cancels_reference) THEN 'cancelled'
              WHEN i.open_amount = 0 THEN 'settled'
              WHEN i.open_amount = i.amount THEN 'open'
              ELSE 'partially_settled' END)
        """

    /// What is still open on the invoices and debit memos of an order.
    public func openAmount(orderRef: String, in tx: TenantTransaction) async throws -> Int64 {
        let rows = try await tx.query(
            """
            SELECT coalesce(sum(i.open_amount), 0)::bigint FROM billing_documents d JOIN ar_items i ON i.document_id = d.id
            WHERE d.order_ref = \(orderRef) AND d.kind IN ('invoice', 'debit_memo')
            """)
        for try await open in rows.decode(Int64.self) { return open }
        return 0
    }

    /// Document numbers by id (orders show which invoice billed a shipment).
    public func numbers(ids: [UUID], in tx: TenantTransaction) async throws -> [UUID: String] {
        let rows = try await tx.query("SELECT id, number FROM billing_documents WHERE id = ANY(\(ids))")
        var result: [UUID: String] = [:]
        for try await (id, number) in rows.decode((UUID, String).self) { result[id] = number }
        return result
    }

    /// Ids of invoices cancelled by a credit memo.
    func cancelled(_ ids: [UUID], in tx: TenantTransaction) async throws -> Set<UUID> {
        let rows = try await tx.query(
            "SELECT reference_id FROM billing_documents WHERE cancels_reference AND reference_id = ANY(\(ids))")
        var result = Set<UUID>()
        for try await id in rows.decode(UUID.self) { result.insert(id) }
        return result
    }

    /// The gross of every credit memo issued against an invoice.
    func creditMemoGross(invoiceID: UUID, in tx: TenantTransaction) async throws -> Int64 {
        let rows = try await tx.query(
            "SELECT coalesce(sum(gross_total), 0)::bigint FROM billing_documents WHERE reference_id = \(invoiceID) AND kind = 'credit_memo'")
        for try await gross in rows.decode(Int64.self) { return gross }
        return 0
    }

    /// What earlier credit memos took from each line of an invoice: quantity, net, tax.
    func credited(invoiceID: UUID, in tx: TenantTransaction) async throws -> [Int: (quantity: Int64, net: Int64, tax: Int64)] {
        let rows = try await tx.query(
            """
            SELECT l.invoice_line_no, sum(l.quantity)::bigint, sum(l.net_amount)::bigint, sum(l.tax_amount)::bigint
            FROM billing_document_lines l JOIN billing_documents d ON d.id = l.document_id
            WHERE d.reference_id = \(invoiceID) AND d.kind = 'credit_memo' AND l.invoice_line_no IS NOT NULL
            GROUP BY l.invoice_line_no
            """)
        var result: [Int: (Int64, Int64, Int64)] = [:]
        for try await (line, quantity, net, tax) in rows.decode((Int, Int64, Int64, Int64).self) { result[line] = (quantity, net, tax) }
        return result.mapValues { (quantity: $0.0, net: $0.1, tax: $0.2) }
    }

    private func load(where condition: String, bind: some PostgresEncodable & Sendable, suffix: String,
                      in tx: TenantTransaction) async throws -> [(document: BillingDocument, seq: Int64)] {
        var bindings = PostgresBindings()
        try bindings.append(bind)
        let sql = "SELECT \(Self.columns) FROM billing_documents d WHERE \(condition)\(suffix)"
        return try await load(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx)
    }

    private func load(_ query: PostgresQuery, in tx: TenantTransaction) async throws -> [(document: BillingDocument, seq: Int64)] {
        var documents: [(document: BillingDocument, seq: Int64)] = []
        for try await row in try await tx.query(query) {
            let (id, kind, number, buyer, currency, issue, due, terms, discountDate, discount, referenceID, referenceNumber,
                 orderRef, customerPO, externalRef, reason, rulesVersion, createdAt, createdBy, seq) = try row.decode(
                (UUID, String, String, String, String, Int, Int?, String, Int?, Int64, UUID?, String, String, String, String,
                 String, Int, Date, String, Int64).self)
            let document = BillingDocument(
                id: id, kind: DocumentKind(rawValue: kind) ?? .invoice, number: number,
                buyer: try JSONDecoder().decode(BuyerSnapshot.self, from: Data(buyer.utf8)),
                currency: Currency(currency) ?? Currency("XXX")!, issueDate: BusinessDate(dayNumber: issue),
                dueDate: due.map(BusinessDate.init(dayNumber:)), paymentTerms: terms,
                discountDate: discountDate.map(BusinessDate.init(dayNumber:)), discountAmount: discount, lines: [],
                taxSubtotals: [], referenceID: referenceID, referenceNumber: referenceNumber, orderRef: orderRef,
                customerPO: customerPO, externalRef: externalRef, reason: reason, rulesVersion: rulesVersion,
                createdAt: createdAt, createdBy: createdBy)
            documents.append((document, seq))
        }
        guard !documents.isEmpty else { return [] }
        var index: [UUID: Int] = [:]
        for (i, entry) in documents.enumerated() { index[entry.document.id] = i }
        let rows = try await tx.query(
            """
            SELECT document_id, line_no, sku, description, quantity, unit_of_measure, unit_price, net_amount, tax_code, tax_rate_bp,
                   tax_amount, order_ref, order_line_no, shipment_id, shipment_ref, invoice_line_no
            FROM billing_document_lines WHERE document_id = ANY(\(documents.map(\.document.id))) ORDER BY document_id, line_no
            """)
        for try await row in rows {
            let (documentID, lineNo, sku, description, quantity, uom, price, net, code, rate, tax, orderRef, orderLine, shipmentID,
                 shipmentRef, invoiceLine) = try row.decode(
                (UUID, Int, String, String, Int64, String, Int64, Int64, String, Int, Int64, String?, Int?, UUID?, String?, Int?).self)
            guard let i = index[documentID] else { continue }
            let source = shipmentID.map { LineSource(orderRef: orderRef ?? "", orderLineNo: orderLine ?? 0, shipmentID: $0, shipmentRef: shipmentRef ?? "") }
                ?? orderRef.map { LineSource(orderRef: $0, orderLineNo: orderLine ?? 0, shipmentID: Self.noID, shipmentRef: "") }
            documents[i].document.lines.append(DocumentLine(
                lineNo: lineNo, sku: sku, description: description, quantity: quantity, unitOfMeasure: uom, unitPrice: price,
                netAmount: net, taxCode: code, taxRateBasisPoints: rate, taxAmount: tax, source: source, invoiceLineNo: invoiceLine))
        }
        for i in documents.indices { documents[i].document.taxSubtotals = TaxCalculation.breakdown(documents[i].document.lines) }
        return documents
    }

    // MARK: Distribution

    /// Queues a dispatch attempt; `portal` documents are published at once, so they count as sent.
    @discardableResult
    func queueDispatch(documentID: UUID, channel: String, firstAttempt: Bool = false, in tx: TenantTransaction) async throws -> Dispatch {
        let status = channel == "portal" ? "sent" : "pending"
        let rows = try await tx.query(
            """
            INSERT INTO dispatches (document_id, attempt, channel, status, dispatched_at, detail, requested_by)
            VALUES (\(documentID),
                    CASE WHEN \(firstAttempt) THEN 1 ELSE coalesce((SELECT max(attempt) FROM dispatches WHERE document_id = \(documentID)), 0) + 1 END,
                    \(channel), \(status), CASE WHEN \(status) = 'sent' THEN now() END,
                    CASE WHEN \(status) = 'sent' THEN 'published to the customer portal' ELSE '' END, \(tx.context.principal.auditID))
            RETURNING \(unescaped: Self.dispatchColumns)
            """)
        for try await row in rows { return try Self.dispatch(row) }
        throw OTCError.internal(BillingFault("dispatch insert returned nothing"))
    }

    static let dispatchColumns = "id, document_id, attempt, channel, status, requested_at, dispatched_at, detail"

    /// Marks the latest attempt sent or failed.
    func recordDispatch(documentID: UUID, status: String, detail: String, in tx: TenantTransaction) async throws -> Dispatch? {
        let rows = try await tx.query(
            """
            UPDATE dispatches SET status = \(status), detail = \(detail), dispatched_at = now()
            WHERE document_id = \(documentID) AND attempt = (SELECT max(attempt) FROM dispatches WHERE document_id = \(documentID))
            RETURNING \(unescaped: Self.dispatchColumns)
            """)
        for try await row in rows { return try Self.dispatch(row) }
        return nil
    }

    /// The latest attempt of each document.
    func latestDispatches(_ ids: [UUID], in tx: TenantTransaction) async throws -> [UUID: Dispatch] {
        let rows = try await tx.query(
            """
            SELECT DISTINCT ON (document_id) \(unescaped: Self.dispatchColumns) FROM dispatches
            WHERE document_id = ANY(\(ids)) ORDER BY document_id, attempt DESC
            """)
        var result: [UUID: Dispatch] = [:]
        for try await row in rows {
            let dispatch = try Self.dispatch(row)
            result[dispatch.documentID] = dispatch
        }
        return result
    }

    /// Documents whose latest attempt is not sent, oldest request first, after the cursor.
    func undistributed(afterSeq: Int64?, limit: Int, in tx: TenantTransaction) async throws -> [(document: BillingDocument, seq: Int64)] {
        var bindings = PostgresBindings()
        bindings.append(afterSeq)
        bindings.append(limit)
        let sql = """
            SELECT \(Self.columns) FROM billing_documents d
            WHERE d.id IN (SELECT x.document_id FROM dispatches x WHERE x.status <> 'sent'
                           AND NOT EXISTS (SELECT 1 FROM dispatches y WHERE y.document_id = x.document_id AND y.attempt > x.attempt))
              AND ($1::bigint IS NULL OR d.seq > $1)
            ORDER BY d.seq LIMIT $2
            """
        return try await load(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx)
    }

    static func dispatch(_ row: PostgresRow) throws -> Dispatch {
        let (id, documentID, attempt, channel, status, requested, dispatched, detail) =
            try row.decode((UUID, UUID, Int, String, String, Date, Date?, String).self)
        return Dispatch(id: id, documentID: documentID, attempt: attempt, channel: channel, status: status,
                        requestedAt: requested, dispatchedAt: dispatched, detail: detail)
    }
}

/// One attempt to deliver a document to the customer.
public struct Dispatch: Sendable, Equatable {
    public var id: UUID
    public var documentID: UUID
    public var attempt: Int
    public var channel: String
    /// pending | sent | failed
    public var status: String
    public var requestedAt: Date
    public var dispatchedAt: Date?
    public var detail: String
}

struct BillingFault: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
