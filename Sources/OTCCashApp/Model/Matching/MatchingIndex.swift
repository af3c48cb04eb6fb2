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
    /// Customer → the serial of a document number (its trailing digits) → items.
    private var bySerial: [String: [Int: [Int]]] = [:]
    private var payerByAccount: [String: Int] = [:]
    private var payerNames: [NameSimilarity.Key] = []
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
            if let serial = Self.serial(of: item.documentNumber) { bySerial[item.customerNumber, default: [:]][serial, default: []].append(i) }
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
            let name = NameSimilarity.key(payer.name)
            payerNames.append(name)
            for (gram, count) in name.bigrams { postings[gram, default: []].append((Int32(p), Int32(count))) }
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

    /// The serial of a document number: its last group of digits (at least 3), as a number
    /// ("INV-2026-006227" → 6227).
    static func serial(of number: String) -> Int? {
        // Bytes, not Characters: this runs for every open item when a run builds its index.
        func isAlphanumeric(_ byte: UInt8) -> Bool { (byte >= 48 && byte <= 57) || (byte | 0x20 >= 97 && byte | 0x20 <= 122) }
        var value = 0, digits = 0
        for byte in number.utf8.reversed().drop(while: { !isAlphanumeric($0) }) {
            guard byte >= 48, byte <= 57 else { break }
            guard digits < 12 else { return nil }
            value += Int(byte - 48) * Self.powersOfTen[digits]
            digits += 1
        }
        return digits >= 3 ? value : nil
    }

    private static let powersOfTen = (0..<12).map { (0..<$0).reduce(1) { acc, _ in acc * 10 } }

    /// A customer's open items whose serials are numbers written in the text ("RG 037688 045746",
    /// or the rest of "INV-2026-006227/12611/38853"), except numbers inside `besides` (the numbers
    /// already found: "2026" is not a serial then), with the number each was found by.
    func items(ofCustomer customer: String, bySerialsIn text: RemittanceText, besides found: [MatchableItem],
               currency: Currency) -> [(MatchableItem, String)] {
        guard let serials = bySerial[customer] else { return [] }
        // The customer's own number ("Kd C-00341") is not a serial of its invoices.
        let taken = found.map { MatchingEngine.normalized($0.documentNumber) } + [MatchingEngine.normalized(customer)]
        var result: [(MatchableItem, String)] = []
        var seen = Set(found.map(\.id))
        for number in text.numbers where !taken.contains(where: { $0.contains(number.text) }) {
            let hits = open(serials[number.value] ?? [], in: currency)
            guard hits.count == 1, let item = hits.first, seen.insert(item.id).inserted else { continue }
            result.append((item, "text names \(number.text), the serial of \(item.documentNumber)"))
        }
        return result
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
        for item in open(byNumber.within(RemittanceText(text)), in: currency) where seen.insert(item.id).inserted {
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
        let key = NameSimilarity.key(name)
        guard key.total > 0 else { return [] }
        var common: [Int32: Int] = [:]
        for (gram, count) in key.bigrams {
            for posting in postings[gram] ?? [] { common[posting.payer, default: 0] += min(count, Int(posting.count)) }
        }
        return common.map { payer, shared in (Int(payer), NameSimilarity.score(shared: shared, key, payerNames[Int(payer)])) }
            .filter { $0.1 > 0 }
            .sorted { ($0.1, -$0.0) > ($1.1, -$1.0) }
            .map { (payers[$0.0], $0.1) }
    }
}

/// A remittance text as the matcher reads it: its ASCII letters and digits upper-cased and run
/// together (payers write "INV 2026 000123" and "inv-2026-000123"), remembering where the
/// payer's own words start and end, so a number is only found where it starts and ends a word:
/// "INV-2026-04319/2026-10-23" does not name INV-2026-043192.
struct RemittanceText: Sendable {
    var characters: [UInt8] = []
    var startsWord: [Bool] = []
    var endsWord: [Bool] = []
    /// Words of digits only (4 or more), as numbers: serials of abbreviated lists ("/12611/38853").
    var numbers: [(text: String, value: Int)] = []

    init(_ text: String) {
        var word: [UInt8] = []
        func close() {
            if let last = characters.indices.last, !word.isEmpty { endsWord[last] = true }
            if word.count >= 4, word.count <= 12, word.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(String(decoding: word, as: UTF8.self)) {
                numbers.append((String(decoding: word, as: UTF8.self), value))
            }
            word = []
        }
        for byte in text.utf8 {
            let upper = byte >= 97 && byte <= 122 ? byte - 32 : byte
            if (upper >= 48 && upper <= 57) || (upper >= 65 && upper <= 90) {
                characters.append(upper)
                startsWord.append(word.isEmpty)
                endsWord.append(false)
                word.append(upper)
            } else {
                close()
            }
        }
        close()
    }
}

