public import OTCCore

/// Why billing refused a request. Each maps to a wire status with a reason a person can act on;
/// nothing is posted when one is thrown (the transaction rolls back).
public enum BillingError: Error, Sendable, Equatable, OTCErrorConvertible {
    case unknownTaxCode(String, line: Int, known: [String])
    case amountTooLarge
    case currencyMismatch(document: String, expected: Currency, got: Currency)
    case exceedsOpen(invoice: String, open: Money, requested: Money)
    case exceedsLine(invoice: String, line: Int, what: String)
    case notShipped(orderRef: String, line: Int, shipped: Int64, billed: Int64)
    case alreadyBilled(shipmentRef: String, orderRef: String, invoiceNumber: String)
    case nothingToBill(String)
    case notAnInvoice(String)
    case invalid(String)

    public var otcError: OTCError {
        switch self {
        case .unknownTaxCode(let code, let line, let known):
            .invalidArgument("line \(line): tax code '\(code)' is not in this client's rules (known: \(known.joined(separator: ", ")))",
                             details: ["reason": "UNKNOWN_TAX_CODE"])
        case .amountTooLarge:
            .invalidArgument("an amount is too large to represent in minor units", details: ["reason": "AMOUNT_TOO_LARGE"])
        case .currencyMismatch(let document, let expected, let got):
            .invalidArgument("\(document) is in \(expected); the request is in \(got)", details: ["reason": "CURRENCY_MISMATCH"])
        case .exceedsOpen(let invoice, let open, let requested):
            .failedPrecondition("invoice \(invoice) has \(open) open; a memo of \(requested) would exceed it",
                                details: ["reason": "EXCEEDS_OPEN_AMOUNT"])
        case .exceedsLine(let invoice, let line, let what):
            .failedPrecondition("invoice \(invoice) line \(line): \(what)", details: ["reason": "EXCEEDS_LINE"])
        case .notShipped(let orderRef, let line, let shipped, let billed):
            .failedPrecondition("order \(orderRef) line \(line) has \(shipped) shipped and \(billed) invoiced; only shipped quantities can be invoiced",
                                details: ["reason": "NOT_SHIPPED"])
        case .alreadyBilled(let shipmentRef, let orderRef, let number):
            .failedPrecondition("shipment \(shipmentRef) of order \(orderRef) is already invoiced by \(number); correct it with a memo instead",
                                details: ["reason": "ALREADY_BILLED", "invoice": number])
        case .nothingToBill(let what): .failedPrecondition(what, details: ["reason": "NOTHING_TO_BILL"])
        case .notAnInvoice(let number):
            .failedPrecondition("\(number) is not an invoice; memos reference invoices", details: ["reason": "NOT_AN_INVOICE"])
        case .invalid(let message): .invalidArgument(message)
        }
    }
}
