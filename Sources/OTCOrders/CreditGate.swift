public import OTCStore
public import OTCCore

/// The seam where credit management plugs into order entry. An order that passed validation asks
/// the gate; without a gate the order is released and the order records that no credit check ran.
/// The gate runs inside the order's transaction, so a reservation it makes commits or rolls back
/// with the order.
public protocol CreditGate: Sendable {
    /// The credit decision on a valid order (an approved order reserves its value).
    func check(_ order: Order, rules: VersionedRules, in tx: TenantTransaction) async throws -> CreditDecision
    /// The order changed (shipped, invoiced, amended, cancelled): its reservation follows.
    func orderChanged(_ order: Order, rules: VersionedRules, in tx: TenantTransaction) async throws
    /// An analyst released (`released: true`) or rejected an order on credit hold.
    func analystDecided(_ order: Order, released: Bool, reason: String, rules: VersionedRules,
                        in tx: TenantTransaction) async throws
}

public enum CreditDecision: Sendable, Equatable {
    case approved
    case hold(reason: String)
}

/// The seam where billing plugs in: invoice-on-shipment tenants invoice from here. Returns the
/// order as it is afterwards (invoiced quantities, status, the shipment's invoice number).
public protocol ShipmentObserver: Sendable {
    func shipmentRecorded(_ shipment: Shipment, of order: Order, rules: VersionedRules,
                          in tx: TenantTransaction) async throws -> Order
}
