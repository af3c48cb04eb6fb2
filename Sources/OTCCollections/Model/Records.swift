public import OTCCore
public import Foundation

/// A customer as collections sees it: who collects, and whether dunning is held.
public struct CollectionAccount: Sendable, Equatable {
    public var customerNumber: String
    public var collector: String
    public var dunningHold: Bool
    public var holdReason: String
}

public struct Activity: Sendable, Equatable {
    public var id: UUID
    public var customerNumber: String
    public var kind: String
    public var outcome: String
    public var note: String
    public var followUp: BusinessDate?
    public var principal: String
    public var at: Date

    public static let kinds: Set<String> = ["call", "email", "letter", "meeting", "note"]
}

public struct PromiseToPay: Sendable, Equatable {
    public enum Status: String, Sendable { case open, kept, broken, cancelled }

    public var id: UUID
    public var customerNumber: String
    public var amount: Money
    public var promisedDate: BusinessDate
    public var madeOn: BusinessDate
    public var status: Status
    public var paid: Int64
    public var note: String
    public var principal: String
    public var resolvedAt: Date?

    /// Kept once the customer paid the amount since the promise was made; broken when the date
    /// (plus grace) has passed without that. Open otherwise.
    public static func evaluate(amount: Int64, paid: Int64, promisedDate: BusinessDate, graceDays: Int, asOf: BusinessDate) -> Status {
        if paid >= amount { return .kept }
        return asOf > promisedDate.adding(days: graceDays) ? .broken : .open
    }
}

public struct WriteOffRequest: Sendable, Equatable {
    public enum Status: String, Sendable { case pending, approved, rejected }

    public var id: UUID
    public var itemID: UUID
    public var documentNumber: String
    public var customerNumber: String
    public var amount: Money
    public var reason: String
    public var status: Status
    public var requestedBy: String
    public var requestedAt: Date
    public var decidedBy: String?
    public var decidedAt: Date?
    public var decisionNote: String
    public var rulesVersion: Int
}

public struct DunningNoticeRecord: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var documentNumber: String
        public var dueDate: BusinessDate
        public var anchorDate: BusinessDate
        public var daysOverdue: Int
        public var openAmount: Int64
        public var disputedAmount: Int64
        public var dunnedAmount: Int64
    }

    public var id: UUID
    public var runID: UUID
    public var customerNumber: String
    public var currency: String
    public var level: Int
    public var action: String
    public var total: Int64
    public var asOf: BusinessDate
    public var text: String
    public var items: [Item]
}
