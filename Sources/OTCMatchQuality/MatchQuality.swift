public import OTCCashApp
public import OTCCore
import Foundation

/// What became of one receipt when the matcher ran over a scenario.
public enum Verdict: String, Sendable, Codable, CaseIterable {
    /// Applied without a person, to the right customer, the right items with the right amounts,
    /// and the right differences (discount, charges, deduction, on account: kind and amount).
    case correct
    /// Applied without a person to another customer (any customer, for an unknown payer).
    case wrongCustomer = "wrong_customer"
    /// Applied without a person to the right customer but not to the right set of items.
    case wrongItems = "wrong_items"
    /// Applied without a person to the right customer and items, with other amounts or differences
    /// (a discount taken as bank charges, an item left partly open).
    case wrongAmounts = "wrong_amounts"
    /// Not applied: left for a person (the exception queue), with or without a suggestion.
    case exception
}

public struct ReceiptOutcome: Sendable, Equatable {
    /// Position of the receipt in the scenario.
    public var index: Int
    /// The engine's best proposal (nil: it had none).
    public var best: MatchProposal?
    public var automatic: Bool
    public var verdict: Verdict
    /// The best proposal is exactly the truth, automatic or not (for exceptions: a person would
    /// only have to confirm it).
    public var bestIsRight: Bool
}

/// Counts (or amounts, in minor units) of receipts by what became of them.
public struct Tally: Sendable, Equatable, Codable {
    public var receipts: Int64 = 0
    /// Receipts whose payer is a customer (all but the unknown payers).
    public var knownCustomer: Int64 = 0
    /// Receipts whose truth allocates to at least one item.
    public var withAllocation: Int64 = 0
    public var autoApplied: Int64 = 0
    /// Automatic with the right customer.
    public var headerHits: Int64 = 0
    public var correct: Int64 = 0
    public var wrongCustomer: Int64 = 0
    public var wrongItems: Int64 = 0
    public var wrongAmounts: Int64 = 0
    public var exceptions: Int64 = 0
    /// Exceptions whose best proposal was right (below the auto-apply threshold).
    public var rightBelowThreshold: Int64 = 0

    public init() {}

    /// Header-level hit rate = automatic proposals with the right customer ÷ receipts with a
    /// known customer.
    public var headerHitRate: Double { ratio(headerHits, knownCustomer) }
    /// Item-level straight-through rate = receipts applied automatically with exactly the right
    /// allocations (items and amounts) and differences ÷ receipts that have a true allocation.
    public var itemLevelRate: Double { ratio(correct, withAllocation) }
    /// False match rate = automatic applications to a wrong customer or wrong items ÷ automatic
    /// applications.
    public var falseMatches: Int64 { wrongCustomer + wrongItems }
    public var falseMatchRate: Double { ratio(falseMatches, autoApplied) }
    /// Imprecise rate = automatic applications with the right customer and items but other
    /// amounts or differences ÷ automatic applications (not counted as false matches).
    public var impreciseRate: Double { ratio(wrongAmounts, autoApplied) }
    /// Exception rate = receipts not applied automatically ÷ receipts.
    public var exceptionRate: Double { ratio(exceptions, receipts) }
    /// Automatic rate = receipts applied automatically ÷ receipts.
    public var autoRate: Double { ratio(autoApplied, receipts) }

    private func ratio(_ a: Int64, _ b: Int64) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

    mutating func add(_ truth: ReceiptTruth, _ outcome: ReceiptOutcome, weight: Int64) {
        receipts += weight
        if truth.customerNumber != nil { knownCustomer += weight }
        if !truth.allocations.isEmpty { withAllocation += weight }
        if outcome.automatic {
            autoApplied += weight
            if truth.customerNumber != nil, outcome.best?.customerNumber == truth.customerNumber { headerHits += weight }
        }
        switch outcome.verdict {
        case .correct: correct += weight
        case .wrongCustomer: wrongCustomer += weight
        case .wrongItems: wrongItems += weight
        case .wrongAmounts: wrongAmounts += weight
        case .exception:
            exceptions += weight
            if outcome.bestIsRight { rightBelowThreshold += weight }
        }
    }
}

