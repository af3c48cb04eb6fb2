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
    /// email | edi | portal | print: how invoices reach the customer.
    public var invoiceChannel: String
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
    public var invoiceChannel: String

    public static let channels = ["email", "edi", "portal", "print"]

    /// Validates raw fields; the error names the field and the rule.
    public init(number: String, name: String, currency: String, country: String, taxID: String, email: String,
                blocked: Bool, blockReason: String, paymentTerms: String, invoiceChannel: String = "") throws {
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
        let channel = invoiceChannel.isEmpty ? "email" : invoiceChannel.lowercased()
        guard Self.channels.contains(channel) else {
            throw OTCError.invalidArgument(
                "customer \(number): invoice channel '\(invoiceChannel)' is not one of \(Self.channels.joined(separator: ", "))")
        }
        self.invoiceChannel = channel
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
