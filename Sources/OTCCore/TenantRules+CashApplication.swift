/// The cash-application rules a tenant sets (DOMAIN.md): the matching rules in order, tolerances,
/// the confidence above which a proposal posts without a person, and how far the subset search
/// may go. In the rules as `cash_application`.
public struct MatchingRules: Sendable, Equatable, Codable {
    public enum Rule: String, Sendable, Codable, CaseIterable {
        case remittanceAdvice = "remittance_advice"
        case referencesInText = "references_in_text"
        case payerAndAmount = "payer_and_amount"
    }

    public var order: [Rule]
    /// A shortfall up to this (minor units) is taken as bank charges; more is a deduction.
    public var chargesTolerance: Int64
    /// Days after the discount date a payment may still take the early-payment discount.
    public var acceptLateDiscountDays: Int
    /// Proposals at or above this confidence post at once; below it they wait for an analyst.
    public var autoApplyConfidence: Int
    /// Largest number of a customer's open items the combination search considers.
    public var maxSubsetItems: Int
    /// Name similarity (0–100) from which a payer name identifies a customer.
    public var nameSimilarity: Int

    public init(order: [Rule] = Rule.allCases, chargesTolerance: Int64 = 500, acceptLateDiscountDays: Int = 3,
                autoApplyConfidence: Int = 90, maxSubsetItems: Int = 16, nameSimilarity: Int = 80) {
        self.order = order
        self.chargesTolerance = chargesTolerance
        self.acceptLateDiscountDays = acceptLateDiscountDays
        self.autoApplyConfidence = autoApplyConfidence
        self.maxSubsetItems = maxSubsetItems
        self.nameSimilarity = nameSimilarity
    }

    func validate() throws {
        guard !order.isEmpty, Set(order).count == order.count else {
            throw OTCError.invalidArgument("cash_application.order must list matching rules once each")
        }
        guard chargesTolerance >= 0, acceptLateDiscountDays >= 0, (0...100).contains(autoApplyConfidence),
              (1...20).contains(maxSubsetItems), (0...100).contains(nameSimilarity)
        else {
            throw OTCError.invalidArgument(
                "cash_application: tolerances 0 or more, auto_apply_confidence and name_similarity 0-100, max_subset_items 1-20")
        }
    }

    enum CodingKeys: String, CodingKey {
        case order, chargesTolerance = "charges_tolerance", acceptLateDiscountDays = "accept_late_discount_days"
        case autoApplyConfidence = "auto_apply_confidence", maxSubsetItems = "max_subset_items", nameSimilarity = "name_similarity"
    }

    public init(from decoder: any Decoder) throws {
        let d = Self()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        order = try c.decode(.order, or: d.order)
        chargesTolerance = try c.decode(.chargesTolerance, or: d.chargesTolerance)
        acceptLateDiscountDays = try c.decode(.acceptLateDiscountDays, or: d.acceptLateDiscountDays)
        autoApplyConfidence = try c.decode(.autoApplyConfidence, or: d.autoApplyConfidence)
        maxSubsetItems = try c.decode(.maxSubsetItems, or: d.maxSubsetItems)
        nameSimilarity = try c.decode(.nameSimilarity, or: d.nameSimilarity)
    }
}
