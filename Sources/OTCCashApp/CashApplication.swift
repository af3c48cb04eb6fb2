public import OTCCore
public import OTCStore
public import OTCReceivables
import OTCDisputes
public import Foundation
import PostgresNIO

/// Matching and application of receipts, in the caller's transaction: proposals from the pure
/// engine; those sure enough post through the AR subledger, the others wait as exceptions.
public struct CashApplication: Sendable {
    let receipts = ReceiptStore()
    let ledger = Ledger()
    let observers: [any SettlementObserver]

    public init(observers: [any SettlementObserver] = []) {
        self.observers = observers
    }

    public struct Outcome: Sendable {
        public var record: ReceiptRecord
        public var proposal: MatchProposal?
        public var applied: Bool
        public var disputes: [String]
    }

    /// Matches up to `limit` unmatched receipts, oldest first.
    public func run(limit: Int, rules: VersionedRules, in tx: TenantTransaction) async throws -> [Outcome] {
        let pending = try await receipts.list(status: "unmatched", fileID: nil, afterSeq: nil, limit: limit, in: tx).map(\.0)
        guard !pending.isEmpty else { return [] }
        let matching = rules.rules.cashApplication
        var items = try await openItems(in: tx)
        let payers = try await payerIdentities(in: tx)
        var outcomes: [Outcome] = []
        for record in pending {
            let proposals = MatchingEngine.propose(record.receipt, payers: payers, items: items, rules: matching)
            guard let best = proposals.first, best.isAutomatic(matching) else {
                try await store(best: proposals.first, for: record, status: "proposed", rules: rules, in: tx)
                try await receipts.setStatus(record.id, to: "exception", paymentItem: nil, in: tx)
                try await tx.openTask(
                    kind: "cash_exception", subjectType: "receipt", subjectID: record.id.uuidString.lowercased(),
                    title: "Receipt \(record.receipt.reference) \(Money(units: record.receipt.amount, currency: record.receipt.currency)) from \(record.receipt.payerName.isEmpty ? "an unknown payer" : record.receipt.payerName) needs matching",
                    rules: rules, details: ["best": proposals.first.map { "\($0.rule) \($0.confidence) %" } ?? "none"])
                outcomes.append(Outcome(record: record, proposal: proposals.first, applied: false, disputes: []))
                continue
            }
            let disputes = try await apply(best, to: record, rules: rules, in: tx)
            // What this receipt settled is no longer open for the next one.
            for allocation in best.allocations {
                if let i = items.firstIndex(where: { $0.id == allocation.itemID }) { items[i].openAmount -= allocation.amount }
            }
            outcomes.append(Outcome(record: record, proposal: best, applied: true, disputes: disputes))
        }
        return outcomes
    }

    /// An analyst's application of one receipt: allocations to the customer's open items (same
    /// currency), the rest on account. Refused for receipts already applied or not credits.
    public func applyManually(receiptID: UUID, customer: String, allocations: [(documentNumber: String, amount: Int64)], note: String,
                              rules: VersionedRules, in tx: TenantTransaction) async throws -> ReceiptRecord {
        guard let record = try await receipts.find(receiptID, lock: true, in: tx) else {
            throw OTCError.notFound("receipt \(receiptID.uuidString.lowercased()) does not exist")
        }
        guard record.status == "unmatched" || record.status == "exception" else {
            throw OTCError.failedPrecondition("receipt \(record.receipt.reference) is \(record.status); only unmatched receipts and exceptions are applied")
        }
        var resolved: [MatchProposal.Allocation] = []
        for (number, amount) in allocations {
            guard amount > 0 else { throw OTCError.invalidArgument("the amount applied to \(number) must be positive") }
            guard let item = try await ledger.item(documentNumber: number, in: tx), item.amount > 0 else {
                throw OTCError.notFound("no invoice or debit memo \(number) is in the ledger")
            }
            guard item.customerNumber == customer, item.currency == record.receipt.currency else {
                throw OTCError.failedPrecondition("\(number) is not an item of \(customer) in \(record.receipt.currency)")
            }
            resolved.append(MatchProposal.Allocation(itemID: item.id, documentNumber: item.documentNumber, amount: amount))
        }
        let total = resolved.reduce(0) { $0 + $1.amount }
        guard total <= record.receipt.amount else {
            throw OTCError.invalidArgument(
                "the allocations add up to \(Money(units: total, currency: record.receipt.currency)), more than the receipt's \(Money(units: record.receipt.amount, currency: record.receipt.currency))")
        }
        let proposal = MatchProposal(customerNumber: customer, allocations: resolved,
                                     differences: total < record.receipt.amount ? [.onAccount(record.receipt.amount - total)] : [],
                                     rule: "manual", evidence: [note.isEmpty ? "applied by hand" : note], confidence: 100)
        _ = try await apply(proposal, to: record, rules: rules, in: tx)
        try await tx.closeTasks(subjectType: "receipt", subjectID: record.id.uuidString.lowercased(), kind: "cash_exception",
                                resolution: "applied by hand to \(customer)")
        return try await receipts.find(receiptID, lock: false, in: tx)!
    }