/// Keys (normalised references, at least 4 characters) found inside a text by trying its
/// substrings of the lengths the keys have that start and end a word: a few hundred lookups per
/// text, whatever the number of keys.
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

    /// Values of the keys that occur in `text` on word boundaries, in order of length then position.
    func within(_ text: RemittanceText) -> [Int] {
        let haystack = text.characters
        var found: [Int] = []
        for length in lengths where length <= haystack.count {
            for start in 0...(haystack.count - length) where text.startsWord[start] && text.endsWord[start + length - 1] {
                if let key = String(bytes: haystack[start..<(start + length)], encoding: .ascii), let hits = byKey[key] { found += hits }
            }
        }
        return found
    }
}

/// Name similarity 0–100: the Dice coefficient over letter bigrams of the names as banks write
/// them (upper case, umlauts transliterated, accents and dots dropped) without their legal forms,
/// less 15 when both name a legal form and the forms differ ("Morgan SA" is not "Morgan SARL").
enum NameSimilarity {
    /// Words of legal forms, with the form each stands for (nil: a filler such as "& Co").
    static let legalForms: [String: String?] = [
        "GMBH": "GMBH", "MBH": "GMBH", "GESELLSCHAFT": "GMBH", "AG": "AG", "AKTIENGESELLSCHAFT": "AG", "KG": "KG",
        "KOMMANDITGESELLSCHAFT": "KG", "KGAA": "KGAA", "OHG": "OHG", "UG": "UG", "HAFTUNGSBESCHRAENKT": "UG", "EK": "EK", "KFM": "EK",
        "GBR": "GBR", "EV": "EV", "SE": "SE", "SOCIETAS": "SE", "EUROPAEA": "SE", "LTD": "LTD", "LIMITED": "LTD", "PLC": "PLC",
        "PUBLIC": "PLC", "LLP": "LLP", "LP": "LP", "INC": "INC", "INCORPORATED": "INC", "CORP": "CORP", "CORPORATION": "CORP",
        "LLC": "LLC", "PTY": "PTY", "SA": "SA", "SARL": "SARL", "SAS": "SAS", "SPA": "SPA", "SRL": "SRL", "SL": "SL", "BV": "BV",
        "NV": "NV", "AB": "AB", "OY": "OY", "AS": "AS", "APS": "APS",
        "CO": nil, "COMPANY": nil, "U": nil, "UND": nil,
    ]

    /// A name as the matcher compares it: its words without legal forms, and the legal forms.
    struct Key: Sendable {
        var bigrams: [String: Int]
        var total: Int
        var forms: Set<String>
    }

    static func key(_ text: String) -> Key {
        var folded = ""
        for character in text.uppercased() {
            switch character {
            case "Ä": folded += "AE"
            case "Ö": folded += "OE"
            case "Ü": folded += "UE"
            case "ß", "ẞ": folded += "SS"
            case ".": continue
            default: folded.append(character)
            }
        }
        folded = folded.folding(options: [.diacriticInsensitive], locale: nil)
        var forms = Set<String>()
        var words: [String] = []
        for word in folded.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init) {
            if let form = legalForms[word] {
                if let form { forms.insert(form) }
            } else {
                words.append(word)
            }
        }
        let joined = Array(words.joined(separator: " "))
        var counts: [String: Int] = [:]
        if joined.count < 2 {
            if !joined.isEmpty { counts[String(joined)] = 1 }
        } else {
            for i in 0..<(joined.count - 1) { counts[String(joined[i...i + 1]), default: 0] += 1 }
        }
        return Key(bigrams: counts, total: counts.values.reduce(0, +), forms: forms)
    }

    /// The score from the bigrams two names share.
    static func score(shared: Int, _ a: Key, _ b: Key) -> Int {
        guard a.total + b.total > 0 else { return 0 }
        let dice = 200 * shared / (a.total + b.total)
        let formsDiffer = !a.forms.isEmpty && !b.forms.isEmpty && a.forms.isDisjoint(with: b.forms)
        return max(0, dice - (formsDiffer ? 15 : 0))
    }

    static func score(_ a: String, _ b: String) -> Int {
        let x = key(a), y = key(b)
        return score(shared: x.bigrams.reduce(0) { $0 + min($1.value, y.bigrams[$1.key] ?? 0) }, x, y)
    }
}
