/// A tenant's desk-top procedures as data: versioned, effective-dated, stored in the tenant schema.
///
/// Every automatic decision records the version of the rule set that made it, so a team lead can
/// answer "why was this order held". Later processes (credit, billing, collections, cash
/// application) add their sections here; unknown sections in stored JSON are ignored, missing ones
/// take the defaults below.
public struct TenantRules: Sendable, Codable, Equatable {
    public var validation: Validation
    /// Tax code → rate in basis points (2000 = 20 %).
    public var taxCodes: [String: Int]
    /// Task kind → hours until the task breaches its SLA.
    public var slaHours: [String: Int]
    public var billing: Billing
    public var credit: Credit
    public var collections: Collections
    public var disputes: Disputes
    public var cashApplication: MatchingRules

    public struct Validation: Sendable, Codable, Equatable {
        /// Hold an order whose customer PO number was already used by another order of the customer.
        public var duplicateCustomerPOCheck: Bool
        /// Orders in another currency than the customer's are held.
        public var requireCustomerCurrency: Bool
        /// Most lines one order may have.
        public var maxLines: Int

        public init(duplicateCustomerPOCheck: Bool = true, requireCustomerCurrency: Bool = true, maxLines: Int = 500) {
            self.duplicateCustomerPOCheck = duplicateCustomerPOCheck
            self.requireCustomerCurrency = requireCustomerCurrency
            self.maxLines = maxLines
        }
    }

    public init(
        validation: Validation = Validation(),
        taxCodes: [String: Int] = ["STD": 2000, "RED": 700, "ZERO": 0, "EXEMPT": 0],
        slaHours: [String: Int] = ["order_validation_hold": 4, "order_credit_hold": 8, "invoice_distribution": 24,
                                   "credit_limit_approval": 24, "write_off_approval": 48, "promise_broken": 24,
                                   "dispute_escalation": 8, "cash_exception": 24],
        billing: Billing = Billing(),
        credit: Credit = Credit(),
        collections: Collections = Collections(),
        disputes: Disputes = Disputes(),
        cashApplication: MatchingRules = MatchingRules()
    ) {
        self.validation = validation
        self.taxCodes = taxCodes
        self.slaHours = slaHours
        self.billing = billing
        self.credit = credit
        self.collections = collections
        self.disputes = disputes
        self.cashApplication = cashApplication
    }

    public static let defaults = TenantRules()

    /// Checks what decoding cannot: rates, buckets, numbering, terms, SLA hours.
    public func validate() throws {
        for (code, rate) in taxCodes where !(0...10_000).contains(rate) || code.isEmpty {
            throw OTCError.invalidArgument("tax code '\(code)': the rate must be 0 to 10000 basis points (got \(rate))")
        }
        try credit.validate()
        try collections.validate()
        try disputes.validate()
        try cashApplication.validate()
        guard (3...12).contains(billing.numberDigits) else {
            throw OTCError.invalidArgument("billing.number_digits must be 3 to 12 (got \(billing.numberDigits))")
        }
        for (kind, prefix) in billing.numbering where prefix.isEmpty || prefix.count > 40 {
            throw OTCError.invalidArgument("billing.numbering.\(kind) must be 1 to 40 characters")
        }
        guard PaymentTerms(billing.defaultTerms) != nil else {
            throw OTCError.invalidArgument("billing.default_terms '\(billing.defaultTerms)' is not of the form NET30 or 2/10NET30")
        }
        for (kind, hours) in slaHours where hours <= 0 {
            throw OTCError.invalidArgument("sla_hours.\(kind) must be positive")
        }
    }

    /// SLA hours for a task kind; 24 when the rules name none.
    public func slaHours(for kind: String) -> Int { slaHours[kind] ?? 24 }

    enum CodingKeys: String, CodingKey {
        case validation, taxCodes = "tax_codes", slaHours = "sla_hours", billing, credit, collections, disputes, cashApplication = "cash_application"
    }

    public init(from decoder: any Decoder) throws {
        let defaults = TenantRules()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        validation = try c.decodeIfPresent(Validation.self, forKey: .validation) ?? defaults.validation
        taxCodes = try c.decodeIfPresent([String: Int].self, forKey: .taxCodes) ?? defaults.taxCodes
        slaHours = try c.decodeIfPresent([String: Int].self, forKey: .slaHours) ?? defaults.slaHours
        billing = try c.decodeIfPresent(Billing.self, forKey: .billing) ?? defaults.billing
        credit = try c.decode(.credit, or: defaults.credit)
        collections = try c.decodeIfPresent(Collections.self, forKey: .collections) ?? defaults.collections
        disputes = try c.decode(.disputes, or: defaults.disputes)
        cashApplication = try c.decode(.cashApplication, or: defaults.cashApplication)
    }
}

extension TenantRules.Validation {
    enum CodingKeys: String, CodingKey {
        case duplicateCustomerPOCheck = "duplicate_customer_po_check"
        case requireCustomerCurrency = "require_customer_currency"
        case maxLines = "max_lines"
    }

    public init(from decoder: any Decoder) throws {
        let d = Self()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        duplicateCustomerPOCheck = try c.decodeIfPresent(Bool.self, forKey: .duplicateCustomerPOCheck) ?? d.duplicateCustomerPOCheck
        requireCustomerCurrency = try c.decodeIfPresent(Bool.self, forKey: .requireCustomerCurrency) ?? d.requireCustomerCurrency
        maxLines = try c.decodeIfPresent(Int.self, forKey: .maxLines) ?? d.maxLines
    }
}

/// A rule set as stored: the rules plus the version that decisions record.
public struct VersionedRules: Sendable {
    public let version: Int
    public let rules: TenantRules
    public init(version: Int, rules: TenantRules) {
        self.version = version
        self.rules = rules
    }
}
