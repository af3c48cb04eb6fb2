public import OTCCore
public import OTCStore
public import OTCReceivables
import OTCProto
import Foundation
import SwiftProtobuf

/// `otc.collections.v1.CollectionsService`: aging, dunning, the worklist, activities, promises to
/// pay, provisions and write-offs.
public struct CollectionsService: RPCService {
    let store: TenantStore
    let collections = Collections()
    let records = CollectionsStore()
    let ledger = Ledger()
    let customers = CustomerStore()

    let observers: [any SettlementObserver]

    /// `observers` hear of approved write-offs, like of payments: held orders are re-checked,
    /// orders whose invoices are all settled close.
    public init(store: TenantStore, observers: [any SettlementObserver] = []) {
        self.store = store
        self.observers = observers
    }

    static let prefix = "/otc.collections.v1.CollectionsService/"
    static let writeOffTask = "write_off_approval"

    public func registerMethods(with table: inout MethodTable) {
        let read = MethodAccess.tenant(scope: .collectionsRead, role: .viewer)
        let analyst = MethodAccess.tenant(scope: .collectionsRead, role: .analyst, erpAllowed: false)
        table.register(Self.prefix + "GetAging", access: read, mutating: false, aging)
        table.register(Self.prefix + "RunDunning", access: analyst, mutating: true, runDunning)
        table.register(Self.prefix + "ListDunningNotices", access: read, mutating: false, listNotices)
        table.register(Self.prefix + "ExportDunningNotice", access: read, mutating: false, exportNotice)
        table.register(Self.prefix + "SetDunningHold", access: analyst, mutating: true, setDunningHold)
        table.register(Self.prefix + "SetItemHold", access: analyst, mutating: true, setItemHold)
        table.register(Self.prefix + "GetWorklist", access: .tenant(scope: .collectionsRead, role: .viewer, erpAllowed: false),
                       mutating: false, worklist)
        table.register(Self.prefix + "AssignCollector", access: .tenant(scope: .collectionsRead, role: .teamLead, erpAllowed: false),
                       mutating: true, assignCollector)
        table.register(Self.prefix + "AddActivity", access: analyst, mutating: true, addActivity)
        table.register(Self.prefix + "ListActivities", access: read, mutating: false, listActivities)
        table.register(Self.prefix + "AddPromise", access: analyst, mutating: true, addPromise)
        table.register(Self.prefix + "ListPromises", access: read, mutating: false, listPromises)
        table.register(Self.prefix + "DetectBrokenPromises", access: analyst, mutating: true, detectPromises)
        table.register(Self.prefix + "GetProvision", access: read, mutating: false, provision)
        table.register(Self.prefix + "RequestWriteOff", access: analyst, mutating: true, requestWriteOff)
        table.register(Self.prefix + "ApproveWriteOff", access: analyst, mutating: true, approveWriteOff)
        table.register(Self.prefix + "RejectWriteOff", access: analyst, mutating: true, rejectWriteOff)
        table.register(Self.prefix + "ListWriteOffs", access: read, mutating: false, listWriteOffs)
    }

    // MARK: Aging and provision

    @Sendable func aging(_ request: Otc_Collections_V1_GetAgingRequest, _ context: CallContext) async throws -> Otc_Collections_V1_Aging {
        let paging = try Paging(pageSize: request.pageSize, pageToken: request.pageToken, kind: "aging")
        let offset = Int(try paging.afterNumber() ?? 0)
        return try await store.transaction(context) { tx in
            let rules = try await tx.currentRules()
            let asOf = try BusinessDate.optional(request.asOf, isSet: request.hasAsOf, field: "as_of") ?? tx.today
            let buckets = try AgingBuckets(bounds: rules.rules.collections.agingBuckets)
            let rows = try await ledger.aging(asOf: asOf, buckets: buckets, customer: request.customerNumber.isEmpty ? nil : request.customerNumber,
                                              currency: request.currency.isEmpty ? nil : request.currency, today: tx.today, in: tx)
            var totals: [String: Ledger.AgingRow] = [:]
            for row in rows {
                var total = totals[row.currency] ?? Ledger.AgingRow(customerNumber: "", currency: row.currency,
                                                                     buckets: .init(repeating: 0, count: buckets.labels.count), items: 0)
                for i in row.buckets.indices { total.buckets[i] += row.buckets[i] }
                total.items += row.items
                totals[row.currency] = total
            }
            // Largest overdue first: the customers a team lead asks about.
            let sorted = rows.sorted {
                ($0.overdue, $0.total, $1.customerNumber, $1.currency) > ($1.overdue, $1.total, $0.customerNumber, $0.currency)
            }
            let page = Array(sorted.dropFirst(offset).prefix(paging.limit))
            let names = try await customers.names(page.map(\.customerNumber), in: tx)
            var response = Otc_Collections_V1_Aging()
            response.asOf = asOf.message
            response.labels = buckets.labels
            response.totals = totals.values.sorted { $0.currency < $1.currency }.map { Self.message($0, labels: buckets.labels, name: "") }
            response.customers = page.map { Self.message($0, labels: buckets.labels, name: names[$0.customerNumber] ?? "") }
            response.customerCount = Int32(rows.count)
            response.rulesVersion = Int32(rules.version)
            response.nextPageToken = paging.nextToken(lastKey: "\(offset + page.count)", returned: page.count, kind: "aging")
            return response
        }
    }

