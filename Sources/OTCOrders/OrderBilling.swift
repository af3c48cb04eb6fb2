public import OTCCore
public import OTCStore
public import OTCBilling
public import OTCReceivables
import Foundation

/// Order management's side of invoicing: turns shipped, uninvoiced order lines into invoices
/// through `Billing`, counts them as invoiced, and moves an order to `invoiced` once every
/// ordered unit is shipped and billed. All in the caller's transaction.
public struct OrderBilling: ShipmentBilling, ShipmentObserver, SettlementObserver {
    let orders = OrderStore()
    let billing = Billing()
    let creditGate: (any CreditGate)?

    /// `creditGate` follows each invoiced order with its credit reservation (invoiced value moves
    /// from the order into receivables in the same transaction).
    public init(creditGate: (any CreditGate)? = nil) {
        self.creditGate = creditGate
    }

    /// Invoice-on-shipment tenants bill each shipment in the transaction that records it.
    public func shipmentRecorded(_ shipment: Shipment, of order: Order, rules: VersionedRules,
                                 in tx: TenantTransaction) async throws -> Order {
        guard rules.rules.billing.mode == .onShipment else { return order }
        return try await invoice(order, shipments: [shipment], issueDate: nil, rules: rules, in: tx).order
    }

    public func invoiceShipment(orderRef: String, shipmentRef: String, issueDate: BusinessDate?, rules: VersionedRules,
                                in tx: TenantTransaction) async throws -> IssuedDocument {
        guard let order = try await orders.find(orderRef: orderRef, lock: true, in: tx) else {
            throw OTCError.notFound("order \(orderRef) does not exist")
        }
        guard let shipment = order.shipments.first(where: { $0.shipmentRef == shipmentRef }) else {
            throw BillingError.nothingToBill(
                "order \(orderRef) has no shipment \(shipmentRef); only shipped lines can be invoiced (record the shipment first)")
        }
        guard shipment.invoiceID == nil else {
            throw BillingError.alreadyBilled(shipmentRef: shipmentRef, orderRef: orderRef, invoiceNumber: shipment.invoiceNumber)
        }
        guard let document = try await invoice(order, shipments: [shipment], issueDate: issueDate, rules: rules, in: tx).document else {
            throw BillingError.nothingToBill("shipment \(shipmentRef) of order \(orderRef) has nothing left to invoice; its lines were billed directly")
        }
        return document
    }

    public func runBilling(asOf: BusinessDate, issueDate: BusinessDate?, maxOrders: Int, rules: VersionedRules,
                           in tx: TenantTransaction) async throws -> (invoices: [IssuedDocument], more: Bool) {
        let due = try await orders.ordersDueForBilling(asOf: asOf, limit: maxOrders + 1, in: tx)
        var invoices: [IssuedDocument] = []
        for id in due.prefix(maxOrders) {
            guard let order = try await orders.find(id: id, in: tx) else { continue }
            let cutoff = Calendar.dayEnd(asOf, timeZone: tx.timeZone)
            let shipments = order.shipments.filter { $0.invoiceID == nil && $0.shippedAt < cutoff }
            if let document = try await invoice(order, shipments: shipments, issueDate: issueDate, rules: rules, in: tx).document {
                invoices.append(document)
            }
        }
        return (invoices, due.count > maxOrders)
    }

    public func billDirectly(orderRef: String, lines: [(lineNo: Int, quantity: Int64)], in tx: TenantTransaction) async throws -> String {
        guard var order = try await orders.find(orderRef: orderRef, lock: true, in: tx) else {
            throw OTCError.notFound("order \(orderRef) does not exist")
        }
        var requested: [Int: Int64] = [:]
        for line in lines { requested[line.lineNo, default: 0] += line.quantity }
        for (lineNo, quantity) in requested.sorted(by: { $0.key < $1.key }) {
            guard let orderLine = order.lines.first(where: { $0.lineNo == lineNo }) else {
                throw BillingError.invalid("order \(orderRef) has no line \(lineNo)")
            }
            guard quantity <= orderLine.billableQuantity else {
                throw BillingError.notShipped(orderRef: orderRef, line: lineNo, shipped: orderLine.shippedQuantity,
                                              billed: orderLine.invoicedQuantity)
            }
        }
        for i in order.lines.indices { order.lines[i].invoicedQuantity += requested[order.lines[i].lineNo] ?? 0 }
        try await orders.recordBilling(orderID: order.id, lines: lines, shipmentIDs: [], invoiceID: nil,
                                       complete: order.isFullyInvoiced, in: tx)
        let updated = try await auditInvoicedIfComplete(order, in: tx)
        if let creditGate { try await creditGate.orderChanged(updated, rules: try await tx.currentRules(), in: tx) }
        return order.customerPO
    }

