public import OTCCore
public import OTCStore
import Foundation
import OTCReceivables
import OTCBilling
import OTCCollections

/// Dispute resolution's Swift API, used by DisputeService and, for short-payment deductions, by
/// cash application, inside the caller's transaction.
public struct Disputes: Sendable {
    let store = DisputeStore()
    let ledger = Ledger()
    let billing = Billing()
    let collections = Collections()

    public init() {}

    public struct Opening: Sendable {
        public var customerNumber: String
        public var reasonCode: String
        /// Document number → disputed amount (gross, minor units).
        public var items: [(documentNumber: String, amount: Int64)]
        public var description: String
        public var attachments: [[String]]
        public var source: DisputeSource
        public var externalRef: String?

        public init(customerNumber: String, reasonCode: String, items: [(documentNumber: String, amount: Int64)], description: String,
                    attachments: [[String]] = [], source: DisputeSource, externalRef: String? = nil) {
            self.customerNumber = customerNumber
            self.reasonCode = reasonCode
            self.items = items
            self.description = description
            self.attachments = attachments
            self.source = source
            self.externalRef = externalRef
        }
    }

    /// Opens a dispute routed by its reason code, and holds the disputed amounts from dunning.
    /// A deduction below the rules' threshold is written off at once instead (the dispute is
    /// recorded, closed, with the write-off as its resolution). Returns the existing dispute for
    /// a repeated external reference.
    public func open(_ opening: Opening, rules: VersionedRules, in tx: TenantTransaction) async throws -> Dispute {
        if let ref = opening.externalRef, let existing = try await store.find(externalRef: ref, in: tx) { return existing }
        guard let route = rules.rules.disputes.reasonCodes[opening.reasonCode] else {
            throw OTCError.invalidArgument(
                "reason code '\(opening.reasonCode)' is not one of the client's (\(rules.rules.disputes.reasonCodes.keys.sorted().joined(separator: ", ")))",
                details: ["reason": "UNKNOWN_REASON_CODE"])
        }
        guard !opening.items.isEmpty else { throw OTCError.invalidArgument("a dispute names at least one invoice and the amount disputed on it") }
        var items: [DisputedItem] = []
        var currency: Currency?
        for (number, amount) in opening.items {
            guard amount > 0 else { throw OTCError.invalidArgument("the disputed amount on \(number) must be positive") }
            guard let item = try await ledger.item(documentNumber: number, lock: true, in: tx), item.amount > 0 else {
                throw OTCError.notFound("no invoice or debit memo \(number) is in the ledger")
            }
            guard item.customerNumber == opening.customerNumber else {
                throw OTCError.failedPrecondition("\(number) belongs to another customer than \(opening.customerNumber)")
            }
            guard currency == nil || currency == item.currency else {
                throw OTCError.invalidArgument("one dispute is in one currency; \(number) is in \(item.currency)", details: ["reason": "CURRENCY_MISMATCH"])
            }
            currency = item.currency
            let already = try await store.openDisputed(items: [item.id], in: tx)[item.id] ?? 0
            guard amount + already <= item.openAmount else {
                throw OTCError.failedPrecondition(
                    "\(number) has \(Money(units: item.openAmount, currency: item.currency)) open, \(Money(units: already, currency: item.currency)) of it already disputed; \(Money(units: amount, currency: item.currency)) more cannot be",
                    details: ["reason": "EXCEEDS_OPEN_AMOUNT"])
            }
            items.append(DisputedItem(itemID: item.id, documentNumber: item.documentNumber, amount: amount))
        }
        guard let currency, let id = try await store.insert(
            customer: opening.customerNumber, reasonCode: opening.reasonCode, currency: currency, items: items,
            description: opening.description, attachments: opening.attachments, ownerTeam: route.team, slaDays: route.slaDays,
            source: opening.source, externalRef: opening.externalRef, rulesVersion: rules.version, in: tx)
        else {
            throw OTCError(.aborted, "a dispute with reference \(opening.externalRef ?? "") was opened concurrently; retry to get it")
        }
        var dispute = try await store.find(id.uuidString, in: tx)!
        try await tx.audit(action: "dispute.open", entityType: "dispute", entityID: dispute.number, details: [
            "customer": dispute.customerNumber, "reason_code": dispute.reasonCode, "team": route.team, "source": opening.source.rawValue,
            "amount": Money(units: dispute.disputedAmount, currency: currency).description, "rules_version": "\(rules.version)",
        ])
        if opening.source == .deduction, let threshold = rules.rules.disputes.autoWriteOffBelow[currency.code], dispute.disputedAmount < threshold {
            for item in items {
                try await ledger.apply(item.amount, to: item.itemID, from: .account(.writeOff), on: tx.today,
                                       reason: "deduction \(dispute.number) under \(Money(units: threshold, currency: currency))", in: tx)
            }
            let note = "written off automatically: a deduction under \(Money(units: threshold, currency: currency)) (rules v\(rules.version))"
            try await store.resolve(dispute.id, from: .open, to: .closed, accepted: 0, memos: [], note: note, in: tx)
            dispute = try await store.find(id.uuidString, in: tx)!
        } else {
            try await refreshHolds(items.map(\.itemID), in: tx)
        }
        return dispute
    }

