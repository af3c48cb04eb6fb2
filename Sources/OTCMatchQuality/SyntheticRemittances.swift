public import Foundation
public import OTCCashApp
public import OTCCore

// MARK: Seeded randomness

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, well-mixed 64-bit generator. Everything
/// the synthetic scenarios draw comes from it, through the helpers below that use integer
/// arithmetic only (no stdlib or Foundation random algorithms, no floating-point libm calls), so
/// a seed gives the same scenario on every platform and toolchain.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `range` (multiply-shift; the bias is below 2⁻³² for the spans used here).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(next().multipliedFullWidth(by: span).high)
    }

    /// Uniform in `0..<n` (n > 0).
    public mutating func below(_ n: Int) -> Int { int(in: 0...(n - 1)) }

    /// True with probability `permille` / 1000.
    public mutating func chance(permille: Int) -> Bool { below(1000) < permille }

    public mutating func element<T>(of array: [T]) -> T { array[below(array.count)] }

    /// One of `choices`, each as likely as its weight.
    public mutating func weighted<T>(_ choices: [(T, Int)]) -> T {
        var roll = below(choices.reduce(0) { $0 + $1.1 })
        for (choice, weight) in choices {
            if roll < weight { return choice }
            roll -= weight
        }
        return choices[choices.count - 1].0
    }

    /// Fisher–Yates.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) { array.swapAt(i, int(in: 0...i)) }
    }

    /// A version-4 UUID from the stream (items need ids; scenarios must be reproducible).
    public mutating func uuid() -> UUID {
        let a = next(), b = next()
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: a >> (8 * UInt64(i)))
            bytes[8 + i] = UInt8(truncatingIfNeeded: b >> (8 * UInt64(i)))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}

// MARK: Cases, mix and truth

/// How a payer paid and what it wrote: one case per receipt. Each case has variants (see
/// `ReceiptTruth.variant`) so a failing case can be traced to the exact form that fails.
public enum RemittanceCase: String, Sendable, Codable, CaseIterable {
    /// The open item's number in the free text, as printed (various templates), exact amount
    /// (less the early-payment discount when paid in time). Now and then the payment comes from a
    /// group company's account.
    case cleanInvoiceNumber = "clean_invoice_number"
    /// The ISO 11649 RF reference printed on the invoice, in the structured field or in the text.
    case creditorReference = "rf_reference"
    /// The invoice number with a missing digit, dropped leading zeros, swapped or wrong digit,
    /// letter O for zero, or odd spacing/separators. A wrong or swapped digit may name another
    /// existing open invoice.
    case invoiceNumberTypo = "invoice_number_typo"
    /// No reference; paid from an account on file; the amount of exactly one open item.
    case payerAccountExactAmount = "account_exact_amount"
    /// No reference, no known account: only the payer's name (bank-rendered: case, umlauts
    /// transliterated or stripped, legal form changed or dropped, abbreviations, truncation).
    case payerNameAndAmount = "name_and_amount"
    /// Two to five invoices of one customer named in the text (full numbers, abbreviated lists,
    /// serials only, long forms cut at 140 characters by the bank).
    case severalInvoicesInText = "several_invoices_in_text"
    /// No reference, known account, the amount of two or three open items together.
    case combinationWithoutReference = "combination_no_reference"
    /// Invoice number in the text, up to the tolerance short (the bank's charges).
    case shortWithinTolerance = "short_within_tolerance"
    /// Invoice number in the text, short beyond the tolerance: a deduction (unearned discount,
    /// damaged goods, price difference) that must become a dispute.
    case shortBeyondTolerance = "short_beyond_tolerance"
    /// Invoice number in the text, more than the item (rounded up, dunning fee added, ...): the
    /// rest goes on account.
    case overpayment = "overpayment"
    /// Not a customer (a person, another company, a company named like a customer): nothing may
    /// be applied.
    case unknownPayer = "unknown_payer"
}

/// The share of each case among the receipts of a scenario.
///
/// `Mix.standard` (per cent): clean invoice number 35, RF reference 10, typo 8, account + exact
/// amount 15, name + amount 8, several invoices in the text 8, combination without reference 4,
/// short within tolerance 3, short beyond tolerance 3, overpayment 3, unknown payer 3.
///
/// Why: for B2B receipts in a euro-area delivery center, roughly half carry a usable reference
/// (SEPA `Ustrd` with the invoice number is the norm; RF references are printed on invoices but
/// only some payers' ERPs use the structured field), a tenth carry a mangled one (manual entry),
/// about a quarter carry none and must be found by payer and amount (standing orders,
/// "payment" texts, payers whose account is not yet on file), a tenth pay several invoices at
/// once (payment runs), and a few per cent each are short, over or not ours. Vendors' published
/// straight-through rates (85–95 % at item level, DOMAIN.md) are consistent with such a mix:
/// the cases without any reference or with a difference are the ones that need a person.
public struct Mix: Sendable, Equatable {
    public var shares: [RemittanceCase: Int]

    /// Shares are weights (any positive integers; the standard mix uses per cent).
    public init(_ shares: [RemittanceCase: Int]) { self.shares = shares }

    public static let standard = Mix([
        .cleanInvoiceNumber: 35, .creditorReference: 10, .invoiceNumberTypo: 8, .payerAccountExactAmount: 15,
        .payerNameAndAmount: 8, .severalInvoicesInText: 8, .combinationWithoutReference: 4, .shortWithinTolerance: 3,
        .shortBeyondTolerance: 3, .overpayment: 3, .unknownPayer: 3,
    ])

    /// Every case equally often (for tests that must see each case).
    public static let uniform = Mix(Dictionary(uniqueKeysWithValues: RemittanceCase.allCases.map { ($0, 1) }))

    public static func only(_ kind: RemittanceCase) -> Mix { Mix([kind: 1]) }

    /// Receipts per case for `total` receipts: the shares scaled, largest remainders rounded up,
    /// so the counts add up to `total` exactly.
    public func counts(total: Int) -> [RemittanceCase: Int] {
        let weights = RemittanceCase.allCases.map { max(0, shares[$0] ?? 0) }
        let sum = weights.reduce(0, +)
        guard sum > 0, total > 0 else { return [:] }
        var counts = weights.map { total * $0 / sum }
        let remainders = weights.enumerated().map { ($0.offset, (total * $0.element) % sum) }
            .sorted { ($0.1, -$0.0) > ($1.1, -$1.0) }
        for (index, _) in remainders.prefix(total - counts.reduce(0, +)) { counts[index] += 1 }
        var result: [RemittanceCase: Int] = [:]
        for (i, kind) in RemittanceCase.allCases.enumerated() where counts[i] > 0 { result[kind] = counts[i] }
        return result
    }
}

/// An allocation the truth expects: this much of the receipt to this item.
public struct ExpectedAllocation: Sendable, Hashable {
    public var itemID: UUID
    public var documentNumber: String
    public var amount: Int64

    public init(itemID: UUID, documentNumber: String, amount: Int64) {
        self.itemID = itemID
        self.documentNumber = documentNumber
        self.amount = amount
    }
}

/// What is left between a receipt and the items it pays, by kind (as `MatchProposal.Difference`).
public enum DifferenceKind: String, Sendable, Codable, CaseIterable {
    case discount
    case bankCharges = "bank_charges"
    case deduction
    case onAccount = "on_account"
}

