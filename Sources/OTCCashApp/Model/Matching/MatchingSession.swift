public import OTCCore

/// One matching run as the server does it, without I/O: proposals from the index, and after each
/// automatic application the index updated (what the receipt settled, discount and charges
/// included, is no longer open; the payer's account is learned when the match was sure on its
/// own). `CashApplication.run` and the quality measure both run receipts through it, so the
/// measure measures what the server does.
public struct MatchingSession: Sendable {
    public private(set) var index: MatchingIndex
    public let rules: MatchingRules

    /// The confidence from which an applied receipt teaches its payer's account: a wrong match
    /// must not teach the next receipt the wrong payer.
    public static let learnFrom = 95

    public init(index: MatchingIndex, rules: MatchingRules) {
        self.index = index
        self.rules = rules
    }

    public func propose(_ receipt: BankReceipt, advice: [AdviceLine] = []) -> [MatchProposal] {
        MatchingEngine.propose(receipt, advice: advice, index: index, rules: rules)
    }

    /// The customer the receipt's payer is, if the bank's data says (account, then name).
    public func payer(of receipt: BankReceipt) -> String? {
        MatchingEngine.identify(receipt, index: index, rules: rules)?.0.customerNumber
    }

    public static func learnsAccount(from proposal: MatchProposal) -> Bool {
        proposal.customerNumber != nil && proposal.confidence >= learnFrom
    }

    /// Records a posted proposal for the rest of the run.
    public mutating func applied(_ proposal: MatchProposal, to receipt: BankReceipt) {
        for allocation in proposal.allocations { index.settle(allocation.itemID, amount: allocation.amount) }
        if let last = proposal.allocations.last {
            for difference in proposal.differences {
                switch difference {
                case .discount(let amount), .bankCharges(let amount): index.settle(last.itemID, amount: amount)
                case .deduction, .onAccount: break
                }
            }
        }
        if let customer = proposal.customerNumber, Self.learnsAccount(from: proposal) {
            index.learn(account: receipt.payerAccount, customer: customer)
        }
    }
}
