public import OTCCore
public import OTCReceivables

/// Document validation of an order against the customer master and the tenant's rules.
/// Pure: the store gathers the facts (customer, other orders with the same PO), this decides.
public enum OrderValidation {
    public struct Facts: Sendable {
        public var customer: Customer?
        /// order_refs of other live orders of the customer that carry the same customer PO.
        public var ordersWithSamePO: [String]
        public init(customer: Customer?, ordersWithSamePO: [String]) {
            self.customer = customer
            self.ordersWithSamePO = ordersWithSamePO
        }
    }

    public static func discrepancies(of draft: OrderDraft, facts: Facts, rules: TenantRules) -> [Discrepancy] {
        var found: [Discrepancy] = []
        if let customer = facts.customer {
            if customer.blocked {
                found.append(Discrepancy(code: "customer_blocked", message:
                    "customer \(customer.number) is blocked\(customer.blockReason.isEmpty ? "" : ": \(customer.blockReason)")"))
            }
            if rules.validation.requireCustomerCurrency, customer.currency != draft.currency {
                found.append(Discrepancy(code: "currency_mismatch", message:
                    "order is in \(draft.currency) but customer \(customer.number) is invoiced in \(customer.currency)"))
            }
        } else {
            found.append(Discrepancy(code: "customer_unknown", message:
                "customer \(draft.customerNumber) is not in the customer master; upsert it, then release the hold"))
        }
        if rules.validation.duplicateCustomerPOCheck, !draft.customerPO.isEmpty, !facts.ordersWithSamePO.isEmpty {
            found.append(Discrepancy(code: "duplicate_customer_po", message:
                "customer PO \(draft.customerPO) is already used by order \(facts.ordersWithSamePO.sorted().joined(separator: ", "))"))
        }
        var total = Money.zero(draft.currency)
        for line in draft.lines {
            if line.quantity <= 0 {
                found.append(Discrepancy(code: "quantity_not_positive", lineNo: line.lineNo,
                                         message: "line \(line.lineNo): quantity \(line.quantity) must be positive"))
            }
            if line.unitPrice.units <= 0 {
                found.append(Discrepancy(code: "price_not_positive", lineNo: line.lineNo,
                                         message: "line \(line.lineNo): unit price \(line.unitPrice) must be positive"))
            }
            if line.unitPrice.currency != draft.currency {
                found.append(Discrepancy(code: "line_currency_mismatch", lineNo: line.lineNo, message:
                    "line \(line.lineNo): price is in \(line.unitPrice.currency) but the order is in \(draft.currency)"))
            }
            if rules.taxCodes[line.taxCode] == nil {
                let known = rules.taxCodes.keys.sorted().joined(separator: ", ")
                found.append(Discrepancy(code: "tax_code_unknown", lineNo: line.lineNo, message:
                    "line \(line.lineNo): tax code '\(line.taxCode)' is not one of the client's codes (\(known))"))
            }
            let amount = try? line.unitPrice.multiplied(by: line.quantity)
            if let amount, line.unitPrice.currency == draft.currency, let sum = try? total.adding(amount) {
                total = sum
            } else if amount == nil || line.unitPrice.currency == draft.currency {
                found.append(Discrepancy(code: "amount_overflow", lineNo: line.lineNo,
                                         message: "line \(line.lineNo): quantity × price is too large"))
            }
        }
        return found
    }
}