    /// Moves a dispute along its states (not to a resolution: that is `resolve`).
    /// A dispute by number or id, if it exists.
    public func find(_ key: String, in tx: TenantTransaction) async throws -> Dispute? {
        try await store.find(key, in: tx)
    }

    public func move(_ key: String, to next: DisputeStatus, note: String, in tx: TenantTransaction) async throws -> Dispute {
        let dispute = try await locked(key, in: tx)
        guard dispute.status.canMove(to: next) else {
            throw OTCError.failedPrecondition(
                "dispute \(dispute.number) is \(dispute.status.rawValue); it cannot move to \(next.rawValue)\(next.isResolved && next != .closed ? " (use ResolveDispute)" : "")")
        }
        try await store.move(dispute.id, from: dispute.status, to: next, note: note, in: tx)
        try await tx.audit(action: "dispute.status", entityType: "dispute", entityID: dispute.number,
                           details: ["from": dispute.status.rawValue, "to": next.rawValue, "note": note])
        return try await store.find(dispute.id.uuidString, in: tx)!
    }

    /// Accepted: credit memos through billing for the accepted amount, split over the disputed
    /// invoices in order. Rejected: the amounts are collectable again (holds lifted).
    public func resolve(_ key: String, accepted: Bool, amount: Int64?, taxCode: String?, note: String, rules: VersionedRules,
                        in tx: TenantTransaction) async throws -> Dispute {
        let dispute = try await locked(key, in: tx)
        guard !dispute.status.isResolved else {
            throw OTCError.failedPrecondition("dispute \(dispute.number) is already \(dispute.status.rawValue)")
        }
        var memos: [String] = []
        var credited: Int64 = 0
        if accepted {
            let amount = amount ?? dispute.disputedAmount
            guard amount > 0, amount <= dispute.disputedAmount else {
                throw OTCError.invalidArgument(
                    "the accepted amount must be positive and at most the disputed \(Money(units: dispute.disputedAmount, currency: dispute.currency))")
            }
            // The holds go first, so the memo's application is not held against.
            try await refreshHolds(dispute.items.map(\.itemID), excluding: dispute.id, in: tx)
            for (item, share) in AcceptedSplit.split(amount, over: dispute.items) {
                let memo = try await creditMemo(share, on: item.documentNumber, taxCode: taxCode, dispute: dispute, rules: rules, in: tx)
                memos.append(memo.number)
                credited += memo.grossTotal
            }
        }
        let to: DisputeStatus = accepted ? .resolvedAccepted : .resolvedRejected
        try await store.resolve(dispute.id, from: dispute.status, to: to, accepted: credited, memos: memos, note: note, in: tx)
        if !accepted { try await refreshHolds(dispute.items.map(\.itemID), excluding: dispute.id, in: tx) }
        try await tx.audit(action: "dispute.resolve", entityType: "dispute", entityID: dispute.number, details: [
            "outcome": to.rawValue, "credited": Money(units: credited, currency: dispute.currency).description,
            "credit_memos": memos.joined(separator: " "), "note": note, "rules_version": "\(rules.version)",
        ])
        return try await store.find(dispute.id.uuidString, in: tx)!
    }

