import OTCCore
public import Foundation

/// A tenant's open items and payers, indexed once per matching run so each receipt costs lookups,
/// not scans: 100,000 receipts against 500,000 items must not compare every pair.
///
/// - documents by normalised number (and by the ISO 11649 reference made from it), so the
///   numbers in a remittance text are found by trying its substrings of the lengths numbers have;
/// - each customer's items, oldest due first;
/// - payers by bank account, and by the letter bigrams of their names, so name similarity is
///   computed only for payers sharing a bigram with the receipt's payer (the same result as
///   comparing with every payer, since a payer sharing none scores 0).
///
/// `settle` lowers an item's open amount after an application, so the next receipt of the same
/// run sees what is left.
public struct MatchingIndex: Sendable {
    public private(set) var items: [MatchableItem]
    public let payers: [PayerIdentity]
    private var itemIndex: [UUID: Int] = [:]
    private var byNumber = KeyedSubstrings()
    private var byCreditorReference: [String: [Int]] = [:]
    private var byCustomer: [String: [Int]] = [:]
    private var payerByAccount: [String: Int] = [:]
    private var payerBigrams: [[String: Int]] = []
    private var payerBigramTotals: [Int] = []
    private var postings: [String: [(payer: Int32, count: Int32)]] = [:]

    public init(payers: [PayerIdentity], items: [MatchableItem]) {
        self.items = items
        self.payers = payers
        for (i, item) in items.enumerated() {
            itemIndex[item.id] = i
            let number = MatchingEngine.normalized(item.documentNumber)
            byNumber.insert(number, i)
            if let rf = CreditorReference.make(number) { byCreditorReference[rf, default: []].append(i) }
            byCustomer[item.customerNumber, default: []].append(i)
        }
        for (customer, indices) in byCustomer {
            byCustomer[customer] = indices.sorted {
                (items[$0].dueDate ?? .init(dayNumber: .max), items[$0].documentNumber) < (items[$1].dueDate ?? .init(dayNumber: .max), items[$1].documentNumber)
            }
        }
        for (p, payer) in payers.enumerated() {
            for account in payer.accounts where payerByAccount[MatchingEngine.compactAccount(account)] == nil {
                payerByAccount[MatchingEngine.compactAccount(account)] = p
            }
            let grams = NameSimilarity.bigrams(payer.name)
            payerBigrams.append(grams)
            payerBigramTotals.append(grams.values.reduce(0, +))
            for (gram, count) in grams { postings[gram, default: []].append((Int32(p), Int32(count))) }
        }
    }

    /// Lowers an item's open amount by what a receipt just applied to it.
    public mutating func settle(_ itemID: UUID, amount: Int64) {
        if let i = itemIndex[itemID] { items[i].openAmount -= amount }
    }

    /// Remembers an account seen paying for a customer, for the rest of the run.
    public mutating func learn(account: String, customer: String) {
        let compact = MatchingEngine.compactAccount(account)
        guard !compact.isEmpty, payerByAccount[compact] == nil, let p = payers.firstIndex(where: { $0.customerNumber == customer }) else { return }
        payerByAccount[compact] = p
    }

    // MARK: Lookups (open items in the receipt's currency only)

    func open(_ indices: [Int], in currency: Currency) -> [MatchableItem] {
        indices.lazy.map { self.items[$0] }.filter { $0.currency == currency && $0.openAmount > 0 }
    }

    /// The open item with this document number (separators and case ignored).
    func item(numbered number: String, in currency: Currency) -> MatchableItem? {
        open(byNumber.exact(MatchingEngine.normalized(number)), in: currency).first
    }

    /// Open items whose numbers appear in `text` (normalised), or whose RF reference does, with
    /// the evidence for each, in the order found.
    func items(namedIn text: String, currency: Currency) -> [(MatchableItem, String)] {
        var found: [(MatchableItem, String)] = []
        var seen = Set<UUID>()
        // Checked references first: an RF reference contains the number, and is the better evidence.
        for rf in CreditorReference.find(in: text) {
            for item in open(byCreditorReference[rf] ?? [], in: currency) where seen.insert(item.id).inserted {
                found.append((item, "structured reference \(rf) is \(item.documentNumber)"))
            }
        }
        for item in open(byNumber.within(MatchingEngine.normalized(text)), in: currency) where seen.insert(item.id).inserted {
            found.append((item, "text names \(item.documentNumber)"))
        }
        return found
    }

