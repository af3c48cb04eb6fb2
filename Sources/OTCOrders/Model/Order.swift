public import OTCCore
public import Foundation

/// Where an order is in its life (DOMAIN.md, order management).
public enum OrderStatus: String, Sendable, Codable, CaseIterable {
    case received
    case validationHold = "validation_hold"
    case creditHold = "credit_hold"
    case released
    case partiallyShipped = "partially_shipped"
    case shipped
    case invoiced
    case closed
    case cancelled

    /// Lines, PO and dates may still change: nothing has shipped.
    public var isAmendable: Bool { [.received, .validationHold, .creditHold, .released].contains(self) }
    /// `cancelled` is reachable from any state before invoicing.
    public var isCancellable: Bool { ![.invoiced, .closed, .cancelled].contains(self) }
    public var acceptsShipments: Bool { self == .released || self == .partiallyShipped }
    public var isHeld: Bool { self == .validationHold || self == .creditHold }
}

public struct OrderLine: Sendable, Equatable {
    public var lineNo: Int
    public var sku: String
    public var description: String
    public var quantity: Int64
    public var unitOfMeasure: String
    public var unitPrice: Money
    public var taxCode: String
    public var shippedQuantity: Int64
    public var invoicedQuantity: Int64

    public init(lineNo: Int, sku: String, description: String, quantity: Int64, unitOfMeasure: String,
                unitPrice: Money, taxCode: String, shippedQuantity: Int64 = 0, invoicedQuantity: Int64 = 0) {
        self.lineNo = lineNo
        self.sku = sku
        self.description = description
        self.quantity = quantity
        self.unitOfMeasure = unitOfMeasure
        self.unitPrice = unitPrice
        self.taxCode = taxCode
        self.shippedQuantity = shippedQuantity
        self.invoicedQuantity = invoicedQuantity
    }

    public var openQuantity: Int64 { quantity - shippedQuantity }
    /// Shipped and not yet invoiced.
    public var billableQuantity: Int64 { shippedQuantity - invoicedQuantity }

    /// quantity × unit price; zero when it would overflow (validation reports that separately).
    public var netAmount: Money {
        (try? unitPrice.multiplied(by: quantity)) ?? .zero(unitPrice.currency)
    }
}

/// One finding of order validation. An order with any of them waits in `validation_hold`.
public struct Discrepancy: Sendable, Equatable, Codable {
    public var code: String
    /// 0 when the discrepancy concerns the whole order.
    public var lineNo: Int
    public var message: String

    public init(code: String, lineNo: Int = 0, message: String) {
        self.code = code
        self.lineNo = lineNo
        self.message = message
    }

    enum CodingKeys: String, CodingKey { case code, lineNo = "line_no", message }
}

public struct Shipment: Sendable, Equatable {
    public var id: UUID
    public var shipmentRef: String
    public var lines: [ShipmentLine]
    public var shippedAt: Date
    public var carrier: String
    public var tracking: String
    /// The invoice that billed the shipment; nil until it is billed.
    public var invoiceID: UUID?
    /// Its number, looked up from billing when the order is loaded.
    public var invoiceNumber: String = ""
}

public struct ShipmentLine: Sendable, Equatable, Codable {
    public var lineNo: Int
    public var quantity: Int64
    public init(lineNo: Int, quantity: Int64) {
        self.lineNo = lineNo
        self.quantity = quantity
    }
    enum CodingKeys: String, CodingKey { case lineNo = "line_no", quantity }
}

public struct Order: Sendable, Equatable {
    public var id: UUID
    public var orderRef: String
    public var customerNumber: String
    public var customerPO: String
    public var currency: Currency
    public var status: OrderStatus
    public var lines: [OrderLine]
    public var discrepancies: [Discrepancy]
    /// "YYYY-MM-DD" or nil.
    public var requestedDate: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int64
    public var rulesVersion: Int
    public var holdReason: String
    public var cancelReason: String
    public var shipments: [Shipment]

    public var netTotal: Money {
        lines.reduce(Money.zero(currency)) { (try? $0.adding($1.netAmount)) ?? $0 }
    }

    /// Every ordered unit shipped and invoiced.
    public var isFullyInvoiced: Bool { lines.allSatisfy { $0.invoicedQuantity == $0.quantity } }
}

/// The fields of an order as the ERP sends them (create or amend), structurally checked.
public struct OrderDraft: Sendable, Equatable {
    public var orderRef: String
    public var customerNumber: String
    public var customerPO: String
    public var currency: Currency
    public var lines: [OrderLine]
    public var requestedDate: String?

    /// Rejects what cannot be stored at all (INVALID_ARGUMENT, nothing saved). Business problems
    /// (unknown customer, bad price, …) are not errors here: they become discrepancies and a hold.
    public init(orderRef: String, customerNumber: String, customerPO: String, currency: String,
                lines: [OrderLine], requestedDate: String?, maxLines: Int) throws {
        let orderRef = orderRef.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(orderRef.count) else {
            throw OTCError.invalidArgument("order_ref is required (the ERP's order number, 1-64 characters)")
        }
        guard !customerNumber.isEmpty else {
            throw OTCError.invalidArgument("order \(orderRef): customer_number is required")
        }
        guard let parsedCurrency = Currency(currency) else {
            throw OTCError.invalidArgument("order \(orderRef): currency '\(currency)' is not an ISO 4217 code such as EUR")
        }
        try Self.checkLines(lines, orderRef: orderRef, maxLines: maxLines)
        if let requestedDate, !Self.isDate(requestedDate) {
            throw OTCError.invalidArgument("order \(orderRef): requested_date \(requestedDate) is not a calendar date")
        }
        self.orderRef = orderRef
        self.customerNumber = customerNumber
        self.customerPO = customerPO.trimmingCharacters(in: .whitespaces)
        self.currency = parsedCurrency
        self.lines = lines.sorted { $0.lineNo < $1.lineNo }
        self.requestedDate = requestedDate
    }

    static func checkLines(_ lines: [OrderLine], orderRef: String, maxLines: Int) throws {
        guard !lines.isEmpty else { throw OTCError.invalidArgument("order \(orderRef) has no lines") }
        guard lines.count <= maxLines else {
            throw OTCError.invalidArgument("order \(orderRef) has \(lines.count) lines; the limit is \(maxLines)")
        }
        var numbers = Set<Int>()
        for line in lines {
            guard line.lineNo > 0 else {
                throw OTCError.invalidArgument("order \(orderRef): line numbers start at 1 (got \(line.lineNo))")
            }
            guard numbers.insert(line.lineNo).inserted else {
                throw OTCError.invalidArgument("order \(orderRef): line \(line.lineNo) appears twice")
            }
        }
    }

    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1900...9999).contains(parts[0]), (1...12).contains(parts[1]) else { return false }
        var components = DateComponents()
        components.year = parts[0]
        components.month = parts[1]
        components.day = parts[2]
        return components.isValidDate(in: Calendar(identifier: .gregorian))
    }
}