public struct ExpectedDifference: Sendable, Hashable {
    public var kind: DifferenceKind
    public var amount: Int64

    public init(_ kind: DifferenceKind, _ amount: Int64) {
        self.kind = kind
        self.amount = amount
    }

    /// The kind and amount of an engine's difference (a deduction's reason is not compared).
    public init(_ difference: MatchProposal.Difference) {
        switch difference {
        case .discount(let amount): self.init(.discount, amount)
        case .bankCharges(let amount): self.init(.bankCharges, amount)
        case .deduction(let amount, _): self.init(.deduction, amount)
        case .onAccount(let amount): self.init(.onAccount, amount)
        }
    }
}

/// What really happened: who paid (nil: not a customer), which items it pays and how much of
/// each, and what is left as a difference. For every case the amounts add up:
/// receipt amount = Σ allocations + on-account, and for each item the allocation plus its
/// discount, charges or deduction is its open amount.
public struct ReceiptTruth: Sendable, Equatable {
    public var kind: RemittanceCase
    /// The form within the case ("wrong digit → another open invoice", "name: legal form dropped").
    public var variant: String
    public var customerNumber: String?
    public var allocations: [ExpectedAllocation]
    public var differences: [ExpectedDifference]

    public init(kind: RemittanceCase, variant: String, customerNumber: String?, allocations: [ExpectedAllocation],
                differences: [ExpectedDifference]) {
        self.kind = kind
        self.variant = variant
        self.customerNumber = customerNumber
        self.allocations = allocations
        self.differences = differences
    }

    /// The kinds of difference expected (empty: the receipt pays its items exactly).
    public var differenceKinds: Set<DifferenceKind> { Set(differences.map(\.kind)) }
}

public struct SyntheticReceipt: Sendable, Equatable {
    public var receipt: BankReceipt
    public var truth: ReceiptTruth

    public init(receipt: BankReceipt, truth: ReceiptTruth) {
        self.receipt = receipt
        self.truth = truth
    }
}

/// A tenant's customers and open items before the receipts, and the receipts in booking order
/// with their truth.
public struct Scenario: Sendable, Equatable {
    public var seed: UInt64
    public var mix: Mix
    public var currency: Currency
    public var payers: [PayerIdentity]
    /// Open items as they are before the first receipt.
    public var items: [MatchableItem]
    public var receipts: [SyntheticReceipt]

    public init(seed: UInt64, mix: Mix, currency: Currency, payers: [PayerIdentity], items: [MatchableItem], receipts: [SyntheticReceipt]) {
        self.seed = seed
        self.mix = mix
        self.currency = currency
        self.payers = payers
        self.items = items
        self.receipts = receipts
    }
}

// MARK: The generator

/// Deterministic synthetic remittances: customers with realistic company names (legal forms,
/// near-collisions such as "Müller GmbH"/"Mueller GmbH", shared prefixes, group companies), some
/// with bank accounts on file; open invoices (`INV-2026-004711`, gaps in the series as in a real
/// ledger where most numbers are already paid, due dates, 2/10 net 30 discounts, catalogue
/// prices and subscriptions so amounts collide within and across customers); and receipts of the
/// cases of a `Mix`, each with its truth. Items are issued 2026-08-01 to 2026-11-15, receipts
/// are valued 2026-11-16 to 2026-11-30 in order. An item is paid by at most one receipt.
public enum SyntheticRemittances {
    public struct Parameters: Sendable, Equatable {
        public var seed: UInt64
        public var receipts: Int
        public var customers: Int
        public var items: Int
        public var mix: Mix
        /// The tenant's tolerances, which decide the truth: charges up to `chargesTolerance`,
        /// deductions beyond it, discounts up to `acceptLateDiscountDays` late.
        public var policy: MatchingRules

        /// Defaults scale with the receipts: a customer per 5 receipts, 2.5 open items per receipt
        /// (the receipts pay about 1.3 each; the rest stay open, as in a real ledger).
        public init(seed: UInt64 = 20_261_130, receipts: Int = 10_000, customers: Int? = nil, items: Int? = nil, mix: Mix = .standard,
                    policy: MatchingRules = MatchingRules()) {
            self.seed = seed
            self.receipts = max(0, receipts)
            self.customers = max(10, customers ?? receipts / 5)
            self.items = max(20, items ?? receipts * 5 / 2)
            self.mix = mix
            self.policy = policy
        }
    }

    public static func scenario(_ parameters: Parameters) -> Scenario {
        var generator = Generator(parameters)
        generator.makeCustomers()
        generator.makeItems()
        let receipts = generator.makeReceipts()
        return Scenario(seed: parameters.seed, mix: parameters.mix, currency: generator.currency, payers: generator.payers(),
                        items: generator.items, receipts: receipts)
    }
}

/// The invoice-number normal form the matcher compares: upper-case ASCII letters and digits.
func normalizedNumber(_ text: String) -> String {
    String(text.uppercased().unicodeScalars.filter { ("A"..."Z").contains($0) || ("0"..."9").contains($0) })
}

private struct Customer {
    enum Language { case german, english }
    var number: String
    var name: String
    var language: Language
    var country: String
    var accounts: [String]
    /// An account of the customer's that is not on file (a second bank, a new account).
    var unregisteredAccount: String
    /// A group company (sibling or parent) this one is related to, by index.
    var related: Int?
    var subscription: Int64?
    var weight: Int
}

private struct Generator {
    let p: SyntheticRemittances.Parameters
    var rng: SplitMix64
    let currency = Currency("EUR")!
    let firstIssue = BusinessDate(year: 2026, month: 8, day: 1)!
    let lastIssue = BusinessDate(year: 2026, month: 11, day: 15)!
    let firstReceipt = BusinessDate(year: 2026, month: 11, day: 16)!
    let receiptDays = 15

    var customers: [Customer] = []
    var items: [MatchableItem] = []
    var itemCustomer: [Int] = []
    var issueDates: [BusinessDate] = []
    var allNumbers = Set<String>()
    var customerKeys = Set<String>()

    // Unpaid items: globally and per customer, both with O(1) removal.
    var unpaid: [Int] = []
    var unpaidPosition: [Int] = []
    var unpaidOf: [[Int]] = []
    var unpaidOfPosition: [Int] = []

    init(_ parameters: SyntheticRemittances.Parameters) {
        p = parameters
        rng = SplitMix64(seed: parameters.seed)
    }

    func payers() -> [PayerIdentity] {
        customers.map { PayerIdentity(customerNumber: $0.number, name: $0.name, accounts: $0.accounts) }
    }

    // MARK: Customers

