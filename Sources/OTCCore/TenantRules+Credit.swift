/// The credit section of a tenant's rules: what exposure counts, when an order is held, how
/// payment behaviour becomes a score, a risk class and a recommended limit, and who may approve
/// which limit.
extension TenantRules {
    public struct Credit: Sendable, Codable, Equatable {
        /// Run the credit check on orders at entry (false: orders are released unchecked, and the
        /// order's audit record says so).
        public var checkOrders: Bool
        /// Count shipped-but-not-invoiced order value in exposure (open orders and open receivables
        /// always count).
        public var includeShippedNotInvoiced: Bool
        /// Currency → order value (net, minor units) below which the limit is not checked; blocks,
        /// overdue items and risk-class holds still apply.
        public var autoApproveBelow: [String: Int64]
        /// Hold an order when any open item of the customer is more than this many days past due;
        /// nil switches the check off (in a stored rule set; a merge patch's null restores the
        /// default instead, so publish a large number to relax it).
        public var maxDaysOverdue: Int?
        /// Customers without a credit profile: `approve` (no limit to check) or `hold`.
        public var unprofiledCustomers: Unprofiled
        /// From the best class down; a score maps to the first class whose `min_score` it reaches.
        public var riskClasses: [RiskClass]
        public var scoreWeights: ScoreWeights
        /// Weighted average days late at which the payment component of the score reaches 0.
        public var daysLateForZeroScore: Int
        /// Role → currency → the highest limit that role may approve (`*` = any currency).
        public var approvalLimits: ApprovalLimits

        public enum Unprofiled: String, Sendable, Codable { case approve, hold }

        public struct RiskClass: Sendable, Codable, Equatable {
            public var name: String
            public var minScore: Int
            /// Days until the next credit review after a scoring.
            public var reviewDays: Int
            /// Recommended limit = this many months of the customer's average monthly invoicing.
            public var limitMonths: Int
            /// Orders of customers in this class always wait for an analyst.
            public var holdOrders: Bool

            public init(name: String, minScore: Int, reviewDays: Int, limitMonths: Int, holdOrders: Bool = false) {
                self.name = name
                self.minScore = minScore
                self.reviewDays = reviewDays
                self.limitMonths = limitMonths
                self.holdOrders = holdOrders
            }

            enum CodingKeys: String, CodingKey {
                case name, minScore = "min_score", reviewDays = "review_days", limitMonths = "limit_months", holdOrders = "hold_orders"
            }

            public init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                self.init(name: try c.decode(String.self, forKey: .name), minScore: try c.decode(Int.self, forKey: .minScore),
                          reviewDays: try c.decodeIfPresent(Int.self, forKey: .reviewDays) ?? 365,
                          limitMonths: try c.decodeIfPresent(Int.self, forKey: .limitMonths) ?? 1,
                          holdOrders: try c.decodeIfPresent(Bool.self, forKey: .holdOrders) ?? false)
            }
        }

        /// Relative weights of the score's components; a component without data (no paid items,
        /// no limit, no external rating) drops out and the others share its weight.
        public struct ScoreWeights: Sendable, Codable, Equatable {
            public var paymentBehaviour: Int
            public var utilisation: Int
            public var externalRating: Int

            public init(paymentBehaviour: Int = 50, utilisation: Int = 20, externalRating: Int = 30) {
                self.paymentBehaviour = paymentBehaviour
                self.utilisation = utilisation
                self.externalRating = externalRating
            }

            enum CodingKeys: String, CodingKey {
                case paymentBehaviour = "payment_behaviour", utilisation, externalRating = "external_rating"
            }

            public init(from decoder: any Decoder) throws {
                let d = Self()
                let c = try decoder.container(keyedBy: CodingKeys.self)
                paymentBehaviour = try c.decode(.paymentBehaviour, or: d.paymentBehaviour)
                utilisation = try c.decode(.utilisation, or: d.utilisation)
                externalRating = try c.decode(.externalRating, or: d.externalRating)
            }
        }

