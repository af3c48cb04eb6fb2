import Foundation

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
