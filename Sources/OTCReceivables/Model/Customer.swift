public import OTCCore
public import Foundation

/// A customer of the tenant (master data pushed by the client's ERP).
public struct Customer: Sendable, Equatable {
    public var number: String
    public var name: String
    public var currency: Currency
    public var country: String
    public var taxID: String
    public var email: String
    public var blocked: Bool
    public var blockReason: String
    public var paymentTerms: String
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int64
}

/// Customer fields as received, checked before anything touches the database.
public struct CustomerDraft: Sendable, Equatable {
    public var number: String
    public var name: String
    public var currency: Currency
    public var country: String
    public var taxID: String
    public var email: String
    public var blocked: Bool
    public var blockReason: String
    public var paymentTerms: String

    /// Validates raw fields; the error names the field and the rule.
    public init(number: String, name: String, currency: String, country: String, taxID: String, email: String,
                blocked: Bool, blockReason: String, paymentTerms: String) throws {
        let number = number.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(number.count),
              number.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "-_./".unicodeScalars.contains($0) })
        else {
            throw OTCError.invalidArgument(
                "customer number '\(number)' is invalid: 1-64 letters, digits, '-', '_', '.' or '/'")
        }
        let name = name.trimmingCharacters(in: .whitespaces)
        guard (1...200).contains(name.count) else {
            throw OTCError.invalidArgument("customer \(number): name must have 1 to 200 characters")
        }
        guard let parsedCurrency = Currency(currency) else {
            throw OTCError.invalidArgument("customer \(number): currency '\(currency)' is not an ISO 4217 code such as EUR")
        }
        guard country.isEmpty || (country.count == 2 && country.allSatisfy({ $0.isASCII && $0.isUppercase })) else {
            throw OTCError.invalidArgument("customer \(number): country '\(country)' is not an ISO 3166 alpha-2 code such as DE")
        }
        guard email.isEmpty || (email.contains("@") && email.count <= 254) else {
            throw OTCError.invalidArgument("customer \(number): email '\(email)' is not an address")
        }
        let terms = paymentTerms.isEmpty ? "NET30" : paymentTerms.uppercased()
        guard PaymentTerms(terms) != nil else {
            throw OTCError.invalidArgument(
                "customer \(number): payment terms '\(paymentTerms)' are not of the form NET30 or 2/10NET30")
        }
        self.number = number
        self.name = name
        self.currency = parsedCurrency
        self.country = country
        self.taxID = taxID
        self.email = email
        self.blocked = blocked
        self.blockReason = blocked ? blockReason : ""
        self.paymentTerms = terms
    }
}

/// Payment terms "NETn" or "d/kNETn" (d % discount if paid within k days, else net in n days).
public struct PaymentTerms: Sendable, Equatable {
    public var netDays: Int
    /// Discount in basis points (200 = 2 %) and the days it applies; 0 when none.
    public var discountBasisPoints: Int
    public var discountDays: Int

    public init?(_ text: String) {
        let upper = text.uppercased()
        guard let netRange = upper.range(of: "NET") else { return nil }
        guard let net = Int(upper[netRange.upperBound...]), (0...365).contains(net) else { return nil }
        let prefix = upper[..<netRange.lowerBound]
        if prefix.isEmpty {
            self.init(netDays: net, discountBasisPoints: 0, discountDays: 0)
            return
        }
        let parts = prefix.split(separator: "/")
        guard parts.count == 2, let percent = Int(parts[0]), let days = Int(parts[1]),
              (1...99).contains(percent), (1...net).contains(days) else { return nil }
        self.init(netDays: net, discountBasisPoints: percent * 100, discountDays: days)
    }

    public init(netDays: Int, discountBasisPoints: Int, discountDays: Int) {
        self.netDays = netDays
        self.discountBasisPoints = discountBasisPoints
        self.discountDays = discountDays
    }
}
