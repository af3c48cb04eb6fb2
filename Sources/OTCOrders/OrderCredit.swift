public import OTCCore
public import OTCStore
public import OTCCredit
public import OTCReceivables
import Foundation

/// Order management's side of credit: what an order asks for (its value not yet invoiced, with
/// tax estimated from the lines' tax codes), the check at entry, the reservation that follows
/// every change of the order, and the re-check of held orders that credit management triggers.
public struct OrderCredit: CreditGate, HeldOrders, SettlementObserver {
    let credit = Credit()
    let orders = OrderStore()

    public init() {}

    /// The order's credit need split as exposure counts it: not yet shipped, shipped not invoiced.
    static func value(of order: Order, rules: TenantRules) -> Reservation {
        var unshipped: Int64 = 0
        var shipped: Int64 = 0
        for line in order.lines {
            let rate = rules.taxCodes[line.taxCode] ?? 0
            unshipped += Reservation.gross(quantity: line.openQuantity, unitPrice: line.unitPrice.units, rateBasisPoints: rate)
            shipped += Reservation.gross(quantity: line.billableQuantity, unitPrice: line.unitPrice.units, rateBasisPoints: rate)
        }
        return Reservation(orderID: order.id, orderRef: order.orderRef, customerNumber: order.customerNumber,
                           currency: order.currency, unshipped: max(0, unshipped), shippedNotInvoiced: max(0, shipped))
    }

    /// Released orders reserve until invoiced; held, cancelled and finished ones reserve nothing.
    static func reservation(of order: Order, rules: TenantRules) -> Reservation? {
        [.released, .partiallyShipped, .shipped].contains(order.status) ? value(of: order, rules: rules) : nil
    }

    public func check(_ order: Order, rules: VersionedRules, in tx: TenantTransaction) async throws -> CreditDecision {
        switch try await credit.check(Self.value(of: order, rules: rules.rules), rules: rules, in: tx) {
        case .approved: .approved
        case .hold(_, let reason): .hold(reason: reason)
        }
    }

    public func orderChanged(_ order: Order, rules: VersionedRules, in tx: TenantTransaction) async throws {
        try await credit.reserve(Self.reservation(of: order, rules: rules.rules), orderID: order.id, in: tx)
    }

    public func analystDecided(_ order: Order, released: Bool, reason: String, rules: VersionedRules,
                               in tx: TenantTransaction) async throws {
        try await credit.recordAnalystDecision(Self.value(of: order, rules: rules.rules), decision: released ? "released" : "rejected",
                                               reason: reason, rules: rules, in: tx)
    }

    /// A settlement lowers exposure (and may clear an overdue item): held orders get another look.
    public func settled(customer: String, documents documentNumbers: [String], cause: String, rules: VersionedRules,
                        in tx: TenantTransaction) async throws {
        _ = try await recheck(customer: customer, reason: cause, rules: rules, in: tx)
    }

    /// Checks the customer's credit-held orders again, oldest first, so earlier orders get the
    /// credit first; each one that passes is released (and reserves), the rest stay held with the
    /// current reason.
    public func recheck(customer: String, reason: String, rules: VersionedRules,
                        in tx: TenantTransaction) async throws -> (released: [String], stillHeld: [String]) {
        let held = try await orders.list(statuses: [.creditHold], customer: customer, afterSeq: nil, limit: 500, in: tx)
        var released: [String] = []
        var stillHeld: [String] = []
        for (candidate, _) in held.reversed() {
            guard var order = try await orders.find(id: candidate.id, lock: true, in: tx), order.status == .creditHold else { continue }
            let subject = order.id.uuidString.lowercased()
            switch try await check(order, rules: rules, in: tx) {
            case .approved:
                order.status = .released
                order.holdReason = ""
                order.rulesVersion = rules.version
                try await orders.updateHeader(order, in: tx)
                try await tx.closeTasks(subjectType: "order", subjectID: subject, kind: OrderService.creditTask,
                                        resolution: "released by credit re-check: \(reason)")
                released.append(order.orderRef)
            case .hold(let why):
                if why != order.holdReason {
                    order.holdReason = why
                    order.rulesVersion = rules.version
                    try await orders.updateHeader(order, in: tx)
                }
                stillHeld.append(order.orderRef)
            }
            try await tx.audit(action: "order.credit_recheck", entityType: "order", entityID: subject, details: [
                "trigger": reason, "status": order.status.rawValue, "hold_reason": order.holdReason, "rules_version": "\(rules.version)",
            ])
        }
        return (released, stillHeld)
    }
}