    /// Posts a proposal: the receipt as money on account, then its allocations, then its
    /// differences (discount and charges settle the item; a deduction opens a dispute; the rest
    /// stays on account). Returns the numbers of disputes it opened.
    func apply(_ proposal: MatchProposal, to record: ReceiptRecord, rules: VersionedRules, in tx: TenantTransaction) async throws -> [String] {
        guard let customer = proposal.customerNumber else { return [] }
        let receipt = record.receipt
        let date = receipt.valueDate ?? receipt.bookingDate ?? tx.today
        let payment = try await ledger.post(
            OpenItemDraft(kind: .paymentOnAccount, customerNumber: customer, currency: receipt.currency, amount: -receipt.amount,
                          documentID: record.id, documentNumber: "RCPT-" + receipt.reference, issueDate: date, dueDate: nil),
            counter: [PostingLine(.cash, receipt.amount)], description: "receipt \(receipt.reference)", in: tx)
        for allocation in proposal.allocations {
            try await ledger.apply(allocation.amount, to: allocation.itemID, from: .item(payment.id), on: date,
                                   reason: "\(proposal.rule): receipt \(receipt.reference)", in: tx)
        }
        var disputes: [String] = []
        let lastItem = proposal.allocations.last
        for difference in proposal.differences {
            switch difference {
            case .discount(let amount):
                if let item = lastItem { try await ledger.apply(amount, to: item.itemID, from: .account(.discount), on: date, reason: "discount", in: tx) }
            case .bankCharges(let amount):
                if let item = lastItem {
                    try await ledger.apply(amount, to: item.itemID, from: .account(.bankCharges), on: date, reason: "bank charges", in: tx)
                }
            case .deduction(let amount, let reason):
                if let item = lastItem {
                    let dispute = try await Disputes().open(Disputes.Opening(
                        customerNumber: customer, reasonCode: "DEDUCTION", items: [(item.documentNumber, amount)],
                        description: "\(reason) (receipt \(receipt.reference))", source: .deduction,
                        externalRef: "deduction:\(record.id.uuidString.lowercased()):\(item.documentNumber)"), rules: rules, in: tx)
                    disputes.append(dispute.number)
                }
            case .onAccount:
                break
            }
        }
        try await store(best: proposal, for: record, status: "applied", rules: rules, in: tx)
        try await receipts.setStatus(record.id, to: "applied", paymentItem: payment.id, in: tx)
        if !receipt.payerAccount.isEmpty { try await receipts.learn(account: receipt.payerAccount, customer: customer, receipt: record.id, in: tx) }
        try await tx.audit(action: "cashapp.apply", entityType: "receipt", entityID: record.id.uuidString.lowercased(), details: [
            "reference": receipt.reference, "customer": customer, "rule": proposal.rule, "confidence": "\(proposal.confidence)",
            "documents": proposal.allocations.map(\.documentNumber).joined(separator: " "), "rules_version": "\(rules.version)",
        ])
        for observer in observers {
            try await observer.settled(customer: customer, documents: proposal.allocations.map(\.documentNumber),
                                       cause: "receipt \(receipt.reference)", rules: rules, in: tx)
        }
        return disputes
    }

    private func store(best: MatchProposal?, for record: ReceiptRecord, status: String, rules: VersionedRules,
                       in tx: TenantTransaction) async throws {
        guard let best else { return }
        let evidence = JSONText.array(best.evidence)
        let allocations = "[" + best.allocations.map { JSONText.object(["document": $0.documentNumber, "amount": "\($0.amount)"]) }
            .joined(separator: ",") + "]"
        let differences = "[" + best.differences.map { JSONText.object(Self.describe($0)) }.joined(separator: ",") + "]"
        try await tx.query(
            """
            INSERT INTO receipt_matches (receipt_id, customer_number, rule, evidence, confidence, allocations, differences, status, rules_version,
                                         principal)
            VALUES (\(record.id), \(best.customerNumber), \(best.rule), \(evidence)::jsonb, \(best.confidence), \(allocations)::jsonb,
                    \(differences)::jsonb, \(status), \(rules.version), \(tx.context.principal.auditID))
            """)
    }

    static func describe(_ difference: MatchProposal.Difference) -> [String: String] {
        switch difference {
        case .discount(let amount): ["kind": "discount", "amount": "\(amount)"]
        case .bankCharges(let amount): ["kind": "bank_charges", "amount": "\(amount)"]
        case .deduction(let amount, let reason): ["kind": "deduction", "amount": "\(amount)", "reason": reason]
        case .onAccount(let amount): ["kind": "on_account", "amount": "\(amount)"]
        }
    }

    /// Every open debit item of the tenant, as the matcher sees them.
    private func openItems(in tx: TenantTransaction) async throws -> [MatchableItem] {
        var items: [MatchableItem] = []
        var after: Int64?
        repeat {
            let page = try await ledger.openItems(customer: nil, currency: nil, overdueOn: nil, afterSeq: after, limit: 5_000, in: tx)
            for (item, _) in page where item.amount > 0 {
                items.append(MatchableItem(id: item.id, documentNumber: item.documentNumber, customerNumber: item.customerNumber,
                                           currency: item.currency, openAmount: item.openAmount, dueDate: item.dueDate,
                                           discountAmount: item.discountAmount, discountDate: item.discountDate))
            }
            after = page.count == 5_000 ? page.last?.seq : nil
        } while after != nil
        return items
    }

    /// Customers with their names and the accounts they were seen paying from.
    private func payerIdentities(in tx: TenantTransaction) async throws -> [PayerIdentity] {
        var accounts: [String: [String]] = [:]
        for try await (account, customer) in try await tx.query("SELECT account, customer_number FROM payer_accounts").decode((String, String).self) {
            accounts[customer, default: []].append(account)
        }
        var payers: [PayerIdentity] = []
        for try await (number, name) in try await tx.query("SELECT number, name FROM customers").decode((String, String).self) {
            payers.append(PayerIdentity(customerNumber: number, name: name, accounts: accounts[number] ?? []))
        }
        return payers
    }
}
