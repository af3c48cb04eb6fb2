public import OTCCore
public import Foundation

/// A customer's credit profile: the limit (in one currency), risk class, score, review date and
/// block. Every change is a new version with a history entry.
public struct CreditProfile: Sendable, Equatable {
    public var customerNumber: String
    public var currency: Currency
    /// nil: no limit set yet (the rules' `unprofiled_customers` decides).
    public var limit: Int64?
    public var riskClass: String
    public var score: Int?
    /// 0–100 from an agency, entered by an analyst.
    public var externalRating: Int?
    public var nextReview: BusinessDate?
    public var blocked: Bool
    public var blockReason: String
    /// 0 for a profile that is not stored yet.
    public var version: Int64

    public init(customerNumber: String, currency: Currency, limit: Int64? = nil, riskClass: String = "", score: Int? = nil,
                externalRating: Int? = nil, nextReview: BusinessDate? = nil, blocked: Bool = false, blockReason: String = "",
                version: Int64 = 0) {
        self.customerNumber = customerNumber
        self.currency = currency
        self.limit = limit
        self.riskClass = riskClass
        self.score = score
        self.externalRating = externalRating
        self.nextReview = nextReview
        self.blocked = blocked
        self.blockReason = blockReason
        self.version = version
    }

    /// Field → "before → after" for the fields that differ (the history's record of a change).
    public func changes(to other: CreditProfile) -> [String: String] {
        func text<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "-" }
        var changes: [String: String] = [:]
        func note(_ field: String, _ before: String, _ after: String) { if before != after { changes[field] = "\(before) → \(after)" } }
        note("currency", currency.code, other.currency.code)
        note("limit", limit.map { Money(units: $0, currency: currency).description } ?? "-",
             other.limit.map { Money(units: $0, currency: other.currency).description } ?? "-")
        note("risk_class", riskClass.isEmpty ? "-" : riskClass, other.riskClass.isEmpty ? "-" : other.riskClass)
        note("score", text(score), text(other.score))
        note("external_rating", text(externalRating), text(other.externalRating))
        note("next_review", text(nextReview), text(other.nextReview))
        note("blocked", blocked ? "yes (\(blockReason))" : "no", other.blocked ? "yes (\(other.blockReason))" : "no")
        return changes
    }
}

/// What a customer owes and has ordered, in the limit's currency (ARCHITECTURE: exposure = open
/// AR + released-but-uninvoiced orders, + shipped-not-invoiced when the rules say so).
public struct Exposure: Sendable, Equatable {
    public var openReceivables: Int64
    /// Released orders' value not yet shipped.
    public var openOrders: Int64
    public var shippedNotInvoiced: Int64
    public var countsShippedNotInvoiced: Bool
    /// Most days an open debit item is past due today.
    public var maxDaysOverdue: Int
    /// Items and orders in other currencies: not converted (no FX rates), shown beside.
    public var otherCurrencies: [Money]

    public init(openReceivables: Int64 = 0, openOrders: Int64 = 0, shippedNotInvoiced: Int64 = 0, countsShippedNotInvoiced: Bool = true,
                maxDaysOverdue: Int = 0, otherCurrencies: [Money] = []) {
        self.openReceivables = openReceivables
        self.openOrders = openOrders
        self.shippedNotInvoiced = shippedNotInvoiced
        self.countsShippedNotInvoiced = countsShippedNotInvoiced
        self.maxDaysOverdue = maxDaysOverdue
        self.otherCurrencies = otherCurrencies
    }

    public var total: Int64 { openReceivables + openOrders + (countsShippedNotInvoiced ? shippedNotInvoiced : 0) }
}

/// The credit an order asks for: its value not yet invoiced, split as exposure counts it.
/// Amounts include tax estimated at the lines' tax codes, because invoices (open receivables)
/// are gross: when an order is invoiced, its reservation moves into receivables without a jump.
public struct Reservation: Sendable, Equatable {
    public var orderID: UUID
    public var orderRef: String
    public var customerNumber: String
    public var currency: Currency
    public var unshipped: Int64
    public var shippedNotInvoiced: Int64

    public init(orderID: UUID, orderRef: String, customerNumber: String, currency: Currency, unshipped: Int64,
                shippedNotInvoiced: Int64) {
        self.orderID = orderID
        self.orderRef = orderRef
        self.customerNumber = customerNumber
        self.currency = currency
        self.unshipped = unshipped
        self.shippedNotInvoiced = shippedNotInvoiced
    }

    public var total: Int64 { unshipped + shippedNotInvoiced }

    /// Gross value of `quantity` at `unitPrice` with tax at `rateBasisPoints`, tax rounded half
    /// away from zero (the invoice's line rounding).
    public static func gross(quantity: Int64, unitPrice: Int64, rateBasisPoints: Int) -> Int64 {
        let net = quantity.multipliedReportingOverflow(by: unitPrice)
        guard !net.overflow else { return Int64.max / 4 }
        let taxTimes = net.partialValue.multipliedReportingOverflow(by: Int64(rateBasisPoints))
        guard !taxTimes.overflow else { return Int64.max / 4 }
        let tax = (taxTimes.partialValue + (taxTimes.partialValue >= 0 ? 5_000 : -5_000)) / 10_000
        return net.partialValue + tax
    }
}

/// A request to change a credit limit, decided by a second operator.
public struct LimitRequest: Sendable, Equatable {
    public enum Status: String, Sendable { case pending, approved, rejected }

    public var id: UUID
    public var customerNumber: String
    public var currency: Currency
    public var currentLimit: Int64?
    public var requestedLimit: Int64
    public var justification: String
    public var status: Status
    public var requestedBy: String
    public var requestedAt: Date
    public var decidedBy: String?
    public var decidedAt: Date?
    public var decisionNote: String
    public var rulesVersion: Int
    public var releasedOrders: [String]
}

/// One entry of a profile's history.
public struct ProfileChange: Sendable, Equatable {
    public var version: Int64
    public var principal: String
    public var at: Date
    public var reason: String
    public var rulesVersion: Int
    public var changes: [String: String]
}
