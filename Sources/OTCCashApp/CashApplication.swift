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
    let remittances = RemittanceStore()
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

    /// Matches up to `limit` unmatched receipts, oldest first, against one index of the open
    /// items and payers (what a receipt applies is no longer open for the next) and the open
    /// remittance advices (an advice found for a receipt gives the matcher its lines).
    public func run(limit: Int, rules: VersionedRules, in tx: TenantTransaction) async throws -> [Outcome] {
        let pending = try await receipts.list(statuses: ["unmatched"], fileID: nil, afterSeq: nil, limit: limit, in: tx).map(\.0)
        guard !pending.isEmpty else { return [] }
        let matching = rules.rules.cashApplication
        var session = MatchingSession(index: MatchingIndex(payers: try await payerIdentities(in: tx), items: try await openItems(in: tx)),
                                      rules: matching)
        var advices = AdviceBook(try await remittances.open(in: tx))
        var outcomes: [Outcome] = []
        for record in pending {
            var advice: (entry: AdviceBook.Entry, evidence: String)?
            if !advices.isEmpty {
                advice = advices.find(for: record.receipt, customer: session.payer(of: record.receipt)).map { (entry: $0.0, evidence: $0.1) }
            }
            var proposals = session.propose(record.receipt, advice: advice?.entry.advice.adviceLines ?? [])
            if let advice {
                for i in proposals.indices where proposals[i].rule == "remittance_advice" { proposals[i].evidence.insert(advice.evidence, at: 0) }
            }
            guard let best = proposals.first, best.isAutomatic(matching) else {
                try await store(proposals.prefix(3), for: record, status: "proposed", rules: rules, in: tx)
                try await receipts.setStatus(record.id, to: "exception", paymentItem: nil, in: tx)
                try await openExceptionTask(record, best: proposals.first.map { "\($0.rule) \($0.confidence) %" } ?? "none", rules: rules, in: tx)
                outcomes.append(Outcome(record: record, proposal: proposals.first, applied: false, disputes: []))
                continue
            }
            let application: Posted
            do {
                application = try await tx.savepoint { try await apply(best, to: record, rules: rules, in: tx) }
            } catch where !(error is CancellationError) {
                // It cannot post (the ledger or a dispute refused it): the receipt waits for a
                // person with the reason, and the run goes on with the next one.
                let reason = (error as? any OTCErrorConvertible).map(\.otcError).flatMap { $0.code == .internalError ? nil : $0.message }
                    ?? "an internal error (logged with request \(tx.context.requestID))"
                tx.context.logger.warning("receipt could not post", metadata: ["receipt": "\(record.receipt.reference)", "error": "\(error)"])
                var failed = best
                failed.evidence.append("could not post: \(reason)")
                try await store([failed], for: record, status: "proposed", rules: rules, in: tx)
                try await receipts.setStatus(record.id, to: "exception", paymentItem: nil, in: tx)
                try await openExceptionTask(record, best: "\(best.rule) \(best.confidence) %: could not post", rules: rules, in: tx)
                outcomes.append(Outcome(record: record, proposal: failed, applied: false, disputes: []))
                continue
            }
            if best.rule == "remittance_advice", let advice {
                try await remittances.use(advice.entry.id, receipt: record.id, application: application.id, in: tx)
                advices.use(advice.entry.id)
            }
            session.applied(best, to: record.receipt)
            if let customer = best.customerNumber, MatchingSession.learnsAccount(from: best) {
                try await receipts.learn(account: record.receipt.payerAccount, customer: customer, receipt: record.id, in: tx)
            }
            outcomes.append(Outcome(record: record, proposal: best, applied: true, disputes: application.disputes))
        }
        return outcomes
    }

    private func openExceptionTask(_ record: ReceiptRecord, best: String, title: String? = nil, rules: VersionedRules,
                                   in tx: TenantTransaction) async throws {
        let receipt = record.receipt
        try await tx.openTask(
            kind: "cash_exception", subjectType: "receipt", subjectID: record.id.uuidString.lowercased(),
            title: title ?? "Receipt \(receipt.reference) \(Money(units: receipt.amount, currency: receipt.currency)) from \(receipt.payerName.isEmpty ? "an unknown payer" : receipt.payerName) needs matching",
            rules: rules, details: ["best": best])
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
        try await receipts.learn(account: record.receipt.payerAccount, customer: customer, receipt: record.id, in: tx)
        try await tx.closeTasks(subjectType: "receipt", subjectID: record.id.uuidString.lowercased(), kind: "cash_exception",
                                resolution: "applied by hand to \(customer)")
        return try await receipts.find(receiptID, lock: false, in: tx)!
    }

    /// What one application of a receipt posted.
    struct Posted {
        var id: UUID
        var disputes: [String]
    }

    /// Posts a proposal: the receipt as money on account, then its allocations, then its
    /// differences (discount and charges settle the item; a deduction opens a dispute; the rest
    /// stays on account). Records what it posted, so the application can be reversed.
    func apply(_ proposal: MatchProposal, to record: ReceiptRecord, rules: VersionedRules, in tx: TenantTransaction) async throws -> Posted {
        guard let customer = proposal.customerNumber else {
            throw OTCError.failedPrecondition("receipt \(record.receipt.reference) has no customer to apply to")
        }
        let receipt = record.receipt
        let date = receipt.valueDate ?? receipt.bookingDate ?? tx.today
        let applicationID = UUID()
        // The payment's document id is the application's: a receipt applied again after a
        // reversal posts a new payment item.
        let payment = try await ledger.post(
            OpenItemDraft(kind: .paymentOnAccount, customerNumber: customer, currency: receipt.currency, amount: -receipt.amount,
                          documentID: applicationID, documentNumber: "RCPT-" + receipt.reference, issueDate: date, dueDate: nil),
            counter: [PostingLine(.cash, receipt.amount)], description: "receipt \(receipt.reference)", in: tx)
        var posted: [UUID] = []
        for allocation in proposal.allocations {
            posted.append(try await ledger.apply(allocation.amount, to: allocation.itemID, from: .item(payment.id), on: date,
                                                 reason: "\(proposal.rule): receipt \(receipt.reference)", in: tx).id)
        }
        var disputes: [String] = []
        let lastItem = proposal.allocations.last
        for difference in proposal.differences {
            switch difference {
            case .discount(let amount), .bankCharges(let amount):
                if let item = lastItem {
                    let (account, label): (LedgerAccount, String) = if case .discount = difference { (.discount, "discount") } else { (.bankCharges, "bank charges") }
                    posted.append(try await ledger.apply(amount, to: item.itemID, from: .account(account), on: date,
                                                         reason: "\(label) (receipt \(receipt.reference))", in: tx).id)
                }
            case .deduction(let amount, let reason):
                if let item = lastItem {
                    let dispute = try await Disputes().open(Disputes.Opening(
                        customerNumber: customer, reasonCode: "DEDUCTION", items: [(item.documentNumber, amount)],
                        description: "\(reason) (receipt \(receipt.reference))", source: .deduction,
                        externalRef: "deduction:\(applicationID.uuidString.lowercased()):\(item.documentNumber)"), rules: rules, in: tx)
                    disputes.append(dispute.number)
                }
            case .onAccount:
                break
            }
        }
        try await receipts.recordApplication(applicationID, receipt: record.id, paymentItem: payment.id, ledgerApplications: posted,
                                             disputes: disputes, in: tx)
        try await store([proposal], for: record, status: "applied", rules: rules, in: tx)
        try await receipts.setStatus(record.id, to: "applied", paymentItem: payment.id, in: tx)
        try await tx.audit(action: "cashapp.apply", entityType: "receipt", entityID: record.id.uuidString.lowercased(), details: [
            "reference": receipt.reference, "customer": customer, "rule": proposal.rule, "confidence": "\(proposal.confidence)",
            "documents": proposal.allocations.map(\.documentNumber).joined(separator: " "), "rules_version": "\(rules.version)",
        ])
        for observer in observers {
            try await observer.settled(customer: customer, documents: proposal.allocations.map(\.documentNumber),
                                       cause: "receipt \(receipt.reference)", rules: rules, in: tx)
        }
        return Posted(id: applicationID, disputes: disputes)
    }

    /// Undoes a receipt's application: each ledger application it made is reversed (the items
    /// open again), its money leaves the customer (on account → cash), deduction disputes still
    /// open are withdrawn (rejected: the amount is owed again), an advice it used is freed, and
    /// the receipt waits in the exception queue for an analyst. Refused when part of the money
    /// was since applied elsewhere from the customer's account.
    public func reverse(receiptID: UUID, reason: String, rules: VersionedRules, in tx: TenantTransaction) async throws -> ReceiptRecord {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw OTCError.invalidArgument("say why the application is reversed (reason)") }
        guard let record = try await receipts.find(receiptID, lock: true, in: tx) else {
            throw OTCError.notFound("receipt \(receiptID.uuidString.lowercased()) does not exist")
        }
        guard record.status == "applied" else {
            throw OTCError.failedPrecondition("receipt \(record.receipt.reference) is \(record.status); only an applied receipt can be reversed")
        }
        guard let (applicationID, paymentItemID, posted, disputes) = try await receipts.lastApplication(of: record.id, in: tx) else {
            throw OTCError.failedPrecondition("receipt \(record.receipt.reference) has no application on record to reverse")
        }
        let date = tx.today
        for application in posted.reversed() {
            try await ledger.reverse(applicationID: application, on: date, reason: "reversed: \(reason)", in: tx)
        }
        guard let payment = try await ledger.items(ids: [paymentItemID], lock: true, in: tx)[paymentItemID] else {
            throw OTCError.failedPrecondition("the payment item of receipt \(record.receipt.reference) is missing from the ledger")
        }
        guard payment.openAmount == payment.amount else {
            throw OTCError.failedPrecondition(
                "\(Money(units: payment.openAmount - payment.amount, currency: payment.currency)) of receipt \(record.receipt.reference) was applied from \(payment.customerNumber)'s account since; reverse that application first")
        }
        try await ledger.apply(-payment.amount, to: paymentItemID, from: .account(.cash), on: date,
                               reason: "receipt \(record.receipt.reference) reversed: \(reason)", in: tx)
        let withdrawals = Disputes()
        for number in disputes {
            let dispute = try await withdrawals.find(number, in: tx)
            if let dispute, !dispute.status.isResolved {
                _ = try await withdrawals.resolve(number, accepted: false, amount: nil, taxCode: nil,
                                             note: "withdrawn: receipt \(record.receipt.reference) reversed (\(reason))", rules: rules, in: tx)
            }
        }
        try await remittances.release(application: applicationID, in: tx)
        try await receipts.recordReversal(of: applicationID, receipt: record.id, paymentItem: paymentItemID, reason: reason, in: tx)
        try await receipts.setStatus(record.id, to: "exception", paymentItem: nil, in: tx)
        try await openExceptionTask(record, best: "reversed", title: "Receipt \(record.receipt.reference) \(Money(units: record.receipt.amount, currency: record.receipt.currency)) was reversed (\(reason)): apply it again", rules: rules, in: tx)
        try await tx.audit(action: "cashapp.reverse", entityType: "receipt", entityID: record.id.uuidString.lowercased(), details: [
            "reference": record.receipt.reference, "customer": payment.customerNumber, "reason": reason,
            "applications_reversed": "\(posted.count)", "disputes": disputes.joined(separator: " "),
        ])
        return try await receipts.find(receiptID, lock: false, in: tx)!
    }

    /// Keeps proposals (the applied one, or an exception's suggestions, best first).
    private func store(_ proposals: some Sequence<MatchProposal>, for record: ReceiptRecord, status: String, rules: VersionedRules,
                       in tx: TenantTransaction) async throws {
        for best in proposals { try await store(best, for: record, status: status, rules: rules, in: tx) }
    }

    private func store(_ best: MatchProposal, for record: ReceiptRecord, status: String, rules: VersionedRules,
                       in tx: TenantTransaction) async throws {
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
