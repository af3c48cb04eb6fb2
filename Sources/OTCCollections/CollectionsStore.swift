import OTCCore
import OTCStore
import Foundation
import PostgresNIO

/// The SQL of collections. Dates travel as day numbers, like the ledger's.
public struct CollectionsStore: Sendable {
    public init() {}

    // MARK: Accounts and holds

    func accounts(_ customers: [String]?, in tx: TenantTransaction) async throws -> [String: CollectionAccount] {
        let rows = try await tx.query(
            """
            SELECT customer_number, collector, dunning_hold, hold_reason FROM collection_accounts
            WHERE \(customers)::text[] IS NULL OR customer_number = ANY(\(customers))
            """)
        var result: [String: CollectionAccount] = [:]
        for try await (customer, collector, hold, reason) in rows.decode((String, String, Bool, String).self) {
            result[customer] = CollectionAccount(customerNumber: customer, collector: collector, dunningHold: hold, holdReason: reason)
        }
        return result
    }

    func setHold(customer: String, hold: Bool, reason: String, in tx: TenantTransaction) async throws -> CollectionAccount {
        try await upsertAccount(customer: customer, collector: nil, hold: hold, reason: reason, in: tx)
    }

    func assign(customer: String, collector: String, in tx: TenantTransaction) async throws -> CollectionAccount {
        try await upsertAccount(customer: customer, collector: collector, hold: nil, reason: nil, in: tx)
    }

    private func upsertAccount(customer: String, collector: String?, hold: Bool?, reason: String?,
                               in tx: TenantTransaction) async throws -> CollectionAccount {
        let rows = try await tx.query(
            """
            INSERT INTO collection_accounts (customer_number, collector, dunning_hold, hold_reason)
            VALUES (\(customer), coalesce(\(collector)::text, ''), coalesce(\(hold)::boolean, false), coalesce(\(reason)::text, ''))
            ON CONFLICT (customer_number) DO UPDATE SET
                collector = coalesce(\(collector)::text, collection_accounts.collector),
                dunning_hold = coalesce(\(hold)::boolean, collection_accounts.dunning_hold),
                hold_reason = coalesce(\(reason)::text, collection_accounts.hold_reason), updated_at = now()
            RETURNING customer_number, collector, dunning_hold, hold_reason
            """)
        for try await (customer, collector, hold, reason) in rows.decode((String, String, Bool, String).self) {
            return CollectionAccount(customerNumber: customer, collector: collector, dunningHold: hold, holdReason: reason)
        }
        throw OTCError.notFound("customer \(customer) does not exist")
    }

    /// Amounts of items excluded from dunning.
    func itemHolds(in tx: TenantTransaction) async throws -> [UUID: Int64] {
        var result: [UUID: Int64] = [:]
        for try await (id, amount) in try await tx.query("SELECT item_id, amount FROM collection_item_holds").decode((UUID, Int64).self) {
            result[id] = amount
        }
        return result
    }

    func setItemHold(itemID: UUID, documentNumber: String, amount: Int64, reason: String, reference: String,
                     in tx: TenantTransaction) async throws {
        guard amount > 0 else {
            try await tx.query("DELETE FROM collection_item_holds WHERE item_id = \(itemID)")
            return
        }
        try await tx.query(
            """
            INSERT INTO collection_item_holds (item_id, document_number, amount, reason, reference, principal)
            VALUES (\(itemID), \(documentNumber), \(amount), \(reason), \(reference), \(tx.context.principal.auditID))
            ON CONFLICT (item_id) DO UPDATE SET amount = EXCLUDED.amount, reason = EXCLUDED.reason, reference = EXCLUDED.reference,
                principal = EXCLUDED.principal, created_at = now()
            """)
    }

    // MARK: Dunning

    /// Highest level already sent per item and anchor.
    func levelsSent(items: [UUID], in tx: TenantTransaction) async throws -> [String: Int] {
        var result: [String: Int] = [:]
        for try await (item, anchor, level) in try await tx.query(
            """
            SELECT item_id, anchor_date - DATE '1970-01-01', max(level) FROM dunning_notice_items
            WHERE item_id = ANY(\(items)) GROUP BY 1, 2
            """).decode((UUID, Int, Int).self)
        {
            result["\(item)/\(anchor)"] = level
        }
        return result
    }