    mutating func makeCustomers() {
        // Base names (no legal form, case and umlauts folded) are unique, except for the twins
        // made on purpose: accidental collisions would make names far more ambiguous than in a
        // real customer master.
        var names = Set<String>()
        var keys = Set<String>()
        for i in 0..<p.customers {
            var customer = Customer(number: "C-\(100_001 + i)", name: "", language: .german, country: "DE", accounts: [],
                                    unregisteredAccount: "", related: nil, subscription: nil, weight: 1)
            let countries: [((String, Customer.Language), Int)] = [
                (("DE", .german), 60), (("AT", .german), 5), (("CH", .german), 3), (("GB", .english), 8), (("US", .english), 5),
                (("FR", .english), 7), (("NL", .english), 7), (("IT", .english), 3), (("ES", .english), 2),
            ]
            (customer.country, customer.language) = rng.weighted(countries)
            var name = ""
            var twin = false
            for attempt in 0..<20 {
                twin = false
                // Near-collisions on purpose: a twin spelling, the same name with another legal
                // form, or a company of the same group (shared prefix).
                let roll = rng.below(1000)
                if i > 10, attempt < 3, roll < 10, let spelling = spellingTwin(of: rng.below(i)) {
                    name = spelling.name
                    customer.country = customers[spelling.of].country
                    customer.language = customers[spelling.of].language
                    twin = true
                } else if i > 10, attempt < 3, roll < 25 {
                    let of = rng.below(i)
                    name = withOtherLegalForm(customers[of].name, country: customers[of].country)
                    customer.country = customers[of].country
                    customer.language = customers[of].language
                    customer.related = of
                    twin = true
                } else if i > 10, attempt < 3, roll < 85 {
                    let of = rng.below(i)
                    name = sibling(of: customers[of])
                    customer.country = customers[of].country
                    customer.language = customers[of].language
                    customer.related = of
                } else {
                    name = companyName(country: customer.country, language: customer.language)
                    if attempt >= 10 {
                        let (base, form) = splitLegalForm(name)
                        name = base + " " + rng.element(of: Self.cities) + (form.isEmpty ? "" : " " + form)
                    }
                }
                if !names.contains(name), twin || !keys.contains(nameKey(name)) { break }
            }
            if names.contains(name) || (!twin && keys.contains(nameKey(name))) { name = splitLegalForm(name).base + " \(i) " + legalForm(customer.country) }
            names.insert(name)
            keys.insert(nameKey(name))
            customer.name = name
            // 65 % have an account on file (some two); every customer also pays from one that is not.
            if rng.chance(permille: 650) {
                customer.accounts.append(iban(customer.country))
                if rng.chance(permille: 150) { customer.accounts.append(iban(customer.country)) }
            }
            customer.unregisteredAccount = iban(customer.country)
            // A few big customers with many items, more medium ones, most small.
            customer.weight = rng.weighted([(8, 4), (3, 20), (1, 76)])
            if rng.chance(permille: 150) { customer.subscription = catalogueGross() }
            customers.append(customer)
        }
        customerKeys = keys
    }

    static let stems = [
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Schäfer", "Koch",
        "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann",
        "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier", "Lehmann", "Köhler", "Weiß", "Jäger", "Groß", "Böhm", "Vogel",
        "Friedrich", "Keller", "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann", "Franke", "Albrecht",
        "Schuster", "Ludwig", "Böttcher", "Haas", "Schubert", "Kaiser", "Fuchs", "Peters", "Scholz", "Möller", "Seidel", "Brandt",
        "Hahn", "Schumacher", "Vogt", "Sommer", "Stein", "Jung", "Busch", "Thomas", "Pohl", "Engel", "Horn", "Sauer", "Arnold", "Thiel",
        "Heinrich", "Kühn", "Walter", "Pfeiffer", "Lang", "Ernst", "Kraus", "Dietrich", "Kuhn", "Martin", "Schulte", "Ziegler",
        "Dörr", "Nowak", "Hübner", "Marx", "Ott", "Voigt", "Witt", "Graf", "Wendt", "Hesse", "Ebert", "Schäffler", "Bär", "Förster",
    ]
    static let cities = [
        "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart", "Düsseldorf", "Leipzig", "Dresden", "Hannover", "Nürnberg", "Bremen",
        "Essen", "Dortmund", "Bielefeld", "Augsburg", "Kassel", "Rostock", "Freiburg", "Ulm", "Wien", "Graz", "Zürich", "Basel",
    ]
    static let englishStems = [
        "Smith", "Johnson", "Baker", "Carter", "Harris", "Walker", "Turner", "Cooper", "Parker", "Morgan", "Bennett", "Hughes",
        "Foster", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Rousseau", "de Vries", "van Dijk", "Jansen", "Visser",
        "Bakker", "Rossi", "Bianchi", "García", "Martínez",
    ]
    static let brands = [
        "Nordstern", "Alpina", "Rheintal", "Elbtal", "Westfalia", "Hansa", "Isartal", "Donau", "Bavaria", "Saxonia", "Atlas", "Orion",
        "Vega", "Merkur", "Phönix", "Globex", "Initech", "Acme", "Contoso", "Fabrikam", "Northwind", "Tailspin", "Wingtip", "Litware",
        "Proseware", "Adatum", "Lakeshore", "Riverside", "Summit", "Pinnacle", "Blue Harbor", "Silverline", "Greenfield", "Oakridge",
        "Redwood", "Polaris", "Kronos", "Helios", "Aurora", "Meridian", "Zenith", "Vertex", "Apex", "Nova", "Stellar", "Terra",
        "Lumen", "Südwind", "Nordlicht", "Alster", "Aventis", "Borealis", "Cascade", "Delta", "Equinox", "Falcon", "Granite", "Harbor",
        "Ironwood", "Jade", "Keystone", "Lindwurm", "Mistral", "Nexus", "Obsidian", "Paragon", "Quarz", "Rubin", "Saphir", "Tanne",
        "Uranus", "Vulkan", "Weserland", "Xenon", "Yukon", "Zeder", "Adler", "Biber", "Condor", "Dachs", "Eisvogel", "Falke", "Greif",
        "Habicht", "Ibis", "Kranich", "Luchs", "Marder", "Otter", "Pelikan", "Reiher", "Sperber", "Uhu", "Wiesel", "Bergland",
        "Talblick", "Seeblick", "Sonnenhof", "Lindenhof", "Eichenhain", "Birkenwald", "Rosengarten",
    ]
    static let germanIndustries = [
        "Maschinenbau", "Logistik", "Elektrotechnik", "Bau", "Handel", "Metallbau", "Kunststofftechnik", "Verpackung", "Lebensmittel",
        "Medizintechnik", "Automation", "Holzbau", "Druck", "Anlagenbau", "Stahlhandel", "Spedition", "Haustechnik", "Software",
        "Systeme", "Industriebedarf", "Fahrzeugteile", "Getränke", "Textil", "Chemie", "Energie", "Handelsgesellschaft",
    ]
    static let englishIndustries = [
        "Trading", "Logistics", "Manufacturing", "Engineering", "Supplies", "Industries", "Systems", "Foods", "Packaging",
        "Components", "Technologies", "Distribution", "Services", "Solutions", "Materials", "International",
    ]

    mutating func legalForm(_ country: String) -> String {
        switch country {
        case "DE", "AT":
            rng.weighted([("GmbH", 50), ("AG", 8), ("KG", 8), ("GmbH & Co. KG", 20), ("SE", 2), ("OHG", 3), ("e.K.", 4),
                          ("UG (haftungsbeschränkt)", 5)])
        case "CH": rng.weighted([("AG", 60), ("GmbH", 40)])
        case "GB": rng.weighted([("Ltd", 60), ("Limited", 25), ("PLC", 15)])
        case "US": rng.weighted([("Inc.", 50), ("LLC", 35), ("Corp.", 15)])
        case "FR": rng.weighted([("SA", 30), ("SARL", 40), ("SAS", 30)])
        case "NL": rng.weighted([("B.V.", 80), ("N.V.", 20)])
        case "IT": rng.weighted([("S.p.A.", 40), ("S.r.l.", 60)])
        default: rng.weighted([("S.L.", 60), ("S.A.", 40)])
        }
    }