    /// A customer's open items in the currency, oldest due first.
    func items(of customer: String, currency: Currency) -> [MatchableItem] {
        open(byCustomer[customer] ?? [], in: currency)
    }

    func payer(account: String) -> PayerIdentity? {
        let compact = MatchingEngine.compactAccount(account)
        return compact.isEmpty ? nil : payerByAccount[compact].map { payers[$0] }
    }

    /// Payers by name similarity to `name` (0–100), best first, those above 0 only.
    func payers(similarTo name: String) -> [(PayerIdentity, Int)] {
        let grams = NameSimilarity.bigrams(name)
        let total = grams.values.reduce(0, +)
        guard total > 0 else { return [] }
        var common: [Int32: Int] = [:]
        for (gram, count) in grams {
            for posting in postings[gram] ?? [] { common[posting.payer, default: 0] += min(count, Int(posting.count)) }
        }
        return common.map { payer, shared in (Int(payer), 200 * shared / (total + payerBigramTotals[Int(payer)])) }
            .sorted { ($0.1, -$0.0) > ($1.1, -$1.0) }
            .map { (payers[$0.0], $0.1) }
    }
}

/// Keys (normalised references, at least 4 characters) found inside a normalised text by trying
/// its substrings of the lengths the keys have: a few hundred lookups per text, whatever the
/// number of keys.
struct KeyedSubstrings: Sendable {
    private var byKey: [String: [Int]] = [:]
    /// Distinct key lengths, longest first.
    private var lengths: [Int] = []

    mutating func insert(_ key: String, _ value: Int) {
        byKey[key, default: []].append(value)
        if key.utf8.count >= 4, !lengths.contains(key.utf8.count) {
            lengths.append(key.utf8.count)
            lengths.sort(by: >)
        }
    }

    func exact(_ key: String) -> [Int] { byKey[key] ?? [] }

    /// Values of the keys that occur in `text`, in order of length then position.
    func within(_ text: String) -> [Int] {
        let haystack = Array(text.utf8)
        var found: [Int] = []
        for length in lengths where length <= haystack.count {
            for start in 0...(haystack.count - length) {
                if let key = String(bytes: haystack[start..<(start + length)], encoding: .ascii), let hits = byKey[key] { found += hits }
            }
        }
        return found
    }
}

/// Name similarity 0–100: the Dice coefficient over letter bigrams of the names without their
/// legal forms ("Müller GmbH" and "MUELLER" are close, "Globex Ltd" and "Globex Corp" too).
enum NameSimilarity {
    static let legalForms: Set<String> = ["GMBH", "AG", "KG", "LTD", "LIMITED", "INC", "LLC", "SA", "SARL", "BV", "NV", "PLC", "CO", "SE", "OHG", "UG"]

    static func bigrams(_ text: String) -> [String: Int] {
        let words = text.uppercased().split { !$0.isLetter && !$0.isNumber }.map(String.init).filter { !legalForms.contains($0) }
        let joined = Array(words.joined(separator: " "))
        var counts: [String: Int] = [:]
        if joined.count < 2 {
            if !joined.isEmpty { counts[String(joined)] = 1 }
            return counts
        }
        for i in 0..<(joined.count - 1) { counts[String(joined[i...i + 1]), default: 0] += 1 }
        return counts
    }

    static func score(_ a: String, _ b: String) -> Int {
        let x = bigrams(a), y = bigrams(b)
        let total = x.values.reduce(0, +) + y.values.reduce(0, +)
        guard total > 0 else { return 0 }
        let common = x.reduce(0) { $0 + min($1.value, y[$1.key] ?? 0) }
        return 200 * common / total
    }
}