    func insertRun(asOf: BusinessDate, notices: Int, items: Int, skipped: [String: Int], rulesVersion: Int,
                   in tx: TenantTransaction) async throws -> UUID {
        let json = JSONText.object(skipped.mapValues { "\($0)" })
        for try await id in try await tx.query(
            """
            INSERT INTO dunning_runs (as_of, notices, items, skipped, rules_version, principal)
            VALUES (DATE '1970-01-01' + \(asOf.dayNumber)::int, \(notices), \(items), \(json)::jsonb, \(rulesVersion),
                    \(tx.context.principal.auditID))
            RETURNING id
            """).decode(UUID.self)
        {
            return id
        }
        throw OTCError.internal(CollectionsFault("dunning run insert returned no id"))
    }

    /// Writes notices and their items in two statements, whatever their number.
    func insertNotices(_ notices: [DunningNoticeRecord], itemIDs: [[UUID]], in tx: TenantTransaction) async throws {
        guard !notices.isEmpty else { return }
        try await tx.query(
            """
            INSERT INTO dunning_notices (id, run_id, customer_number, currency, level, action, total, as_of, text)
            SELECT n.id, n.run, n.customer, n.currency, n.level, n.action, n.total, DATE '1970-01-01' + n.as_of, n.text
            FROM unnest(\(notices.map(\.id))::uuid[], \(notices.map(\.runID))::uuid[], \(notices.map(\.customerNumber))::text[],
                        \(notices.map(\.currency))::text[], \(notices.map(\.level))::int[], \(notices.map(\.action))::text[],
                        \(notices.map(\.total))::bigint[], \(notices.map(\.asOf.dayNumber))::int[], \(notices.map(\.text))::text[])
                 AS n(id, run, customer, currency, level, action, total, as_of, text)
            """)
        var noticeIDs: [UUID] = [], items: [UUID] = [], numbers: [String] = [], levels: [Int] = [], anchors: [Int] = []
        var dues: [Int] = [], days: [Int] = [], opens: [Int64] = [], disputed: [Int64] = [], dunned: [Int64] = []
        for (notice, ids) in zip(notices, itemIDs) {
            for (item, id) in zip(notice.items, ids) {
                noticeIDs.append(notice.id)
                items.append(id)
                numbers.append(item.documentNumber)
                levels.append(notice.level)
                anchors.append(item.anchorDate.dayNumber)
                dues.append(item.dueDate.dayNumber)
                days.append(item.daysOverdue)
                opens.append(item.openAmount)
                disputed.append(item.disputedAmount)
                dunned.append(item.dunnedAmount)
            }
        }
        try await tx.query(
            """
            INSERT INTO dunning_notice_items (notice_id, item_id, document_number, level, anchor_date, due_date, days_overdue, open_amount,
                                              disputed_amount, dunned_amount)
            SELECT n, i, d, l, DATE '1970-01-01' + a, DATE '1970-01-01' + u, y, o, p, x
            FROM unnest(\(noticeIDs)::uuid[], \(items)::uuid[], \(numbers)::text[], \(levels)::int[], \(anchors)::int[], \(dues)::int[],
                        \(days)::int[], \(opens)::bigint[], \(disputed)::bigint[], \(dunned)::bigint[]) AS t(n, i, d, l, a, u, y, o, p, x)
            """)
    }

