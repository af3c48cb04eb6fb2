import OTCCore
public import Foundation

/// The open remittance advices of a run, and which one a receipt carries out: the advice whose
/// payment reference the bank shows (end-to-end id, bank reference, a structured reference or the
/// remittance text), else one from the same customer for exactly the amount, paid within a week.
public struct AdviceBook: Sendable {
    public struct Entry: Sendable, Equatable {
        public var id: UUID
        public var advice: RemittanceAdvice

        public init(id: UUID, advice: RemittanceAdvice) {
            self.id = id
            self.advice = advice
        }
    }

    public private(set) var entries: [Entry]
    private var byReference = KeyedSubstrings()
    private var byAmount: [Int64: [Int]] = [:]
    private var used = Set<Int>()

    public init(_ entries: [Entry]) {
        self.entries = entries
        for (i, entry) in entries.enumerated() {
            let reference = MatchingEngine.normalized(entry.advice.paymentReference)
            if reference.count >= 4 { byReference.insert(reference, i) }
            byAmount[entry.advice.total, default: []].append(i)
        }
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The advice for `receipt`, with the evidence of the link. `customer` is the customer the
    /// receipt's payer was identified as, if any.
    public func find(for receipt: BankReceipt, customer: String?) -> (Entry, String)? {
        func usable(_ i: Int) -> Bool {
            !used.contains(i) && (entries[i].advice.currency == nil || entries[i].advice.currency == receipt.currency)
        }
        for field in [receipt.endToEndID, receipt.bankReference] + receipt.structuredReferences {
            if let i = byReference.exact(MatchingEngine.normalized(field)).first(where: usable) {
                return (entries[i], "remittance advice \(entries[i].advice.reference) names the payment \(field)")
            }
        }
        if let i = byReference.within(RemittanceText(receipt.remittanceText)).first(where: usable) {
            return (entries[i], "remittance advice \(entries[i].advice.reference): its payment reference \(entries[i].advice.paymentReference) is in the text")
        }
        guard let customer else { return nil }
        let paid = receipt.valueDate ?? receipt.bookingDate
        let candidates = (byAmount[receipt.amount] ?? []).filter { i in
            let advice = entries[i].advice
            guard usable(i), advice.customerNumber == customer else { return false }
            guard let paid, let said = advice.paymentDate else { return true }
            return abs(paid.dayNumber - said.dayNumber) <= 7
        }
        // Two advices of the same customer for the same amount: the receipt cannot tell which.
        guard candidates.count == 1, let i = candidates.first else { return nil }
        return (entries[i], "remittance advice \(entries[i].advice.reference) of \(customer) is for exactly this amount")
    }

    /// An advice carried out by a receipt is not used for another one in the same run.
    public mutating func use(_ id: UUID) {
        if let i = entries.firstIndex(where: { $0.id == id }) { used.insert(i) }
    }
}
