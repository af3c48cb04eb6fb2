import Foundation
@testable import OTCCashApp
import OTCCore
import OTCMatchQuality
import Testing

/// The matching-quality measure of issue 5: the synthetic remittances are reproducible and their
/// truth adds up, the harness judges and applies like the server's run, and the engine meets
/// the targets on the standard mix (≥ 90 % item-level straight-through, ≤ 0.5 % false matches).
@Suite("Cash application matching quality")
struct MatchQualityTests {
    let rules = MatchingRules()

    @Test func theGeneratorIsDeterministicForASeed() {
        let parameters = SyntheticRemittances.Parameters(seed: 42, receipts: 600)
        let a = SyntheticRemittances.scenario(parameters), b = SyntheticRemittances.scenario(parameters)
        #expect(a == b)
        #expect(a.receipts.count == 600 && a.payers.count == 120 && a.items.count == 1_500)
        var other = parameters
        other.seed = 43
        let c = SyntheticRemittances.scenario(other)
        #expect(c.receipts.map(\.receipt.amount) != a.receipts.map(\.receipt.amount))
        #expect(c.items.map(\.id) != a.items.map(\.id))
    }

    @Test(arguments: ["standard", "uniform"])
    func theTruthIsConsistent(_ name: String) {
        let mix = name == "standard" ? Mix.standard : Mix.uniform
        let scenario = SyntheticRemittances.scenario(.init(seed: 7, receipts: 2_200, mix: mix))
        let items = Dictionary(uniqueKeysWithValues: scenario.items.map { ($0.id, $0) })
        let accounts = Dictionary(scenario.payers.flatMap { payer in payer.accounts.map { ($0, payer.customerNumber) } }, uniquingKeysWith: { a, _ in a })
        let customers = Set(scenario.payers.map(\.customerNumber))
        #expect(items.count == scenario.items.count, "item ids are unique")
        #expect(Set(scenario.items.map(\.documentNumber)).count == scenario.items.count, "document numbers are unique")

        // The mix holds exactly, receipts come in value-date order, no item is paid twice.
        let counts = mix.counts(total: scenario.receipts.count)
        for kind in RemittanceCase.allCases {
            #expect(scenario.receipts.filter { $0.truth.kind == kind }.count == counts[kind] ?? 0, "\(name): count of \(kind.rawValue)")
        }
        let dates = scenario.receipts.compactMap(\.receipt.valueDate)
        #expect(dates.count == scenario.receipts.count && dates == dates.sorted())
        let paid = scenario.receipts.flatMap { $0.truth.allocations.map(\.itemID) }
        #expect(Set(paid).count == paid.count, "\(name): an item is paid by one receipt at most")

        var typosThatStillName = 0
        for synthetic in scenario.receipts {
            let receipt = synthetic.receipt, truth = synthetic.truth
            let label = "\(receipt.reference) \(truth.kind.rawValue) [\(truth.variant)]"
            let sum = { (kind: DifferenceKind) in truth.differences.filter { $0.kind == kind }.reduce(Int64(0)) { $0 + $1.amount } }
            let allocated = truth.allocations.reduce(Int64(0)) { $0 + $1.amount }
            #expect(receipt.amount > 0 && receipt.isCredit && !receipt.isReversal && receipt.currency == scenario.currency, "\(label)")
            #expect(receipt.remittanceText.count <= 140, "\(label): the bank's 140 characters")
            // Cash: a customer's receipt is what it allocates plus what goes on account (an unknown
            // payer's belongs to nobody).
            if truth.customerNumber != nil { #expect(receipt.amount == allocated + sum(.onAccount), "\(label): amount adds up") }
            // Items: each allocation, with its share of the write-offs, is the item's open amount
            // (less for a deduction, which stays open).
            var explained: Int64 = 0
            for allocation in truth.allocations {
                guard let item = items[allocation.itemID] else {
                    Issue.record("\(label): allocation to an item that does not exist")
                    continue
                }
                #expect(item.customerNumber == truth.customerNumber, "\(label): item of the payer")
                #expect(item.documentNumber == allocation.documentNumber)
                #expect(allocation.amount > 0 && allocation.amount <= item.openAmount, "\(label)")
                explained += item.openAmount - allocation.amount
            }
            #expect(explained == sum(.discount) + sum(.bankCharges) + sum(.deduction), "\(label): shortfalls are the differences")
            let single = truth.allocations.first.flatMap { items[$0.itemID] }
            switch truth.kind {
            case .cleanInvoiceNumber, .creditorReference, .invoiceNumberTypo, .payerAccountExactAmount, .payerNameAndAmount:
                #expect(truth.allocations.count == 1 && Set(truth.differences.map(\.kind)).isSubset(of: [.discount]), "\(label)")
                if let item = single, sum(.discount) > 0 {
                    #expect(sum(.discount) == item.discountAmount, "\(label): the item's own discount")
                    #expect(receipt.valueDate! <= item.discountDate!.adding(days: rules.acceptLateDiscountDays), "\(label): discount in time")
                }
            case .severalInvoicesInText:
                #expect((2...5).contains(truth.allocations.count), "\(label)")
            case .combinationWithoutReference:
                #expect((2...3).contains(truth.allocations.count) && truth.differences.isEmpty, "\(label)")
                #expect(accounts[receipt.payerAccount] == truth.customerNumber, "\(label): paid from an account on file")
            case .shortWithinTolerance:
                #expect(truth.allocations.count == 1 && truth.differences.count == 1 && sum(.bankCharges) > 0, "\(label)")
                #expect(sum(.bankCharges) <= rules.chargesTolerance, "\(label)")
            case .shortBeyondTolerance:
                #expect(truth.allocations.count == 1 && truth.differences.count == 1 && sum(.deduction) > rules.chargesTolerance, "\(label)")
            case .overpayment:
                #expect(truth.allocations.count == 1 && truth.differences.count == 1 && sum(.onAccount) > 0, "\(label)")
                #expect(truth.allocations[0].amount == single?.openAmount, "\(label): the item in full")
            case .unknownPayer:
                #expect(truth.customerNumber == nil && truth.allocations.isEmpty && truth.differences.isEmpty, "\(label)")
                #expect(accounts[receipt.payerAccount] == nil, "\(label): an account nobody has on file")
            }
            if let customer = truth.customerNumber { #expect(customers.contains(customer), "\(label)") }
            // What the payer wrote: the number where the case says so, and not where it does not.
            let text = normalized(([receipt.remittanceText] + receipt.structuredReferences).joined(separator: " "))
            let numbers = truth.allocations.map { normalized($0.documentNumber) }
            switch truth.kind {
            case .cleanInvoiceNumber, .shortWithinTolerance, .shortBeyondTolerance, .overpayment:
                #expect(text.contains(numbers[0]), "\(label): the number is in the text")
            case .creditorReference:
                let rf = CreditorReference.find(in: ([receipt.remittanceText] + receipt.structuredReferences).joined(separator: " "))
                #expect(rf == [CreditorReference.make(numbers[0])!], "\(label): the invoice's RF reference")
            case .invoiceNumberTypo:
                // Odd spacing keeps the number; a real typo loses it, unless digits glued on after
                // it happen to restore it ("INV-2026-00471 1.234,56"), which is rare.
                if truth.variant == "spaces and separators" {
                    #expect(text.contains(numbers[0]), "\(label)")
                } else if text.contains(numbers[0]) {
                    typosThatStillName += 1
                }
            case .payerAccountExactAmount, .payerNameAndAmount, .combinationWithoutReference:
                #expect(!numbers.contains { text.contains($0) }, "\(label): no reference")
            case .severalInvoicesInText, .unknownPayer:
                break
            }
        }
        let typos = scenario.receipts.filter { $0.truth.kind == .invoiceNumberTypo && $0.truth.variant != "spaces and separators" }.count
        #expect(typosThatStillName * 50 <= typos, "\(name): \(typosThatStillName) of \(typos) typos still name the invoice")
        // What makes false matches possible at all: typos that name another existing invoice,
        // amounts shared by different customers' items, near-identical customer names.
        if name == "standard" {
            #expect(scenario.receipts.contains { $0.truth.variant.contains("another existing invoice") })
            var owners: [Int64: Set<String>] = [:]
            for item in scenario.items { owners[item.openAmount, default: []].insert(item.customerNumber) }
            #expect(owners.values.filter { $0.count > 1 }.count > 20, "amounts collide across customers")
            let folded = scenario.payers.map { $0.name.uppercased().replacingOccurrences(of: "Ü", with: "UE") }
            #expect(folded.contains { $0.hasPrefix("MUELLER") } || folded.contains { $0.contains("OE") || $0.contains("AE") })
        }
    }

    @Test func verdictsCompareCustomerItemsAmountsAndDifferences() {
        let a = UUID(), b = UUID()
        let truth = ReceiptTruth(kind: .cleanInvoiceNumber, variant: "bare", customerNumber: "C-1",
                                 allocations: [.init(itemID: a, documentNumber: "INV-1", amount: 9_800)], differences: [.init(.discount, 200)])
        func proposal(_ customer: String?, _ allocations: [(UUID, Int64)], _ differences: [MatchProposal.Difference]) -> MatchProposal {
            MatchProposal(customerNumber: customer, allocations: allocations.map { .init(itemID: $0.0, documentNumber: "X", amount: $0.1) },
                          differences: differences, rule: "t", evidence: [], confidence: 95)
        }
        #expect(MatchQuality.judge(proposal("C-1", [(a, 9_800)], [.discount(200)]), truth) == .correct)
        #expect(MatchQuality.judge(proposal("C-2", [(a, 9_800)], [.discount(200)]), truth) == .wrongCustomer)
        #expect(MatchQuality.judge(proposal("C-1", [(b, 9_800)], [.discount(200)]), truth) == .wrongItems)
        #expect(MatchQuality.judge(proposal("C-1", [(a, 9_800), (b, 1)], [.discount(200)]), truth) == .wrongItems)
        #expect(MatchQuality.judge(proposal("C-1", [(a, 9_800)], [.bankCharges(200)]), truth) == .wrongAmounts)
        #expect(MatchQuality.judge(proposal("C-1", [(a, 10_000)], []), truth) == .wrongAmounts)
        let unknown = ReceiptTruth(kind: .unknownPayer, variant: "person", customerNumber: nil, allocations: [], differences: [])
        #expect(MatchQuality.judge(proposal("C-1", [], [.onAccount(100)]), unknown) == .wrongCustomer)
    }

    /// As the server's run: what an automatic application settled is not open for the next
    /// receipt, and the formulas count as documented.
    @Test func theHarnessSettlesAppliedItemsAndCountsAsDocumented() {
        let eur = Currency("EUR")!, day = BusinessDate(year: 2026, month: 11, day: 16)!
        let item = MatchableItem(id: UUID(), documentNumber: "INV-2026-000100", customerNumber: "C-1", currency: eur, openAmount: 50_000,
                                 dueDate: day)
        let payers = [PayerIdentity(customerNumber: "C-1", name: "Nordstern Logistik GmbH", accounts: ["DE89370400440532013000"])]
        let truth = ReceiptTruth(kind: .cleanInvoiceNumber, variant: "bare", customerNumber: "C-1",
                                 allocations: [.init(itemID: item.id, documentNumber: item.documentNumber, amount: 50_000)], differences: [])
        func receipt(_ reference: String, _ amount: Int64) -> BankReceipt {
            BankReceipt(reference: reference, amount: amount, currency: eur, bookingDate: day, valueDate: day, payerName: "NORDSTERN LOGISTIK GMBH",
                        payerAccount: "DE89370400440532013000", remittanceText: "INV-2026-000100")
        }
        // The same invoice paid twice in one run: the second finds it settled.
        let duplicate = ReceiptTruth(kind: .overpayment, variant: "paid twice", customerNumber: "C-1", allocations: [], differences: [.init(.onAccount, 50_000)])
        let scenario = Scenario(seed: 0, mix: .standard, currency: eur, payers: payers, items: [item], receipts: [
            SyntheticReceipt(receipt: receipt("R1", 50_000), truth: truth), SyntheticReceipt(receipt: receipt("R2", 50_000), truth: duplicate),
        ])
        let report = MatchQuality.run(scenario, rules: rules)
        #expect(report.outcomes[0].verdict == .correct)
        #expect(report.outcomes[1].best?.allocations.contains { $0.itemID == item.id } != true)
        let overall = report.overall.count
        #expect(overall.receipts == 2 && overall.knownCustomer == 2 && overall.withAllocation == 1 && overall.correct == 1)
        #expect(overall.itemLevelRate == 1.0 && overall.headerHitRate == Double(overall.headerHits) / 2)
        #expect(report.overall.amount.receipts == 100_000)
    }

    /// The target of issue 5 on the standard mix. If it fails, the message lists the cases that
    /// miss and failing receipts with the engine's proposals: the engine is to be fixed, not
    /// this test or the generator.
    @Test func theStandardMixMeetsTheTargets() {
        let scenario = SyntheticRemittances.scenario(.init(seed: 20_261_130, receipts: 3_000))
        let report = MatchQuality.run(scenario, rules: rules)
        let overall = report.overall.count
        let detail = "\n" + MatchQuality.table(report) + "\n\nExamples of false matches and misses:\n"
            + MatchQuality.failures(report, in: scenario, limit: 12).joined(separator: "\n")
        #expect(overall.itemLevelRate >= 0.90, "item-level straight-through \(percent(overall.itemLevelRate)) < 90 %\(detail)")
        #expect(overall.falseMatchRate <= 0.005, "false matches \(percent(overall.falseMatchRate)) > 0.5 %\(detail)")
    }

    func normalized(_ text: String) -> String { String(text.uppercased().filter { ($0.isASCII && $0.isLetter) || ($0.isASCII && $0.isNumber) }) }

    func percent(_ value: Double) -> String { String(format: "%.1f %%", value * 100) }
}
