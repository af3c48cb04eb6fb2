public import OTCCore
public import Foundation

/// The kinds of billing document. Each has its own gapless number series.
public enum DocumentKind: String, Sendable, CaseIterable, Codable {
    case invoice
    case creditMemo = "credit_memo"
    case debitMemo = "debit_memo"

    /// +1 when the customer owes more after the document, −1 when less.
    public var sign: Int64 { self == .creditMemo ? -1 : 1 }
}

/// Where an invoice line came from, so the same shipment is never billed twice.
public struct LineSource: Sendable, Equatable, Codable {
    public var orderRef: String
    public var orderLineNo: Int
    public var shipmentID: UUID
    public var shipmentRef: String

    /// The shipment id of a line billed directly by order line, without a shipment.
    public static let noShipment = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    public init(orderRef: String, orderLineNo: Int, shipmentID: UUID, shipmentRef: String) {
        self.orderRef = orderRef
        self.orderLineNo = orderLineNo
        self.shipmentID = shipmentID
        self.shipmentRef = shipmentRef
    }
}

/// A line to bill before tax: what an ERP or a shipment supplies.
public struct LineDraft: Sendable, Equatable {
    public var sku: String
    public var description: String
    public var quantity: Int64
    public var unitOfMeasure: String
    /// Minor units per unit.
    public var unitPrice: Int64
    public var taxCode: String
    public var source: LineSource?
    /// For memos: the invoice line this line corrects.
    public var invoiceLineNo: Int?
    /// Set when the net amount is not quantity × unit price (a memo by amount, or the last part of
    /// a partially credited line, which takes exactly what is left).
    public var netOverride: Int64?
    /// Set with `netOverride` when the tax must be exactly what is left on the original line.
    public var taxOverride: Int64?

    public init(sku: String, description: String, quantity: Int64, unitOfMeasure: String, unitPrice: Int64, taxCode: String,
                source: LineSource? = nil, invoiceLineNo: Int? = nil, netOverride: Int64? = nil, taxOverride: Int64? = nil) {
        self.sku = sku
        self.description = description
        self.quantity = quantity
        self.unitOfMeasure = unitOfMeasure
        self.unitPrice = unitPrice
        self.taxCode = taxCode
        self.source = source
        self.invoiceLineNo = invoiceLineNo
        self.netOverride = netOverride
        self.taxOverride = taxOverride
    }
}

/// A line as issued: amounts are positive on every kind of document; the kind gives the direction.
public struct DocumentLine: Sendable, Equatable {
    public var lineNo: Int
    public var sku: String
    public var description: String
    public var quantity: Int64
    public var unitOfMeasure: String
    public var unitPrice: Int64
    public var netAmount: Int64
    public var taxCode: String
    public var taxRateBasisPoints: Int
    public var taxAmount: Int64
    public var source: LineSource?
    public var invoiceLineNo: Int?

    public var grossAmount: Int64 { netAmount + taxAmount }
}

/// Tax per code and rate over a document (EN 16931 BG-23).
public struct TaxSubtotal: Sendable, Equatable {
    public var taxCode: String
    public var rateBasisPoints: Int
    public var taxableAmount: Int64
    public var taxAmount: Int64
}

/// The buyer as the document shows it: a snapshot of the customer at issue, so later master-data
/// changes never alter an issued document.
public struct BuyerSnapshot: Sendable, Equatable, Codable {
    public var number: String
    public var name: String
    public var country: String
    public var taxID: String
    public var email: String
    public init(number: String, name: String, country: String, taxID: String, email: String) {
        self.number = number
        self.name = name
        self.country = country
        self.taxID = taxID
        self.email = email
    }
}

/// An issued invoice, credit memo or debit memo. Never edited once stored.
public struct BillingDocument: Sendable, Equatable {
    public var id: UUID
    public var kind: DocumentKind
    public var number: String
    public var buyer: BuyerSnapshot
    public var currency: Currency
    public var issueDate: BusinessDate
    /// Invoices and debit memos; credit memos settle the invoice they reference.
    public var dueDate: BusinessDate?
    public var paymentTerms: String
    public var discountDate: BusinessDate?
    public var discountAmount: Int64
    public var lines: [DocumentLine]
    public var taxSubtotals: [TaxSubtotal]
    /// Memos: the invoice they correct.
    public var referenceID: UUID?
    public var referenceNumber: String
    public var orderRef: String
    public var customerPO: String
    /// The ERP's own reference of a direct invoice, or a memo's reason.
    public var externalRef: String
    public var reason: String
    public var rulesVersion: Int
    public var createdAt: Date
    public var createdBy: String

    public var netTotal: Int64 { lines.reduce(0) { $0 + $1.netAmount } }
    public var taxTotal: Int64 { taxSubtotals.reduce(0) { $0 + $1.taxAmount } }
    public var grossTotal: Int64 { netTotal + taxTotal }
    public func money(_ units: Int64) -> Money { Money(units: units, currency: currency) }
}
