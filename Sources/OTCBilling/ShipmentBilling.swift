public import OTCCore
public import OTCStore

/// What billing needs from order management to invoice shipped goods. Orders own shipments and
/// the invoiced quantities; billing owns documents. The order module implements this and the
/// composition root hands it to `BillingService`, so the dependency still points from orders to
/// billing (ARCHITECTURE §2).
public protocol ShipmentBilling: Sendable {
    /// Invoices the shipment's lines not yet invoiced.
    func invoiceShipment(orderRef: String, shipmentRef: String, issueDate: BusinessDate?, rules: VersionedRules,
                         in tx: TenantTransaction) async throws -> IssuedDocument
    /// Invoices uninvoiced shipments made on or before `asOf`, one invoice per order, at most
    /// `maxOrders` orders; `more` is true when more orders are due.
    func runBilling(asOf: BusinessDate, issueDate: BusinessDate?, maxOrders: Int, rules: VersionedRules,
                    in tx: TenantTransaction) async throws -> (invoices: [IssuedDocument], more: Bool)
    /// A direct invoice names order lines: check they are shipped and not yet invoiced, and count
    /// them as invoiced (the order moves to `invoiced` when everything is). Returns the order's
    /// customer PO for the invoice.
    func billDirectly(orderRef: String, lines: [(lineNo: Int, quantity: Int64)], in tx: TenantTransaction) async throws -> String
    /// Something settled one of the order's invoices (a credit memo now; cash application later):
    /// an invoiced order whose invoices and debit memos are all settled is closed.
    func invoiceSettled(orderRef: String, in tx: TenantTransaction) async throws
}
