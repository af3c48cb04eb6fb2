import OTCCore
import OTCStore
import Foundation
import PostgresNIO

/// The SQL of dispute resolution.
public struct DisputeStore: Sendable {
    public init() {}

    static let columns = """
        id, number, customer_number, reason_code, currency::text, description, attachments::text, status, owner_team, assignee,
        sla_due_at, source, coalesce(external_ref, ''), accepted_amount, credit_memos, resolution_note, opened_at, resolved_at,
        rules_version, seq
        """

    /// Inserts a dispute, its items and its first event; the number is DSP- and the sequence.
    /// nil when a dispute with this external reference exists already.
    func insert(customer: String, reasonCode: String, currency: Currency, items: [DisputedItem], description: String,
                attachments: [[String]], ownerTeam: String, slaDays: Int, source: DisputeSource, externalRef: String?,
                rulesVersion: Int, in tx: TenantTransaction) async throws -> UUID? {
        let attachmentsJSON = String(decoding: try JSONEncoder.sorted.encode(attachments), as: UTF8.self)
        let rows = try await tx.query(
            """
            WITH d AS (
                INSERT INTO disputes (number, customer_number, reason_code, currency, description, attachments, owner_team, sla_due_at,
                                      source, external_ref, opened_by, rules_version)
                VALUES ('DSP-' || lpad(nextval(pg_get_serial_sequence('disputes', 'seq'))::text, 6, '0'), \(customer), \(reasonCode),
                        \(currency.code), \(description), \(attachmentsJSON)::jsonb, \(ownerTeam),
                        now() + make_interval(days => \(slaDays)::int), \(source.rawValue), \(externalRef), \(tx.context.principal.auditID),
                        \(rulesVersion))
                ON CONFLICT (external_ref) DO NOTHING
                RETURNING id),
            i AS (
                INSERT INTO dispute_items (dispute_id, item_id, document_number, amount)
                SELECT d.id, x.item, x.number, x.amount FROM d,
                       unnest(\(items.map(\.itemID))::uuid[], \(items.map(\.documentNumber))::text[], \(items.map(\.amount))::bigint[])
                       AS x(item, number, amount)),
            e AS (
                INSERT INTO dispute_events (dispute_id, principal, from_status, to_status, note)
                SELECT d.id, \(tx.context.principal.auditID), '', 'open', 'opened' FROM d)
            SELECT id FROM d
            """)
        for try await id in rows.decode(UUID.self) { return id }
        return nil
    }

    func find(_ key: String, lock: Bool = false, in tx: TenantTransaction) async throws -> Dispute? {
        var bindings = PostgresBindings()
        bindings.append(UUID(uuidString: key))
        bindings.append(key)
        let sql = "SELECT \(Self.columns) FROM disputes WHERE id = $1 OR number = $2" + (lock ? " FOR UPDATE" : "")
        return try await load(PostgresQuery(unsafeSQL: sql, binds: bindings), events: true, in: tx).first?.0
    }

    func find(externalRef: String, in tx: TenantTransaction) async throws -> Dispute? {
        var bindings = PostgresBindings()
        bindings.append(externalRef)
        return try await load(PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM disputes WHERE external_ref = $1", binds: bindings),
                              events: true, in: tx).first?.0
    }

    func list(status: String?, customer: String?, team: String?, breachedOnly: Bool, afterSeq: Int64?, limit: Int,
              in tx: TenantTransaction) async throws -> [(Dispute, Int64)] {
        var bindings = PostgresBindings()
        bindings.append(status)
        bindings.append(customer)
        bindings.append(team)
        bindings.append(breachedOnly)
        bindings.append(afterSeq)
        bindings.append(limit)
        let sql = """
            SELECT \(Self.columns) FROM disputes
            WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR customer_number = $2) AND ($3::text IS NULL OR owner_team = $3)
              AND (NOT $4 OR (sla_due_at < now() AND status IN ('open', 'in_review', 'pending_customer')))
              AND ($5::bigint IS NULL OR seq > $5)
            ORDER BY seq LIMIT $6
            """
        return try await load(PostgresQuery(unsafeSQL: sql, binds: bindings), events: false, in: tx)
    }

    func move(_ id: UUID, from: DisputeStatus, to: DisputeStatus, note: String, in tx: TenantTransaction) async throws {
        try await tx.query(
            """
            WITH d AS (UPDATE disputes SET status = \(to.rawValue) WHERE id = \(id) AND status = \(from.rawValue) RETURNING id)
            INSERT INTO dispute_events (dispute_id, principal, from_status, to_status, note)
            SELECT d.id, \(tx.context.principal.auditID), \(from.rawValue), \(to.rawValue), \(note) FROM d
            """)
    }

    func resolve(_ id: UUID, from: DisputeStatus, to: DisputeStatus, accepted: Int64, memos: [String], note: String,
                 in tx: TenantTransaction) async throws {
        try await tx.query(
            """
            WITH d AS (
                UPDATE disputes SET status = \(to.rawValue), accepted_amount = \(accepted), credit_memos = \(memos), resolution_note = \(note),
                    resolved_at = now()
                WHERE id = \(id) AND status = \(from.rawValue) RETURNING id)
            INSERT INTO dispute_events (dispute_id, principal, from_status, to_status, note)
            SELECT d.id, \(tx.context.principal.auditID), \(from.rawValue), \(to.rawValue), \(note) FROM d
            """)
    }

    func assign(_ id: UUID, assignee: String?, team: String?, in tx: TenantTransaction) async throws {
        try await tx.query(
            """
            UPDATE disputes SET assignee = coalesce(\(assignee)::text, assignee), owner_team = coalesce(\(team)::text, owner_team)
            WHERE id = \(id)
            """)
    }

