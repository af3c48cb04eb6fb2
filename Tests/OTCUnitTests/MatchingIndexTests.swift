import Foundation
@testable import OTCCashApp
import OTCCore
import Testing

/// The matching index gives the answers a full scan would, and remittance advices are linked to
/// the receipt that carries them out.
@Suite("Matching index and remittance links")
struct MatchingIndexTests {
    let eur = Currency("EUR")!
    let usd = Currency("USD")!
    let day = BusinessDate(year: 2026, month: 11, day: 30)!

    @Test func nameSimilarityFromTheIndexEqualsComparingWithEveryPayer() {
        let names = ["Müller & Söhne GmbH", "Mueller Soehne", "Globex Corporation Ltd", "Globex Corp", "Initech BV", "Umbrella Corp",
                     "Hooli GmbH", "Acme Widgets Inc", "ACME Widget Co", "Stark Industries", "Wayne Enterprises", "Wonka Industries"]
        let payers = names.enumerated().map { PayerIdentity(customerNumber: "C-\($0.offset)", name: $0.element) }
        let index = MatchingIndex(payers: payers, items: [])
        for query in ["MUELLER SOEHNE GMBH", "globex", "ACME WIDGETS", "Wonka Ind.", "Initech B.V.", "zzz", "Stark Industries Inc"] {
            let fromIndex = Dictionary(uniqueKeysWithValues: index.payers(similarTo: query).map { ($0.0.customerNumber, $0.1) })
            for payer in payers {
                #expect((fromIndex[payer.customerNumber] ?? 0) == NameSimilarity.score(query, payer.name), "\(query) vs \(payer.name)")
            }
            let ranked = index.payers(similarTo: query).map(\.1)
            #expect(ranked == ranked.sorted(by: >))
        }
    }

    @Test func documentNumbersAndCreditorReferencesAreFoundInTextWithoutScanning() {
        let items = (1...2_000).map { n in
            MatchableItem(documentNumber: String(format: "INV-2026-%06d", n), customerNumber: "C-\(n % 50)", currency: n % 7 == 0 ? usd : eur,
                          openAmount: Int64(n) * 100)
        }
        let index = MatchingIndex(payers: [], items: items)
        let rf = CreditorReference.make("INV2026001500")!
        let found = index.items(namedIn: "pay inv 2026 000123, INV-2026-000124 and \(rf) / 2026000999", currency: eur)
        #expect(found.map(\.0.documentNumber) == ["INV-2026-001500", "INV-2026-000123", "INV-2026-000124"])
        #expect(found[0].1 == "structured reference \(rf) is INV-2026-001500")
        // Another currency, or nothing left open: not found.
        #expect(index.items(namedIn: "INV-2026-000007", currency: eur).isEmpty)
        var settled = index
        settled.settle(items[122].id, amount: items[122].openAmount)
        #expect(settled.items(namedIn: "INV-2026-000123", currency: eur).isEmpty)
        #expect(index.items(of: "C-3", currency: eur).allSatisfy { $0.customerNumber == "C-3" && $0.currency == eur })
    }

    func receipt(_ amount: Int64, e2e: String = "", text: String = "", date: Int = 0) -> BankReceipt {
        BankReceipt(reference: "R", amount: amount, currency: eur, valueDate: day.adding(days: date), endToEndID: e2e, remittanceText: text)
    }

    @Test func anAdviceIsLinkedByPaymentReferenceThenByCustomerAndAmount() {
        let one = AdviceBook.Entry(id: UUID(), advice: RemittanceAdvice(
            reference: "ADV-1", customerNumber: "C-1", paymentReference: "PAY-0001", paymentDate: day, currency: eur,
            lines: [.init(documentNumber: "INV-1", paid: 10_000)]))
        let two = AdviceBook.Entry(id: UUID(), advice: RemittanceAdvice(
            reference: "ADV-2", customerNumber: "C-2", paymentDate: day, amount: 5_000, lines: [.init(documentNumber: "INV-2", paid: 5_000)]))
        var book = AdviceBook([one, two])
        #expect(book.find(for: receipt(10_000, e2e: "PAY-0001"), customer: nil)?.0 == one)
        #expect(book.find(for: receipt(10_000, text: "our ref pay 0001 thanks"), customer: nil)?.0 == one)
        // By amount only for the advice's own customer, within a week.
        #expect(book.find(for: receipt(5_000), customer: "C-2")?.0 == two)
        #expect(book.find(for: receipt(5_000), customer: "C-1") == nil)
        #expect(book.find(for: receipt(5_000, date: 9), customer: "C-2") == nil)
        #expect(book.find(for: receipt(5_000), customer: nil) == nil)
        // Used once per run.
        book.use(one.id)
        #expect(book.find(for: receipt(10_000, e2e: "PAY-0001"), customer: nil) == nil)
    }

    @Test func adviceLinesDriveTheMatchWithTheLinkAsEvidence() {
        let item = MatchableItem(documentNumber: "INV-2026-000010", customerNumber: "C-1", currency: eur, openAmount: 12_000)
        let advice = RemittanceAdvice(reference: "ADV-9", customerNumber: "C-1", paymentReference: "E2E-9",
                                      lines: [.init(documentNumber: "INV-2026-000010", paid: 11_000, deduction: 1_000, deductionReason: "short shipment")])
        let proposals = MatchingEngine.propose(receipt(11_000, e2e: "E2E-9"), advice: advice.adviceLines, payers: [], items: [item], rules: MatchingRules())
        #expect(proposals.first?.rule == "remittance_advice" && proposals.first?.differences == [.deduction(1_000, reason: "short shipment")])
        #expect(advice.total == 11_000)
    }
}