/// Counts and amount-weighted figures of one group of receipts (all, a case, a variant).
public struct QualityFigures: Sendable, Equatable, Codable {
    public var count = Tally()
    /// The same tallies weighted by the receipts' amounts (minor units): e.g. the amount-weighted
    /// item-level rate is the amount of the correctly applied receipts ÷ the amount of the
    /// receipts that have a true allocation.
    public var amount = Tally()

    mutating func add(_ truth: ReceiptTruth, _ outcome: ReceiptOutcome, amount receiptAmount: Int64) {
        count.add(truth, outcome, weight: 1)
        amount.add(truth, outcome, weight: receiptAmount)
    }
}

public struct MatchQualityReport: Sendable {
    public struct Group: Sendable {
        public var kind: RemittanceCase
        /// nil for the whole case.
        public var variant: String?
        public var figures: QualityFigures
    }

    public var rules: MatchingRules
    public var overall = QualityFigures()
    /// One group per case present, in case order.
    public var byCase: [Group] = []
    /// One group per case and variant present.
    public var byVariant: [Group] = []
    /// Per receipt, in scenario order.
    public var outcomes: [ReceiptOutcome] = []

    public func figures(_ kind: RemittanceCase) -> QualityFigures? { byCase.first { $0.kind == kind }?.figures }
}

/// Runs the matching engine over a scenario as the server's cash-application run does
/// (`CashApplication.run`), one run per value day (a day's statement): a `MatchingIndex` of the
/// payers (with every account on file or learnt so far) and the items as the ledger has them,
/// the day's receipts in order, the best proposal applied when it is automatic
/// (`isAutomatic(rules)`), and after each automatic application the allocated amounts settled in
/// the index (later receipts of the run see what is left) and the payer's account learnt for
/// the customer. What an application posts (allocations, and a discount or charges on its last
/// item, as `CashApplication.apply` does) is in the ledger for the next day's run. Optionally an
/// analyst works the day's exceptions before the next run, applying them as the truth says
/// (a perfect analyst: the queue is empty every morning). The scenarios carry no remittance
/// advices.
///
/// Definitions (per receipt, from its truth; all rates per group and also weighted by amount):
/// - correct: applied automatically, right customer, the same allocations (item and amount) and
///   the same differences (kind and amount; a deduction's reason is not compared);
/// - header-level hit rate = automatic with the right customer ÷ receipts with a known customer;
/// - item-level straight-through rate = correct ÷ receipts with a true allocation;
/// - false match rate = automatic to a wrong customer or wrong items ÷ automatic;
/// - imprecise rate = automatic, right customer and items, other amounts or differences ÷ automatic;
/// - exception rate = not automatic ÷ receipts.
public enum MatchQuality {
    public struct Options: Sendable, Equatable {
        /// One run per value day with the index rebuilt from the ledger (true), or one run over
        /// all receipts with a single index (false).
        public var runPerDay: Bool
        /// At the end of each day the day's exceptions are applied as the truth says.
        public var analystWorksExceptions: Bool

        public init(runPerDay: Bool = true, analystWorksExceptions: Bool = true) {
            self.runPerDay = runPerDay
            self.analystWorksExceptions = analystWorksExceptions
        }
    }