    /// What is still disputed on each item across the disputes not yet resolved.
    func openDisputed(items: [UUID], excluding dispute: UUID? = nil, in tx: TenantTransaction) async throws -> [UUID: Int64] {
        var result: [UUID: Int64] = [:]
        for try await (item, amount) in try await tx.query(
            """
            SELECT i.item_id, sum(i.amount)::bigint FROM dispute_items i JOIN disputes d ON d.id = i.dispute_id
            WHERE i.item_id = ANY(\(items)) AND d.status IN ('open', 'in_review', 'pending_customer')
              AND d.id IS DISTINCT FROM \(dispute)::uuid
            GROUP BY i.item_id
            """).decode((UUID, Int64).self)
        {
            result[item] = amount
        }
        return result
    }

    /// Disputes past their SLA not escalated yet, marked escalated (each once).
    func escalate(in tx: TenantTransaction) async throws -> [(UUID, String, String)] {
        var result: [(UUID, String, String)] = []
        for try await row in try await tx.query(
            """
            UPDATE disputes SET escalated_at = now()
            WHERE escalated_at IS NULL AND sla_due_at < now() AND status IN ('open', 'in_review', 'pending_customer')
            RETURNING id, number, owner_team
            """).decode((UUID, String, String).self)
        {
            result.append(row)
        }
        return result
    }

    func rootCauses(from: BusinessDate?, to: BusinessDate?, in tx: TenantTransaction) async throws
        -> [(String, String, Int, Int64, Int, Int64, Int, Int, Int64)]
    {
        var result: [(String, String, Int, Int64, Int, Int64, Int, Int, Int64)] = []
        for try await row in try await tx.query(
            """
            WITH d AS (
                SELECT d.*, (SELECT sum(amount) FROM dispute_items i WHERE i.dispute_id = d.id) AS disputed FROM disputes d
                WHERE (\(from?.dayNumber)::int IS NULL OR d.opened_at::date >= DATE '1970-01-01' + \(from?.dayNumber)::int)
                  AND (\(to?.dayNumber)::int IS NULL OR d.opened_at::date <= DATE '1970-01-01' + \(to?.dayNumber)::int))
            SELECT reason_code, currency::text, count(*)::int, coalesce(sum(disputed), 0)::bigint,
                   count(*) FILTER (WHERE accepted_amount > 0)::int, coalesce(sum(accepted_amount), 0)::bigint,
                   count(*) FILTER (WHERE status = 'resolved_rejected' OR (status = 'closed' AND accepted_amount = 0
                                    AND resolved_at IS NOT NULL))::int,
                   count(*) FILTER (WHERE status IN ('open', 'in_review', 'pending_customer'))::int,
                   coalesce((avg(extract(epoch FROM resolved_at - opened_at)) FILTER (WHERE resolved_at IS NOT NULL)) / 864, 0)::bigint
            FROM d GROUP BY 1, 2 ORDER BY 4 DESC
            """).decode((String, String, Int, Int64, Int, Int64, Int, Int, Int64).self)
        {
            result.append(row)
        }
        return result
    }

    private func load(_ query: PostgresQuery, events: Bool, in tx: TenantTransaction) async throws -> [(Dispute, Int64)] {
        var result: [(Dispute, Int64)] = []
        for try await row in try await tx.query(query) {
            let (id, number, customer, reason, currency, description, attachments, status, team, assignee, due, source, ref, accepted,
                 memos, note, opened, resolved, rules, seq) =
                try row.decode((UUID, String, String, String, String, String, String, String, String, String, Date, String, String, Int64,
                                [String], String, Date, Date?, Int, Int64).self)
            result.append((Dispute(
                id: id, number: number, customerNumber: customer, reasonCode: reason, currency: Currency(currency) ?? Currency("XXX")!,
                items: [], description: description,
                attachments: (try? JSONDecoder().decode([[String]].self, from: Data(attachments.utf8))) ?? [],
                status: DisputeStatus(rawValue: status) ?? .open, ownerTeam: team, assignee: assignee, slaDueAt: due,
                source: DisputeSource(rawValue: source) ?? .operator, externalRef: ref, acceptedAmount: accepted, creditMemos: memos,
                resolutionNote: note, openedAt: opened, resolvedAt: resolved, rulesVersion: rules), seq))
        }
        guard !result.isEmpty else { return [] }
        let ids = result.map(\.0.id)
        var items: [UUID: [DisputedItem]] = [:]
        for try await (dispute, item, number, amount) in try await tx.query(
            "SELECT dispute_id, item_id, document_number, amount FROM dispute_items WHERE dispute_id = ANY(\(ids)) ORDER BY document_number")
            .decode((UUID, UUID, String, Int64).self)
        {
            items[dispute, default: []].append(DisputedItem(itemID: item, documentNumber: number, amount: amount))
        }
        var history: [UUID: [DisputeEvent]] = [:]
        if events {
            for try await (dispute, at, principal, from, to, note) in try await tx.query(
                "SELECT dispute_id, at, principal, from_status, to_status, note FROM dispute_events WHERE dispute_id = ANY(\(ids)) ORDER BY id")
                .decode((UUID, Date, String, String, String, String).self)
            {
                history[dispute, default: []].append(DisputeEvent(at: at, principal: principal, from: from, to: to, note: note))
            }
        }
        return result.map { dispute, seq in
            var dispute = dispute
            dispute.items = items[dispute.id] ?? []
            dispute.events = history[dispute.id] ?? []
            return (dispute, seq)
        }
    }
}