    mutating func companyName(country: String, language: Customer.Language) -> String {
        let stem = language == .german ? rng.element(of: Self.stems) : rng.element(of: rng.chance(permille: 300) ? Self.stems : Self.englishStems)
        let industry = language == .german ? rng.element(of: Self.germanIndustries) : rng.element(of: Self.englishIndustries)
        let brand = rng.element(of: Self.brands)
        let form = legalForm(country)
        switch rng.below(100) {
        case 0..<38: return "\(stem) \(industry) \(form)"
        case 38..<63: return "\(brand) \(industry) \(form)"
        case 63..<71: return "\(stem) & \(language == .german ? rng.element(of: Self.stems) : rng.element(of: Self.englishStems)) \(form)"
        case 71..<75: return language == .german ? "Gebrüder \(stem) \(form)" : "\(stem) Brothers \(form)"
        case 75..<88: return "\(brand) \(form)"
        default: return "\(stem) \(form)"
        }
    }

    /// "Müller GmbH" → "Mueller GmbH" (a different company whose name the bank renders the same).
    mutating func spellingTwin(of index: Int) -> (name: String, of: Int)? {
        for candidate in [index] + (0..<8).map({ _ in rng.below(customers.count) }) {
            let name = customers[candidate].name
            let twin = transliterated(name)
            if twin != name { return (twin, candidate) }
        }
        return nil
    }

    mutating func withOtherLegalForm(_ name: String, country: String) -> String {
        let (base, form) = splitLegalForm(name)
        var other = legalForm(country)
        for _ in 0..<5 where other == form { other = legalForm(country) }
        return other == form ? base + " Holding " + form : base + " " + other
    }

    /// Same first word (stem or brand), another industry or a region: "Nordstern Logistik Süd GmbH".
    mutating func sibling(of customer: Customer) -> String {
        let (base, form) = splitLegalForm(customer.name)
        let head = base.split(separator: " ").first.map(String.init) ?? base
        switch rng.below(3) {
        case 0:
            let regions = customer.language == .german ? ["Süd", "Nord", "West", "Ost", "Holding", "Service", "Austria", "Schweiz"]
                : ["North", "South", "Holding", "Europe", "UK", "Services"]
            return "\(base) \(rng.element(of: regions)) \(form)"
        case 1:
            let industry = customer.language == .german ? rng.element(of: Self.germanIndustries) : rng.element(of: Self.englishIndustries)
            return "\(head) \(industry) \(form)"
        default:
            return "\(head) Holding \(legalForm(customer.country))"
        }
    }

    // MARK: Accounts