    public static func run(_ scenario: Scenario, rules: MatchingRules = MatchingRules(), options: Options = Options()) -> MatchQualityReport {
        var report = MatchQualityReport(rules: rules)
        var ledger = Ledger(scenario)
        var byCase: [RemittanceCase: QualityFigures] = [:]
        var byVariant: [String: (RemittanceCase, String, QualityFigures)] = [:]
        report.outcomes.reserveCapacity(scenario.receipts.count)
        var start = 0
        while start < scenario.receipts.count {
            // The receipts of one run: a value day, or all of them.
            var end = start + 1
            let day = scenario.receipts[start].receipt.valueDate
            while end < scenario.receipts.count, !options.runPerDay || scenario.receipts[end].receipt.valueDate == day { end += 1 }
            var session = MatchingSession(index: MatchingIndex(payers: ledger.payers(), items: ledger.items()), rules: rules)
            var exceptions: [Int] = []
            for position in start..<end {
                let receipt = scenario.receipts[position].receipt, truth = scenario.receipts[position].truth
                let proposals = session.propose(receipt)
                let best = proposals.first
                let automatic = best?.isAutomatic(rules) ?? false
                if automatic, let best {
                    // As the server's run does (settled amounts, accounts learned from sure matches).
                    session.applied(best, to: receipt)
                    if let customer = best.customerNumber { ledger.post(best, account: receipt.payerAccount, customer: customer) }
                } else {
                    exceptions.append(position)
                }
                let verdict = automatic ? judge(best!, truth) : .exception
                let outcome = ReceiptOutcome(index: position, best: best, automatic: automatic, verdict: verdict,
                                             bestIsRight: best.map { judge($0, truth) == .correct } ?? false)
                report.overall.add(truth, outcome, amount: receipt.amount)
                byCase[truth.kind, default: QualityFigures()].add(truth, outcome, amount: receipt.amount)
                let key = truth.kind.rawValue + "\u{1F}" + truth.variant
                var group = byVariant[key] ?? (truth.kind, truth.variant, QualityFigures())
                group.2.add(truth, outcome, amount: receipt.amount)
                byVariant[key] = group
                report.outcomes.append(outcome)
            }
            if options.analystWorksExceptions {
                for position in exceptions { ledger.postByHand(scenario.receipts[position]) }
            }
            start = end
        }
        report.byCase = RemittanceCase.allCases.compactMap { kind in byCase[kind].map { .init(kind: kind, variant: nil, figures: $0) } }
        let order = Dictionary(uniqueKeysWithValues: RemittanceCase.allCases.enumerated().map { ($0.element, $0.offset) })
        report.byVariant = byVariant.values.sorted { (order[$0.0]!, $0.1) < (order[$1.0]!, $1.1) }
            .map { .init(kind: $0.0, variant: $0.1, figures: $0.2) }
        return report
    }

    /// The tenant's default rules with another auto-apply threshold.
    public static func run(_ scenario: Scenario, autoApplyConfidence: Int, options: Options = Options()) -> MatchQualityReport {
        var rules = MatchingRules()
        rules.autoApplyConfidence = autoApplyConfidence
        return run(scenario, rules: rules, options: options)
    }

    /// The verdict on an automatic proposal against the truth.
    public static func judge(_ proposal: MatchProposal, _ truth: ReceiptTruth) -> Verdict {
        guard let customer = truth.customerNumber, proposal.customerNumber == customer else { return .wrongCustomer }
        guard Set(proposal.allocations.map(\.itemID)) == Set(truth.allocations.map(\.itemID)) else { return .wrongItems }
        let proposed = proposal.allocations.map { "\($0.itemID.uuidString) \($0.amount)" }.sorted()
        let expected = truth.allocations.map { "\($0.itemID.uuidString) \($0.amount)" }.sorted()
        let proposedDifferences = proposal.differences.map(ExpectedDifference.init).map { "\($0.kind.rawValue) \($0.amount)" }.sorted()
        let expectedDifferences = truth.differences.map { "\($0.kind.rawValue) \($0.amount)" }.sorted()
        return proposed == expected && proposedDifferences == expectedDifferences ? .correct : .wrongAmounts
    }

