public import OTCCore
public import OTCStore
import OTCReceivables
import OTCCredit
public import Foundation
import PostgresNIO

/// Collections' Swift API: the parts that run both from calls and on their own (dunning runs,
/// promise detection) and the worklist. Always inside the caller's tenant transaction.
public struct Collections: Sendable {
    let store = CollectionsStore()
    let ledger = Ledger()
    let customers = CustomerStore()

    public init() {}

    public struct DunningOutcome: Sendable {
        public var runID: UUID
        public var notices: [DunningNoticeRecord]
        public var skipped: [String: Int]
        public var items: Int { notices.reduce(0) { $0 + $1.items.count } }
    }

    /// A dunning run as of `asOf`. Runs of one tenant queue on a lock, so two at once cannot
    /// send the same notice; the unique (item, level, anchor) index is the last line of defence.
    public func runDunning(asOf: BusinessDate, rules: VersionedRules, in tx: TenantTransaction) async throws -> DunningOutcome {
        try await tx.query("SELECT pg_advisory_xact_lock(hashtext('otc.dunning_run'))")
        let overdue = try await ledger.overdueItems(asOf: asOf, in: tx)
        let holds = try await store.itemHolds(in: tx)
        let accounts = try await store.accounts(nil, in: tx)
        let sent = try await store.levelsSent(items: overdue.map(\.item.id), in: tx)
        let candidates = overdue.compactMap { item, lastPayment -> DunningPlanner.Candidate? in
            guard let due = item.dueDate else { return nil }
            var candidate = DunningPlanner.Candidate(
                itemID: item.id, documentNumber: item.documentNumber, customerNumber: item.customerNumber, currency: item.currency.code,
                dueDate: due, lastPayment: lastPayment, openAmount: item.openAmount, heldAmount: holds[item.id] ?? 0,
                customerOnHold: accounts[item.customerNumber]?.dunningHold ?? false)
            candidate.levelSent = sent["\(item.id)/\(candidate.anchor.dayNumber)"] ?? 0
            return candidate
        }
        let plan = DunningPlanner.plan(candidates, asOf: asOf, rules: rules.rules.collections)
        let itemCount = plan.notices.reduce(0) { $0 + $1.items.count }
        let runID = try await store.insertRun(asOf: asOf, notices: plan.notices.count, items: itemCount, skipped: plan.skipped,
                                              rulesVersion: rules.version, in: tx)
        let names = try await customers.names(Array(Set(plan.notices.map(\.customerNumber))), in: tx)
        let records = plan.notices.map { notice -> DunningNoticeRecord in
            let currency = Currency(notice.currency) ?? Currency("XXX")!
            let name = names[notice.customerNumber] ?? notice.customerNumber
            let text = DunningPlanner.text(
                template: notice.level.template, customerName: name, customerNumber: notice.customerNumber, asOf: asOf,
                level: notice.level.level, currency: currency,
                items: notice.items.map { ($0.candidate.documentNumber, $0.candidate.dueDate, $0.daysOverdue, $0.dunnedAmount) })
            return DunningNoticeRecord(
                id: UUID(), runID: runID, customerNumber: notice.customerNumber, currency: notice.currency, level: notice.level.level,
                action: notice.level.action, total: notice.total, asOf: asOf, text: text,
                items: notice.items.map {
                    DunningNoticeRecord.Item(documentNumber: $0.candidate.documentNumber, dueDate: $0.candidate.dueDate,
                                             anchorDate: $0.candidate.anchor, daysOverdue: $0.daysOverdue,
                                             openAmount: $0.candidate.openAmount, disputedAmount: min($0.candidate.openAmount, $0.candidate.heldAmount),
                                             dunnedAmount: $0.dunnedAmount)
                })
        }
        try await store.insertNotices(records, itemIDs: plan.notices.map { $0.items.map(\.candidate.itemID) }, in: tx)
        try await tx.audit(action: "collections.dunning_run", entityType: "dunning_run", entityID: runID.uuidString.lowercased(), details: [
            "as_of": asOf.description, "notices": "\(records.count)", "items": "\(itemCount)", "rules_version": "\(rules.version)",
            "skipped": plan.skipped.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
        ])
        return DunningOutcome(runID: runID, notices: records, skipped: plan.skipped)
    }

    /// otcd's job: promises whose day has passed are settled as of the tenant's today, so a broken
    /// one is on top of the worklist when the shift starts, without anyone asking.
    public static let promiseWatch = TenantJob(name: "promise-watch") { tx in
        try await Collections().detectPromises(asOf: tx.today, rules: try await tx.currentRules(), in: tx).broken.count
    }

    /// Excludes `amount` of an item from dunning, or lifts the exclusion (0): dispute resolution
    /// holds what is disputed while the dispute is open.
    public func holdItem(_ itemID: UUID, documentNumber: String, amount: Int64, reason: String, reference: String,
                         in tx: TenantTransaction) async throws {
        try await store.setItemHold(itemID: itemID, documentNumber: documentNumber, amount: amount, reason: reason, reference: reference, in: tx)
    }