    mutating func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(String(rng.below(10))) }) }

    /// A valid IBAN (mod-97 check digits) of the country; a US account number otherwise.
    mutating func iban(_ country: String) -> String {
        let bban: String
        switch country {
        case "DE": bban = digits(18)
        case "AT": bban = digits(16)
        case "CH": bban = digits(17)
        case "GB": bban = rng.element(of: ["NWBK", "BARC", "LOYD", "HBUK", "MIDL"]) + digits(14)
        case "NL": bban = rng.element(of: ["ABNA", "INGB", "RABO", "TRIO"]) + digits(10)
        case "FR": bban = digits(23)
        case "IT": bban = "X" + digits(22)
        case "ES": bban = digits(20)
        default: return digits(9) + " " + digits(10)
        }
        var remainder = 0
        for character in bban + country + "00" {
            let value = character.isNumber ? Int(String(character))! : Int(character.asciiValue!) - 55
            for digit in String(value) { remainder = (remainder * 10 + Int(String(digit))!) % 97 }
        }
        let check = 98 - remainder
        let compact = country + (check < 10 ? "0" : "") + String(check) + bban
        // Banks write IBANs in groups of four now and then; the matcher must not care.
        guard rng.chance(permille: 300) else { return compact }
        return stride(from: 0, to: compact.count, by: 4).map { start in
            String(compact.dropFirst(start).prefix(4))
        }.joined(separator: " ")
    }

    // MARK: Items

    /// Standard list prices (net, cents) with 19 % VAT: the same amounts on many customers' invoices.
    static let catalogue: [Int64] = [4_900, 9_900, 14_900, 19_900, 24_900, 29_900, 49_000, 75_000, 99_000, 120_000, 149_000, 250_000,
                                     490_000, 990_000]

    mutating func catalogueGross() -> Int64 {
        let net = rng.element(of: Self.catalogue)
        return (net * 119 + 50) / 100
    }

    /// An invoice amount: catalogue price now and then, otherwise spread like B2B invoices
    /// (most between 100 and 10,000 euros, a long tail up to 250,000).
    mutating func invoiceAmount(subscription: Int64? = nil) -> Int64 {
        if let subscription { return subscription }
        if rng.chance(permille: 250) { return catalogueGross() }
        let (low, high): (Int, Int) = rng.weighted([
            ((1_000, 10_000), 10), ((10_000, 50_000), 20), ((50_000, 200_000), 30), ((200_000, 1_000_000), 25),
            ((1_000_000, 5_000_000), 12), ((5_000_000, 25_000_000), 3),
        ])
        return Int64(rng.int(in: low...high))
    }

    mutating func makeItems() {
        var cumulative: [Int] = []
        var total = 0
        for customer in customers {
            total += customer.weight
            cumulative.append(total)
        }
        // A series with gaps: most numbers between two open invoices are already paid.
        var serial = 1_000 + rng.below(2_000)
        var memoSerial = 100 + rng.below(200)
        let span = firstIssue.days(until: lastIssue)
        unpaidOf = Array(repeating: [], count: customers.count)
        var subscriptionMonth = Array(repeating: 0, count: customers.count)
        for i in 0..<p.items {
            let roll = rng.below(total)
            var low = 0, high = cumulative.count - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulative[mid] > roll { high = mid } else { low = mid + 1 }
            }
            let c = low
            let number: String
            if rng.chance(permille: 30) {
                memoSerial += 1 + rng.below(3)
                number = "DM-2026-" + padded(memoSerial, 6)
            } else {
                serial += 1 + rng.below(3)
                number = "INV-2026-" + padded(serial, 6)
            }
            let issue = firstIssue.adding(days: span * i / max(1, p.items - 1))
            // A subscription is billed once a month, the customer's first invoice of the month.
            let month = issue.components.month
            let billsSubscription = customers[c].subscription != nil && subscriptionMonth[c] != month
            if billsSubscription { subscriptionMonth[c] = month }
            let amount = invoiceAmount(subscription: billsSubscription ? customers[c].subscription : nil)
            let terms = rng.weighted([(14, 15), (30, 55), (45, 10), (60, 20)])
            var discount: Int64 = 0
            var discountDate: BusinessDate?
            switch rng.below(100) {
            case 0..<20:
                discount = (amount * 2 + 50) / 100
                discountDate = issue.adding(days: 10)
            case 20..<25:
                discount = (amount * 3 + 50) / 100
                discountDate = issue.adding(days: 14)
            default: break
            }
            items.append(MatchableItem(id: rng.uuid(), documentNumber: number, customerNumber: customers[c].number, currency: currency,
                                       openAmount: amount, dueDate: issue.adding(days: terms), discountAmount: discount,
                                       discountDate: discountDate))
            itemCustomer.append(c)
            issueDates.append(issue)
            allNumbers.insert(normalizedNumber(number))
            unpaidPosition.append(unpaid.count)
            unpaid.append(i)
            unpaidOfPosition.append(unpaidOf[c].count)
            unpaidOf[c].append(i)
        }
    }

    func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    mutating func markPaid(_ item: Int) {
        let at = unpaidPosition[item]
        let last = unpaid.removeLast()
        if last != item {
            unpaid[at] = last
            unpaidPosition[last] = at
        }
        let c = itemCustomer[item]
        let atCustomer = unpaidOfPosition[item]
        let lastOfCustomer = unpaidOf[c].removeLast()
        if lastOfCustomer != item {
            unpaidOf[c][atCustomer] = lastOfCustomer
            unpaidOfPosition[lastOfCustomer] = atCustomer
        }
    }

    /// A random unpaid item satisfying `accept` (given the generator as it is, and the item);
    /// nil when none is.
    /// With `exhaustive` false, only random tries (for preferences that may fail).
    mutating func unpaidItem(exhaustive: Bool = true, where accept: (Generator, Int) -> Bool) -> Int? {
        guard !unpaid.isEmpty else { return nil }
        for _ in 0..<200 {
            let item = unpaid[rng.below(unpaid.count)]
            if accept(self, item) { return item }
        }
        guard exhaustive else { return nil }
        let snapshot = self
        return unpaid.first { accept(snapshot, $0) }
    }

    // MARK: Receipts

    mutating func makeReceipts() -> [SyntheticReceipt] {
        let counts = p.mix.counts(total: p.receipts)
        var plan: [RemittanceCase] = []
        for kind in RemittanceCase.allCases { plan += Array(repeating: kind, count: counts[kind] ?? 0) }
        rng.shuffle(&plan)
        var receipts: [SyntheticReceipt] = []
        receipts.reserveCapacity(plan.count)
        for (i, kind) in plan.enumerated() {
            let date = firstReceipt.adding(days: receiptDays * i / max(1, plan.count))
            // A case that cannot be built any more (its items are used up) falls back to the
            // simpler ones, and finally to an unknown payer, so the count always holds.
            var made: SyntheticReceipt?
            for attempt in [kind, .cleanInvoiceNumber, .unknownPayer] where made == nil {
                made = receipt(attempt, index: i, date: date)
            }
            receipts.append(made!)
        }
        return receipts
    }

    struct Draft {
        var amount: Int64 = 0
        var name = ""
        var account = ""
        var text = ""
        var references: [String] = []
        var charges: Int64 = 0
    }

    mutating func receipt(_ kind: RemittanceCase, index: Int, date: BusinessDate) -> SyntheticReceipt? {
        var draft = Draft()
        var customer: Int?
        var allocations: [ExpectedAllocation] = []
        var differences: [ExpectedDifference] = []
        var variant = ""
        var paidItems: [Int] = []

        func allocate(_ item: Int, _ amount: Int64) {
            allocations.append(ExpectedAllocation(itemID: items[item].id, documentNumber: items[item].documentNumber, amount: amount))
            paidItems.append(item)
        }

        switch kind {
        case .cleanInvoiceNumber, .creditorReference, .invoiceNumberTypo:
            guard let item = preferringDiscount(on: date, where: { _, _ in true }) else { return nil }
            let c = itemCustomer[item]
            customer = c
            let (paid, discount) = payment(of: item, on: date)
            draft.amount = paid
            allocate(item, paid)
            if discount > 0 { differences.append(.init(.discount, discount)) }
            let number = items[item].documentNumber
            switch kind {
            case .cleanInvoiceNumber:
                let (text, template) = singleText(number, item: item)
                draft.text = text
                variant = template + (discount > 0 ? ", less discount" : "")
            case .creditorReference:
                let rf = CreditorReference.make(normalizedNumber(number)) ?? number
                if rng.chance(permille: 600) {
                    draft.references = [rf]
                    draft.text = rng.chance(permille: 500) ? "" : genericText(c)
                    variant = "RF in the structured field"
                } else {
                    let grouped = stride(from: 0, to: rf.count, by: 4).map { String(rf.dropFirst($0).prefix(4)) }.joined(separator: " ")
                    draft.text = rng.element(of: ["", "Ref ", "Referenz: ", "Payment ref "]) + grouped
                    variant = "RF in the text, grouped by four"
                }
            default:
                let (typo, how) = typoNumber(number)
                let named = normalizedNumber(typo)
                let exists = named != normalizedNumber(number) && allNumbers.contains(named)
                (draft.text, _) = singleText(typo, item: item)
                variant = how + (exists ? " → another existing invoice" : "")
            }
            (draft.name, draft.account) = payerFields(c, allowThirdParty: kind == .cleanInvoiceNumber, variant: &variant)

        case .payerAccountExactAmount, .payerNameAndAmount:
            let needsAccount = kind == .payerAccountExactAmount
            guard var item = preferringDiscount(on: date, where: { g, i in !needsAccount || !g.customers[g.itemCustomer[i]].accounts.isEmpty })
            else { return nil }
            let c = itemCustomer[item]
            // Without a reference, a payer paying a recurring amount pays the oldest one as a rule.
            let sameAmount = unpaidOf[c].filter { items[$0].openAmount == items[item].openAmount }
            if sameAmount.count > 1, rng.chance(permille: 800) {
                item = sameAmount.min { (items[$0].dueDate!, items[$0].documentNumber) < (items[$1].dueDate!, items[$1].documentNumber) }!
            }
            customer = c
            let (paid, discount) = payment(of: item, on: date)
            draft.amount = paid
            allocate(item, paid)
            if discount > 0 { differences.append(.init(.discount, discount)) }
            let twins = unpaidOf[c].filter { $0 != item && items[$0].openAmount == items[item].openAmount }.count
            draft.text = rng.chance(permille: 500) ? "" : genericText(c)
            if needsAccount {
                draft.account = rng.element(of: customers[c].accounts)
                draft.name = render(customers[c].name, style: defaultStyle())
                variant = discount > 0 ? "exact less discount" : "exact"
            } else {
                let style: NameStyle = rng.weighted([
                    (.upper, 20), (.upperTransliterated, 25), (.upperStripped, 10), (.legalFormVariant, 15), (.legalFormDropped, 10),
                    (.abbreviated, 15), (.truncated, 5),
                ])
                draft.name = render(customers[c].name, style: style)
                draft.account = rng.chance(permille: 400) ? customers[c].unregisteredAccount : ""
                variant = "name: " + style.rawValue + (discount > 0 ? ", less discount" : "")
            }
            if twins > 0 { variant += " (customer has another open item of this amount)" }

        case .severalInvoicesInText:
            let wanted = rng.weighted([(2, 45), (3, 30), (4, 15), (5, 10)])
            guard let first = unpaidItem(where: { g, i in g.unpaidOf[g.itemCustomer[i]].count >= 2 }) else { return nil }
            let c = itemCustomer[first]
            customer = c
            var chosen = [first]
            var others = unpaidOf[c].filter { $0 != first }
            rng.shuffle(&others)
            chosen += others.prefix(wanted - 1)
            chosen.sort { items[$0].documentNumber < items[$1].documentNumber }
            var tookDiscount = false
            for item in chosen {
                let (paid, discount) = payment(of: item, on: date)
                draft.amount += paid
                allocate(item, paid)
                if discount > 0 {
                    differences.append(.init(.discount, discount))
                    tookDiscount = true
                }
            }
            let (text, template) = listText(chosen, customer: c)
            draft.text = text
            variant = "\(chosen.count) invoices, " + template + (tookDiscount ? ", with discounts" : "")
            (draft.name, draft.account) = payerFields(c, allowThirdParty: false, variant: &variant)

        case .combinationWithoutReference:
            guard let first = unpaidItem(where: { g, i in
                !g.customers[g.itemCustomer[i]].accounts.isEmpty && g.unpaidOf[g.itemCustomer[i]].count >= 3
            }) else { return nil }
            let c = itemCustomer[first]
            customer = c
            var others = unpaidOf[c].filter { $0 != first }
            rng.shuffle(&others)
            let chosen = [first] + others.prefix(rng.chance(permille: 700) ? 1 : 2)
            for item in chosen {
                draft.amount += items[item].openAmount
                allocate(item, items[item].openAmount)
            }
            draft.account = rng.element(of: customers[c].accounts)
            draft.name = render(customers[c].name, style: defaultStyle())
            draft.text = rng.chance(permille: 500) ? "" : genericText(c)
            let oldest = unpaidOf[c].sorted { (items[$0].dueDate!, items[$0].documentNumber) < (items[$1].dueDate!, items[$1].documentNumber) }
                .prefix(p.policy.maxSubsetItems)
            let within = chosen.allSatisfy { oldest.contains($0) }
            variant = "\(chosen.count) items" + (within ? "" : ", not all among the \(p.policy.maxSubsetItems) oldest")

        case .shortWithinTolerance, .shortBeyondTolerance, .overpayment:
            let tolerance = p.policy.chargesTolerance
            let minimum = 20 * max(tolerance, 100)
            var unearned = kind == .shortBeyondTolerance && rng.chance(permille: 300)
            var pick: Int?
            if unearned {
                // A discount taken after the discount date (and its grace days), bigger than the tolerance.
                pick = unpaidItem(where: { g, i in
                    let it = g.items[i]
                    return it.openAmount > minimum && it.discountAmount > tolerance
                        && it.discountDate.map { date > $0.adding(days: g.p.policy.acceptLateDiscountDays) } == true
                })
                unearned = pick != nil
            }
            if pick == nil { pick = unpaidItem(where: { g, i in g.items[i].openAmount > minimum && !g.discountEligible(i, on: date) }) }
            guard let item = pick else { return nil }
            let c = itemCustomer[item]
            customer = c
            let open = items[item].openAmount
            var suffix = ""
            switch kind {
            case .shortWithinTolerance:
                let short = Int64(rng.int(in: 100...Int(max(100, tolerance))))
                draft.amount = open - short
                allocate(item, open - short)
                differences.append(.init(.bankCharges, short))
                if rng.chance(permille: 500) { draft.charges = short; variant = "charges reported by the bank" } else { variant = "charges not reported" }
            case .shortBeyondTolerance:
                let short: Int64
                if unearned {
                    short = items[item].discountAmount
                    variant = "unearned discount (paid after the discount date)"
                } else {
                    let percent = Int64(rng.int(in: 3...25))
                    short = max(tolerance + 1 + Int64(rng.below(5_000)), open * percent / 100)
                    if rng.chance(permille: 550) {
                        let german = customers[c].language == .german
                        suffix = german ? rng.element(of: [" abzgl. Mängelrüge ", " abzgl. Gutschrift ", " Preisdifferenz "]) + decimal(short, german: true)
                            : rng.element(of: [" less damaged goods ", " less price difference ", " short shipment "]) + decimal(short, german: false)
                        variant = "deduction with reason in the text"
                    } else {
                        variant = "deduction without explanation"
                    }
                }
                draft.amount = open - short
                allocate(item, open - short)
                differences.append(.init(.deduction, short))
            default:
                let extra: Int64
                switch rng.below(3) {
                case 0:
                    let unit: Int64 = open > 100_000 ? 10_000 : 1_000
                    extra = unit - open % unit
                    variant = "rounded up"
                case 1:
                    extra = rng.element(of: [500, 1_000, 1_500, 4_000])
                    variant = "dunning fee added"
                default:
                    extra = open * Int64(rng.int(in: 10...60)) / 100
                    variant = "much more than the invoice"
                }
                draft.amount = open + extra
                allocate(item, open)
                differences.append(.init(.onAccount, extra))
            }
            (draft.text, _) = singleText(items[item].documentNumber, item: item)
            draft.text = String((draft.text + suffix).prefix(140))
            (draft.name, draft.account) = payerFields(c, allowThirdParty: false, variant: &variant)

        case .unknownPayer:
            let german = rng.chance(permille: 700)
            let kindOfPayer = rng.weighted([("person", 35), ("company", 45), ("company named like a customer", 20)])
            switch kindOfPayer {
            case "person":
                let first = german ? ["Max", "Erika", "Jan", "Anna", "Peter", "Sabine", "Thomas", "Julia"] : ["John", "Mary", "David", "Emma"]
                draft.name = rng.element(of: first) + " " + rng.element(of: german ? Self.stems : Self.englishStems)
            case "company":
                // Not named like any customer (that is the next variant).
                for _ in 0..<20 {
                    draft.name = companyName(country: german ? "DE" : "GB", language: german ? .german : .english)
                    if !customerKeys.contains(nameKey(draft.name)) { break }
                }
                if customerKeys.contains(nameKey(draft.name)) { draft.name = "Neue " + draft.name }
            default:
                let like = customers[rng.below(customers.count)]
                draft.name = rng.chance(permille: 500) ? withOtherLegalForm(like.name, country: like.country) : sibling(of: like)
                if customers.contains(where: { $0.name == draft.name }) { draft.name += " Beteiligungs GmbH" }
            }
            draft.name = render(draft.name, style: defaultStyle())
            draft.account = iban(german ? "DE" : "GB")
            draft.text = rng.element(of: ["", "Rechnung 2026-\(rng.int(in: 1_000...9_999))", "Miete 11/2026", "Erstattung", "Invoice \(rng.int(in: 10_000...99_999))",
                                          "Spende", "Kaution", "Beitrag 2026"])
            draft.amount = rng.chance(permille: 400) ? catalogueGross() : invoiceAmount()
            variant = kindOfPayer
        }
        for item in paidItems { markPaid(item) }
        let receipt = BankReceipt(
            reference: "NTRY-" + padded(index + 1, 6), amount: draft.amount, currency: currency, bookingDate: date, valueDate: date,
            payerName: draft.name, payerAccount: draft.account,
            endToEndID: rng.chance(permille: 600) ? "NOTPROVIDED" : "E2E" + digits(12), structuredReferences: draft.references,
            remittanceText: String(draft.text.prefix(140)), bankReference: "BR" + digits(10), charges: draft.charges)
        let truth = ReceiptTruth(kind: kind, variant: variant, customerNumber: customer.map { customers[$0].number }, allocations: allocations,
                                 differences: differences)
        return SyntheticReceipt(receipt: receipt, truth: truth)
    }

    /// Most payments are for any open item; some payers (2/10 net 30) pay within the discount
    /// period, so 15 % of the picks prefer an item whose discount may still be taken.
    mutating func preferringDiscount(on date: BusinessDate, where accept: (Generator, Int) -> Bool) -> Int? {
        if rng.chance(permille: 150), let item = unpaidItem(exhaustive: false, where: { g, i in g.discountEligible(i, on: date) && accept(g, i) }) {
            return item
        }
        return unpaidItem(where: accept)
    }

    // MARK: Amounts

    func discountEligible(_ item: Int, on date: BusinessDate) -> Bool {
        guard items[item].discountAmount > 0, let last = items[item].discountDate else { return false }
        return date <= last.adding(days: p.policy.acceptLateDiscountDays)
    }

    /// What a payer pays for an item on `date`: less the discount when it may take it (most
    /// payers do in time, fewer in the grace days).
    mutating func payment(of item: Int, on date: BusinessDate) -> (paid: Int64, discount: Int64) {
        let it = items[item]
        guard discountEligible(item, on: date), let last = it.discountDate else { return (it.openAmount, 0) }
        let takes = date <= last ? rng.chance(permille: 850) : rng.chance(permille: 400)
        return takes ? (it.openAmount - it.discountAmount, it.discountAmount) : (it.openAmount, 0)
    }

    func decimal(_ cents: Int64, german: Bool) -> String {
        let whole = cents / 100, fraction = cents % 100
        var grouped = ""
        for (i, character) in String(whole).reversed().enumerated() {
            if i > 0, i % 3 == 0 { grouped.append(german ? "." : ",") }
            grouped.append(character)
        }
        return String(grouped.reversed()) + (german ? "," : ".") + (fraction < 10 ? "0" : "") + String(fraction)
    }

    func dateText(_ date: BusinessDate, german: Bool) -> String {
        let (y, m, d) = date.components
        return german ? "\(d < 10 ? "0" : "")\(d).\(m < 10 ? "0" : "")\(m).\(y)" : date.description
    }

    // MARK: Texts

    mutating func genericText(_ c: Int) -> String {
        let customerDigits = String(customers[c].number.dropFirst(2))
        return customers[c].language == .german
            ? rng.element(of: ["Zahlung", "Ueberweisung", "Sammelzahlung", "Lieferung Oktober", "Kd-Nr. \(customerDigits)", "Abschlag",
                               "Monatsrechnung", "Zahlung Kunde \(customerDigits)"])
            : rng.element(of: ["Payment", "Payment for services", "Supplier payment", "Customer \(customerDigits)", "Monthly invoice",
                               "Transfer"])
    }

    /// The number in a sentence as payers write it; the template's name for the variant.
    mutating func singleText(_ number: String, item: Int) -> (String, String) {
        let c = itemCustomer[item]
        let german = customers[c].language == .german
        let customerDigits = String(customers[c].number.dropFirst(2))
        let template = rng.weighted([
            ("bare", 20), ("invoice word", 18), ("with customer number", 10), ("amount right after", 8), ("with invoice date", 10),
            ("with order number", 10), ("slashes", 4), ("sentence", 10), ("lower case", 5), ("compact", 5),
        ])
        let text: String = switch template {
        case "bare": number
        case "invoice word": (german ? rng.element(of: ["Rechnung ", "RE ", "Rg. ", "Rechnungsnr. "]) : rng.element(of: ["Invoice ", "INV ", "Inv. no. "])) + number
        case "with customer number": german ? "RE \(number) KD-NR \(customerDigits)" : "INVOICE \(number) CUSTOMER \(customerDigits)"
        case "amount right after": "\(number) \(german ? "" : "EUR ")\(decimal(items[item].openAmount, german: german))"
        case "with invoice date": german ? "Zahlung \(number) vom \(dateText(issueDates[item], german: true))"
            : "Payment \(number) dated \(dateText(issueDates[item], german: false))"
        case "with order number": "\(number) \(german ? "Bestellung" : "PO") 4500\(digits(6))"
        case "slashes": "/INV/\(number)/\(dateText(issueDates[item], german: false))"
        case "sentence": german ? "Kunde \(customerDigits) Rechnung \(number) Danke" : "Customer \(customerDigits) invoice \(number) thank you"
        case "lower case": number.lowercased()
        default: number.filter { $0 != "-" }
        }
        return (text, template)
    }

    /// Several numbers as payers list them; the bank cuts the text at 140 characters.
    mutating func listText(_ chosen: [Int], customer c: Int) -> (String, String) {
        let german = customers[c].language == .german
        let numbers = chosen.map { items[$0].documentNumber }
        let template = rng.weighted([("full list", 35), ("full list, spaces", 20), ("full list, slashes", 10), ("long form", 15),
                                     ("abbreviated list", 12), ("serials only", 8)])
        let text: String
        switch template {
        case "full list": text = (german ? "Rechnungen " : "Invoices ") + numbers.joined(separator: ", ")
        case "full list, spaces": text = numbers.joined(separator: " ")
        case "full list, slashes": text = "RE " + numbers.joined(separator: " / ")
        case "long form":
            text = chosen.map { (german ? "Rechnung " : "Invoice ") + items[$0].documentNumber + (german ? " vom " : " of ")
                + dateText(issueDates[$0], german: german) }.joined(separator: ", ")
        case "abbreviated list":
            // "INV-2026-004711/4712/4718": the first in full, the others by their last digits.
            text = numbers[0] + numbers.dropFirst().map { "/" + String(Int($0.suffix(6)) ?? 0) }.joined()
        default:
            text = (german ? "RG " : "INV ") + numbers.map { String($0.suffix(6)) }.joined(separator: " ")
        }
        let cut = text.count > 140
        return (String(text.prefix(140)), template + (cut ? " (cut at 140 characters)" : ""))
    }

    /// The number as a payer mistyped it, and how.
    mutating func typoNumber(_ number: String) -> (String, String) {
        guard let dash = number.lastIndex(of: "-") else { return (number, "unchanged") }
        let prefix = String(number[...dash])
        var serial = Array(number[number.index(after: dash)...])
        let how = rng.weighted([("missing digit", 15), ("leading zeros dropped", 15), ("swapped digits", 15), ("wrong digit", 20),
                                ("spaces and separators", 25), ("letter O for zero", 10)])
        switch how {
        case "missing digit":
            serial.remove(at: rng.below(serial.count))
            return (prefix + String(serial), how)
        case "leading zeros dropped":
            let trimmed = String(serial).drop { $0 == "0" }
            return trimmed.count < serial.count ? (prefix + trimmed, how) : (prefix + String(serial.dropLast()), "missing digit")
        case "swapped digits":
            let pairs = (0..<(serial.count - 1)).filter { serial[$0] != serial[$0 + 1] }
            if !pairs.isEmpty {
                let at = rng.element(of: pairs)
                serial.swapAt(at, at + 1)
                return (prefix + String(serial), how)
            }
            fallthrough
        case "wrong digit":
            let position = rng.weighted([(serial.count - 1, 4), (serial.count - 2, 3), (serial.count - 3, 2), (rng.below(serial.count), 1)])
            let digit = Int(String(serial[position])) ?? 0
            // Neighbouring keys most of the time.
            var replacement = rng.chance(permille: 600) ? (digit + (rng.chance(permille: 500) ? 1 : 9)) % 10 : rng.below(10)
            if replacement == digit { replacement = (digit + 1) % 10 }
            serial[position] = Character(String(replacement))
            return (prefix + String(serial), "wrong digit")
        case "spaces and separators":
            let year = number.split(separator: "-").dropFirst().first.map(String.init) ?? "2026"
            let head = String(number.prefix { $0.isLetter })
            let tail = String(serial)
            let form = rng.element(of: ["\(head) \(year) \(tail)", "\(head)-\(year)- \(tail)", "\(head).\(year).\(tail)",
                                        "\(head) - \(year) - \(tail.prefix(4)) \(tail.dropFirst(4))", "\(head.lowercased())\(year)/\(tail)"])
            return (form, how)
        default:
            guard serial.contains("0") else {
                serial.remove(at: rng.below(serial.count))
                return (prefix + String(serial), "missing digit")
            }
            return (prefix + String(serial.map { $0 == "0" ? "O" : $0 }), how)
        }
    }

    // MARK: Payers

    /// The name and account a receipt from customer `c` shows: mostly its own account on file
    /// (when it has one), now and then one not on file or none; the name as the bank renders it.
    /// With `allowThirdParty`, now and then a group company pays from its account.
    mutating func payerFields(_ c: Int, allowThirdParty: Bool, variant: inout String) -> (String, String) {
        let customer = customers[c]
        if allowThirdParty, let related = customer.related, !customers[related].accounts.isEmpty, rng.chance(permille: 150) {
            variant += ", paid by a group company"
            return (render(customers[related].name, style: defaultStyle()), rng.element(of: customers[related].accounts))
        }
        let name = render(customer.name, style: defaultStyle())
        if !customer.accounts.isEmpty {
            switch rng.below(100) {
            case 0..<75: return (name, rng.element(of: customer.accounts))
            case 75..<95: return (name, customer.unregisteredAccount)
            default: return (name, "")
            }
        }
        return (name, rng.chance(permille: 900) ? customer.unregisteredAccount : "")
    }

    enum NameStyle: String {
        case asWritten = "as written"
        case upper = "upper case"
        case upperTransliterated = "umlauts transliterated"
        case upperStripped = "umlauts stripped"
        case legalFormVariant = "legal form written differently"
        case legalFormDropped = "legal form dropped"
        case abbreviated = "abbreviated"
        case truncated = "cut at 27 characters"
    }

    mutating func defaultStyle() -> NameStyle {
        rng.weighted([(.asWritten, 25), (.upper, 25), (.upperTransliterated, 35), (.legalFormVariant, 5), (.abbreviated, 5), (.truncated, 5)])
    }

    /// The name as a bank shows it (SEPA's Latin character set: banks upper-case, transliterate
    /// or strip umlauts, MT940 cuts names at 27 characters).
    mutating func render(_ name: String, style: NameStyle) -> String {
        switch style {
        case .asWritten: return name
        case .upper: return name.uppercased()
        case .upperTransliterated: return transliterated(name).uppercased()
        case .upperStripped: return stripped(name).uppercased()
        case .legalFormVariant:
            let (base, form) = splitLegalForm(name)
            let variants: [String: [String]] = [
                "GmbH & Co. KG": ["GmbH + Co. KG", "GmbH u. Co. KG", "GmbH&Co.KG"], "GmbH": ["Gesellschaft mbH", "G.m.b.H."],
                "AG": ["Aktiengesellschaft"], "KG": ["Kommanditgesellschaft"], "Ltd": ["Limited", "Ltd."], "Limited": ["Ltd"],
                "Inc.": ["Incorporated", "Inc"], "Corp.": ["Corporation"], "LLC": ["L.L.C."], "B.V.": ["BV"], "N.V.": ["NV"],
                "S.p.A.": ["SPA"], "S.r.l.": ["SRL"], "SARL": ["S.A.R.L."], "e.K.": ["e. Kfm."], "UG (haftungsbeschränkt)": ["UG"],
                "SE": ["Societas Europaea"], "OHG": ["oHG"], "PLC": ["Public Limited Company"], "SA": ["S.A."], "SAS": ["S.A.S."],
                "S.L.": ["SL"], "S.A.": ["SA"],
            ]
            let other = variants[form].map { rng.element(of: $0) } ?? form
            return transliterated(other.isEmpty ? base : base + " " + other).uppercased()
        case .legalFormDropped:
            return transliterated(splitLegalForm(name).base).uppercased()
        case .abbreviated:
            let short: [String: String] = [
                "Maschinenbau": "Maschb.", "Logistik": "Log.", "Elektrotechnik": "Elektrot.", "Handelsgesellschaft": "Handelsges.",
                "Kunststofftechnik": "Kunstst.techn.", "Medizintechnik": "Med.-Technik", "Industriebedarf": "Ind.bedarf",
                "Anlagenbau": "Anl.bau", "Spedition": "Sped.", "Fahrzeugteile": "Fzg.teile", "Gebrüder": "Gebr.", "International": "Intl.",
                "Technologies": "Tech.", "Manufacturing": "Mfg.", "Industries": "Ind.", "Distribution": "Distr.", "Engineering": "Eng.",
                "Services": "Svcs.", "Brothers": "Bros.", "Solutions": "Sol.", "Components": "Comp.", "Packaging": "Pkg.",
                "Verpackung": "Verp.", "Haustechnik": "Haustechn.", "Holding": "Hldg.", "Systeme": "Syst.",
            ]
            var words = name.split(separator: " ").map(String.init)
            var changed = false
            for (i, word) in words.enumerated() {
                if let abbreviation = short[word] {
                    words[i] = abbreviation
                    changed = true
                }
            }
            if !changed, let and = words.firstIndex(of: "&") { words[and] = "u."; changed = true }
            return changed ? transliterated(words.joined(separator: " ")).uppercased() : render(name, style: .legalFormVariant)
        case .truncated:
            return String(transliterated(name).uppercased().prefix(27))
        }
    }
}

