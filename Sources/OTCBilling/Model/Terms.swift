public import OTCCore
import OTCReceivables

/// What payment terms give a document: its due date and the early-payment discount.
public struct TermsSchedule: Sendable, Equatable {
    public var dueDate: BusinessDate
    public var discountDate: BusinessDate?
    /// Discount on the gross amount, rounded half away from zero; 0 without a discount.
    public var discountAmount: Int64

    public init(terms: PaymentTerms, issueDate: BusinessDate, grossAmount: Int64) throws(BillingError) {
        dueDate = issueDate.adding(days: terms.netDays)
        if terms.discountBasisPoints > 0 {
            discountDate = issueDate.adding(days: terms.discountDays)
            discountAmount = try TaxCalculation.tax(on: grossAmount, basisPoints: terms.discountBasisPoints)
        } else {
            discountDate = nil
            discountAmount = 0
        }
    }

    /// "2% discount if paid by 2026-12-10 (EUR 2.40), net due 2026-12-30": printed on documents.
    public static func note(terms: String, schedule: TermsSchedule, currency: Currency) -> String {
        guard let discountDate = schedule.discountDate, let parsed = PaymentTerms(terms) else {
            return "\(terms): net due \(schedule.dueDate)"
        }
        let bp = parsed.discountBasisPoints
        let percent = bp % 100 == 0 ? "\(bp / 100)" : "\(bp / 100).\(bp % 100 < 10 ? "0" : "")\(bp % 100)"
        return "\(terms): \(percent) % discount (\(Money(units: schedule.discountAmount, currency: currency))) if paid by \(discountDate), net due \(schedule.dueDate)"
    }
}