    /// Resolves open promises as of `asOf`: kept when paid, broken when the date (plus grace) has
    /// passed without payment. Each promise changes state once (the update only takes open ones);
    /// a broken one opens a follow-up task and goes to the top of the worklist.
    public func detectPromises(asOf: BusinessDate, rules: VersionedRules,
                               in tx: TenantTransaction) async throws -> (broken: [PromiseToPay], kept: [PromiseToPay]) {
        var broken: [PromiseToPay] = []
        var kept: [PromiseToPay] = []
        let grace = rules.rules.collections.promiseGraceDays
        let open = try await store.promises(customer: nil, status: "open", limit: 10_000, in: tx)
        let received = try await ledger.receipts(open.map { promise in
            let through = min(asOf, promise.promisedDate.adding(days: grace))
            return Ledger.ReceiptWindow(customer: promise.customerNumber, currency: promise.amount.currency.code, from: promise.madeOn,
                                        through: max(through, promise.madeOn))
        }, in: tx)
        for (promise, paid) in zip(open, received) {
            let status = PromiseToPay.evaluate(amount: promise.amount.units, paid: paid, promisedDate: promise.promisedDate,
                                               graceDays: grace, asOf: asOf)
            guard status != .open, let resolved = try await store.resolvePromise(promise.id, status: status, paid: paid, in: tx) else {
                continue
            }
            let subject = resolved.id.uuidString.lowercased()
            try await tx.audit(action: "collections.promise_\(status.rawValue)", entityType: "promise", entityID: subject, details: [
                "customer": resolved.customerNumber, "amount": resolved.amount.description, "promised_date": resolved.promisedDate.description,
                "paid": Money(units: paid, currency: resolved.amount.currency).description, "as_of": asOf.description,
                "rules_version": "\(rules.version)",
            ])
            if status == .broken {
                try await tx.openTask(
                    kind: "promise_broken", subjectType: "customer", subjectID: resolved.customerNumber,
                    title: "Promise to pay \(resolved.amount) by \(resolved.promisedDate) broken by \(resolved.customerNumber)",
                    rules: rules, details: ["promise": subject, "paid": Money(units: paid, currency: resolved.amount.currency).description])
                broken.append(resolved)
            } else {
                try await tx.closeTasks(subjectType: "customer", subjectID: resolved.customerNumber, kind: "promise_broken",
                                        resolution: "a later promise was kept")
                kept.append(resolved)
            }
        }
        return (broken, kept)
    }

    /// Accounts to work, ranked, with their collectors. Names and activity dates are looked up
    /// for the page shown only (`details(of:)`): a tenant has tens of thousands of accounts.
    public func worklist(asOf: BusinessDate, collector: String?, rules: VersionedRules,
                         in tx: TenantTransaction) async throws -> [(ranked: WorklistRanking.Ranked, collector: String)] {
        let overdue = try await ledger.overdueAccounts(asOf: asOf, in: tx)
        let standing = try await store.promiseStanding(in: tx)
        let riskClasses = try await CreditStore().riskClasses(in: tx)
        let accounts = try await store.accounts(nil, in: tx)
        var rows: [String: WorklistRanking.Account] = [:]
        for row in overdue {
            rows[row.customer + "\u{1F}" + row.currency] = WorklistRanking.Account(
                customerNumber: row.customer, currency: row.currency, overdue: row.overdue, open: row.open, maxDaysOverdue: row.maxDays)
        }
        // A broken promise keeps its account on the list even when nothing is overdue any more.
        for (key, promise) in standing where promise.unhandled && rows[key] == nil {
            let parts = key.split(separator: "\u{1F}").map(String.init)
            rows[key] = WorklistRanking.Account(customerNumber: parts[0], currency: parts[1], overdue: 0, open: 0, maxDaysOverdue: 0)
        }
        var list: [WorklistRanking.Account] = []
        for (key, var account) in rows {
            if let collector, (accounts[account.customerNumber]?.collector ?? "") != (collector == "-" ? "" : collector) { continue }
            account.riskClass = riskClasses[account.customerNumber] ?? ""
            if let promise = standing[key] {
                account.brokenPromises = promise.broken
                account.brokenUnhandled = promise.unhandled
                account.promiseRunning = promise.running
            }
            list.append(account)
        }
        return WorklistRanking.rank(list, rules: rules.rules.collections).map {
            (ranked: $0, collector: accounts[$0.account.customerNumber]?.collector ?? "")
        }
    }

    /// Names, last activity and follow-up date of the customers on one page of the worklist.
    public func details(of customers: [String], in tx: TenantTransaction) async throws
        -> (names: [String: String], activity: [String: (at: Date, followUp: BusinessDate?)])
    {
        (try await self.customers.names(customers, in: tx), try await store.lastActivities(customers, in: tx))
    }
}
