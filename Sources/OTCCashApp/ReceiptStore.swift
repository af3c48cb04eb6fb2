import OTCCore
import OTCStore
public import Foundation
import Crypto
import PostgresNIO

/// The SQL of imported bank files and their receipts.
public struct ReceiptStore: Sendable {
    public init() {}

    /// The stored import of a file with this content, if any (id, format, counts).
    func file(sha256: [UInt8], in tx: TenantTransaction) async throws -> (UUID, String, Int, Int, Int)? {
        for try await row in try await tx.query(
            "SELECT id, format, statements, receipts_new, receipts_existing FROM bank_files WHERE sha256 = \(ByteBuffer(bytes: sha256))")
            .decode((UUID, String, Int, Int, Int).self)
        {
            return row
        }
        return nil
    }

    /// Stores the raw file and its receipts; entries already imported (same statement id and
    /// reference) are left as they are. Returns the file id and how many receipts were new.
    func insert(content: Data, sha256: [UInt8], name: String, parsed: ParsedBankFile, errors: [BankFileError],
                in tx: TenantTransaction) async throws -> (UUID, [BankReceipt]) {
        let fileID = UUID()
        let rows = parsed.statements.flatMap { statement in statement.receipts.map { (statement, $0) } }
        let errorsJSON = "[" + errors.map { JSONText.object(["location": $0.location, "message": $0.message]) }.joined(separator: ",") + "]"
        let inserted = try await tx.query(
            """
            WITH r AS (
                SELECT * FROM unnest(\(rows.map(\.0.id))::text[], \(rows.map(\.1.reference))::text[], \(rows.map(\.0.account))::text[],
                        \(rows.map(\.1.amount))::bigint[], \(rows.map(\.1.currency.code))::text[], \(rows.map(\.1.isCredit))::boolean[],
                        \(rows.map(\.1.isReversal))::boolean[], \(rows.map { $0.1.bookingDate?.dayNumber ?? Self.noDate })::int[],
                        \(rows.map { $0.1.valueDate?.dayNumber ?? Self.noDate })::int[], \(rows.map(\.1.payerName))::text[], \(rows.map(\.1.payerAccount))::text[],
                        \(rows.map(\.1.endToEndID))::text[], \(rows.map { $0.1.structuredReferences.joined(separator: "\u{1F}") })::text[],
                        \(rows.map(\.1.remittanceText))::text[], \(rows.map(\.1.bankReference))::text[], \(rows.map(\.1.charges))::bigint[])
                 AS r(statement, reference, account, amount, currency, credit, reversal, booked, valued, payer, payer_account, e2e, refs, text,
                      bank_ref, charges)),
            known AS (SELECT 1 FROM r JOIN receipts x ON x.statement_id = r.statement AND x.reference = r.reference),
            f AS (
                INSERT INTO bank_files (id, sha256, format, file_name, content, statements, receipts_new, receipts_existing, errors, principal)
                VALUES (\(fileID), \(ByteBuffer(bytes: sha256)), \(parsed.format.rawValue), \(name), \(ByteBuffer(bytes: Array(content))),
                        \(parsed.statements.count), (SELECT count(*) FROM r) - (SELECT count(*) FROM known), (SELECT count(*) FROM known),
                        \(errorsJSON)::jsonb, \(tx.context.principal.auditID))
                RETURNING id)
            INSERT INTO receipts (file_id, statement_id, reference, account, amount, currency, is_credit, is_reversal, booking_date, value_date,
                                  payer_name, payer_account, end_to_end_id, structured_references, remittance_text, bank_reference, charges,
                                  status)
            SELECT (SELECT id FROM f), r.statement, r.reference, r.account, r.amount, r.currency, r.credit, r.reversal,
                   DATE '1970-01-01' + nullif(r.booked, \(Self.noDate)), DATE '1970-01-01' + nullif(r.valued, \(Self.noDate)), r.payer, r.payer_account, r.e2e,
                   CASE WHEN r.refs = '' THEN '{}'::text[] ELSE string_to_array(r.refs, chr(31)) END, r.text, r.bank_ref, r.charges,
                   CASE WHEN r.credit AND NOT r.reversal THEN 'unmatched' ELSE 'not_applicable' END
            FROM r
            ON CONFLICT (statement_id, reference) DO NOTHING
            RETURNING statement_id, reference
            """)
        var fresh = Set<String>()
        for try await (statement, reference) in inserted.decode((String, String).self) { fresh.insert(statement + "\u{1F}" + reference) }
        return (fileID, rows.filter { fresh.contains($0.0.id + "\u{1F}" + $0.1.reference) }.map(\.1))
    }

    func find(_ id: UUID, lock: Bool, in tx: TenantTransaction) async throws -> ReceiptRecord? {
        if lock { try await tx.query("SELECT 1 FROM receipts WHERE id = \(id) FOR UPDATE") }
        return try await list(statuses: nil, fileID: nil, afterSeq: nil, limit: 1, only: id, in: tx).first?.0
    }