    func notices(runID: UUID?, noticeID: UUID?, customer: String?, afterSeq: Int64?, limit: Int,
                 in tx: TenantTransaction) async throws -> [(notice: DunningNoticeRecord, seq: Int64)] {
        let rows = try await tx.query(
            """
            SELECT id, run_id, customer_number, currency::text, level, action, total, as_of - DATE '1970-01-01', text, seq
            FROM dunning_notices
            WHERE (\(runID)::uuid IS NULL OR run_id = \(runID)) AND (\(noticeID)::uuid IS NULL OR id = \(noticeID))
              AND (\(customer)::text IS NULL OR customer_number = \(customer)) AND (\(afterSeq)::bigint IS NULL OR seq > \(afterSeq))
            ORDER BY seq LIMIT \(limit)
            """)
        var result: [(DunningNoticeRecord, Int64)] = []
        for try await (id, run, customer, currency, level, action, total, asOf, text, seq) in rows
            .decode((UUID, UUID, String, String, Int, String, Int64, Int, String, Int64).self)
        {
            result.append((DunningNoticeRecord(id: id, runID: run, customerNumber: customer, currency: currency, level: level, action: action,
                                               total: total, asOf: BusinessDate(dayNumber: asOf), text: text, items: []), seq))
        }
        guard !result.isEmpty else { return [] }
        var items: [UUID: [DunningNoticeRecord.Item]] = [:]
        for try await (notice, number, due, anchor, days, open, disputed, dunned) in try await tx.query(
            """
            SELECT notice_id, document_number, due_date - DATE '1970-01-01', anchor_date - DATE '1970-01-01', days_overdue, open_amount,
                   disputed_amount, dunned_amount
            FROM dunning_notice_items WHERE notice_id = ANY(\(result.map(\.0.id))) ORDER BY due_date, document_number
            """).decode((UUID, String, Int, Int, Int, Int64, Int64, Int64).self)
        {
            items[notice, default: []].append(DunningNoticeRecord.Item(
                documentNumber: number, dueDate: BusinessDate(dayNumber: due), anchorDate: BusinessDate(dayNumber: anchor),
                daysOverdue: days, openAmount: open, disputedAmount: disputed, dunnedAmount: dunned))
        }
        return result.map { notice, seq in
            var notice = notice
            notice.items = items[notice.id] ?? []
            return (notice, seq)
        }
    }

    // MARK: Activities

    func addActivity(customer: String, kind: String, outcome: String, note: String, followUp: BusinessDate?,
                     in tx: TenantTransaction) async throws -> Activity {
        let rows = try await tx.query(
            """
            INSERT INTO collection_activities (customer_number, kind, outcome, note, follow_up, principal)
            VALUES (\(customer), \(kind), \(outcome), \(note), DATE '1970-01-01' + \(followUp?.dayNumber)::int, \(tx.context.principal.auditID))
            RETURNING id, at
            """)
        for try await (id, at) in rows.decode((UUID, Date).self) {
            return Activity(id: id, customerNumber: customer, kind: kind, outcome: outcome, note: note, followUp: followUp,
                            principal: tx.context.principal.auditID, at: at)
        }
        throw OTCError.internal(CollectionsFault("activity insert returned no id"))
    }

    func activities(customer: String, beforeSeq: Int64?, limit: Int, in tx: TenantTransaction) async throws -> [(Activity, Int64)] {
        let rows = try await tx.query(
            """
            SELECT id, customer_number, kind, outcome, note, follow_up - DATE '1970-01-01', principal, at, seq FROM collection_activities
            WHERE customer_number = \(customer) AND (\(beforeSeq)::bigint IS NULL OR seq < \(beforeSeq))
            ORDER BY seq DESC LIMIT \(limit)
            """)
        var result: [(Activity, Int64)] = []
        for try await (id, customer, kind, outcome, note, followUp, principal, at, seq) in rows
            .decode((UUID, String, String, String, String, Int?, String, Date, Int64).self)
        {
            result.append((Activity(id: id, customerNumber: customer, kind: kind, outcome: outcome, note: note,
                                    followUp: followUp.map(BusinessDate.init(dayNumber:)), principal: principal, at: at), seq))
        }
        return result
    }

    /// Per customer: when the last activity was logged, and the latest follow-up date set.
    func lastActivities(_ customers: [String], in tx: TenantTransaction) async throws -> [String: (at: Date, followUp: BusinessDate?)] {
        var result: [String: (Date, BusinessDate?)] = [:]
        for try await (customer, at, followUp) in try await tx.query(
            """
            SELECT customer_number, max(at), max(follow_up) - DATE '1970-01-01' FROM collection_activities
            WHERE kind <> 'system' AND customer_number = ANY(\(customers)) GROUP BY customer_number
            """).decode((String, Date, Int?).self)
        {
            result[customer] = (at, followUp.map(BusinessDate.init(dayNumber:)))
        }
        return result.mapValues { (at: $0.0, followUp: $0.1) }
    }

