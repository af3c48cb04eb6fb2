import OTCCore
import OTCBilling
public import OTCStore
public import Foundation
import NIOCore
import PostgresNIO

/// SQL of order management. Runs only inside a tenant transaction.
public struct OrderStore: Sendable {
    public init() {}

    static let orderColumns = """
        id, order_ref, customer_number, customer_po, currency, status, discrepancies::text,
        to_char(requested_date, 'YYYY-MM-DD'), created_at, updated_at, version, rules_version, hold_reason, cancel_reason, seq
        """

    /// Inserts a new order with its lines and returns it as stored. Returns `nil` when the
    /// order_ref exists already (the caller then compares digests to tell a retry from a
    /// conflicting order).
    func insert(_ draft: OrderDraft, status: OrderStatus, discrepancies: [Discrepancy], holdReason: String,
                rulesVersion: Int, digest: [UInt8], in tx: TenantTransaction) async throws -> Order? {
        let discrepanciesJSON = try Self.json(discrepancies)
        let netTotal = draft.lines.reduce(Int64(0)) { $0 &+ $1.netAmount.units }
        let rows = try await tx.query(
            """
            INSERT INTO orders (order_ref, customer_number, customer_po, currency, status, net_total, requested_date,
                                discrepancies, hold_reason, rules_version, create_digest)
            VALUES (\(draft.orderRef), \(draft.customerNumber), \(draft.customerPO), \(draft.currency.code), \(status.rawValue),
                    \(netTotal), \(draft.requestedDate)::date, \(discrepanciesJSON)::jsonb, \(holdReason), \(rulesVersion),
                    \(ByteBuffer(bytes: digest)))
            ON CONFLICT (order_ref) DO NOTHING
            RETURNING id, created_at, updated_at, version
            """)
        var inserted: (UUID, Date, Date, Int64)?
        for try await row in rows.decode((UUID, Date, Date, Int64).self) { inserted = row }
        guard let (id, created, updated, version) = inserted else { return nil }
        try await insertLines(draft.lines, orderID: id, in: tx)
        return Order(
            id: id, orderRef: draft.orderRef, customerNumber: draft.customerNumber, customerPO: draft.customerPO,
            currency: draft.currency, status: status, lines: draft.lines, discrepancies: discrepancies,
            requestedDate: draft.requestedDate, createdAt: created, updatedAt: updated, version: version,
            rulesVersion: rulesVersion, holdReason: holdReason, cancelReason: "", shipments: [])
    }

    func insertLines(_ lines: [OrderLine], orderID: UUID, in tx: TenantTransaction) async throws {
        try await tx.query(
            """
            INSERT INTO order_lines (order_id, line_no, sku, description, quantity, unit_of_measure, unit_price, price_currency, tax_code)
            SELECT \(orderID), * FROM unnest(\(lines.map(\.lineNo))::int[], \(lines.map(\.sku))::text[],
                \(lines.map(\.description))::text[], \(lines.map(\.quantity))::bigint[], \(lines.map(\.unitOfMeasure))::text[],
                \(lines.map(\.unitPrice.units))::bigint[], \(lines.map(\.unitPrice.currency.code))::text[], \(lines.map(\.taxCode))::text[])
            """)
    }

    /// Replaces the lines of an order that has not shipped (amendment).
    func replaceLines(_ lines: [OrderLine], orderID: UUID, in tx: TenantTransaction) async throws {
        try await tx.query("DELETE FROM order_lines WHERE order_id = \(orderID)")
        try await insertLines(lines, orderID: orderID, in: tx)
    }

    /// Discrepancies as stored; a clean order (the common case) skips the encoder.
    static func json(_ discrepancies: [Discrepancy]) throws -> String {
        discrepancies.isEmpty ? "[]" : String(decoding: try JSONEncoder.sorted.encode(discrepancies), as: UTF8.self)
    }

    /// Writes the header fields that change on amendment, hold, release or cancellation, bumps the
    /// version, and returns the order as stored now (without reading its lines again).
    @discardableResult
    func updateHeader(_ order: Order, in tx: TenantTransaction) async throws -> Order {
        let json = try Self.json(order.discrepancies)
        let rows = try await tx.query(
            """
            UPDATE orders SET customer_po = \(order.customerPO), status = \(order.status.rawValue), net_total = \(order.netTotal.units),
                requested_date = \(order.requestedDate)::date, discrepancies = \(json)::jsonb, hold_reason = \(order.holdReason),
                cancel_reason = \(order.cancelReason), rules_version = \(order.rulesVersion),
                updated_at = now(), version = version + 1
            WHERE id = \(order.id)
            RETURNING updated_at, version
            """)
        var updated = order
        for try await (at, version) in rows.decode((Date, Int64).self) {
            updated.updatedAt = at
            updated.version = version
        }
        return updated
    }