    func setStatus(_ id: UUID, to status: String, paymentItem: UUID?, in tx: TenantTransaction) async throws {
        try await tx.query(
            "UPDATE receipts SET status = \(status), payment_item_id = coalesce(\(paymentItem)::uuid, payment_item_id) WHERE id = \(id)")
    }

    /// Remembers that a bank account pays for a customer (the first receipt applied from it).
    func learn(account: String, customer: String, receipt: UUID, in tx: TenantTransaction) async throws {
        let compact = MatchingEngine.compactAccount(account)
        guard !compact.isEmpty else { return }
        try await tx.query(
            """
            INSERT INTO payer_accounts (account, customer_number, learned_from) VALUES (\(compact), \(customer), \(receipt))
            ON CONFLICT (account) DO NOTHING
            """)
    }

    /// What one application of a receipt posted, so it can be reversed.
    func recordApplication(_ id: UUID, receipt: UUID, paymentItem: UUID, ledgerApplications: [UUID], disputes: [String],
                           in tx: TenantTransaction) async throws {
        try await tx.query(
            """
            INSERT INTO receipt_applications (id, receipt_id, payment_item_id, ledger_applications, disputes, principal)
            VALUES (\(id), \(receipt), \(paymentItem), \(ledgerApplications), \(disputes), \(tx.context.principal.auditID))
            """)
    }

    /// The receipt's latest application not yet reversed: its id, payment item, ledger
    /// applications and the disputes it opened.
    func lastApplication(of receipt: UUID, in tx: TenantTransaction) async throws -> (UUID, UUID, [UUID], [String])? {
        for try await row in try await tx.query(
            """
            SELECT a.id, a.payment_item_id, a.ledger_applications, a.disputes FROM receipt_applications a
            WHERE a.receipt_id = \(receipt) AND a.reversal_of IS NULL
              AND NOT EXISTS (SELECT 1 FROM receipt_applications r WHERE r.reversal_of = a.id)
            ORDER BY a.seq DESC LIMIT 1
            """).decode((UUID, UUID, [UUID], [String]).self) { return row }
        return nil
    }

    /// A reversal is a row of its own pointing at the application (nothing is edited).
    func recordReversal(of application: UUID, receipt: UUID, paymentItem: UUID, reason: String, in tx: TenantTransaction) async throws {
        try await tx.query(
            """
            INSERT INTO receipt_applications (receipt_id, payment_item_id, reversal_of, reason, principal)
            VALUES (\(receipt), \(paymentItem), \(application), \(reason), \(tx.context.principal.auditID))
            """)
    }

    /// Receipts in any of `statuses` (nil: any status), oldest first.
    func list(statuses: [String]?, fileID: UUID?, afterSeq: Int64?, limit: Int, only id: UUID? = nil,
              in tx: TenantTransaction) async throws -> [(ReceiptRecord, Int64)] {
        var result: [(ReceiptRecord, Int64)] = []
        for try await row in try await tx.query(
            """
            SELECT id, statement_id, reference, account, amount, currency::text, is_credit, is_reversal, booking_date - DATE '1970-01-01',
                   value_date - DATE '1970-01-01', payer_name, payer_account, end_to_end_id, structured_references, remittance_text,
                   bank_reference, charges, status, file_id, seq
            FROM receipts
            WHERE (\(statuses)::text[] IS NULL OR status = ANY(\(statuses))) AND (\(fileID)::uuid IS NULL OR file_id = \(fileID))
              AND (\(afterSeq)::bigint IS NULL OR seq > \(afterSeq)) AND (\(id)::uuid IS NULL OR id = \(id))
            ORDER BY seq LIMIT \(limit)
            """)
        {
            let (id, statement, reference, account, amount, currency, credit, reversal, booked, valued, payer, payerAccount, e2e, refs, text,
                 bankRef, charges, status, file, seq) =
                try row.decode((UUID, String, String, String, Int64, String, Bool, Bool, Int?, Int?, String, String, String, [String], String,
                                String, Int64, String, UUID, Int64).self)
            let receipt = BankReceipt(
                reference: reference, amount: amount, currency: Currency(currency) ?? Currency("XXX")!, isCredit: credit, isReversal: reversal,
                bookingDate: booked.map(BusinessDate.init(dayNumber:)), valueDate: valued.map(BusinessDate.init(dayNumber:)), payerName: payer,
                payerAccount: payerAccount, endToEndID: e2e, structuredReferences: refs, remittanceText: text, bankReference: bankRef,
                charges: charges)
            result.append((ReceiptRecord(id: id, fileID: file, statementID: statement, account: account, status: status, receipt: receipt), seq))
        }
        return result
    }
}

/// A stored receipt: the bank's data plus where it came from and where it stands.
public struct ReceiptRecord: Sendable, Equatable {
    public var id: UUID
    public var fileID: UUID
    public var statementID: String
    public var account: String
    public var status: String
    public var receipt: BankReceipt
}

extension ReceiptStore {
    static func digest(_ content: Data) -> [UInt8] { Array(SHA256.hash(data: content)) }
    /// Stands for "no date" in the arrays bound for an import (SQL turns it back into NULL).
    static let noDate = Int(Int32.min)
}