private let legalForms = ["UG (haftungsbeschränkt)", "GmbH & Co. KG", "GmbH", "AG", "KG", "SE", "OHG", "e.K.", "Ltd", "Limited", "PLC",
                          "Inc.", "LLC", "Corp.", "SA", "SARL", "SAS", "B.V.", "N.V.", "S.p.A.", "S.r.l.", "S.L.", "S.A."]

/// What makes two names the same to a bank: no legal form, upper case, umlauts transliterated,
/// letters and digits only.
private func nameKey(_ name: String) -> String {
    transliterated(splitLegalForm(name).base).uppercased().filter { $0.isLetter || $0.isNumber }
}

/// "Nordstern Logistik GmbH & Co. KG" → ("Nordstern Logistik", "GmbH & Co. KG").
private func splitLegalForm(_ name: String) -> (base: String, form: String) {
    for form in legalForms where name.hasSuffix(" " + form) {
        return (String(name.dropLast(form.count + 1)), form)
    }
    return (name, "")
}

private func transliterated(_ text: String) -> String {
    let map: [Character: String] = ["ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "é": "e", "è": "e",
                                    "ê": "e", "à": "a", "á": "a", "í": "i", "ó": "o", "ú": "u", "ç": "c", "ñ": "n"]
    return text.map { map[$0] ?? String($0) }.joined()
}

private func stripped(_ text: String) -> String {
    let map: [Character: String] = ["ä": "a", "ö": "o", "ü": "u", "Ä": "A", "Ö": "O", "Ü": "U", "ß": "ss"]
    return transliterated(text.map { map[$0] ?? String($0) }.joined())
}