    /// Invoices were settled: orders whose invoices are all settled now close.
    public func settled(customer: String, documents documentNumbers: [String], cause: String, rules: VersionedRules,
                        in tx: TenantTransaction) async throws {
        var orderRefs: [String] = []
        for number in documentNumbers {
            if let ref = try await BillingStore().find(number: number, in: tx)?.orderRef, !ref.isEmpty, !orderRefs.contains(ref) {
                orderRefs.append(ref)
            }
        }
        for ref in orderRefs { try await invoiceSettled(orderRef: ref, in: tx) }
    }

    public func invoiceSettled(orderRef: String, in tx: TenantTransaction) async throws {
        guard var order = try await orders.find(orderRef: orderRef, lock: true, in: tx), order.status == .invoiced,
              try await BillingStore().openAmount(orderRef: orderRef, in: tx) == 0
        else { return }
        order.status = .closed
        try await orders.updateHeader(order, in: tx)
        try await tx.audit(action: "order.close", entityType: "order", entityID: order.id.uuidString.lowercased(),
                           details: ["order_ref": orderRef, "status": "closed", "reason": "every invoice of the order is settled"])
    }

    /// One invoice for the given shipments' billable lines (nil when nothing is left to bill), and
    /// the order as it is afterwards.
    func invoice(_ order: Order, shipments: [Shipment], issueDate: BusinessDate?, rules: VersionedRules,
                 in tx: TenantTransaction) async throws -> (document: IssuedDocument?, order: Order) {
        var billable = Dictionary(uniqueKeysWithValues: order.lines.map { ($0.lineNo, $0.billableQuantity) })
        var drafts: [LineDraft] = []
        var billed: [(lineNo: Int, quantity: Int64)] = []
        for shipment in shipments {
            for shipped in shipment.lines.sorted(by: { $0.lineNo < $1.lineNo }) {
                guard let line = order.lines.first(where: { $0.lineNo == shipped.lineNo }) else { continue }
                let quantity = min(shipped.quantity, billable[line.lineNo] ?? 0)
                guard quantity > 0 else { continue }
                billable[line.lineNo, default: 0] -= quantity
                billed.append((line.lineNo, quantity))
                drafts.append(LineDraft(
                    sku: line.sku, description: line.description, quantity: quantity, unitOfMeasure: line.unitOfMeasure,
                    unitPrice: line.unitPrice.units, taxCode: line.taxCode,
                    source: LineSource(orderRef: order.orderRef, orderLineNo: line.lineNo, shipmentID: shipment.id,
                                       shipmentRef: shipment.shipmentRef)))
            }
        }
        guard !drafts.isEmpty else { return (nil, order) }
        // The order's side is written first, against the invoice id chosen here: the invoice's
        // number is drawn last, so the series stays locked for as few statements as possible.
        let documentID = UUID()
        var updated = order
        for (lineNo, quantity) in billed {
            if let i = updated.lines.firstIndex(where: { $0.lineNo == lineNo }) { updated.lines[i].invoicedQuantity += quantity }
        }
        let billedShipments = Set(shipments.map(\.id))
        for i in updated.shipments.indices where billedShipments.contains(updated.shipments[i].id) {
            updated.shipments[i].invoiceID = documentID
        }
        try await orders.recordBilling(orderID: order.id, lines: billed, shipmentIDs: shipments.map(\.id), invoiceID: documentID,
                                       complete: updated.isFullyInvoiced && order.status != .invoiced, in: tx)
        updated = try await auditInvoicedIfComplete(updated, in: tx)
        // The invoiced value leaves the order's credit reservation (it is receivables now), before
        // the invoice takes its number: the series stays locked for as few statements as possible.
        try await creditGate?.orderChanged(updated, rules: rules, in: tx)
        let issued = try await billing.issueInvoice(
            Billing.InvoiceRequest(customerNumber: order.customerNumber, currency: order.currency, issueDate: issueDate,
                                   orderRef: order.orderRef, customerPO: order.customerPO, lines: drafts, documentID: documentID),
            rules: rules, in: tx)
        for i in updated.shipments.indices where billedShipments.contains(updated.shipments[i].id) {
            updated.shipments[i].invoiceNumber = issued.document.number
        }
        return (issued, updated)
    }

    /// Once every ordered unit is shipped and billed the order is `invoiced` (written by
    /// `recordBilling`); this audits the change and returns the order as it is then.
    private func auditInvoicedIfComplete(_ order: Order, in tx: TenantTransaction) async throws -> Order {
        guard order.isFullyInvoiced, order.status != .invoiced else { return order }
        var order = order
        order.status = .invoiced
        order.version += 1
        try await tx.audit(action: "order.invoiced", entityType: "order", entityID: order.id.uuidString.lowercased(),
                           details: ["order_ref": order.orderRef, "status": "invoiced"])
        return order
    }
}

extension Calendar {
    /// The first instant after the business day in the tenant's time zone.
    static func dayEnd(_ date: BusinessDate, timeZone: String) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? .gmt
        let next = date.adding(days: 1).components
        return calendar.date(from: DateComponents(year: next.year, month: next.month, day: next.day)) ?? Date.distantFuture
    }
}
