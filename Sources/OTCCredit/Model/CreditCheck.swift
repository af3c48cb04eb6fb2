public import OTCCore

/// The credit decision on an order, from the profile, the exposure without the order and the
/// order's value, under the tenant's rules. Pure, so every branch is unit-tested.
public enum CreditCheck {
    public enum Outcome: Sendable, Equatable {
        case approved(note: String)
        case hold(code: String, reason: String)

        public var isApproved: Bool { if case .approved = self { true } else { false } }
    }

    /// Checks in the order a credit analyst would: a block, a risk class that always waits, items
    /// overdue too long, then the limit. The first reason to hold wins.
    public static func decide(profile: CreditProfile?, exposure: Exposure, orderValue: Int64, orderCurrency: Currency,
                              rules: TenantRules.Credit) -> Outcome {
        guard rules.checkOrders else { return .approved(note: "credit check switched off in the rules") }
        if let profile, profile.blocked {
            return .hold(code: "BLOCKED", reason: "customer is blocked for credit" + (profile.blockReason.isEmpty ? "" : ": \(profile.blockReason)"))
        }
        if let profile, let riskClass = rules.riskClass(named: profile.riskClass), riskClass.holdOrders {
            return .hold(code: "RISK_CLASS", reason: "risk class \(riskClass.name): every order waits for a credit analyst")
        }
        if let maxDays = rules.maxDaysOverdue, exposure.maxDaysOverdue > maxDays {
            return .hold(code: "OVERDUE", reason: "an open item is \(exposure.maxDaysOverdue) days past due (the rules allow \(maxDays))")
        }
        guard let profile, let limit = profile.limit else {
            switch rules.unprofiledCustomers {
            case .approve: return .approved(note: "no credit limit set; the rules approve such customers")
            case .hold: return .hold(code: "NO_LIMIT", reason: "customer has no credit limit; request one or release the order")
            }
        }
        guard orderCurrency == profile.currency else {
            return .hold(code: "CURRENCY",
                         reason: "order in \(orderCurrency) against a limit in \(profile.currency); without exchange rates an analyst decides")
        }
        if let threshold = rules.autoApproveBelow[orderCurrency.code], orderValue < threshold {
            return .approved(note: "order value below the auto-approve threshold \(Money(units: threshold, currency: orderCurrency))")
        }
        let after = exposure.total + orderValue
        if after > limit {
            let money = { (units: Int64) in Money(units: units, currency: profile.currency).description }
            return .hold(code: "OVER_LIMIT",
                         reason: "over the credit limit: exposure \(money(exposure.total)) + order \(money(orderValue)) = \(money(after)) > limit \(money(limit))")
        }
        return .approved(note: "within the limit: \(Money(units: after, currency: profile.currency)) of \(Money(units: limit, currency: profile.currency))")
    }
}
