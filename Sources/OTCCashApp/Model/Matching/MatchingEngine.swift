public import OTCCore
public import Foundation

/// An open debit item a receipt may pay, as the matcher sees it.
public struct MatchableItem: Sendable, Equatable {
    public var id: UUID
    public var documentNumber: String
    public var customerNumber: String
    public var currency: Currency
    /// Positive: what the customer still owes on it.
    public var openAmount: Int64
    public var dueDate: BusinessDate?
    /// Early-payment discount that may be taken when paid by `discountDate`.
    public var discountAmount: Int64
    public var discountDate: BusinessDate?

    public init(id: UUID = UUID(), documentNumber: String, customerNumber: String, currency: Currency, openAmount: Int64,
                dueDate: BusinessDate? = nil, discountAmount: Int64 = 0, discountDate: BusinessDate? = nil) {
        self.id = id
        self.documentNumber = documentNumber
        self.customerNumber = customerNumber
        self.currency = currency
        self.openAmount = openAmount
        self.dueDate = dueDate
        self.discountAmount = discountAmount
        self.discountDate = discountDate
    }
}

/// Who pays: a customer with the names and bank accounts it pays from.
public struct PayerIdentity: Sendable, Equatable {
    public var customerNumber: String
    public var name: String
    public var accounts: [String]

    public init(customerNumber: String, name: String, accounts: [String] = []) {
        self.customerNumber = customerNumber
        self.name = name
        self.accounts = accounts
    }
}

/// A line of a remittance advice: which document the payer says a part of the payment is for.
public struct AdviceLine: Sendable, Equatable {
    public var documentNumber: String
    public var amount: Int64
    /// Why less was paid (a deduction), if the advice says.
    public var deductionReason: String

    public init(documentNumber: String, amount: Int64, deductionReason: String = "") {
        self.documentNumber = documentNumber
        self.amount = amount
        self.deductionReason = deductionReason
    }
}

/// What a receipt should do, and why: allocations to items, and what is left as a difference.
public struct MatchProposal: Sendable, Equatable {
    public enum Difference: Sendable, Equatable {
        /// Early-payment discount taken within the terms.
        case discount(Int64)
        /// A small shortfall within tolerance, taken as the bank's charges.
        case bankCharges(Int64)
        /// A shortfall beyond tolerance: a deduction, to become a dispute.
        case deduction(Int64, reason: String)
        /// More than the items: the rest goes on account.
        case onAccount(Int64)
    }

    public struct Allocation: Sendable, Equatable {
        public var itemID: UUID
        public var documentNumber: String
        public var amount: Int64
    }

    public var customerNumber: String?
    public var allocations: [Allocation]
    public var differences: [Difference]
    public var rule: String
    public var evidence: [String]
    /// 0–100.
    public var confidence: Int

    /// At or above the tenant's threshold: posted without a person.
    public func isAutomatic(_ rules: MatchingRules) -> Bool { confidence >= rules.autoApplyConfidence && customerNumber != nil }
}

/// The matcher: pure, deterministic, explainable. Given a receipt, what the payer said (advice
/// lines, text, references), who the customers are and what they owe, it returns proposals,
/// best first, each with the rule that made it, its evidence and a confidence.
public enum MatchingEngine {
    /// Proposals for one receipt, best first. The index holds the open items and payers (built
    /// once per run); `advice` is what the payer's remittance advice says, if one was found.
    public static func propose(_ receipt: BankReceipt, advice: [AdviceLine] = [], index: MatchingIndex,
                               rules: MatchingRules) -> [MatchProposal] {
        guard receipt.isCredit, !receipt.isReversal, receipt.amount > 0 else { return [] }
        var proposals: [MatchProposal] = []
        for rule in rules.order {
            let found: MatchProposal? = switch rule {
            case .remittanceAdvice: byAdvice(receipt, advice: advice, index: index, rules: rules)
            case .referencesInText: byReferences(receipt, index: index, rules: rules)
            case .payerAndAmount: byPayerAndAmount(receipt, index: index, rules: rules)
            }
            if let found { proposals.append(found) }
            // The first rule that is sure ends the search (the tenant ordered them).
            if let found, found.isAutomatic(rules) { break }
        }
        return proposals.sorted { $0.confidence > $1.confidence }
    }