    // MARK: Promises

    static let promiseColumns = """
        id, customer_number, currency::text, amount, promised_date - DATE '1970-01-01', made_on - DATE '1970-01-01', status, paid, note,
        principal, resolved_at
        """

    func addPromise(customer: String, amount: Money, promisedDate: BusinessDate, madeOn: BusinessDate, note: String,
                    in tx: TenantTransaction) async throws -> PromiseToPay {
        let sql = """
            INSERT INTO promises (customer_number, currency, amount, promised_date, made_on, note, principal)
            VALUES ($1, $2, $3, DATE '1970-01-01' + $4::int, DATE '1970-01-01' + $5::int, $6, $7) RETURNING \(Self.promiseColumns)
            """
        var bindings = PostgresBindings()
        bindings.append(customer)
        bindings.append(amount.currency.code)
        bindings.append(amount.units)
        bindings.append(promisedDate.dayNumber)
        bindings.append(madeOn.dayNumber)
        bindings.append(note)
        bindings.append(tx.context.principal.auditID)
        guard let promise = try await promises(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx).first else {
            throw OTCError.internal(CollectionsFault("promise insert returned nothing"))
        }
        return promise
    }

    func promises(customer: String?, status: String?, limit: Int, in tx: TenantTransaction) async throws -> [PromiseToPay] {
        var bindings = PostgresBindings()
        bindings.append(customer)
        bindings.append(status)
        bindings.append(limit)
        let sql = """
            SELECT \(Self.promiseColumns) FROM promises
            WHERE ($1::text IS NULL OR customer_number = $1) AND ($2::text IS NULL OR status = $2) ORDER BY seq DESC LIMIT $3
            """
        return try await promises(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx)
    }

    /// Moves an open promise to kept or broken; nil when another transaction resolved it first
    /// (so each promise is resolved exactly once).
    func resolvePromise(_ id: UUID, status: PromiseToPay.Status, paid: Int64, in tx: TenantTransaction) async throws -> PromiseToPay? {
        var bindings = PostgresBindings()
        bindings.append(id)
        bindings.append(status.rawValue)
        bindings.append(paid)
        let sql = """
            UPDATE promises SET status = $2, paid = $3, resolved_at = now() WHERE id = $1 AND status = 'open'
            RETURNING \(Self.promiseColumns)
            """
        return try await promises(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx).first
    }

    /// Per customer and currency: promises broken in the last year, whether one broke after the
    /// last logged activity (nobody followed it up yet), and whether one is still running.
    func promiseStanding(in tx: TenantTransaction) async throws -> [String: (broken: Int, unhandled: Bool, running: Bool)] {
        var result: [String: (Int, Bool, Bool)] = [:]
        for try await (customer, currency, broken, unhandled, running) in try await tx.query(
            """
            SELECT p.customer_number, p.currency::text,
                   count(*) FILTER (WHERE p.status = 'broken' AND p.resolved_at > now() - interval '1 year')::int,
                   bool_or(p.status = 'broken' AND p.resolved_at > coalesce(
                       (SELECT max(a.at) FROM collection_activities a WHERE a.customer_number = p.customer_number AND a.kind <> 'system'),
                       '-infinity')),
                   bool_or(p.status = 'open')
            FROM promises p WHERE p.status IN ('open', 'broken') GROUP BY 1, 2
            """).decode((String, String, Int, Bool, Bool).self)
        {
            result[customer + "\u{1F}" + currency] = (broken, unhandled, running)
        }
        return result.mapValues { (broken: $0.0, unhandled: $0.1, running: $0.2) }
    }

    private func promises(_ query: PostgresQuery, in tx: TenantTransaction) async throws -> [PromiseToPay] {
        var result: [PromiseToPay] = []
        for try await (id, customer, currency, amount, promised, madeOn, status, paid, note, principal, resolved) in try await tx.query(query)
            .decode((UUID, String, String, Int64, Int, Int, String, Int64, String, String, Date?).self)
        {
            result.append(PromiseToPay(
                id: id, customerNumber: customer, amount: Money(units: amount, currency: Currency(currency) ?? Currency("XXX")!),
                promisedDate: BusinessDate(dayNumber: promised), madeOn: BusinessDate(dayNumber: madeOn),
                status: PromiseToPay.Status(rawValue: status) ?? .open, paid: paid, note: note, principal: principal, resolvedAt: resolved))
        }
        return result
    }