        public static let defaultRiskClasses = [
            RiskClass(name: "A", minScore: 80, reviewDays: 365, limitMonths: 3),
            RiskClass(name: "B", minScore: 60, reviewDays: 180, limitMonths: 2),
            RiskClass(name: "C", minScore: 40, reviewDays: 90, limitMonths: 1),
            RiskClass(name: "D", minScore: 0, reviewDays: 30, limitMonths: 0, holdOrders: true),
        ]

        public init(checkOrders: Bool = true, includeShippedNotInvoiced: Bool = true, autoApproveBelow: [String: Int64] = [:],
                    maxDaysOverdue: Int? = 30, unprofiledCustomers: Unprofiled = .approve,
                    riskClasses: [RiskClass] = Credit.defaultRiskClasses, scoreWeights: ScoreWeights = ScoreWeights(),
                    daysLateForZeroScore: Int = 60,
                    approvalLimits: ApprovalLimits = ApprovalLimits([
                        "analyst": ["EUR": 2_500_000, "USD": 2_500_000, "GBP": 2_000_000, "CHF": 2_500_000],
                        "team_lead": ["EUR": 25_000_000, "USD": 25_000_000, "GBP": 20_000_000, "CHF": 25_000_000],
                        "admin": ["*": Int64.max],
                    ])) {
            self.checkOrders = checkOrders
            self.includeShippedNotInvoiced = includeShippedNotInvoiced
            self.autoApproveBelow = autoApproveBelow
            self.maxDaysOverdue = maxDaysOverdue
            self.unprofiledCustomers = unprofiledCustomers
            self.riskClasses = riskClasses
            self.scoreWeights = scoreWeights
            self.daysLateForZeroScore = daysLateForZeroScore
            self.approvalLimits = approvalLimits
        }

        /// The class a score falls in (the last class catches everything below).
        public func riskClass(forScore score: Int) -> RiskClass {
            riskClasses.first { score >= $0.minScore } ?? riskClasses[riskClasses.count - 1]
        }

        public func riskClass(named name: String) -> RiskClass? { riskClasses.first { $0.name == name } }

        func validate() throws {
            guard !riskClasses.isEmpty,
                  zip(riskClasses, riskClasses.dropFirst()).allSatisfy({ $0.minScore > $1.minScore }),
                  Set(riskClasses.map(\.name)).count == riskClasses.count,
                  riskClasses.allSatisfy({ (0...100).contains($0.minScore) && $0.reviewDays > 0 && $0.limitMonths >= 0 })
            else {
                throw OTCError.invalidArgument(
                    "credit.risk_classes must be distinct names with min_score 0-100 strictly descending, review_days > 0 and limit_months >= 0")
            }
            let w = scoreWeights
            guard [w.paymentBehaviour, w.utilisation, w.externalRating].allSatisfy({ $0 >= 0 }),
                  w.paymentBehaviour + w.utilisation + w.externalRating > 0
            else { throw OTCError.invalidArgument("credit.score_weights must be non-negative and not all zero") }
            guard daysLateForZeroScore > 0 else { throw OTCError.invalidArgument("credit.days_late_for_zero_score must be positive") }
            if let days = maxDaysOverdue, days < 0 { throw OTCError.invalidArgument("credit.max_days_overdue must be 0 or more (or null)") }
            try approvalLimits.validate(section: "credit.approval_limits")
        }

        enum CodingKeys: String, CodingKey {
            case checkOrders = "check_orders", includeShippedNotInvoiced = "include_shipped_not_invoiced"
            case autoApproveBelow = "auto_approve_below", maxDaysOverdue = "max_days_overdue"
            case unprofiledCustomers = "unprofiled_customers", riskClasses = "risk_classes", scoreWeights = "score_weights"
            case daysLateForZeroScore = "days_late_for_zero_score", approvalLimits = "approval_limits"
        }