    /// The same for a one-off receipt against plain lists (tests, a single manual check).
    public static func propose(_ receipt: BankReceipt, advice: [AdviceLine] = [], payers: [PayerIdentity], items: [MatchableItem],
                               rules: MatchingRules) -> [MatchProposal] {
        propose(receipt, advice: advice, index: MatchingIndex(payers: payers, items: items), rules: rules)
    }

    // MARK: Rule 1: remittance advice lines

    static func byAdvice(_ receipt: BankReceipt, advice: [AdviceLine], index: MatchingIndex, rules: MatchingRules) -> MatchProposal? {
        guard !advice.isEmpty else { return nil }
        var allocations: [MatchProposal.Allocation] = []
        var differences: [MatchProposal.Difference] = []
        var evidence: [String] = []
        var customers = Set<String>()
        var missing: [String] = []
        for line in advice {
            guard let item = index.item(numbered: line.documentNumber, in: receipt.currency) else {
                missing.append(line.documentNumber)
                continue
            }
            customers.insert(item.customerNumber)
            let paid = min(line.amount, item.openAmount)
            allocations.append(.init(itemID: item.id, documentNumber: item.documentNumber, amount: paid))
            evidence.append("advice line \(line.documentNumber) pays \(Money(units: line.amount, currency: receipt.currency))")
            if line.amount < item.openAmount {
                let short = item.openAmount - line.amount
                differences.append(classify(short: short, item: item, receipt: receipt, reason: line.deductionReason, rules: rules))
            }
        }
        guard !allocations.isEmpty, customers.count == 1 else { return nil }
        let total = allocations.reduce(0) { $0 + $1.amount }
        if receipt.amount > total { differences.append(.onAccount(receipt.amount - total)) }
        var confidence = missing.isEmpty ? 98 : 75
        if receipt.amount < total { confidence = 60 }  // the advice promises more than arrived
        if !missing.isEmpty { evidence.append("advice names documents not open: \(missing.joined(separator: ", "))") }
        return MatchProposal(customerNumber: customers.first, allocations: allocations, differences: differences, rule: "remittance_advice",
                             evidence: evidence, confidence: confidence)
    }

    // MARK: Rule 2: invoice numbers and RF references in the text

