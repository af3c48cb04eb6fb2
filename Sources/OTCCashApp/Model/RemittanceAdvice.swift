public import OTCCore
import Foundation

/// What a payer says a payment is for: the documents it pays, with amounts and deductions. It
/// arrives apart from the money (over the API, as CSV, as EDI 820) and is joined to a receipt by
/// the payment reference, or by payer, amount and date (`RemittanceLink`).
public struct RemittanceAdvice: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var documentNumber: String
        /// What this payment pays of the document (minor units).
        public var paid: Int64
        /// What the payer withholds from the document, and why: a deduction becomes a dispute.
        public var deduction: Int64
        public var deductionReason: String

        public init(documentNumber: String, paid: Int64, deduction: Int64 = 0, deductionReason: String = "") {
            self.documentNumber = documentNumber
            self.paid = paid
            self.deduction = deduction
            self.deductionReason = deductionReason
        }
    }

    /// The payer's advice number; an advice is stored once per reference.
    public var reference: String
    public var customerNumber: String
    public var payerName: String
    /// How the bank shows the payment: its end-to-end id, or a reference in the remittance text.
    public var paymentReference: String
    public var paymentDate: BusinessDate?
    /// The payment's total, when the advice states it (else the sum of the lines).
    public var amount: Int64
    public var currency: Currency?
    public var lines: [Line]

    public init(reference: String, customerNumber: String = "", payerName: String = "", paymentReference: String = "",
                paymentDate: BusinessDate? = nil, amount: Int64 = 0, currency: Currency? = nil, lines: [Line] = []) {
        self.reference = reference
        self.customerNumber = customerNumber
        self.payerName = payerName
        self.paymentReference = paymentReference
        self.paymentDate = paymentDate
        self.amount = amount
        self.currency = currency
        self.lines = lines
    }

    /// The total the payer says it paid: the stated amount, or the lines' sum.
    public var total: Int64 { amount != 0 ? amount : lines.reduce(0) { $0 + $1.paid } }

    /// The advice as the matcher reads it.
    public var adviceLines: [AdviceLine] {
        lines.map { AdviceLine(documentNumber: $0.documentNumber, amount: $0.paid, deductionReason: $0.deductionReason) }
    }
}

/// What reading a remittance file yields: the advices, and the lines that could not be read
/// (with their location; the good advices are kept).
public struct ParsedRemittanceFile: Sendable, Equatable {
    public var advices: [RemittanceAdvice]
    public var errors: [BankFileError]

    public init(advices: [RemittanceAdvice] = [], errors: [BankFileError] = []) {
        self.advices = advices
        self.errors = errors
    }
}
