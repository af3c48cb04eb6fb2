public import OTCCore
public import Foundation

/// The accounts of the AR subledger. Receivables and on-account credits hold open items; the
/// others are where the other side of each posting lands.
public enum LedgerAccount: String, Sendable, CaseIterable, Codable {
    case receivables
    case revenue
    case tax
    case cash
    case discount
    case writeOff = "write_off"
    case bankCharges = "bank_charges"
    /// Customer money received but not yet applied to an invoice (a liability).
    case onAccount = "on_account"

    /// Accounts whose balance must equal the sum of their open items.
    public var holdsOpenItems: Bool { self == .receivables || self == .onAccount }
}

/// What kind of document an open item comes from.
public enum OpenItemKind: String, Sendable, CaseIterable, Codable {
    case invoice
    case debitMemo = "debit_memo"
    case creditMemo = "credit_memo"
    case paymentOnAccount = "payment_on_account"

    /// Debit items (the customer owes) have positive amounts; credit items negative ones.
    public var isDebit: Bool { self == .invoice || self == .debitMemo }
    /// The account the item sits in.
    public var account: LedgerAccount { self == .paymentOnAccount ? .onAccount : .receivables }
}

/// One line of a posting: debit positive, credit negative, in the posting's currency.
public struct PostingLine: Sendable, Equatable {
    public var account: LedgerAccount
    public var amount: Int64
    public init(_ account: LedgerAccount, _ amount: Int64) {
        self.account = account
        self.amount = amount
    }
}

/// A balanced journal entry in one currency. The initializer refuses an unbalanced one, so the
/// store can never write it; `Ledger.check` proves the stored ones still balance.
public struct Posting: Sendable, Equatable {
    public let currency: Currency
    public let lines: [PostingLine]
    public let description: String

    public init(currency: Currency, lines: [PostingLine], description: String) throws(LedgerError) {
        let nonZero = lines.filter { $0.amount != 0 }
        guard !nonZero.isEmpty else { throw .emptyPosting(description) }
        var sum: Int64 = 0
        for line in nonZero {
            let (next, overflow) = sum.addingReportingOverflow(line.amount)
            guard !overflow else { throw .unbalanced(description, Int64.max) }
            sum = next
        }
        guard sum == 0 else { throw .unbalanced(description, sum) }
        self.currency = currency
        self.lines = nonZero
        self.description = description
    }
}

/// A new open item as a document posts it.
public struct OpenItemDraft: Sendable, Equatable {
    public var kind: OpenItemKind
    public var customerNumber: String
    public var currency: Currency
    /// Signed: positive for debit items, negative for credit items.
    public var amount: Int64
    public var documentID: UUID
    public var documentNumber: String
    public var issueDate: BusinessDate
    public var dueDate: BusinessDate?
    /// Early-payment discount: the amount that may be deducted when paid by `discountDate`.
    public var discountDate: BusinessDate?
    public var discountAmount: Int64

    public init(kind: OpenItemKind, customerNumber: String, currency: Currency, amount: Int64, documentID: UUID,
                documentNumber: String, issueDate: BusinessDate, dueDate: BusinessDate?,
                discountDate: BusinessDate? = nil, discountAmount: Int64 = 0) {
        self.kind = kind
        self.customerNumber = customerNumber
        self.currency = currency
        self.amount = amount
        self.documentID = documentID
        self.documentNumber = documentNumber
        self.issueDate = issueDate
        self.dueDate = dueDate
        self.discountDate = discountDate
        self.discountAmount = discountAmount
    }
}

/// An item of the subledger with what is still open on it.
public struct OpenItem: Sendable, Equatable {
    public var id: UUID
    public var kind: OpenItemKind
    public var customerNumber: String
    public var currency: Currency
    public var amount: Int64
    /// amount minus applications; 0 when settled. Same sign as `amount`.
    public var openAmount: Int64
    public var documentID: UUID
    public var documentNumber: String
    public var issueDate: BusinessDate
    public var dueDate: BusinessDate?
    public var discountDate: BusinessDate?
    public var discountAmount: Int64

    public var isOpen: Bool { openAmount != 0 }
}

/// How an amount settles an item: against another item (a credit memo or on-account money
/// against an invoice) or against an account (cash received, discount taken, written off).
public enum SettlementSource: Sendable, Equatable {
    case item(UUID)
    case account(LedgerAccount)
}

/// A stored application of an amount to an item.
public struct Application: Sendable, Equatable {
    public var id: UUID
    public var itemID: UUID
    public var source: SettlementSource
    /// Positive: how much of the item's open amount it settled (in the item's direction).
    public var amount: Int64
    public var appliedOn: BusinessDate
    public var reversedBy: UUID?
    public var reason: String
}

/// One finding of the ledger check; an empty list means the ledger is consistent.
public struct LedgerViolation: Sendable, Equatable, Codable {
    public var rule: String
    public var subject: String
    public var detail: String
    public init(rule: String, subject: String, detail: String) {
        self.rule = rule
        self.subject = subject
        self.detail = detail
    }
}

public enum LedgerError: Error, Sendable, Equatable, OTCErrorConvertible {
    case emptyPosting(String)
    case unbalanced(String, Int64)
    case currencyMismatch(item: String, itemCurrency: Currency, other: Currency)
    case exceedsOpen(item: String, open: Int64, requested: Int64, currency: Currency)
    case customerMismatch(item: String, other: String)
    case notFound(String)
    case alreadyReversed(String)

    public var otcError: OTCError {
        switch self {
        case .emptyPosting(let what): .internal(LedgerFault("posting '\(what)' has no lines"))
        case .unbalanced(let what, let sum): .internal(LedgerFault("posting '\(what)' does not balance (sum \(sum))"))
        case .currencyMismatch(let item, let a, let b):
            .invalidArgument("\(item) is in \(a); an amount in \(b) cannot settle it", details: ["reason": "CURRENCY_MISMATCH"])
        case .exceedsOpen(let item, let open, let requested, let currency):
            .failedPrecondition(
                "\(item) has \(Money(units: open, currency: currency)) open; \(Money(units: requested, currency: currency)) cannot be applied",
                details: ["reason": "EXCEEDS_OPEN_AMOUNT"])
        case .customerMismatch(let item, let other):
            .failedPrecondition("\(item) belongs to another customer than \(other); items of different customers cannot settle each other")
        case .notFound(let what): .notFound(what)
        case .alreadyReversed(let what): .failedPrecondition("\(what) was already reversed")
        }
    }
}

struct LedgerFault: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