    static func byReferences(_ receipt: BankReceipt, index: MatchingIndex, rules: MatchingRules) -> MatchProposal? {
        let text = ([receipt.remittanceText] + receipt.structuredReferences).joined(separator: " ")
        var found = index.items(namedIn: text, currency: receipt.currency)
        guard let first = found.first, found.allSatisfy({ $0.0.customerNumber == first.0.customerNumber }) else { return nil }
        let customer = first.0.customerNumber
        // The rest of an abbreviated list ("INV-2026-006227/12611/38853"): serials of the same customer.
        found += index.items(ofCustomer: customer, bySerialsIn: RemittanceText(text), besides: found.map(\.0), currency: receipt.currency)
        let named = found.map(\.0)
        var evidence = found.map(\.1)
        // Who paid, as far as the bank says: the same customer backs the reference up; another
        // customer's account or name contradicts it (a typo naming someone else's invoice).
        let payer = identify(receipt, index: index, rules: rules)
        let backed = payer.map { $0.0.customerNumber == customer && $0.2 >= rules.autoApplyConfidence } ?? false
        if let payer, payer.0.customerNumber != customer, payer.2 >= rules.autoApplyConfidence {
            evidence.append("but \(payer.1)")
            return MatchProposal(customerNumber: customer, allocations: named.map { .init(itemID: $0.id, documentNumber: $0.documentNumber, amount: $0.openAmount) },
                                 differences: [], rule: "references_in_text", evidence: evidence, confidence: 50)
        }
        if backed, let payer { evidence.append(payer.1) }
        let owed = named.reduce(0) { $0 + $1.openAmount }
        // Oldest first; an item whose discount explains a shortfall goes last, where it is settled.
        var ordered = named.sorted { ($0.dueDate ?? .init(dayNumber: .max)) < ($1.dueDate ?? .init(dayNumber: .max)) }
        if receipt.amount < owed,
           let discounted = ordered.firstIndex(where: { $0.discountAmount == owed - receipt.amount && discountAllowed($0, receipt, rules) }) {
            ordered.append(ordered.remove(at: discounted))
        }
        var allocations = ordered.map { MatchProposal.Allocation(itemID: $0.id, documentNumber: $0.documentNumber, amount: $0.openAmount) }
        var differences: [MatchProposal.Difference] = []
        var confidence = 95
        if receipt.amount > owed {
            let extra = receipt.amount - owed
            let small = extra <= max(rules.chargesTolerance, owed / 20)
            // A text cut off by the bank ("…, Rechnung INV-2026") names only the first items: the
            // rest may be the customer's other items that add up to exactly the difference.
            let others = index.items(of: customer, currency: receipt.currency).filter { item in !named.contains { $0.id == item.id } }
            let rest: [MatchableItem]? = small ? nil : uniqueCombination(of: others, adding: extra, rules: rules)
            if let rest {
                allocations += rest.map { .init(itemID: $0.id, documentNumber: $0.documentNumber, amount: $0.openAmount) }
                evidence.append("the other \(Money(units: extra, currency: receipt.currency)) is exactly \(rest.map(\.documentNumber).joined(separator: ", ")) of the same customer")
                confidence = backed ? 90 : 80
            } else {
                // A little more (a fee, rounding) or a payer we recognise: the rest on account.
                // Much more from someone unknown, or with a text the bank cut off, may pay items
                // the text does not name: a person looks.
                differences.append(.onAccount(extra))
                let cut = receipt.remittanceText.count >= Self.cutTextLength
                confidence = small || (backed && !cut) ? 90 : 75
                if confidence < 90 {
                    evidence.append("\(Money(units: extra, currency: receipt.currency)) more than the named items"
                                    + (cut ? ", and the text is cut off at \(receipt.remittanceText.count) characters" : ", from a payer not on file"))
                }
            }
        } else if receipt.amount < owed {
            // The shortfall is explained on the last item: a discount or charges settle it in
            // full; a deduction leaves it open by that much (the oldest items are paid first).
            let short = owed - receipt.amount
            let difference = classify(short: short, item: ordered[ordered.count - 1], receipt: receipt, reason: "", rules: rules)
            differences.append(difference)
            if case .deduction = difference {
                // Named by the payer we know: post, and the deduction becomes a dispute.
                confidence = backed ? 90 : 70
                var left = receipt.amount
                allocations = allocations.compactMap { allocation in
                    let paid = min(left, allocation.amount)
                    left -= paid
                    return paid > 0 ? .init(itemID: allocation.itemID, documentNumber: allocation.documentNumber, amount: paid) : nil
                }
                // The deduction is the last item's unpaid rest; a named item the money does not
                // reach at all is no deduction but a question for a person.
                if allocations.count < ordered.count {
                    confidence = 60
                    evidence.append("the payment does not reach \(ordered[allocations.count...].map(\.documentNumber).joined(separator: ", "))")
                }
            } else {
                allocations[allocations.count - 1].amount -= short
            }
        }
        return MatchProposal(customerNumber: customer, allocations: allocations, differences: differences,
                             rule: "references_in_text", evidence: evidence, confidence: confidence)
    }

    // MARK: Rule 3: payer, then amount

