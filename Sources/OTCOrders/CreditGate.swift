public import OTCStore
public import OTCCore

/// The seam where credit management plugs into order entry (its own issue). An order that passed
/// validation asks the gate; without a gate the order is released and the order records that no
/// credit check ran. The gate runs inside the order's transaction, so a reservation it makes
/// commits or rolls back with the order.
public protocol CreditGate: Sendable {
    func check(_ order: Order, rules: VersionedRules, in tx: TenantTransaction) async throws -> CreditDecision
    /// The order will not consume credit any more (cancelled); release what `check` reserved.
    func release(_ order: Order, in tx: TenantTransaction) async throws
}

public enum CreditDecision: Sendable, Equatable {
    case approved
    case hold(reason: String)
}

/// The seam where billing plugs in: invoice-on-shipment tenants invoice from here. Returns the
/// order as it is afterwards (invoiced quantities, status, the shipment's invoice number).
public protocol ShipmentObserver: Sendable {
    func shipmentRecorded(_ shipment: Shipment, of order: Order, in tx: TenantTransaction) async throws -> Order
}
