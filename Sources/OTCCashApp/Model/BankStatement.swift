public import OTCCore
import Foundation

/// What an import of a bank file yields, whatever the format (camt.053/054, BAI2, MT940, CSV):
/// statements with their entries, and the lines or elements that could not be read. A bad line
/// never loses the good ones: it is reported with its location and the rest is imported.
public struct ParsedBankFile: Sendable, Equatable {
    public var format: BankFileFormat
    public var statements: [BankStatement]
    public var errors: [BankFileError]

    public init(format: BankFileFormat, statements: [BankStatement] = [], errors: [BankFileError] = []) {
        self.format = format
        self.statements = statements
        self.errors = errors
    }

    /// Every receipt of every statement, in file order.
    public var receipts: [BankReceipt] { statements.flatMap(\.receipts) }
}

public enum BankFileFormat: String, Sendable, Codable, CaseIterable {
    case camt053 = "camt.053"
    case camt054 = "camt.054"
    case bai2
    case mt940
    case csv
}

/// One statement (or notification) of one account. `id` is the bank's statement id; with the
/// entry references it makes an import idempotent.
public struct BankStatement: Sendable, Equatable {
    public var id: String
    /// IBAN or account number as the bank writes it.
    public var account: String
    public var currency: Currency?
    public var openingBalance: Int64?
    public var closingBalance: Int64?
    public var receipts: [BankReceipt]

    public init(id: String, account: String, currency: Currency? = nil, openingBalance: Int64? = nil, closingBalance: Int64? = nil,
                receipts: [BankReceipt] = []) {
        self.id = id
        self.account = account
        self.currency = currency
        self.openingBalance = openingBalance
        self.closingBalance = closingBalance
        self.receipts = receipts
    }
}

/// One movement on the account: an entry, or one transaction of a batch entry (a batch is never
/// split by its total: each transaction carries its own amount).
public struct BankReceipt: Sendable, Equatable {
    /// Unique within the statement: the entry reference, with the transaction's index for batches
    /// (e.g. "NTRY-7/2"); stable across imports of the same file.
    public var reference: String
    /// Minor units, always positive; `isCredit` says the direction.
    public var amount: Int64
    public var currency: Currency
    /// Money in (a customer paying) is a credit; debits are returned payments, charges, transfers out.
    public var isCredit: Bool
    /// A reversal of an earlier entry (camt `RvslInd`, MT940 `RC`/`RD`, BAI2 reversal codes).
    public var isReversal: Bool
    public var bookingDate: BusinessDate?
    public var valueDate: BusinessDate?
    public var payerName: String
    /// IBAN or account number of the payer.
    public var payerAccount: String
    public var endToEndID: String
    /// Structured creditor references (e.g. ISO 11649 "RF18 5390 0754 7034", or invoice numbers
    /// the payer put in the structured field).
    public var structuredReferences: [String]
    /// Free remittance text, joined when it came in several parts.
    public var remittanceText: String
    /// The bank's own reference / transaction code, for people tracing the entry.
    public var bankReference: String
    /// Charges the bank deducted from this movement, if the file says so.
    public var charges: Int64

    public init(reference: String, amount: Int64, currency: Currency, isCredit: Bool = true, isReversal: Bool = false,
                bookingDate: BusinessDate? = nil, valueDate: BusinessDate? = nil, payerName: String = "", payerAccount: String = "",
                endToEndID: String = "", structuredReferences: [String] = [], remittanceText: String = "", bankReference: String = "",
                charges: Int64 = 0) {
        self.reference = reference
        self.amount = amount
        self.currency = currency
        self.isCredit = isCredit
        self.isReversal = isReversal
        self.bookingDate = bookingDate
        self.valueDate = valueDate
        self.payerName = payerName
        self.payerAccount = payerAccount
        self.endToEndID = endToEndID
        self.structuredReferences = structuredReferences
        self.remittanceText = remittanceText
        self.bankReference = bankReference
        self.charges = charges
    }
}

/// A part of a file that could not be read, with where it is: "line 14" for line formats,
/// an element path such as "Stmt[2]/Ntry[5]/Amt" for XML.
public struct BankFileError: Sendable, Equatable, CustomStringConvertible {
    public var location: String
    public var message: String

    public init(location: String, message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}

/// Decimal amounts as banks write them ("1234.56", "1234,56", "1.234,56"), into minor units of
/// the currency, exactly; nil when the text is not an amount or has more decimals than the
/// currency allows.
public enum BankAmount {
    public static func minorUnits(_ text: String, currency: Currency, decimalSeparator: Character = ".") -> Int64? {
        var digits = text.trimmingCharacters(in: .whitespaces)
        var negative = false
        if digits.hasPrefix("-") { negative = true; digits.removeFirst() } else if digits.hasPrefix("+") { digits.removeFirst() }
        // Grouping marks: the other separator, apostrophes (Swiss) and spaces.
        let grouping: Character = decimalSeparator == "." ? "," : "."
        digits.removeAll { $0 == grouping || $0 == "'" || $0 == " " }
        let parts = digits.split(separator: decimalSeparator, omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, !whole.isEmpty || parts.count == 2,
              whole.allSatisfy(\.isASCIIDigit) else { return nil }
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        let scale = currency.minorUnitDigits
        guard fraction.count <= scale, fraction.allSatisfy(\.isASCIIDigit) else { return nil }
        let padded = fraction + String(repeating: "0", count: scale - fraction.count)
        guard let value = Int64((whole.isEmpty ? "0" : String(whole)) + padded) else { return nil }
        return negative ? -value : value
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