    /// A receipt, its truth and what the engine proposed, for a person reading a failure.
    public static func describe(_ outcome: ReceiptOutcome, in scenario: Scenario) -> String {
        let synthetic = scenario.receipts[outcome.index]
        let receipt = synthetic.receipt, truth = synthetic.truth
        func money(_ units: Int64) -> String { Money(units: units, currency: receipt.currency).description }
        func differences(_ list: [ExpectedDifference]) -> String {
            list.isEmpty ? "" : " + " + list.map { "\($0.kind.rawValue) \(money($0.amount))" }.joined(separator: " + ")
        }
        let owners = Dictionary(scenario.items.map { ($0.id, $0.customerNumber) }, uniquingKeysWith: { a, _ in a })
        let compact = { (account: String) in String(account.uppercased().filter { $0.isLetter || $0.isNumber }) }
        let accountOwner = scenario.payers.first { $0.accounts.map(compact).contains(compact(receipt.payerAccount)) }?.customerNumber
        var lines = [
            "\(receipt.reference) \(truth.kind.rawValue) [\(truth.variant)]: \(money(receipt.amount)) from \"\(receipt.payerName)\""
                + (receipt.payerAccount.isEmpty ? "" : " \(receipt.payerAccount) (\(accountOwner.map { "on file for \($0)" } ?? "not on file"))")
                + " text \"\(receipt.remittanceText)\"" + (receipt.structuredReferences.isEmpty ? "" : " refs \(receipt.structuredReferences)"),
            "  truth:    \(truth.customerNumber ?? "not a customer") "
                + truth.allocations.map { "\($0.documentNumber) \(money($0.amount))" }.joined(separator: ", ") + differences(truth.differences),
        ]
        if let best = outcome.best {
            lines.append("  proposed: \(best.customerNumber ?? "-") " + best.allocations.map {
                "\($0.documentNumber)\(owners[$0.itemID].map { $0 == best.customerNumber ? "" : " (of \($0))" } ?? "") \(money($0.amount))"
            }.joined(separator: ", ") + differences(best.differences.map(ExpectedDifference.init))
                + " — \(best.rule) \(best.confidence) %\(outcome.automatic ? " AUTOMATIC" : "") → \(outcome.verdict.rawValue)")
            lines.append("  evidence: " + best.evidence.joined(separator: "; "))
        } else {
            lines.append("  proposed: nothing → exception")
        }
        return lines.joined(separator: "\n")
    }

    /// Up to `limit` receipts of a case (or of all cases) whose outcome is not correct, false
    /// matches first.
    public static func failures(_ report: MatchQualityReport, in scenario: Scenario, kind: RemittanceCase? = nil, limit: Int) -> [String] {
        let failing = report.outcomes.filter { outcome in
            let truth = scenario.receipts[outcome.index].truth
            // An unknown payer left for a person is the right outcome.
            return outcome.verdict != .correct && (kind == nil || truth.kind == kind)
                && !(truth.customerNumber == nil && outcome.verdict == .exception)
        }
        let ordered = failing.filter { $0.verdict != .exception } + failing.filter { $0.verdict == .exception }
        return ordered.prefix(limit).map { describe($0, in: scenario) }
    }

