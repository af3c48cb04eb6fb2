import OTCCore
import OTCStore
import Foundation
import PostgresNIO

/// The SQL of remittance advices and of which receipt used each.
struct RemittanceStore: Sendable {
    /// An advice line as stored (jsonb).
    private struct StoredLine: Codable {
        var document: String
        var paid: Int64
        var deduction: Int64
        var reason: String
    }

    /// Stores advices; those whose reference is already stored are left as they are. Returns how
    /// many were new.
    func insert(_ advices: [RemittanceAdvice], source: String, in tx: TenantTransaction) async throws -> Int {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let lines = try advices.map { advice in
            String(decoding: try encoder.encode(advice.lines.map {
                StoredLine(document: $0.documentNumber, paid: $0.paid, deduction: $0.deduction, reason: $0.deductionReason)
            }), as: UTF8.self)
        }
        let rows = try await tx.query(
            """
            INSERT INTO remittance_advices (reference, customer_number, payer_name, payment_reference, payment_date, amount, currency, lines,
                                            source, principal)
            SELECT a.reference, a.customer, a.payer, a.payment_ref, DATE '1970-01-01' + nullif(a.day, \(ReceiptStore.noDate)), a.amount,
                   nullif(a.currency, ''), a.lines::jsonb, \(source), \(tx.context.principal.auditID)
            FROM unnest(\(advices.map(\.reference))::text[], \(advices.map(\.customerNumber))::text[], \(advices.map(\.payerName))::text[],
                        \(advices.map(\.paymentReference))::text[], \(advices.map { $0.paymentDate?.dayNumber ?? ReceiptStore.noDate })::int[],
                        \(advices.map(\.amount))::bigint[], \(advices.map { $0.currency?.code ?? "" })::text[], \(lines)::text[])
                 AS a(reference, customer, payer, payment_ref, day, amount, currency, lines)
            ON CONFLICT (reference) DO NOTHING
            RETURNING 1
            """)
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }

    /// Advices no receipt uses now, oldest first.
    func open(in tx: TenantTransaction) async throws -> [AdviceBook.Entry] {
        try await list(status: "open", afterSeq: nil, limit: Int.max, in: tx).map { AdviceBook.Entry(id: $0.id, advice: $0.advice) }
    }

    struct Listed {
        var id: UUID
        var advice: RemittanceAdvice
        var receiptID: UUID?
        var seq: Int64
    }

    func list(status: String?, afterSeq: Int64?, limit: Int, in tx: TenantTransaction) async throws -> [Listed] {
        var result: [Listed] = []
        let decoder = JSONDecoder()
        for try await row in try await tx.query(
            """
            SELECT a.id, a.reference, a.customer_number, a.payer_name, a.payment_reference, a.payment_date - DATE '1970-01-01', a.amount,
                   a.currency::text, a.lines::text, u.receipt_id, a.seq
            FROM remittance_advices a
            LEFT JOIN remittance_advice_uses u ON u.advice_id = a.id AND NOT u.released
            WHERE (\(afterSeq)::bigint IS NULL OR a.seq > \(afterSeq))
              AND (\(status)::text IS NULL OR (\(status) = 'used') = (u.receipt_id IS NOT NULL))
            ORDER BY a.seq LIMIT \(min(limit, Int(Int32.max)))
            """)
        {
            let (id, reference, customer, payer, paymentReference, day, amount, currency, lines, receipt, seq) =
                try row.decode((UUID, String, String, String, String, Int?, Int64, String?, String, UUID?, Int64).self)
            let stored = try decoder.decode([StoredLine].self, from: Data(lines.utf8))
            let advice = RemittanceAdvice(
                reference: reference, customerNumber: customer, payerName: payer, paymentReference: paymentReference,
                paymentDate: day.map(BusinessDate.init(dayNumber:)), amount: amount, currency: currency.flatMap(Currency.init),
                lines: stored.map { .init(documentNumber: $0.document, paid: $0.paid, deduction: $0.deduction, deductionReason: $0.reason) })
            result.append(Listed(id: id, advice: advice, receiptID: receipt, seq: seq))
        }
        return result
    }

    func use(_ advice: UUID, receipt: UUID, application: UUID, in tx: TenantTransaction) async throws {
        try await tx.query(
            "INSERT INTO remittance_advice_uses (advice_id, receipt_id, application_id) VALUES (\(advice), \(receipt), \(application))")
    }

    /// A reversed application frees the advice it used for another receipt.
    func release(application: UUID, in tx: TenantTransaction) async throws {
        try await tx.query("UPDATE remittance_advice_uses SET released = true WHERE application_id = \(application) AND NOT released")
    }
}