        public init(from decoder: any Decoder) throws {
            let d = Self()
            let c = try decoder.container(keyedBy: CodingKeys.self)
            checkOrders = try c.decode(.checkOrders, or: d.checkOrders)
            includeShippedNotInvoiced = try c.decode(.includeShippedNotInvoiced, or: d.includeShippedNotInvoiced)
            autoApproveBelow = try c.decode(.autoApproveBelow, or: d.autoApproveBelow)
            // An explicit null switches the overdue check off; a missing key keeps the default.
            maxDaysOverdue = c.contains(.maxDaysOverdue) ? try c.decodeIfPresent(Int.self, forKey: .maxDaysOverdue) : d.maxDaysOverdue
            unprofiledCustomers = try c.decode(.unprofiledCustomers, or: d.unprofiledCustomers)
            riskClasses = try c.decode(.riskClasses, or: d.riskClasses)
            scoreWeights = try c.decode(.scoreWeights, or: d.scoreWeights)
            daysLateForZeroScore = try c.decode(.daysLateForZeroScore, or: d.daysLateForZeroScore)
            approvalLimits = try c.decode(.approvalLimits, or: d.approvalLimits)
        }
    }
}

/// Maker-checker authority: role → currency → the highest amount that role may approve. `*`
/// stands for every currency (the default gives admins unlimited authority). A role or currency
/// that is not listed may approve nothing.
public struct ApprovalLimits: Sendable, Codable, Equatable {
    public var limits: [String: [String: Int64]]

    public init(_ limits: [String: [String: Int64]]) { self.limits = limits }

    public init(from decoder: any Decoder) throws {
        limits = try decoder.singleValueContainer().decode([String: [String: Int64]].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(limits)
    }

    /// The most `role` may approve in `currency`, nil when it may approve nothing.
    public func limit(role: Role, currency: String) -> Int64? {
        guard let byCurrency = limits[role.rawValue] else { return nil }
        return byCurrency[currency] ?? byCurrency["*"]
    }

    /// Maker-checker: the approver is not the requester, is an operator, and their role may
    /// approve `amount` in `currency`. Refusals are PERMISSION_DENIED with `details["reason"]`
    /// SAME_OPERATOR, NOT_AN_OPERATOR or APPROVAL_LIMIT; `section` names the rule to change.
    public func authorize(requester: String, approver: String, role: Role?, amount: Int64, currency: Currency,
                          section: String, what: String) throws {
        guard requester != approver else {
            throw OTCError(.permissionDenied, "you made this request; another operator must approve it (four-eyes principle)",
                           details: ["reason": "SAME_OPERATOR"])
        }
        guard let role else {
            throw OTCError(.permissionDenied, "only operators approve \(what)", details: ["reason": "NOT_AN_OPERATOR"])
        }
        let most = limit(role: role, currency: currency.code)
        guard let most, amount <= most else {
            let allowed = most.map { "up to \(Money(units: $0, currency: currency))" } ?? "none in \(currency)"
            throw OTCError(.permissionDenied,
                           "your role \(role.rawValue) may approve \(what) \(allowed); this one is \(Money(units: amount, currency: currency)): someone with a higher approval limit (\(section)) must approve it",
                           details: ["reason": "APPROVAL_LIMIT"])
        }
    }

    func validate(section: String) throws {
        for (role, byCurrency) in limits {
            guard Role(rawValue: role) != nil else {
                throw OTCError.invalidArgument("\(section): role '\(role)' is unknown (viewer, analyst, team_lead, admin)")
            }
            for (currency, amount) in byCurrency where amount < 0 || (currency != "*" && Currency(currency) == nil) {
                throw OTCError.invalidArgument("\(section).\(role).\(currency): a currency code (or *) with an amount of 0 or more")
            }
        }
    }
}

extension KeyedDecodingContainer {
    /// The value under `key`, or `fallback` when the key is absent (rule sections are partial:
    /// a tenant states only what differs from the defaults).
    func decode<T: Decodable>(_ key: Key, or fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}