    /// otcd's job: disputes past their SLA are escalated, each once.
    public static let slaEscalation = TenantJob(name: "dispute-escalation") { tx in
        try await Disputes().escalate(rules: try await tx.currentRules(), in: tx)
    }

    /// Disputes past their SLA get an escalation task for their team, once.
    public func escalate(rules: VersionedRules, in tx: TenantTransaction) async throws -> Int {
        let overdue = try await store.escalate(in: tx)
        for (id, number, team) in overdue {
            try await tx.openTask(kind: "dispute_escalation", subjectType: "dispute", subjectID: id.uuidString.lowercased(),
                                  title: "Dispute \(number) (\(team)) is past its SLA", rules: rules, details: ["team": team])
            try await tx.audit(action: "dispute.escalate", entityType: "dispute", entityID: number, details: ["team": team])
        }
        return overdue.count
    }

    private func creditMemo(_ gross: Int64, on number: String, taxCode: String?, dispute: Dispute, rules: VersionedRules,
                            in tx: TenantTransaction) async throws -> BillingDocument {
        guard let invoice = try await BillingStore().find(number: number, in: tx) else {
            throw OTCError.failedPrecondition("\(number) is not an invoice of billing; credit it by hand", details: ["reason": "NOT_AN_INVOICE"])
        }
        let codes = Dictionary(invoice.lines.map { ($0.taxCode, $0.taxRateBasisPoints) }, uniquingKeysWith: { first, _ in first })
        let code: String
        if let taxCode, !taxCode.isEmpty {
            guard codes[taxCode] != nil else {
                throw OTCError.invalidArgument("\(number) has no \(taxCode) lines (it has \(codes.keys.sorted().joined(separator: ", ")))")
            }
            code = taxCode
        } else {
            guard codes.count == 1, let only = codes.keys.first else {
                throw OTCError.invalidArgument("\(number) has several tax codes (\(codes.keys.sorted().joined(separator: ", "))); say which the credit carries (tax_code)")
            }
            code = only
        }
        let net = AcceptedSplit.net(ofGross: gross, rateBasisPoints: codes[code]!)
        return try await billing.issueMemo(
            kind: .creditMemo, invoiceNumber: number, lines: [.amount(description: "Dispute \(dispute.number) (\(dispute.reasonCode))", net: net, taxCode: code)],
            full: false, cancels: false, reason: "dispute \(dispute.number) accepted", issueDate: nil, rules: rules, in: tx).document
    }

    /// Holds each item's amount still disputed (by disputes not resolved) from dunning.
    private func refreshHolds(_ items: [UUID], excluding resolved: UUID? = nil, in tx: TenantTransaction) async throws {
        let disputed = try await store.openDisputed(items: items, excluding: resolved, in: tx)
        for (id, item) in try await ledger.items(ids: items, lock: false, in: tx) {
            let amount = min(disputed[id] ?? 0, max(0, item.openAmount))
            try await collections.holdItem(id, documentNumber: item.documentNumber, amount: amount, reason: "disputed", reference: "disputes",
                                           in: tx)
        }
    }

    private func locked(_ key: String, in tx: TenantTransaction) async throws -> Dispute {
        guard let dispute = try await store.find(key, lock: true, in: tx) else { throw OTCError.notFound("dispute \(key) does not exist") }
        return dispute
    }
}
