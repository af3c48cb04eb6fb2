import Foundation
import OTCCashApp
import OTCCore
import Testing

/// The matcher's rules one by one, each proposal with its rule, evidence and confidence; and
/// ISO 11649 creditor references.
@Suite("Cash application matching")
struct MatchingEngineTests {
    let eur = Currency("EUR")!
    let day = BusinessDate(year: 2026, month: 11, day: 30)!
    let rules = MatchingRules()

    func item(_ number: String, _ customer: String = "C-1", open: Int64, due: Int = -10, discount: Int64 = 0) -> MatchableItem {
        MatchableItem(documentNumber: number, customerNumber: customer, currency: eur, openAmount: open, dueDate: day.adding(days: due),
                      discountAmount: discount, discountDate: discount > 0 ? day.adding(days: 2) : nil)
    }

    func receipt(_ amount: Int64, text: String = "", refs: [String] = [], payer: String = "", account: String = "") -> BankReceipt {
        BankReceipt(reference: "E1", amount: amount, currency: eur, valueDate: day, payerName: payer, payerAccount: account,
                    structuredReferences: refs, remittanceText: text)
    }

    let payers = [
        PayerIdentity(customerNumber: "C-1", name: "Müller & Söhne GmbH", accounts: ["DE89 3704 0044 0532 0130 00"]),
        PayerIdentity(customerNumber: "C-2", name: "Globex Corporation Ltd"),
    ]

    @Test func creditorReferencesAreCheckedAndFoundInText() {
        #expect(CreditorReference.isValid("RF18 5390 0754 7034"))
        #expect(CreditorReference.isValid("rf18539007547034"))
        #expect(!CreditorReference.isValid("RF19 5390 0754 7034"))
        #expect(!CreditorReference.isValid("RF18"))
        #expect(CreditorReference.make("539007547034") == "RF18539007547034")
        #expect(CreditorReference.find(in: "Payment RF18 5390 0754 7034 thank you, also rf19 5390") == ["RF18539007547034"])
        let own = CreditorReference.make("INV2026000123")!
        #expect(CreditorReference.isValid(own))
    }

    @Test func adviceLinesWinAndExplainShortPaymentsAndOverpayments() {
        let a = item("INV-1", open: 12_000, discount: 240), b = item("INV-2", open: 5_000)
        let proposals = MatchingEngine.propose(receipt(17_500), advice: [
            AdviceLine(documentNumber: "INV-1", amount: 12_000), AdviceLine(documentNumber: "inv 2", amount: 4_000, deductionReason: "damaged"),
        ], payers: payers, items: [a, b], rules: rules)
        let best = proposals[0]
        #expect(best.rule == "remittance_advice" && best.confidence == 98 && best.isAutomatic(rules))
        #expect(best.allocations.map(\.amount) == [12_000, 4_000])
        #expect(best.differences == [.deduction(1_000, reason: "damaged"), .onAccount(1_500)])
    }

