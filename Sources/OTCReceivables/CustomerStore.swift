import OTCCore
public import OTCStore
import Foundation
import PostgresNIO

/// SQL of the customer master. Other modules (orders, credit, billing) read customers only through
/// this type, inside their own tenant transaction.
public struct CustomerStore: Sendable {
    public init() {}

    public enum UpsertOutcome: String, Sendable { case created, updated, unchanged }

    static let columns =
        "number, name, currency, country, tax_id, email, blocked, block_reason, payment_terms, created_at, updated_at, version, invoice_channel"

    /// Creates or updates a customer; unchanged data writes nothing. Audited.
    public func upsert(_ draft: CustomerDraft, in tx: TenantTransaction) async throws -> (Customer, UpsertOutcome) {
        let rows = try await tx.query(
            PostgresQuery(unsafeSQL: """
                INSERT INTO customers (number, name, currency, country, tax_id, email, blocked, block_reason, payment_terms, invoice_channel)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (number) DO UPDATE SET
                    name = EXCLUDED.name, currency = EXCLUDED.currency, country = EXCLUDED.country,
                    tax_id = EXCLUDED.tax_id, email = EXCLUDED.email, blocked = EXCLUDED.blocked,
                    block_reason = EXCLUDED.block_reason, payment_terms = EXCLUDED.payment_terms,
                    invoice_channel = EXCLUDED.invoice_channel,
                    updated_at = now(), version = customers.version + 1
                WHERE (customers.name, customers.currency, customers.country, customers.tax_id, customers.email,
                       customers.blocked, customers.block_reason, customers.payment_terms, customers.invoice_channel)
                   IS DISTINCT FROM
                      (EXCLUDED.name, EXCLUDED.currency, EXCLUDED.country, EXCLUDED.tax_id, EXCLUDED.email,
                       EXCLUDED.blocked, EXCLUDED.block_reason, EXCLUDED.payment_terms, EXCLUDED.invoice_channel)
                RETURNING (xmax = 0), \(Self.columns)
                """, binds: draft.binds))
        for try await row in rows {
            let inserted = try Array(row)[0].decode(Bool.self, context: .default)
            let customer = try Self.customer(row, offset: 1)
            try await tx.audit(
                action: inserted ? "customer.create" : "customer.update", entityType: "customer", entityID: customer.number,
                details: ["name": customer.name, "currency": customer.currency.code, "blocked": "\(customer.blocked)",
                          "payment_terms": customer.paymentTerms, "invoice_channel": customer.invoiceChannel,
                          "version": "\(customer.version)"])
            return (customer, inserted ? .created : .updated)
        }
        guard let existing = try await find(draft.number, in: tx) else {
            throw OTCError.internal(OTCStoreError.configuration("customer upsert returned nothing"))
        }
        return (existing, .unchanged)
    }

    public func find(_ number: String, in tx: TenantTransaction) async throws -> Customer? {
        var bindings = PostgresBindings()
        bindings.append(number)
        let rows = try await tx.query(PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM customers WHERE number = $1", binds: bindings))
        for try await row in rows { return try Self.customer(row, offset: 0) }
        return nil
    }

    /// A page of customers ordered by number, after `cursor` (exclusive).
    /// Names of many customers at once (listings and notices); unknown numbers are left out.
    public func names(_ numbers: [String], in tx: TenantTransaction) async throws -> [String: String] {
        var names: [String: String] = [:]
        for try await (number, name) in try await tx.query("SELECT number, name FROM customers WHERE number = ANY(\(numbers))")
            .decode((String, String).self)
        {
            names[number] = name
        }
        return names
    }

    public func list(query: String, blockedOnly: Bool, after cursor: String?, limit: Int,
                     in tx: TenantTransaction) async throws -> [Customer] {
        var bindings = PostgresBindings()
        bindings.append(cursor)
        bindings.append(query.isEmpty ? nil : "%\(query.lowercased())%")
        bindings.append(blockedOnly)
        bindings.append(limit)
        let rows = try await tx.query(PostgresQuery(unsafeSQL: """
            SELECT \(Self.columns) FROM customers
            WHERE ($1::text IS NULL OR number > $1)
              AND ($2::text IS NULL OR lower(number) LIKE $2 OR lower(name) LIKE $2)
              AND (NOT $3 OR blocked)
            ORDER BY number LIMIT $4
            """, binds: bindings))
        var result: [Customer] = []
        for try await row in rows { result.append(try Self.customer(row, offset: 0)) }
        return result
    }

    static func customer(_ row: PostgresRow, offset: Int) throws -> Customer {
        let cells = Array(row)
        func cell<T: PostgresDecodable>(_ index: Int, _ type: T.Type) throws -> T {
            try cells[offset + index].decode(T.self, context: .default)
        }
        return Customer(
            number: try cell(0, String.self), name: try cell(1, String.self),
            currency: Currency(try cell(2, String.self)) ?? Currency("XXX")!,
            country: try cell(3, String.self), taxID: try cell(4, String.self), email: try cell(5, String.self),
            blocked: try cell(6, Bool.self), blockReason: try cell(7, String.self), paymentTerms: try cell(8, String.self),
            invoiceChannel: try cell(12, String.self), createdAt: try cell(9, Date.self), updatedAt: try cell(10, Date.self),
            version: try cell(11, Int64.self))
    }
}

extension CustomerDraft {
    var binds: PostgresBindings {
        var b = PostgresBindings()
        b.append(number)
        b.append(name)
        b.append(currency.code)
        b.append(country)
        b.append(taxID)
        b.append(email)
        b.append(blocked)
        b.append(blockReason)
        b.append(paymentTerms)
        b.append(invoiceChannel)
        return b
    }
}
