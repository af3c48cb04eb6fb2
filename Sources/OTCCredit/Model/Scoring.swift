public import OTCCore

/// A score from payment behaviour, utilisation and an external rating, mapped by the tenant's
/// rules to a risk class, a recommended limit and the next review date. Pure.
public struct CreditScore: Sendable, Equatable {
    /// What the score is computed from.
    public struct Inputs: Sendable, Equatable {
        /// Σ(amount × days late) ÷ Σ amount over items paid in the last 12 months, in hundredths of a day.
        public var averageDaysLateHundredths: Int64
        public var paidItems: Int
        public var exposure: Int64
        public var limit: Int64?
        public var externalRating: Int?
        /// Invoiced (invoices and debit memos) in the last 12 months, in the limit's currency.
        public var invoicedLast12Months: Int64

        public init(averageDaysLateHundredths: Int64, paidItems: Int, exposure: Int64, limit: Int64?, externalRating: Int?,
                    invoicedLast12Months: Int64) {
            self.averageDaysLateHundredths = averageDaysLateHundredths
            self.paidItems = paidItems
            self.exposure = exposure
            self.limit = limit
            self.externalRating = externalRating
            self.invoicedLast12Months = invoicedLast12Months
        }
    }

    public var score: Int
    /// Components 0–100; nil when there is no data for one (it then carries no weight).
    public var payment: Int?
    public var utilisation: Int?
    public var external: Int?
    /// Exposure ÷ limit in basis points; nil without a limit.
    public var utilisationBasisPoints: Int?
    public var riskClass: String
    public var recommendedLimit: Int64
    public var nextReview: BusinessDate

    public init(_ inputs: Inputs, rules: TenantRules.Credit, today: BusinessDate) {
        // Payment: 100 when paid on time, falling linearly to 0 at `days_late_for_zero_score`.
        payment = inputs.paidItems > 0
            ? max(0, 100 - Int(inputs.averageDaysLateHundredths / Int64(rules.daysLateForZeroScore))) : nil
        if let limit = inputs.limit, limit > 0 {
            let bp = Int(min(Int64(1_000_000), max(0, inputs.exposure) * 10_000 / limit))
            utilisationBasisPoints = bp
            utilisation = max(0, 100 - bp / 100)
        } else {
            utilisationBasisPoints = nil
            utilisation = nil
        }
        external = inputs.externalRating.map { min(100, max(0, $0)) }
        let w = rules.scoreWeights
        let parts = [(payment, w.paymentBehaviour), (utilisation, w.utilisation), (external, w.externalRating)]
            .compactMap { value, weight in value.map { ($0, weight) } }
        let weight = parts.reduce(0) { $0 + $1.1 }
        // No data at all scores a neutral 50 rather than the best or the worst class.
        score = weight > 0 ? (parts.reduce(0) { $0 + $1.0 * $1.1 } + weight / 2) / weight : 50
        let riskClass = rules.riskClass(forScore: score)
        self.riskClass = riskClass.name
        recommendedLimit = max(0, inputs.invoicedLast12Months) * Int64(riskClass.limitMonths) / 12
        nextReview = today.adding(days: riskClass.reviewDays)
    }
}
