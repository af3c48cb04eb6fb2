public import OTCCore
public import Foundation

/// Where a dispute is in its life (DOMAIN.md): open → in_review → pending_customer →
/// resolved_accepted | resolved_rejected → closed.
public enum DisputeStatus: String, Sendable, CaseIterable, Codable {
    case open
    case inReview = "in_review"
    case pendingCustomer = "pending_customer"
    case resolvedAccepted = "resolved_accepted"
    case resolvedRejected = "resolved_rejected"
    case closed

    public var isResolved: Bool { self == .resolvedAccepted || self == .resolvedRejected || self == .closed }

    /// The moves ChangeStatus allows; resolutions go through ResolveDispute (they post).
    public func canMove(to next: DisputeStatus) -> Bool {
        switch (self, next) {
        case (.open, .inReview), (.open, .pendingCustomer), (.inReview, .pendingCustomer), (.pendingCustomer, .inReview),
             (.resolvedAccepted, .closed), (.resolvedRejected, .closed):
            true
        default:
            false
        }
    }
}

public enum DisputeSource: String, Sendable, Codable {
    case erp, `operator`, deduction
}

public struct DisputedItem: Sendable, Equatable {
    public var itemID: UUID
    public var documentNumber: String
    public var amount: Int64

    public init(itemID: UUID, documentNumber: String, amount: Int64) {
        self.itemID = itemID
        self.documentNumber = documentNumber
        self.amount = amount
    }
}

public struct DisputeEvent: Sendable, Equatable {
    public var at: Date
    public var principal: String
    public var from: String
    public var to: String
    public var note: String
}

public struct Dispute: Sendable, Equatable {
    public var id: UUID
    public var number: String
    public var customerNumber: String
    public var reasonCode: String
    public var currency: Currency
    public var items: [DisputedItem]
    public var description: String
    /// (reference, name) of documents kept elsewhere.
    public var attachments: [[String]]
    public var status: DisputeStatus
    public var ownerTeam: String
    public var assignee: String
    public var slaDueAt: Date
    public var source: DisputeSource
    public var externalRef: String
    public var acceptedAmount: Int64
    public var creditMemos: [String]
    public var resolutionNote: String
    public var openedAt: Date
    public var resolvedAt: Date?
    public var rulesVersion: Int
    public var events: [DisputeEvent] = []

    public var disputedAmount: Int64 { items.reduce(0) { $0 + $1.amount } }

    public func isBreached(now: Date) -> Bool { !status.isResolved && now > slaDueAt }
}

/// Splits an accepted gross amount over the disputed items in their order, each at most its
/// disputed amount. Pure.
public enum AcceptedSplit {
    public static func split(_ accepted: Int64, over items: [DisputedItem]) -> [(DisputedItem, Int64)] {
        var left = accepted
        return items.compactMap { item in
            let share = min(left, item.amount)
            left -= share
            return share > 0 ? (item, share) : nil
        }
    }

    /// Net of a gross amount at one tax rate, rounded half away from zero; the credit memo's
    /// tax (rounded the same way) makes the gross again, give or take one minor unit.
    public static func net(ofGross gross: Int64, rateBasisPoints rate: Int) -> Int64 {
        let numerator = gross * 10_000
        let denominator = Int64(10_000 + rate)
        return (numerator + denominator / 2) / denominator
    }
}