    static func byPayerAndAmount(_ receipt: BankReceipt, index: MatchingIndex, rules: MatchingRules) -> MatchProposal? {
        guard let (payer, how, payerConfidence) = identify(receipt, index: index, rules: rules) else { return nil }
        let own = index.items(of: payer.customerNumber, currency: receipt.currency)
        var evidence = [how]
        func proposal(_ allocations: [MatchProposal.Allocation], _ differences: [MatchProposal.Difference], _ confidence: Int,
                      _ why: String) -> MatchProposal {
            MatchProposal(customerNumber: payer.customerNumber, allocations: allocations, differences: differences, rule: "payer_and_amount",
                          evidence: evidence + [why], confidence: min(confidence, payerConfidence))
        }
        // A number in the text that is none of the chosen items' (and not the customer's own
        // number) may name an item that is settled or mistyped: a person looks before it posts.
        let numbers = RemittanceText(([receipt.remittanceText] + receipt.structuredReferences).joined(separator: " ")).numbers
            .filter { $0.text.count >= 5 && !normalized(payer.customerNumber).contains($0.text) }
        func unexplained(_ chosen: [MatchableItem]) -> String? {
            let own = chosen.map { normalized($0.documentNumber) }
            return numbers.first { number in !own.contains { $0.contains(number.text) } && !chosen.contains { nearlySerial(number.text, of: $0) } }?.text
        }
        func capped(_ chosen: [MatchableItem], _ confidence: Int) -> Int {
            if let number = unexplained(chosen) {
                evidence.append("the text names \(number), which is not \(chosen.map(\.documentNumber).joined(separator: ", "))")
                return min(confidence, 80)
            }
            // A mistyped number of the chosen item (one digit off) backs the amount up.
            for number in numbers {
                if let item = chosen.first(where: { nearlySerial(number.text, of: $0) && !normalized($0.documentNumber).contains(number.text) }) {
                    evidence.append("the text names \(number.text), one digit off \(item.documentNumber)")
                }
            }
            return confidence
        }
        // One item with exactly this amount (or this amount after its discount).
        let exact = own.filter { $0.openAmount == receipt.amount }
        if let item = exact.first {
            return proposal([.init(itemID: item.id, documentNumber: item.documentNumber, amount: item.openAmount)], [],
                            capped([item], exact.count == 1 ? 92 : 70),
                            exact.count == 1 ? "amount equals \(item.documentNumber)" : "amount equals \(exact.count) items; the oldest chosen")
        }
        let discounted = own.filter { $0.discountAmount > 0 && $0.openAmount - $0.discountAmount == receipt.amount && discountAllowed($0, receipt, rules) }
        if let item = discounted.first {
            return proposal([.init(itemID: item.id, documentNumber: item.documentNumber, amount: receipt.amount)], [.discount(item.discountAmount)],
                            capped([item], discounted.count == 1 ? 90 : 70),
                            discounted.count == 1 ? "amount equals \(item.documentNumber) less its early-payment discount"
                                : "amount equals \(discounted.count) items less their discounts; the oldest chosen")
        }
        // A small combination of the customer's items adds up exactly; the only one of its size posts.
        if let (subset, unique) = subsetSum(own.prefix(rules.maxSubsetItems).map { $0 }, target: receipt.amount) {
            // Sure only when every item was searched, the combination is small and the only one,
            // and none of its amounts is repeated by another item (a subscription's twin).
            let sure = unique && own.count <= rules.maxSubsetItems && subset.count <= 4
                && subset.allSatisfy { item in own.filter { $0.openAmount == item.openAmount }.count == 1 }
            return proposal(subset.map { .init(itemID: $0.id, documentNumber: $0.documentNumber, amount: $0.openAmount) }, [],
                            capped(subset, sure ? 90 : 80),
                            "amount equals \(subset.count) items together: \(subset.map(\.documentNumber).joined(separator: ", "))"
                                + (unique ? "" : " (another combination of as many items adds up too)"))
        }
        // Oldest first; what is left over goes on account, a shortfall stays open on the last item.
        guard !own.isEmpty else {
            evidence.append("no open items: everything on account")
            return proposal([], [.onAccount(receipt.amount)], 60, "payer known, nothing open")
        }
        var left = receipt.amount
        var allocations: [MatchProposal.Allocation] = []
        for item in own where left > 0 {
            let paid = min(left, item.openAmount)
            allocations.append(.init(itemID: item.id, documentNumber: item.documentNumber, amount: paid))
            left -= paid
        }
        return proposal(allocations, left > 0 ? [.onAccount(left)] : [], 55, "no amount match: oldest items first")
    }

    /// The customer behind a receipt: the payer's account number first (sure), then the name.
    static func identify(_ receipt: BankReceipt, index: MatchingIndex, rules: MatchingRules) -> (PayerIdentity, String, Int)? {
        if let payer = index.payer(account: receipt.payerAccount) {
            return (payer, "payer account \(receipt.payerAccount) belongs to \(payer.customerNumber)", 100)
        }
        guard !receipt.payerName.isEmpty else { return nil }
        let scored = index.payers(similarTo: receipt.payerName)
        guard let best = scored.first, best.1 >= rules.nameSimilarity else { return nil }
        // Two customers with nearly the same name: not sure enough to post on its own.
        let ambiguous = scored.count > 1 && scored[1].1 >= best.1 - 5
        return (best.0, "payer name \"\(receipt.payerName)\" is \(best.1) % like \(best.0.name)", ambiguous ? 60 : min(95, best.1))
    }