    /// The overall and per-case table as plain text.
    public static func table(_ report: MatchQualityReport, variants: Bool = false) -> String {
        func percent(_ value: Double) -> String { String(format: "%.1f %%", value * 100) }
        func percent(_ part: Int64, of whole: Int64) -> String { whole == 0 ? "–" : percent(Double(part) / Double(whole)) }
        func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, width - text.count))
            return right ? fill + text : text + fill
        }
        let width = variants ? max(44, report.byVariant.map { $0.kind.rawValue.count + ($0.variant?.count ?? 0) + 3 }.max() ?? 0) : 44
        let header = pad("case", width) + pad("receipts", 9, right: true) + pad("auto", 7, right: true) + pad("correct", 8, right: true)
            + pad("false", 6, right: true) + pad("imprec.", 8, right: true) + pad("except.", 8, right: true) + pad("right<thr", 10, right: true)
            + pad("item STP", 10, right: true) + pad("false %", 9, right: true) + pad("header", 9, right: true)
        func row(_ name: String, _ t: Tally) -> String {
            pad(name, width) + pad(String(t.receipts), 9, right: true) + pad(String(t.autoApplied), 7, right: true)
                + pad(String(t.correct), 8, right: true) + pad(String(t.falseMatches), 6, right: true)
                + pad(String(t.wrongAmounts), 8, right: true) + pad(String(t.exceptions), 8, right: true)
                + pad(String(t.rightBelowThreshold), 10, right: true)
                + pad(percent(t.correct, of: t.withAllocation), 10, right: true) + pad(percent(t.falseMatches, of: t.autoApplied), 9, right: true)
                + pad(percent(t.headerHits, of: t.knownCustomer), 9, right: true)
        }
        let o = report.overall
        var lines = [
            "receipts                 \(o.count.receipts) (\(o.count.knownCustomer) from customers, \(o.count.withAllocation) with a true allocation)",
            "auto-apply threshold     \(report.rules.autoApplyConfidence) %, charges tolerance \(report.rules.chargesTolerance), name similarity \(report.rules.nameSimilarity)",
            "header-level hit rate    \(percent(o.count.headerHitRate))   by amount \(percent(o.amount.headerHitRate))",
            "item-level STP           \(percent(o.count.itemLevelRate))   by amount \(percent(o.amount.itemLevelRate))",
            "false match rate         \(percent(o.count.falseMatchRate))   by amount \(percent(o.amount.falseMatchRate))"
                + "   (\(o.count.wrongCustomer) wrong customer, \(o.count.wrongItems) wrong items)",
            "imprecise (right items)  \(percent(o.count.impreciseRate))   by amount \(percent(o.amount.impreciseRate))",
            "exception rate           \(percent(o.count.exceptionRate))   by amount \(percent(o.amount.exceptionRate))"
                + "   (\(o.count.rightBelowThreshold) of them with the right best proposal below the threshold)",
            "",
            header,
        ]
        for group in report.byCase { lines.append(row(group.kind.rawValue, group.figures.count)) }
        lines.append(row("all", o.count))
        if variants {
            lines += ["", header]
            for group in report.byVariant {
                lines.append(row(group.kind.rawValue + ": " + (group.variant ?? ""), group.figures.count))
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// The tenant's books as the runs leave them: open amounts after what was posted, and the
/// payers' accounts (on file, or learnt from applied receipts: `payer_accounts`, first owner wins).
struct Ledger {
    private var open: [MatchableItem]
    private var position: [UUID: Int] = [:]
    private let customers: [PayerIdentity]
    private var accountOwner: [String: String] = [:]
    private var accountsOf: [String: [String]] = [:]

    init(_ scenario: Scenario) {
        open = scenario.items
        customers = scenario.payers.map { PayerIdentity(customerNumber: $0.customerNumber, name: $0.name) }
        for (i, item) in open.enumerated() { position[item.id] = i }
        for payer in scenario.payers {
            for account in payer.accounts { learn(account, customer: payer.customerNumber) }
        }
    }

    func items() -> [MatchableItem] { open }

    func payers() -> [PayerIdentity] {
        customers.map { PayerIdentity(customerNumber: $0.customerNumber, name: $0.name, accounts: accountsOf[$0.customerNumber] ?? []) }
    }

    mutating func learn(_ account: String, customer: String) {
        let compact = String(account.uppercased().filter { $0.isLetter || $0.isNumber })
        guard !compact.isEmpty, accountOwner[compact] == nil else { return }
        accountOwner[compact] = customer
        accountsOf[customer, default: []].append(compact)
    }

    /// An automatic application: the allocations, and a discount or charges settled on the last
    /// allocated item (a deduction stays open as a dispute, the rest on account).
    mutating func post(_ proposal: MatchProposal, account: String, customer: String) {
        for allocation in proposal.allocations { settle(allocation.itemID, allocation.amount) }
        if let last = proposal.allocations.last {
            for difference in proposal.differences {
                switch difference {
                case .discount(let amount), .bankCharges(let amount): settle(last.itemID, amount)
                case .deduction, .onAccount: break
                }
            }
        }
        if MatchingSession.learnsAccount(from: proposal) { learn(account, customer: customer) }
    }

    /// An analyst applies an exception as the truth says (nothing for an unknown payer): the
    /// allocations; with a discount or charges, the paid items are settled in full; a deduction
    /// stays open.
    mutating func postByHand(_ synthetic: SyntheticReceipt) {
        let truth = synthetic.truth
        guard let customer = truth.customerNumber else { return }
        let writesOff = truth.differences.contains { $0.kind == .discount || $0.kind == .bankCharges }
        for allocation in truth.allocations {
            settle(allocation.itemID, allocation.amount)
            if writesOff, let i = position[allocation.itemID] { open[i].openAmount = 0 }
        }
        learn(synthetic.receipt.payerAccount, customer: customer)
    }

    private mutating func settle(_ itemID: UUID, _ amount: Int64) {
        if let i = position[itemID] { open[i].openAmount = max(0, open[i].openAmount - amount) }
    }
}
