import OTCCore
import OTCStore
import Foundation
import PostgresNIO

/// The SQL of the queues people work: exceptions with their suggestions, and unapplied cash.
extension ReceiptStore {
    /// A stored proposal, as the matcher explained it.
    struct StoredProposal: Sendable {
        var customerNumber: String?
        var rule: String
        var evidence: [String]
        var confidence: Int
        /// (document, amount)
        var allocations: [(String, Int64)]
        /// (kind, amount, reason)
        var differences: [(String, Int64, String)]
        var status: String
    }

    /// A receipt waiting for a person, with what the matcher suggested last and its task's SLA.
    struct Waiting: Sendable {
        var record: ReceiptRecord
        var seq: Int64
        var suggestions: [StoredProposal]
        var taskDueAt: String?
        var ageDays: Int
    }

    /// Receipts in `statuses` (or one receipt), oldest first, with the proposals of their last
    /// matching run and the due time of their open exception task.
    func waiting(statuses: [String], only id: UUID?, afterSeq: Int64?, limit: Int, in tx: TenantTransaction) async throws -> [Waiting] {
        let page = id != nil ? try await list(statuses: nil, fileID: nil, afterSeq: nil, limit: 1, only: id, in: tx)
            : try await list(statuses: statuses, fileID: nil, afterSeq: afterSeq, limit: limit, in: tx)
        guard !page.isEmpty else { return [] }
        let ids = page.map(\.0.id)
        var suggestions: [UUID: [StoredProposal]] = [:]
        let decoder = JSONDecoder()
        for try await row in try await tx.query(
            """
            SELECT m.receipt_id, m.customer_number, m.rule, m.evidence::text, m.confidence, m.allocations::text, m.differences::text, m.status
            FROM receipt_matches m
            WHERE m.receipt_id = ANY(\(ids))
              AND m.created_at = (SELECT max(x.created_at) FROM receipt_matches x WHERE x.receipt_id = m.receipt_id)
            ORDER BY m.receipt_id, m.confidence DESC, m.seq
            """)
        {
            let (receipt, customer, rule, evidence, confidence, allocations, differences, status) =
                try row.decode((UUID, String?, String, String, Int, String, String, String).self)
            let parts = try decoder.decode([[String: String]].self, from: Data(allocations.utf8))
            let diffs = try decoder.decode([[String: String]].self, from: Data(differences.utf8))
            suggestions[receipt, default: []].append(StoredProposal(
                customerNumber: customer, rule: rule, evidence: try decoder.decode([String].self, from: Data(evidence.utf8)),
                confidence: confidence, allocations: parts.map { ($0["document"] ?? "", Int64($0["amount"] ?? "") ?? 0) },
                differences: diffs.map { ($0["kind"] ?? "", Int64($0["amount"] ?? "") ?? 0, $0["reason"] ?? "") }, status: status))
        }
        var due: [String: String] = [:]
        for try await (subject, at) in try await tx.query(
            """
            SELECT subject_id, to_char(sla_due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM tasks
            WHERE subject_type = 'receipt' AND kind = 'cash_exception' AND status = 'open'
              AND subject_id = ANY(\(ids.map { $0.uuidString.lowercased() }))
            """).decode((String, String).self) { due[subject] = at }
        let today = tx.today
        return page.map { record, seq in
            let paid = record.receipt.valueDate ?? record.receipt.bookingDate ?? today
            return Waiting(record: record, seq: seq, suggestions: suggestions[record.id] ?? [], taskDueAt: due[record.id.uuidString.lowercased()],
                           ageDays: max(0, today.dayNumber - paid.dayNumber))
        }
    }

    /// Unapplied receipts' totals per currency.
    func unappliedTotals(in tx: TenantTransaction) async throws -> [(String, Int64)] {
        try await tx.query(
            """
            SELECT currency::text, sum(amount)::bigint FROM receipts WHERE status IN ('unmatched', 'exception')
            GROUP BY currency ORDER BY currency
            """).decode((String, Int64).self).reduce(into: []) { $0.append($1) }
    }

    /// Money on account per customer and currency (largest first, at most `limit`).
    func onAccount(limit: Int, in tx: TenantTransaction) async throws -> [(String, String, Int64)] {
        try await tx.query(
            """
            SELECT customer_number, currency::text, -sum(open_amount)::bigint FROM ar_items
            WHERE kind = 'payment_on_account' AND open_amount <> 0
            GROUP BY customer_number, currency ORDER BY 3 DESC, 1 LIMIT \(limit)
            """).decode((String, String, Int64).self).reduce(into: []) { $0.append($1) }
    }
}