    /// Exact subset sum over at most `items.count` items (bounded by the rules): the smallest
    /// subset of two or more, oldest items preferred, and whether it is the only one of its size.
    static func subsetSum(_ items: [MatchableItem], target: Int64) -> ([MatchableItem], unique: Bool)? {
        guard items.count <= 20 else { return nil }
        var best: [MatchableItem]?
        var ties = 0
        func search(_ start: Int, _ chosen: [MatchableItem], _ sum: Int64) {
            if sum == target, chosen.count >= 2 {
                if best == nil || chosen.count < best!.count {
                    best = chosen
                    ties = 0
                } else if chosen.count == best!.count {
                    ties += 1
                }
                return
            }
            guard sum < target, best == nil || chosen.count + 1 <= best!.count, ties == 0 else { return }
            for index in start..<items.count { search(index + 1, chosen + [items[index]], sum + items[index].openAmount) }
        }
        search(0, [], 0)
        return best.map { ($0, ties == 0) }
    }

    /// Remittance texts this long were probably cut by the bank (SEPA carries 140 characters).
    static let cutTextLength = 135

    /// One item, or the only pair, or the only small combination of the oldest items, adding up
    /// to exactly `amount`; nil when none or several do.
    static func uniqueCombination(of items: [MatchableItem], adding amount: Int64, rules: MatchingRules) -> [MatchableItem]? {
        let single = items.filter { $0.openAmount == amount }
        if !single.isEmpty { return single.count == 1 ? single : nil }
        var byAmount: [Int64: [Int]] = [:]
        for (i, item) in items.enumerated() { byAmount[item.openAmount, default: []].append(i) }
        var pairs: [(Int, Int)] = []
        for (i, item) in items.enumerated() {
            for j in byAmount[amount - item.openAmount] ?? [] where j > i { pairs.append((i, j)) }
            if pairs.count > 1 { return nil }
        }
        if let (i, j) = pairs.first { return [items[i], items[j]] }
        guard let (subset, unique) = subsetSum(Array(items.prefix(rules.maxSubsetItems)), target: amount), unique, subset.count <= 3 else { return nil }
        return subset
    }

    /// True when `digits` is the item's serial with one digit wrong, missing, added or two
    /// neighbours swapped (a payer's typo), compared without leading zeros.
    static func nearlySerial(_ digits: String, of item: MatchableItem) -> Bool {
        guard let serial = MatchingIndex.serial(of: item.documentNumber) else { return false }
        let a = Array(String(serial)), b = Array(digits.drop { $0 == "0" })
        guard a != b, abs(a.count - b.count) <= 1, min(a.count, b.count) >= 3 else { return false }
        if a.count == b.count {
            let diffs = a.indices.filter { a[$0] != b[$0] }
            return diffs.count == 1 || (diffs.count == 2 && diffs[1] == diffs[0] + 1 && a[diffs[0]] == b[diffs[1]] && a[diffs[1]] == b[diffs[0]])
        }
        let (long, short) = a.count > b.count ? (a, b) : (b, a)
        return long.indices.contains { i in Array(long[..<i] + long[(i + 1)...]) == short }
    }

    /// A shortfall on an item: its early-payment discount, bank charges within tolerance, or a deduction.
    static func classify(short: Int64, item: MatchableItem, receipt: BankReceipt, reason: String, rules: MatchingRules) -> MatchProposal.Difference {
        if item.discountAmount > 0, short == item.discountAmount, discountAllowed(item, receipt, rules) { return .discount(short) }
        if short <= rules.chargesTolerance { return .bankCharges(short) }
        return .deduction(short, reason: reason.isEmpty ? "short payment of \(item.documentNumber)" : reason)
    }

    static func discountAllowed(_ item: MatchableItem, _ receipt: BankReceipt, _ rules: MatchingRules) -> Bool {
        guard let last = item.discountDate else { return false }
        guard let paid = receipt.valueDate ?? receipt.bookingDate else { return true }
        return paid <= last.adding(days: rules.acceptLateDiscountDays)
    }

    /// Upper-case letters and digits only: "INV-2026-000123" and "inv 2026 000123" compare equal.
    static func normalized(_ text: String) -> String {
        String(text.uppercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII }.map(Character.init))
    }

    static func compactAccount(_ text: String) -> String { normalized(text) }

}
