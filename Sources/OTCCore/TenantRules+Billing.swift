import Foundation

/// The billing section of a tenant's rules: when invoices are raised, how tax is rounded, how
/// documents are numbered, and who the seller is on an e-invoice.
extension TenantRules {
    public struct Billing: Sendable, Codable, Equatable {
        /// `on_shipment`: each shipment is invoiced in the transaction that records it.
        /// `billing_run`: shipped lines wait on a due list until a billing run invoices them.
        public var mode: Mode
        /// `line`: tax is rounded on every line. `document`: per tax rate over the whole document,
        /// then spread over the lines so lines still add up to the breakdown.
        public var rounding: Rounding
        /// Document kind ("invoice", "credit_memo", "debit_memo") → number prefix; `{yyyy}` becomes
        /// the issue year, so each year starts its own gapless series.
        public var numbering: [String: String]
        /// Digits of the running number, zero-padded.
        public var numberDigits: Int
        /// Terms for customers without their own.
        public var defaultTerms: String
        /// Tax code → UNCL 5305 category for e-invoices (S, Z, E, AE, K, G, O). Unlisted codes: S
        /// when the rate is above zero, Z otherwise.
        public var taxCategories: [String: String]
        /// Reason printed on e-invoices for exempt (E) lines.
        public var exemptionReason: String
        public var seller: Seller

        public enum Mode: String, Sendable, Codable { case onShipment = "on_shipment", billingRun = "billing_run" }
        public enum Rounding: String, Sendable, Codable { case line, document }

        public init(mode: Mode = .onShipment, rounding: Rounding = .line,
                    numbering: [String: String] = ["invoice": "INV-{yyyy}-", "credit_memo": "CN-{yyyy}-", "debit_memo": "DN-{yyyy}-"],
                    numberDigits: Int = 6, defaultTerms: String = "NET30",
                    taxCategories: [String: String] = ["EXEMPT": "E"], exemptionReason: String = "Exempt from VAT",
                    seller: Seller = Seller()) {
            self.mode = mode
            self.rounding = rounding
            self.numbering = numbering
            self.numberDigits = numberDigits
            self.defaultTerms = defaultTerms
            self.taxCategories = taxCategories
            self.exemptionReason = exemptionReason
            self.seller = seller
        }

        /// The prefix of a document kind's series, with the year filled in.
        public func numberPrefix(kind: String, year: Int) -> String {
            let pattern = numbering[kind] ?? (kind.uppercased() + "-{yyyy}-")
            return pattern.replacingOccurrences(of: "{yyyy}", with: String(year))
        }

        /// The UNCL 5305 tax category of a tax code at a rate.
        public func taxCategory(code: String, rateBasisPoints: Int) -> String {
            taxCategories[code] ?? (rateBasisPoints > 0 ? "S" : "Z")
        }

        enum CodingKeys: String, CodingKey {
            case mode, rounding, numbering, numberDigits = "number_digits", defaultTerms = "default_terms"
            case taxCategories = "tax_categories", exemptionReason = "exemption_reason", seller
        }

        public init(from decoder: any Decoder) throws {
            let d = Self()
            let c = try decoder.container(keyedBy: CodingKeys.self)
            mode = try c.decodeIfPresent(Mode.self, forKey: .mode) ?? d.mode
            rounding = try c.decodeIfPresent(Rounding.self, forKey: .rounding) ?? d.rounding
            numbering = d.numbering.merging(try c.decodeIfPresent([String: String].self, forKey: .numbering) ?? [:]) { $1 }
            numberDigits = try c.decodeIfPresent(Int.self, forKey: .numberDigits) ?? d.numberDigits
            defaultTerms = try c.decodeIfPresent(String.self, forKey: .defaultTerms) ?? d.defaultTerms
            taxCategories = try c.decodeIfPresent([String: String].self, forKey: .taxCategories) ?? d.taxCategories
            exemptionReason = try c.decodeIfPresent(String.self, forKey: .exemptionReason) ?? d.exemptionReason
            seller = try c.decodeIfPresent(Seller.self, forKey: .seller) ?? d.seller
        }
    }

    /// The client company as seller on its invoices (EN 16931 BG-4) and the account it is paid into.
    public struct Seller: Sendable, Codable, Equatable {
        public var name: String
        public var vatID: String
        public var street: String
        public var city: String
        public var postalCode: String
        /// ISO 3166-1 alpha-2.
        public var country: String
        public var iban: String
        public var bic: String
        /// PEPPOL electronic address and its EAS scheme (e.g. 0088 for a GLN, 9930 for a German VAT id).
        public var endpointID: String
        public var endpointScheme: String

        public init(name: String = "", vatID: String = "", street: String = "", city: String = "", postalCode: String = "",
                    country: String = "", iban: String = "", bic: String = "", endpointID: String = "", endpointScheme: String = "") {
            self.name = name
            self.vatID = vatID
            self.street = street
            self.city = city
            self.postalCode = postalCode
            self.country = country
            self.iban = iban
            self.bic = bic
            self.endpointID = endpointID
            self.endpointScheme = endpointScheme
        }

        enum CodingKeys: String, CodingKey {
            case name, vatID = "vat_id", street, city, postalCode = "postal_code", country, iban, bic
            case endpointID = "endpoint_id", endpointScheme = "endpoint_scheme"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func field(_ key: CodingKeys) throws -> String { try c.decodeIfPresent(String.self, forKey: key) ?? "" }
            self.init(name: try field(.name), vatID: try field(.vatID), street: try field(.street), city: try field(.city),
                      postalCode: try field(.postalCode), country: try field(.country), iban: try field(.iban),
                      bic: try field(.bic), endpointID: try field(.endpointID), endpointScheme: try field(.endpointScheme))
        }
    }
}
