/// An ISO 4217 currency code with its number of minor-unit digits.
public struct Currency: Hashable, Sendable, Codable, CustomStringConvertible {
    public let code: String

    /// Accepts three upper-case ASCII letters; `nil` otherwise.
    public init?(_ code: String) {
        guard code.utf8.count == 3, code.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else { return nil }
        self.code = code
    }

    /// Digits after the decimal point (ISO 4217 exponent). Defaults to 2.
    public var minorUnitDigits: Int {
        switch code {
        case "JPY", "KRW", "CLP", "ISK", "VND", "XAF", "XOF", "UGX", "PYG", "RWF": 0
        case "BHD", "KWD", "OMR", "JOD", "TND", "LYD", "IQD": 3
        default: 2
        }
    }

    public var description: String { code }
}

/// An amount in integer minor units of one currency. Never floating point.
public struct Money: Hashable, Sendable, Codable, CustomStringConvertible {
    public var units: Int64
    public var currency: Currency

    public init(units: Int64, currency: Currency) {
        self.units = units
        self.currency = currency
    }

    public static func zero(_ currency: Currency) -> Money { Money(units: 0, currency: currency) }

    /// Adds two amounts of the same currency; throws on a currency mismatch or overflow.
    public func adding(_ other: Money) throws(MoneyError) -> Money {
        guard currency == other.currency else { throw .currencyMismatch(currency, other.currency) }
        let (sum, overflow) = units.addingReportingOverflow(other.units)
        guard !overflow else { throw .overflow }
        return Money(units: sum, currency: currency)
    }

    /// Multiplies by a whole quantity; throws on overflow.
    public func multiplied(by quantity: Int64) throws(MoneyError) -> Money {
        let (product, overflow) = units.multipliedReportingOverflow(by: quantity)
        guard !overflow else { throw .overflow }
        return Money(units: product, currency: currency)
    }

    /// "1234.50 EUR": minor units written with the currency's decimal places, no rounding.
    public var description: String { "\(Self.decimal(units, digits: currency.minorUnitDigits)) \(currency)" }

    /// Minor units as a decimal with `digits` places ("1234.50", "-0.05", "1234"): exact integer
    /// arithmetic, the one formatter for the API, e-invoices and the CLI.
    public static func decimal(_ units: Int64, digits: Int) -> String {
        guard digits > 0 else { return String(units) }
        var divisor: UInt64 = 1
        for _ in 0..<digits { divisor *= 10 }
        let magnitude = units.magnitude
        let fraction = String(magnitude % divisor)
        return "\(units < 0 ? "-" : "")\(magnitude / divisor).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
    }
}

public enum MoneyError: Error, Sendable, Equatable, OTCErrorConvertible {
    case currencyMismatch(Currency, Currency)
    case overflow

    public var otcError: OTCError {
        switch self {
        case .currencyMismatch(let a, let b):
            .invalidArgument("amounts in \(a) and \(b) cannot be added; use one currency per document")
        case .overflow:
            .invalidArgument("amount is too large to represent in minor units")
        }
    }
}
