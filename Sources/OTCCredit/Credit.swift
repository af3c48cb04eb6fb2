public import OTCCore
public import OTCStore
public import Foundation

/// Credit management's Swift API for order entry, used inside the order's transaction: the check
/// and the reservation commit or roll back with the order.
public struct Credit: Sendable {
    let store = CreditStore()

    public init() {}

    /// The decision on an order asking for `reservation`. Locks the customer's profile, so two
    /// orders of one customer are checked one after the other and cannot both take the last of
    /// the limit. An approved order reserves its value at once; a held one reserves nothing.
    /// The decision is logged with the rule-set version.
    public func check(_ reservation: Reservation, rules: VersionedRules, in tx: TenantTransaction) async throws -> CreditCheck.Outcome {
        guard rules.rules.credit.checkOrders else {
            try await store.reserve(reservation, orderID: reservation.orderID, in: tx)
            return .approved(note: "credit check switched off in the rules")
        }
        let profile = try await store.profile(reservation.customerNumber, lock: true, in: tx)
        let currency = profile?.currency ?? reservation.currency
        // Without a limit only overdue items can hold the order: the sum of the customer's
        // reservations (which grows with their open orders) is not needed.
        let exposure = try await store.exposure(customer: reservation.customerNumber, currency: currency, excludingOrder: reservation.orderID,
                                                countShipped: rules.rules.credit.includeShippedNotInvoiced,
                                                withOrders: profile?.limit != nil, in: tx)
        let outcome = CreditCheck.decide(profile: profile, exposure: exposure, orderValue: reservation.total,
                                         orderCurrency: reservation.currency, rules: rules.rules.credit)
        let (decision, code, reason): (String, String, String) = switch outcome {
        case .approved(let note): ("approved", "", note)
        case .hold(let code, let reason): ("hold", code, reason)
        }
        try await store.recordDecision(
            orderID: reservation.orderID, orderRef: reservation.orderRef, customer: reservation.customerNumber, decision: decision,
            code: code, reason: reason, currency: reservation.currency, orderValue: reservation.total,
            exposure: profile?.limit != nil ? exposure.total : nil,
            limit: profile?.limit, rulesVersion: rules.version, reservation: outcome.isApproved ? reservation : nil, in: tx)
        return outcome
    }

    /// An analyst released (`released`) or rejected (`rejected`) an order on credit hold.
    /// A released order reserves its value.
    public func recordAnalystDecision(_ reservation: Reservation, decision: String, reason: String, rules: VersionedRules,
                                      in tx: TenantTransaction) async throws {
        try await store.recordDecision(
            orderID: reservation.orderID, orderRef: reservation.orderRef, customer: reservation.customerNumber, decision: decision,
            code: "ANALYST", reason: reason, currency: reservation.currency, orderValue: reservation.total, exposure: nil, limit: nil,
            rulesVersion: rules.version, reservation: decision == "released" ? reservation : nil, in: tx)
    }

    /// The order changed (shipped, invoiced, amended, cancelled): its reservation follows, in
    /// the same transaction. nil removes it.
    public func reserve(_ reservation: Reservation?, orderID: UUID, in tx: TenantTransaction) async throws {
        try await store.reserve(reservation, orderID: orderID, in: tx)
    }
}

/// Order management's side of a re-check: the customer's credit-held orders are checked again
/// (after a limit approval, an unblock, a payment) and released when they now pass. Implemented
/// by OTCOrders, which owns orders; credit management only calls it.
public protocol HeldOrders: Sendable {
    func recheck(customer: String, reason: String, rules: VersionedRules,
                 in tx: TenantTransaction) async throws -> (released: [String], stillHeld: [String])
}