    @Sendable func provision(_ request: Otc_Collections_V1_GetProvisionRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_Provision
    {
        try await store.transaction(context) { tx in
            let rules = try await tx.currentRules()
            let asOf = try BusinessDate.optional(request.asOf, isSet: request.hasAsOf, field: "as_of") ?? tx.today
            let buckets = try AgingBuckets(bounds: rules.rules.collections.agingBuckets)
            var totals: [String: [Int64]] = [:]
            for row in try await ledger.aging(asOf: asOf, buckets: buckets, customer: nil, currency: nil, today: tx.today, in: tx) {
                var sums = totals[row.currency] ?? .init(repeating: 0, count: buckets.labels.count)
                for i in row.buckets.indices { sums[i] += row.buckets[i] }
                totals[row.currency] = sums
            }
            var response = Otc_Collections_V1_Provision()
            response.asOf = asOf.message
            response.rulesVersion = Int32(rules.version)
            for (currency, sums) in totals.sorted(by: { $0.key < $1.key }) {
                let lines = ProvisionMatrix.lines(currency: currency, labels: buckets.labels, buckets: sums,
                                                  rates: rules.rules.collections.provisionRates)
                response.lines += lines.map { line in
                    .with {
                        $0.currency = line.currency
                        $0.bucket = line.bucket
                        $0.receivables = line.receivables
                        $0.rateBp = Int32(line.rateBasisPoints)
                        $0.provision = line.provision
                    }
                }
                response.totals.append(.with { $0.currency = currency; $0.units = lines.reduce(0) { $0 + $1.provision } })
            }
            return response
        }
    }

    // MARK: Dunning

    @Sendable func runDunning(_ request: Otc_Collections_V1_RunDunningRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_DunningRun
    {
        try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let asOf = try BusinessDate.optional(request.asOf, isSet: request.hasAsOf, field: "as_of") ?? tx.today
            let outcome = try await collections.runDunning(asOf: asOf, rules: rules, in: tx)
            let names = try await customers.names(Array(Set(outcome.notices.map(\.customerNumber))), in: tx)
            var response = Otc_Collections_V1_DunningRun()
            response.id = outcome.runID.uuidString.lowercased()
            response.asOf = asOf.message
            response.notices = Int32(outcome.notices.count)
            response.items = Int32(outcome.items)
            response.skipped = outcome.skipped.mapValues(Int32.init)
            response.rulesVersion = Int32(rules.version)
            response.noticeList = outcome.notices.prefix(500).map { Self.message($0, name: names[$0.customerNumber] ?? "") }
            return response
        }
    }

    @Sendable func listNotices(_ request: Otc_Collections_V1_ListDunningNoticesRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_ListDunningNoticesResponse
    {
        let paging = try Paging(pageSize: request.pageSize, pageToken: request.pageToken, kind: "notices")
        let after = try paging.afterNumber()
        let runID = request.runID.isEmpty ? nil : try UUID.parse(request.runID, what: "dunning run")
        return try await store.transaction(context) { tx in
            let page = try await records.notices(runID: runID, noticeID: nil, customer: request.customerNumber.isEmpty ? nil : request.customerNumber,
                                                 afterSeq: after, limit: paging.limit, in: tx)
            let names = try await customers.names(Array(Set(page.map(\.notice.customerNumber))), in: tx)
            var response = Otc_Collections_V1_ListDunningNoticesResponse()
            response.notices = page.map { Self.message($0.notice, name: names[$0.notice.customerNumber] ?? "") }
            response.nextPageToken = paging.nextToken(lastKey: page.last.map { "\($0.seq)" }, returned: page.count, kind: "notices")
            return response
        }
    }

    @Sendable func exportNotice(_ request: Otc_Collections_V1_ExportDunningNoticeRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_ExportDunningNoticeResponse
    {
        let id = try UUID.parse(request.id, what: "dunning notice")
        return try await store.transaction(context) { tx in
            guard let (notice, _) = try await records.notices(runID: nil, noticeID: id, customer: nil, afterSeq: nil, limit: 1, in: tx).first
            else { throw OTCError.notFound("dunning notice \(request.id) does not exist") }
            let names = try await customers.names([notice.customerNumber], in: tx)
            var response = Otc_Collections_V1_ExportDunningNoticeResponse()
            response.text = notice.text
            response.notice = Self.message(notice, name: names[notice.customerNumber] ?? "")
            return response
        }
    }

    @Sendable func setDunningHold(_ request: Otc_Collections_V1_SetDunningHoldRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_CollectionAccount
    {
        let reason = request.reason.trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty else { throw OTCError.invalidArgument("say why dunning is held or resumed (reason); it is audited") }
        return try await store.idempotentTransaction(context) { tx in
            try await requireCustomer(request.customerNumber, in: tx)
            let account = try await records.setHold(customer: request.customerNumber, hold: request.hold, reason: request.hold ? reason : "",
                                                    in: tx)
            try await tx.audit(action: request.hold ? "collections.dunning_hold" : "collections.dunning_resume", entityType: "customer",
                               entityID: request.customerNumber, details: ["reason": reason])
            return Self.message(account)
        }
    }

    @Sendable func setItemHold(_ request: Otc_Collections_V1_SetItemHoldRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_ItemHold
    {
        let reason = request.reason.trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty else { throw OTCError.invalidArgument("say why the item is held from dunning (reason), e.g. the dispute") }
        guard request.amount >= 0 else { throw OTCError.invalidArgument("amount cannot be negative (0 lifts the hold)") }
        return try await store.idempotentTransaction(context) { tx in
            guard let item = try await ledger.item(documentNumber: request.documentNumber, in: tx), item.amount > 0 else {
                throw OTCError.notFound("no invoice or debit memo \(request.documentNumber) is in the ledger")
            }
            guard request.amount <= item.openAmount else {
                throw OTCError.failedPrecondition(
                    "\(item.documentNumber) has \(Money(units: item.openAmount, currency: item.currency)) open; at most that can be held",
                    details: ["reason": "EXCEEDS_OPEN_AMOUNT"])
            }
            try await records.setItemHold(itemID: item.id, documentNumber: item.documentNumber, amount: request.amount, reason: reason,
                                          reference: request.reference, in: tx)
            try await tx.audit(action: request.amount > 0 ? "collections.item_hold" : "collections.item_release", entityType: "open_item",
                               entityID: item.id.uuidString.lowercased(), details: [
                                   "document": item.documentNumber, "amount": Money(units: request.amount, currency: item.currency).description,
                                   "reason": reason, "reference": request.reference,
                               ])
            return .with {
                $0.documentNumber = item.documentNumber
                $0.amount = request.amount
                $0.reason = reason
                $0.reference = request.reference
            }
        }
    }

    // MARK: Worklist and activities

    @Sendable func worklist(_ request: Otc_Collections_V1_GetWorklistRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_Worklist
    {
        let paging = try Paging(pageSize: request.pageSize, pageToken: request.pageToken, kind: "worklist")
        let offset = Int(try paging.afterNumber() ?? 0)
        return try await store.transaction(context) { tx in
            let rules = try await tx.currentRules()
            let asOf = try BusinessDate.optional(request.asOf, isSet: request.hasAsOf, field: "as_of") ?? tx.today
            // Promises whose day has passed are settled first, so a broken one is on top now.
            let detected = try await collections.detectPromises(asOf: asOf, rules: rules, in: tx)
            let entries = try await collections.worklist(asOf: asOf, collector: request.collector.isEmpty ? nil : request.collector,
                                                         rules: rules, in: tx)
            let page = Array(entries.dropFirst(offset).prefix(paging.limit))
            let details = try await collections.details(of: Array(Set(page.map(\.ranked.account.customerNumber))), in: tx)
            var response = Otc_Collections_V1_Worklist()
            response.entries = page.enumerated().map { index, entry in
                let customer = entry.ranked.account.customerNumber
                return Self.message(entry.ranked, rank: offset + index + 1, name: details.names[customer] ?? "", collector: entry.collector,
                                    lastActivity: details.activity[customer]?.at, followUp: details.activity[customer]?.followUp)
            }
            response.accounts = Int32(entries.count)
            response.rulesVersion = Int32(rules.version)
            response.promisesBroken = Int32(detected.broken.count)
            response.nextPageToken = paging.nextToken(lastKey: "\(offset + page.count)", returned: page.count, kind: "worklist")
            return response
        }
    }

    @Sendable func assignCollector(_ request: Otc_Collections_V1_AssignCollectorRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_AssignCollectorResponse
    {
        guard !request.customerNumbers.isEmpty else { throw OTCError.invalidArgument("name at least one customer to assign") }
        return try await store.idempotentTransaction(context) { tx in
            var response = Otc_Collections_V1_AssignCollectorResponse()
            for customer in request.customerNumbers {
                try await requireCustomer(customer, in: tx)
                let account = try await records.assign(customer: customer, collector: request.collector, in: tx)
                try await tx.audit(action: "collections.assign", entityType: "customer", entityID: customer,
                                   details: ["collector": request.collector.isEmpty ? "unassigned" : request.collector])
                response.accounts.append(Self.message(account))
            }
            return response
        }
    }

    @Sendable func addActivity(_ request: Otc_Collections_V1_AddActivityRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_Activity
    {
        guard Activity.kinds.contains(request.kind) else {
            throw OTCError.invalidArgument("activity kind '\(request.kind)' is unknown: use \(Activity.kinds.sorted().joined(separator: ", "))")
        }
        guard !(request.note.isEmpty && request.outcome.isEmpty) else {
            throw OTCError.invalidArgument("an activity needs an outcome or a note: what happened?")
        }
        return try await store.idempotentTransaction(context) { tx in
            try await requireCustomer(request.customerNumber, in: tx)
            let followUp = try BusinessDate.optional(request.followUp, isSet: request.hasFollowUp, field: "follow_up")
            let activity = try await records.addActivity(customer: request.customerNumber, kind: request.kind, outcome: request.outcome,
                                                         note: request.note, followUp: followUp, in: tx)
            // Following up a broken promise answers its task.
            try await tx.closeTasks(subjectType: "customer", subjectID: request.customerNumber, kind: "promise_broken",
                                    resolution: "\(request.kind): \(request.outcome.isEmpty ? request.note : request.outcome)")
            return Self.message(activity)
        }
    }

    @Sendable func listActivities(_ request: Otc_Collections_V1_ListActivitiesRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_ListActivitiesResponse
    {
        let paging = try Paging(pageSize: request.pageSize, pageToken: request.pageToken, kind: "activities")
        let before = try paging.afterNumber()
        return try await store.transaction(context) { tx in
            let page = try await records.activities(customer: request.customerNumber, beforeSeq: before, limit: paging.limit, in: tx)
            var response = Otc_Collections_V1_ListActivitiesResponse()
            response.activities = page.map { Self.message($0.0) }
            response.nextPageToken = paging.nextToken(lastKey: page.last.map { "\($0.1)" }, returned: page.count, kind: "activities")
            return response
        }
    }

    // MARK: Promises

    @Sendable func addPromise(_ request: Otc_Collections_V1_AddPromiseRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_Promise
    {
        guard let currency = Currency(request.amount.currency), request.amount.units > 0 else {
            throw OTCError.invalidArgument("a promise needs a positive amount in an ISO 4217 currency")
        }
        return try await store.idempotentTransaction(context) { tx in
            try await requireCustomer(request.customerNumber, in: tx)
            let promised = try BusinessDate(request.promisedDate, field: "promised_date")
            let today = tx.today
            guard promised >= today else {
                throw OTCError.invalidArgument("promised_date \(promised) is in the past (today is \(today)); record what the customer promises from now")
            }
            let promise = try await records.addPromise(customer: request.customerNumber, amount: Money(units: request.amount.units, currency: currency),
                                                       promisedDate: promised, madeOn: today, note: request.note, in: tx)
            _ = try await records.addActivity(customer: request.customerNumber, kind: "note", outcome: "promised",
                                              note: "promise to pay \(promise.amount) by \(promised)" + (request.note.isEmpty ? "" : ": \(request.note)"),
                                              followUp: promised.adding(days: 1), in: tx)
            try await tx.audit(action: "collections.promise", entityType: "promise", entityID: promise.id.uuidString.lowercased(),
                               details: ["customer": promise.customerNumber, "amount": promise.amount.description, "promised_date": "\(promised)"])
            return Self.message(promise)
        }
    }

    @Sendable func listPromises(_ request: Otc_Collections_V1_ListPromisesRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_ListPromisesResponse
    {
        if !request.status.isEmpty, PromiseToPay.Status(rawValue: request.status) == nil {
            throw OTCError.invalidArgument("status is open, kept, broken or cancelled (got '\(request.status)')")
        }
        return try await store.transaction(context) { tx in
            var response = Otc_Collections_V1_ListPromisesResponse()
            response.promises = try await records.promises(
                customer: request.customerNumber.isEmpty ? nil : request.customerNumber, status: request.status.isEmpty ? nil : request.status,
                limit: 500, in: tx).map(Self.message)
            return response
        }
    }

    @Sendable func detectPromises(_ request: Otc_Collections_V1_DetectBrokenPromisesRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_DetectBrokenPromisesResponse
    {
        try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let asOf = try BusinessDate.optional(request.asOf, isSet: request.hasAsOf, field: "as_of") ?? tx.today
            let (broken, kept) = try await collections.detectPromises(asOf: asOf, rules: rules, in: tx)
            var response = Otc_Collections_V1_DetectBrokenPromisesResponse()
            response.broken = broken.map(Self.message)
            response.kept = kept.map(Self.message)
            return response
        }
    }

    // MARK: Write-offs (maker-checker)

    @Sendable func requestWriteOff(_ request: Otc_Collections_V1_RequestWriteOffRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_WriteOff
    {
        let reason = request.reason.trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty else { throw OTCError.invalidArgument("a write-off needs a reason; the approver and the auditors read it") }
        guard request.amount >= 0 else { throw OTCError.invalidArgument("amount cannot be negative (0 = the whole open amount)") }
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            guard let item = try await ledger.item(documentNumber: request.documentNumber, in: tx), item.amount > 0 else {
                throw OTCError.notFound("no invoice or debit memo \(request.documentNumber) is in the ledger")
            }
            let amount = request.amount == 0 ? item.openAmount : request.amount
            guard item.openAmount > 0, amount <= item.openAmount else {
                throw OTCError.failedPrecondition(
                    "\(item.documentNumber) has \(Money(units: item.openAmount, currency: item.currency)) open; \(Money(units: amount, currency: item.currency)) cannot be written off",
                    details: ["reason": "EXCEEDS_OPEN_AMOUNT"])
            }
            let stored = try await records.insertWriteOff(itemID: item.id, documentNumber: item.documentNumber, customer: item.customerNumber,
                                                          amount: Money(units: amount, currency: item.currency), reason: reason,
                                                          rulesVersion: rules.version, in: tx)
            let subject = stored.id.uuidString.lowercased()
            try await tx.openTask(kind: Self.writeOffTask, subjectType: "write_off_request", subjectID: subject,
                                  title: "Approve write-off of \(stored.amount) on \(item.documentNumber) (\(item.customerNumber))", rules: rules,
                                  details: ["requested_by": stored.requestedBy, "reason": reason])
            try await tx.audit(action: "collections.write_off_request", entityType: "write_off_request", entityID: subject, details: [
                "document": item.documentNumber, "customer": item.customerNumber, "amount": stored.amount.description, "reason": reason,
            ])
            return Self.message(stored)
        }
    }

    @Sendable func approveWriteOff(_ request: Otc_Collections_V1_DecideWriteOffRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_WriteOff
    {
        let id = try UUID.parse(request.id, what: "write-off request")
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let pending = try await pendingWriteOff(id, in: tx)
            try rules.rules.collections.writeOffLimits.authorize(
                requester: pending.requestedBy, approver: tx.context.principal.auditID, role: tx.role, amount: pending.amount.units,
                currency: pending.amount.currency, section: "collections.write_off_limits", what: "write-offs")
            let note = request.reason.trimmingCharacters(in: .whitespaces)
            // Posts: Dr write-off, Cr receivables; refused when less is open now than was requested.
            let application = try await ledger.apply(pending.amount.units, to: pending.itemID, from: .account(.writeOff), on: tx.today,
                                                     reason: "write-off \(request.id.lowercased()): \(pending.reason)", in: tx)
            let decided = try await records.decideWriteOff(id, status: .approved, note: note, applicationID: application.id, in: tx)
            for observer in observers {
                try await observer.settled(customer: pending.customerNumber, documents: [pending.documentNumber],
                                           cause: "write-off \(request.id.lowercased())", rules: rules, in: tx)
            }
            try await tx.closeTasks(subjectType: "write_off_request", subjectID: request.id.lowercased(), resolution: "approved")
            try await tx.audit(action: "collections.write_off_approve", entityType: "write_off_request", entityID: request.id.lowercased(),
                               details: ["document": pending.documentNumber, "amount": pending.amount.description,
                                         "requested_by": pending.requestedBy, "role": tx.role?.rawValue ?? "-", "note": note,
                                         "application": application.id.uuidString.lowercased(), "rules_version": "\(rules.version)"])
            return Self.message(decided)
        }
    }

    @Sendable func rejectWriteOff(_ request: Otc_Collections_V1_DecideWriteOffRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_WriteOff
    {
        let id = try UUID.parse(request.id, what: "write-off request")
        let reason = request.reason.trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty else { throw OTCError.invalidArgument("say why the write-off is rejected (reason)") }
        return try await store.idempotentTransaction(context) { tx in
            let pending = try await pendingWriteOff(id, in: tx)
            guard pending.requestedBy != tx.context.principal.auditID else {
                throw OTCError(.permissionDenied, "you made this request; another operator must decide it (four-eyes principle)",
                               details: ["reason": "SAME_OPERATOR"])
            }
            let decided = try await records.decideWriteOff(id, status: .rejected, note: reason, applicationID: nil, in: tx)
            try await tx.closeTasks(subjectType: "write_off_request", subjectID: request.id.lowercased(), resolution: "rejected: \(reason)")
            try await tx.audit(action: "collections.write_off_reject", entityType: "write_off_request", entityID: request.id.lowercased(),
                               details: ["document": pending.documentNumber, "reason": reason])
            return Self.message(decided)
        }
    }

    private func pendingWriteOff(_ id: UUID, in tx: TenantTransaction) async throws -> WriteOffRequest {
        guard let found = try await records.writeOff(id, lock: true, in: tx) else {
            throw OTCError.notFound("write-off request \(id.uuidString.lowercased()) does not exist")
        }
        guard found.status == .pending else {
            throw OTCError.failedPrecondition("write-off request \(id.uuidString.lowercased()) is already \(found.status.rawValue)")
        }
        return found
    }

    @Sendable func listWriteOffs(_ request: Otc_Collections_V1_ListWriteOffsRequest, _ context: CallContext) async throws
        -> Otc_Collections_V1_ListWriteOffsResponse
    {
        if !request.status.isEmpty, WriteOffRequest.Status(rawValue: request.status) == nil {
            throw OTCError.invalidArgument("status is pending, approved or rejected (got '\(request.status)')")
        }
        return try await store.transaction(context) { tx in
            var response = Otc_Collections_V1_ListWriteOffsResponse()
            response.writeOffs = try await records.writeOffs(status: request.status.isEmpty ? nil : request.status, limit: 500, in: tx)
                .map(Self.message)
            return response
        }
    }

    private func requireCustomer(_ number: String, in tx: TenantTransaction) async throws {
        guard !number.isEmpty else { throw OTCError.invalidArgument("customer_number is required") }
        guard try await customers.find(number, in: tx) != nil else { throw OTCError.notFound("customer \(number) does not exist") }
    }

}
