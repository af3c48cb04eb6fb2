public import OTCCore

/// Line tax from tax codes in basis points, rounded half away from zero, at line or document level.
///
/// Either way the line taxes add up exactly to the per-rate breakdown and the breakdown to the
/// document's tax total, so the e-invoice totals rules (BR-CO-14, BR-CO-15) hold by construction.
public enum TaxCalculation {
    /// `value × basisPoints / 10 000` rounded half away from zero; exact integer arithmetic.
    public static func tax(on value: Int64, basisPoints: Int) throws(BillingError) -> Int64 {
        let (product, overflow) = value.multipliedReportingOverflow(by: Int64(basisPoints))
        guard !overflow else { throw .amountTooLarge }
        let (quotient, remainder) = product.quotientAndRemainder(dividingBy: 10_000)
        if remainder.magnitude * 2 >= 10_000 { return quotient + (product < 0 ? -1 : 1) }
        return quotient
    }

    /// Prices the drafts: net amounts, rates from the tenant's codes, rounded taxes, breakdown.
    public static func price(_ drafts: [LineDraft], taxCodes: [String: Int],
                             rounding: TenantRules.Billing.Rounding) throws(BillingError) -> ([DocumentLine], [TaxSubtotal]) {
        var lines: [DocumentLine] = []
        for (index, draft) in drafts.enumerated() {
            guard let rate = taxCodes[draft.taxCode] else {
                throw .unknownTaxCode(draft.taxCode, line: index + 1, known: taxCodes.keys.sorted())
            }
            let net: Int64
            if let override = draft.netOverride {
                net = override
            } else {
                let (product, overflow) = draft.unitPrice.multipliedReportingOverflow(by: draft.quantity)
                guard !overflow else { throw .amountTooLarge }
                net = product
            }
            let lineTax: Int64
            if let override = draft.taxOverride { lineTax = override } else { lineTax = try tax(on: net, basisPoints: rate) }
            lines.append(DocumentLine(
                lineNo: index + 1, sku: draft.sku, description: draft.description, quantity: draft.quantity,
                unitOfMeasure: draft.unitOfMeasure, unitPrice: draft.unitPrice, netAmount: net, taxCode: draft.taxCode,
                taxRateBasisPoints: rate, taxAmount: lineTax,
                source: draft.source, invoiceLineNo: draft.invoiceLineNo))
        }
        if rounding == .document { try spreadDocumentTax(&lines, fixed: drafts.map { $0.taxOverride != nil }) }
        // Totals are summed with plain `+` later; prove here that the gross total fits.
        var gross: Int64 = 0
        for line in lines {
            for amount in [line.netAmount, line.taxAmount] {
                let (sum, overflow) = gross.addingReportingOverflow(amount)
                guard !overflow else { throw .amountTooLarge }
                gross = sum
            }
        }
        return (lines, breakdown(lines))
    }

    /// Per (code, rate): tax = round(Σ net × rate), spread over the lines by largest remainder so
    /// the lines still add up. Lines with a fixed tax (the rest of a partly credited line) keep it.
    static func spreadDocumentTax(_ lines: inout [DocumentLine], fixed: [Bool]) throws(BillingError) {
        var groups: [String: [Int]] = [:]
        for i in lines.indices where !fixed[i] { groups["\(lines[i].taxCode)|\(lines[i].taxRateBasisPoints)", default: []].append(i) }
        for indices in groups.values {
            let rate = lines[indices[0]].taxRateBasisPoints
            var net: Int64 = 0
            for i in indices {
                let (sum, overflow) = net.addingReportingOverflow(lines[i].netAmount)
                guard !overflow else { throw .amountTooLarge }
                net = sum
            }
            let total = try tax(on: net, basisPoints: rate)
            // Exact shares in 1/10 000 of a minor unit, floored, then the remainder by largest fraction.
            var shares: [(index: Int, floor: Int64, fraction: Int64)] = []
            for i in indices {
                let (product, overflow) = lines[i].netAmount.multipliedReportingOverflow(by: Int64(rate))
                guard !overflow else { throw .amountTooLarge }
                let floor = product >= 0 ? product / 10_000 : -((-product + 9_999) / 10_000)
                shares.append((i, floor, product - floor * 10_000))
            }
            var left = total - shares.reduce(0) { $0 + $1.floor }
            let order = shares.indices.sorted { shares[$0].fraction != shares[$1].fraction ? shares[$0].fraction > shares[$1].fraction : $0 < $1 }
            for share in shares { lines[share.index].taxAmount = share.floor }
            var k = 0
            while left != 0, !order.isEmpty {
                let step: Int64 = left > 0 ? 1 : -1
                lines[shares[order[k % order.count]].index].taxAmount += step
                left -= step
                k += 1
            }
        }
    }

    /// Σ net and Σ tax per (code, rate), sorted by code.
    public static func breakdown(_ lines: [DocumentLine]) -> [TaxSubtotal] {
        var byKey: [String: TaxSubtotal] = [:]
        for line in lines {
            let key = "\(line.taxCode)|\(line.taxRateBasisPoints)"
            var subtotal = byKey[key] ?? TaxSubtotal(taxCode: line.taxCode, rateBasisPoints: line.taxRateBasisPoints,
                                                     taxableAmount: 0, taxAmount: 0)
            subtotal.taxableAmount += line.netAmount
            subtotal.taxAmount += line.taxAmount
            byKey[key] = subtotal
        }
        return byKey.values.sorted { ($0.taxCode, $0.rateBasisPoints) < ($1.taxCode, $1.rateBasisPoints) }
    }
}