    @Test func invoiceNumbersInTheTextPayThoseItemsWithToleranceOrDeduction() {
        let a = item("INV-2026-000123", open: 10_000, due: -20), b = item("INV-2026-000124", open: 5_000, due: -5, discount: 100),
            other = item("INV-2026-000200", "C-2", open: 15_000)
        // Both named, paid in full: automatic.
        let full = MatchingEngine.propose(receipt(15_000, text: "inv 2026 000123 and INV-2026-000124"), payers: payers,
                                          items: [a, b, other], rules: rules)[0]
        #expect(full.rule == "references_in_text" && full.confidence == 95)
        #expect(Set(full.allocations.map(\.documentNumber)) == ["INV-2026-000123", "INV-2026-000124"])
        // Short by the discount of the newest: discount, both settled.
        let discounted = MatchingEngine.propose(receipt(14_900, text: "INV-2026-000123 INV-2026-000124"), payers: payers,
                                                items: [a, b], rules: rules)[0]
        #expect(discounted.differences == [.discount(100)])
        #expect(discounted.allocations.map(\.amount) == [10_000, 4_900])
        // Short by 3.00: bank charges. Short by 50.00: a deduction, oldest paid first, below auto.
        #expect(MatchingEngine.propose(receipt(14_700, text: "INV-2026-000123 INV-2026-000124"), payers: payers, items: [a, b],
                                       rules: rules)[0].differences == [.bankCharges(300)])
        let short = MatchingEngine.propose(receipt(10_000, text: "INV-2026-000123 INV-2026-000124"), payers: [], items: [a, b], rules: rules)[0]
        #expect(short.differences == [.deduction(5_000, reason: "short payment of INV-2026-000124")])
        #expect(short.allocations.map(\.amount) == [10_000])
        #expect(!short.isAutomatic(rules))
        // An RF reference made from the invoice number finds it too (the number is inside it).
        let rf = CreditorReference.make("INV2026000123")!
        let byRF = MatchingEngine.propose(receipt(10_000, refs: [rf]), payers: [], items: [a, b], rules: rules)[0]
        #expect(byRF.allocations.map(\.documentNumber) == ["INV-2026-000123"])
        #expect(byRF.evidence.first?.contains("INV-2026-000123") == true)
    }

    @Test func payerThenAmountExactDiscountCombinationOrOldestFirst() {
        let items = [item("I-1", open: 1_000, due: -30), item("I-2", open: 2_500, due: -20), item("I-3", open: 4_000, due: -10, discount: 80),
                     item("I-9", "C-2", open: 3_500)]
        func best(_ r: BankReceipt) -> MatchProposal? { MatchingEngine.propose(r, payers: payers, items: items, rules: rules).first }
        let exact = best(receipt(2_500, account: "DE89370400440532013000"))
        #expect(exact?.allocations.map(\.documentNumber) == ["I-2"] && exact?.confidence == 92)
        #expect(exact?.evidence.first?.contains("payer account") == true)
        let discount = best(receipt(3_920, account: "DE89370400440532013000"))
        #expect(discount?.differences == [.discount(80)])
        let combination = best(receipt(5_000, payer: "MUELLER & SOEHNE", account: "DE89 3704 0044 0532 0130 00"))
        #expect(combination?.allocations.map(\.documentNumber) == ["I-1", "I-3"])
        // The only pair that adds up: it posts.
        #expect(combination?.confidence == 90)
        let oldest = best(receipt(9_000, account: "DE89370400440532013000"))
        #expect(oldest?.allocations.map(\.amount) == [1_000, 2_500, 4_000])
        #expect(oldest?.differences == [.onAccount(1_500)])
        #expect(oldest?.isAutomatic(rules) == false)
        // By name only: close enough identifies; an unknown payer gets nothing.
        let byName = best(receipt(3_500, payer: "GLOBEX CORPORATION"))
        #expect(byName?.customerNumber == "C-2" && byName?.allocations.map(\.documentNumber) == ["I-9"])
        #expect(best(receipt(3_500, payer: "Initech")) == nil)
    }

    @Test func debitsReversalsAndOtherCurrenciesAreNotMatched() {
        var debit = receipt(1_000, account: "DE89370400440532013000")
        debit.isCredit = false
        #expect(MatchingEngine.propose(debit, payers: payers, items: [item("I-1", open: 1_000)], rules: rules).isEmpty)
        var reversal = receipt(1_000, account: "DE89370400440532013000")
        reversal.isReversal = true
        #expect(MatchingEngine.propose(reversal, payers: payers, items: [item("I-1", open: 1_000)], rules: rules).isEmpty)
        let usd = MatchableItem(documentNumber: "I-1", customerNumber: "C-1", currency: Currency("USD")!, openAmount: 1_000)
        let proposal = MatchingEngine.propose(receipt(1_000, account: "DE89370400440532013000"), payers: payers, items: [usd], rules: rules).first
        #expect(proposal?.allocations.isEmpty == true && proposal?.differences == [.onAccount(1_000)])
    }
}