    func createDigest(orderRef: String, in tx: TenantTransaction) async throws -> (UUID, [UInt8])? {
        let rows = try await tx.query("SELECT id, create_digest FROM orders WHERE order_ref = \(orderRef)")
        for try await (id, digest) in rows.decode((UUID, ByteBuffer).self) { return (id, Array(digest.readableBytesView)) }
        return nil
    }

    /// Order refs of the customer's other live orders with this PO number.
    func ordersWithSamePO(customer: String, po: String, excluding id: UUID?, in tx: TenantTransaction) async throws -> [String] {
        guard !po.isEmpty else { return [] }
        let rows = try await tx.query(
            """
            SELECT order_ref FROM orders
            WHERE customer_number = \(customer) AND customer_po = \(po) AND status <> 'cancelled'
              AND (\(id)::uuid IS NULL OR id <> \(id))
            ORDER BY seq LIMIT 10
            """)
        var refs: [String] = []
        for try await ref in rows.decode(String.self) { refs.append(ref) }
        return refs
    }

    /// Loads an order with lines and shipments; `lock` takes a row lock for a change.
    public func find(id: UUID, lock: Bool = false, in tx: TenantTransaction) async throws -> Order? {
        var bindings = PostgresBindings()
        bindings.append(id)
        let sql = "SELECT \(Self.orderColumns) FROM orders WHERE id = $1" + (lock ? " FOR UPDATE" : "")
        return try await load(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx).first?.order
    }

    public func find(orderRef: String, lock: Bool = false, in tx: TenantTransaction) async throws -> Order? {
        var bindings = PostgresBindings()
        bindings.append(orderRef)
        let sql = "SELECT \(Self.orderColumns) FROM orders WHERE order_ref = $1" + (lock ? " FOR UPDATE" : "")
        return try await load(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx).first?.order
    }

    /// A page of orders, newest first, after the cursor `seq` (exclusive).
    func list(statuses: [OrderStatus], customer: String?, afterSeq: Int64?, limit: Int,
              in tx: TenantTransaction) async throws -> [(order: Order, seq: Int64)] {
        var bindings = PostgresBindings()
        bindings.append(statuses.isEmpty ? nil : statuses.map(\.rawValue))
        bindings.append(customer)
        bindings.append(afterSeq)
        bindings.append(limit)
        return try await load(PostgresQuery(unsafeSQL: """
            SELECT \(Self.orderColumns) FROM orders
            WHERE ($1::text[] IS NULL OR status = ANY($1)) AND ($2::text IS NULL OR customer_number = $2)
              AND ($3::bigint IS NULL OR seq < $3)
            ORDER BY seq DESC LIMIT $4
            """, binds: bindings), in: tx)
    }

    private func load(_ query: PostgresQuery, in tx: TenantTransaction) async throws -> [(order: Order, seq: Int64)] {
        var orders: [(order: Order, seq: Int64)] = []
        for try await row in try await tx.query(query) {
            let (id, ref, customer, po, currency, status, discrepancies, requested, created, updated, version, rules, hold, cancel, seq) =
                try row.decode((UUID, String, String, String, String, String, String, String?, Date, Date, Int64, Int, String, String, Int64).self)
            let order = Order(
                id: id, orderRef: ref, customerNumber: customer, customerPO: po, currency: Currency(currency) ?? Currency("XXX")!,
                status: OrderStatus(rawValue: status) ?? .received, lines: [],
                discrepancies: (try? JSONDecoder().decode([Discrepancy].self, from: Data(discrepancies.utf8))) ?? [],
                requestedDate: requested, createdAt: created, updatedAt: updated, version: version, rulesVersion: rules,
                holdReason: hold, cancelReason: cancel, shipments: [])
            orders.append((order, seq))
        }
        guard !orders.isEmpty else { return [] }
        let ids = orders.map(\.order.id)
        var index: [UUID: Int] = [:]
        for (i, entry) in orders.enumerated() { index[entry.order.id] = i }
        let lines = try await tx.query(
            """
            SELECT order_id, line_no, sku, description, quantity, unit_of_measure, unit_price, price_currency, tax_code, shipped_quantity,
                   invoiced_quantity
            FROM order_lines WHERE order_id = ANY(\(ids)) ORDER BY order_id, line_no
            """)
        for try await (orderID, lineNo, sku, description, quantity, uom, price, currency, tax, shipped, invoiced) in lines.decode(
            (UUID, Int, String, String, Int64, String, Int64, String, String, Int64, Int64).self)
        {
            guard let i = index[orderID] else { continue }
            orders[i].order.lines.append(OrderLine(
                lineNo: lineNo, sku: sku, description: description, quantity: quantity, unitOfMeasure: uom,
                unitPrice: Money(units: price, currency: Currency(currency) ?? orders[i].order.currency), taxCode: tax,
                shippedQuantity: shipped, invoicedQuantity: invoiced))
        }
        let shipments = try await tx.query(
            """
            SELECT order_id, id, shipment_ref, lines::text, shipped_at, carrier, tracking, invoice_id
            FROM shipments WHERE order_id = ANY(\(ids)) ORDER BY shipped_at, id
            """)
        var invoiceIDs: [UUID] = []
        for try await (orderID, id, ref, lines, at, carrier, tracking, invoiceID) in shipments.decode(
            (UUID, UUID, String, String, Date, String, String, UUID?).self)
        {
            guard let i = index[orderID] else { continue }
            let parsed = (try? JSONDecoder().decode([ShipmentLine].self, from: Data(lines.utf8))) ?? []
            orders[i].order.shipments.append(Shipment(
                id: id, shipmentRef: ref, lines: parsed, shippedAt: at, carrier: carrier, tracking: tracking,
                invoiceID: invoiceID))
            if let invoiceID { invoiceIDs.append(invoiceID) }
        }
        // Billing owns the numbers; one lookup for the whole page.
        if !invoiceIDs.isEmpty {
            let numbers = try await BillingStore().numbers(ids: invoiceIDs, in: tx)
            for i in orders.indices {
                for j in orders[i].order.shipments.indices {
                    if let id = orders[i].order.shipments[j].invoiceID { orders[i].order.shipments[j].invoiceNumber = numbers[id] ?? "" }
                }
            }
        }
        return orders
    }