    // MARK: Write-offs

    static let writeOffColumns = """
        id, item_id, document_number, customer_number, currency::text, amount, reason, status, requested_by, requested_at, decided_by,
        decided_at, decision_note, rules_version
        """

    func insertWriteOff(itemID: UUID, documentNumber: String, customer: String, amount: Money, reason: String, rulesVersion: Int,
                        in tx: TenantTransaction) async throws -> WriteOffRequest {
        var bindings = PostgresBindings()
        bindings.append(itemID)
        bindings.append(documentNumber)
        bindings.append(customer)
        bindings.append(amount.currency.code)
        bindings.append(amount.units)
        bindings.append(reason)
        bindings.append(tx.context.principal.auditID)
        bindings.append(rulesVersion)
        let sql = """
            INSERT INTO write_off_requests (item_id, document_number, customer_number, currency, amount, reason, requested_by, rules_version)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING \(Self.writeOffColumns)
            """
        guard let request = try await writeOffs(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx).first else {
            throw OTCError.alreadyExists("\(documentNumber) already has a pending write-off request; approve or reject it first")
        }
        return request
    }

    func writeOff(_ id: UUID, lock: Bool, in tx: TenantTransaction) async throws -> WriteOffRequest? {
        var bindings = PostgresBindings()
        bindings.append(id)
        let sql = "SELECT \(Self.writeOffColumns) FROM write_off_requests WHERE id = $1" + (lock ? " FOR UPDATE" : "")
        return try await writeOffs(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx).first
    }

    func decideWriteOff(_ id: UUID, status: WriteOffRequest.Status, note: String, applicationID: UUID?,
                        in tx: TenantTransaction) async throws -> WriteOffRequest {
        var bindings = PostgresBindings()
        bindings.append(id)
        bindings.append(status.rawValue)
        bindings.append(note)
        bindings.append(tx.context.principal.auditID)
        bindings.append(applicationID)
        let sql = """
            UPDATE write_off_requests SET status = $2, decision_note = $3, decided_by = $4, decided_at = now(), application_id = $5
            WHERE id = $1 AND status = 'pending' RETURNING \(Self.writeOffColumns)
            """
        guard let request = try await writeOffs(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx).first else {
            throw OTCError.failedPrecondition("write-off request \(id) was decided meanwhile")
        }
        return request
    }

    func writeOffs(status: String?, limit: Int, in tx: TenantTransaction) async throws -> [WriteOffRequest] {
        var bindings = PostgresBindings()
        bindings.append(status)
        bindings.append(limit)
        let sql = "SELECT \(Self.writeOffColumns) FROM write_off_requests WHERE ($1::text IS NULL OR status = $1) ORDER BY seq DESC LIMIT $2"
        return try await writeOffs(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx)
    }

    private func writeOffs(_ query: PostgresQuery, in tx: TenantTransaction) async throws -> [WriteOffRequest] {
        var result: [WriteOffRequest] = []
        for try await row in try await tx.query(query) {
            let (id, item, number, customer, currency, amount, reason, status, requestedBy, requestedAt, decidedBy, decidedAt, note, rules) =
                try row.decode((UUID, UUID, String, String, String, Int64, String, String, String, Date, String?, Date?, String, Int).self)
            result.append(WriteOffRequest(
                id: id, itemID: item, documentNumber: number, customerNumber: customer,
                amount: Money(units: amount, currency: Currency(currency) ?? Currency("XXX")!), reason: reason,
                status: WriteOffRequest.Status(rawValue: status) ?? .pending, requestedBy: requestedBy, requestedAt: requestedAt,
                decidedBy: decidedBy, decidedAt: decidedAt, decisionNote: note, rulesVersion: rules))
        }
        return result
    }
}

struct CollectionsFault: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