    /// Records a shipment and the shipped quantities; returns its id and time. `nil` when the
    /// shipment_ref exists already.
    func insertShipment(orderID: UUID, ref: String, lines: [ShipmentLine], carrier: String, tracking: String,
                        in tx: TenantTransaction) async throws -> (UUID, Date)? {
        let json = String(decoding: try JSONEncoder.sorted.encode(lines), as: UTF8.self)
        let rows = try await tx.query(
            """
            INSERT INTO shipments (order_id, shipment_ref, lines, carrier, tracking)
            VALUES (\(orderID), \(ref), \(json)::jsonb, \(carrier), \(tracking))
            ON CONFLICT (order_id, shipment_ref) DO NOTHING RETURNING id, shipped_at
            """)
        var inserted: (UUID, Date)?
        for try await value in rows.decode((UUID, Date).self) { inserted = value }
        guard let (id, shippedAt) = inserted else { return nil }
        try await tx.query(
            """
            UPDATE order_lines l SET shipped_quantity = l.shipped_quantity + s.quantity
            FROM unnest(\(lines.map(\.lineNo))::int[], \(lines.map(\.quantity))::bigint[]) AS s(line_no, quantity)
            WHERE l.order_id = \(orderID) AND l.line_no = s.line_no
            """)
        return (id, shippedAt)
    }

    /// In one statement: counts billed quantities on the order's lines, links the shipments to
    /// their invoice, and moves the order to `invoiced` when `complete`.
    func recordBilling(orderID: UUID, lines: [(lineNo: Int, quantity: Int64)], shipmentIDs: [UUID], invoiceID: UUID?,
                       complete: Bool, in tx: TenantTransaction) async throws {
        try await tx.query(
            """
            WITH l AS (
                UPDATE order_lines l SET invoiced_quantity = l.invoiced_quantity + s.quantity
                FROM (SELECT line_no, sum(quantity) AS quantity FROM unnest(\(lines.map(\.lineNo))::int[], \(lines.map(\.quantity))::bigint[])
                      AS x(line_no, quantity) GROUP BY line_no) s
                WHERE l.order_id = \(orderID) AND l.line_no = s.line_no RETURNING 1),
            s AS (
                UPDATE shipments SET invoice_id = \(invoiceID) WHERE id = ANY(\(shipmentIDs)) AND invoice_id IS NULL RETURNING 1)
            UPDATE orders SET status = 'invoiced', updated_at = now(), version = version + 1
            WHERE id = \(orderID) AND \(complete)
            """)
    }

    /// Orders with shipments not yet invoiced made on or before the date (tenant time zone),
    /// oldest first; rows another billing run holds are skipped.
    func ordersDueForBilling(asOf: BusinessDate, limit: Int, in tx: TenantTransaction) async throws -> [UUID] {
        let rows = try await tx.query(
            """
            SELECT o.id FROM orders o
            WHERE EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.invoice_id IS NULL
                          AND s.shipped_at < (DATE '1970-01-01' + \(asOf.dayNumber + 1)::int)::timestamptz)
              AND o.status NOT IN ('cancelled', 'invoiced', 'closed')
            ORDER BY o.seq LIMIT \(limit) FOR UPDATE OF o SKIP LOCKED
            """)
        var ids: [UUID] = []
        for try await id in rows.decode(UUID.self) { ids.append(id) }
        return ids
    }
}
