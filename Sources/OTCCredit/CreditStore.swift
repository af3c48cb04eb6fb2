public import OTCCore
public import OTCStore
public import Foundation
import PostgresNIO

/// The SQL of credit management. Dates travel as day numbers, like the ledger's.
public struct CreditStore: Sendable {
    public init() {}

    static let profileColumns = """
        customer_number, currency, credit_limit, risk_class, score, external_rating, next_review - DATE '1970-01-01',
        blocked, block_reason, version
        """

    /// The stored profile; `lock` serialises credit checks and changes of one customer.
    public func profile(_ customer: String, lock: Bool = false, in tx: TenantTransaction) async throws -> CreditProfile? {
        var bindings = PostgresBindings()
        bindings.append(customer)
        let sql = "SELECT \(Self.profileColumns) FROM credit_profiles WHERE customer_number = $1" + (lock ? " FOR UPDATE" : "")
        return try await profiles(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx).first
    }

    /// Risk class per customer for customers that have one (collections ranks accounts by it).
    public func riskClasses(in tx: TenantTransaction) async throws -> [String: String] {
        var result: [String: String] = [:]
        for try await (customer, riskClass) in try await tx.query(
            "SELECT customer_number, risk_class FROM credit_profiles WHERE risk_class <> ''").decode((String, String).self)
        {
            result[customer] = riskClass
        }
        return result
    }

    /// Profiles due for review by `asOf`, oldest review first.
    func reviewsDue(asOf: BusinessDate, limit: Int, in tx: TenantTransaction) async throws -> [CreditProfile] {
        var bindings = PostgresBindings()
        bindings.append(asOf.dayNumber)
        bindings.append(limit)
        let sql = """
            SELECT \(Self.profileColumns) FROM credit_profiles
            WHERE next_review <= DATE '1970-01-01' + $1::int ORDER BY next_review, customer_number LIMIT $2
            """
        return try await profiles(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx)
    }

    private func profiles(_ query: PostgresQuery, in tx: TenantTransaction) async throws -> [CreditProfile] {
        var result: [CreditProfile] = []
        for try await (customer, currency, limit, riskClass, score, rating, review, blocked, blockReason, version) in try await tx.query(query)
            .decode((String, String, Int64?, String, Int?, Int?, Int?, Bool, String, Int64).self)
        {
            result.append(CreditProfile(
                customerNumber: customer, currency: Currency(currency) ?? Currency("XXX")!, limit: limit, riskClass: riskClass,
                score: score, externalRating: rating, nextReview: review.map(BusinessDate.init(dayNumber:)), blocked: blocked,
                blockReason: blockReason, version: version))
        }
        return result
    }

    /// Writes `profile` as the version after `previous` (inserting it when `previous` is the
    /// unsaved default, version 0) and its history entry, in one statement.
    @discardableResult
    public func save(_ profile: CreditProfile, previous: CreditProfile, reason: String, rulesVersion: Int,
                     in tx: TenantTransaction) async throws -> CreditProfile {
        let changes = previous.changes(to: profile)
        var stored = profile
        let rows = try await tx.query(
            """
            WITH p AS (
                INSERT INTO credit_profiles (customer_number, currency, credit_limit, risk_class, score, external_rating, next_review,
                                             blocked, block_reason, version)
                VALUES (\(profile.customerNumber), \(profile.currency.code), \(profile.limit), \(profile.riskClass), \(profile.score),
                        \(profile.externalRating), DATE '1970-01-01' + \(profile.nextReview?.dayNumber)::int, \(profile.blocked),
                        \(profile.blockReason), 1)
                ON CONFLICT (customer_number) DO UPDATE SET
                    currency = EXCLUDED.currency, credit_limit = EXCLUDED.credit_limit, risk_class = EXCLUDED.risk_class,
                    score = EXCLUDED.score, external_rating = EXCLUDED.external_rating, next_review = EXCLUDED.next_review,
                    blocked = EXCLUDED.blocked, block_reason = EXCLUDED.block_reason,
                    version = credit_profiles.version + 1, updated_at = now()
                WHERE credit_profiles.version = \(previous.version)
                RETURNING version)
            INSERT INTO credit_profile_history (customer_number, version, principal, request_id, reason, rules_version, changes)
            SELECT \(profile.customerNumber), p.version, \(tx.context.principal.auditID), \(tx.context.requestID), \(reason),
                   \(rulesVersion), \(JSONText.object(changes))::jsonb
            FROM p RETURNING version
            """)
        for try await version in rows.decode(Int64.self) {
            stored.version = version
            return stored
        }
        throw OTCError(.aborted, "the credit profile of \(profile.customerNumber) changed meanwhile; reload it and try again")
    }

    func history(_ customer: String, in tx: TenantTransaction) async throws -> [ProfileChange] {
        let rows = try await tx.query(
            """
            SELECT version, principal, at, reason, rules_version, changes::text FROM credit_profile_history
            WHERE customer_number = \(customer) ORDER BY version
            """)
        var result: [ProfileChange] = []
        for try await (version, principal, at, reason, rulesVersion, changes) in rows.decode((Int64, String, Date, String, Int, String).self) {
            let decoded = (try? JSONDecoder().decode([String: String].self, from: Data(changes.utf8))) ?? [:]
            result.append(ProfileChange(version: version, principal: principal, at: at, reason: reason, rulesVersion: rulesVersion,
                                        changes: decoded))
        }
        return result
    }

    // MARK: Exposure

    /// Exposure in `currency` now, without the reservation of `excludingOrder` (the order being
    /// checked). One statement: it runs on every order entry.
    /// `withOrders: false` leaves the reservations out (open orders and shipped-not-invoiced stay 0).
    public func exposure(customer: String, currency: Currency, excludingOrder: UUID?, countShipped: Bool, withOrders: Bool = true,
                         in tx: TenantTransaction) async throws -> Exposure {
        let rows = try await tx.query(
            """
            WITH ar AS (
                SELECT currency, sum(open_amount)::bigint AS open,
                       max(CASE WHEN open_amount > 0 AND due_date < current_date THEN current_date - due_date END) AS late
                FROM ar_items WHERE customer_number = \(customer) AND open_amount <> 0 GROUP BY currency),
            r AS (
                SELECT currency, sum(unshipped)::bigint AS unshipped, sum(shipped_not_invoiced)::bigint AS shipped
                FROM credit_reservations
                WHERE \(withOrders) AND customer_number = \(customer) AND order_id IS DISTINCT FROM \(excludingOrder)::uuid
                GROUP BY currency)
            SELECT coalesce(ar.currency, r.currency)::text, coalesce(ar.open, 0), coalesce(r.unshipped, 0), coalesce(r.shipped, 0),
                   coalesce(ar.late, 0)
            FROM ar FULL JOIN r ON r.currency = ar.currency
            """)
        var exposure = Exposure(countsShippedNotInvoiced: countShipped)
        for try await (code, open, unshipped, shipped, late) in rows.decode((String, Int64, Int64, Int64, Int).self) {
            exposure.maxDaysOverdue = max(exposure.maxDaysOverdue, late)
            if code == currency.code {
                exposure.openReceivables = open
                exposure.openOrders = unshipped
                exposure.shippedNotInvoiced = shipped
            } else if let other = Currency(code) {
                exposure.otherCurrencies.append(Money(units: open + unshipped + (countShipped ? shipped : 0), currency: other))
            }
        }
        exposure.otherCurrencies.sort { $0.currency.code < $1.currency.code }
        return exposure
    }

    /// Brings an order's reservation to `reservation` (nil or zero removes it).
    public func reserve(_ reservation: Reservation?, orderID: UUID, in tx: TenantTransaction) async throws {
        guard let r = reservation, r.total > 0 else {
            try await tx.query("DELETE FROM credit_reservations WHERE order_id = \(orderID)")
            return
        }
        try await tx.query(
            """
            INSERT INTO credit_reservations (order_id, order_ref, customer_number, currency, unshipped, shipped_not_invoiced)
            VALUES (\(r.orderID), \(r.orderRef), \(r.customerNumber), \(r.currency.code), \(r.unshipped), \(r.shippedNotInvoiced))
            ON CONFLICT (order_id) DO UPDATE SET unshipped = EXCLUDED.unshipped, shipped_not_invoiced = EXCLUDED.shipped_not_invoiced,
                updated_at = now()
            """)
    }

    /// Appends to the log of credit decisions on orders and brings the order's reservation to
    /// `reservation` (nil or zero removes it), in one statement: it runs on every order entry.
    public func recordDecision(orderID: UUID, orderRef: String, customer: String, decision: String, code: String, reason: String,
                               currency: Currency, orderValue: Int64, exposure: Int64?, limit: Int64?, rulesVersion: Int,
                               reservation: Reservation?, in tx: TenantTransaction) async throws {
        let reserve = reservation.map { $0.total > 0 } ?? false
        try await tx.query(
            """
            WITH d AS (
                INSERT INTO credit_decisions (order_id, order_ref, customer_number, decision, code, reason, currency, order_value, exposure,
                                              credit_limit, rules_version, principal)
                VALUES (\(orderID), \(orderRef), \(customer), \(decision), \(code), \(reason), \(currency.code), \(orderValue), \(exposure),
                        \(limit), \(rulesVersion), \(tx.context.principal.auditID))),
            removed AS (DELETE FROM credit_reservations WHERE order_id = \(orderID) AND NOT \(reserve))
            INSERT INTO credit_reservations (order_id, order_ref, customer_number, currency, unshipped, shipped_not_invoiced)
            SELECT \(orderID), \(orderRef), \(customer), \(currency.code), \(reservation?.unshipped ?? 0), \(reservation?.shippedNotInvoiced ?? 0)
            WHERE \(reserve)
            ON CONFLICT (order_id) DO UPDATE SET unshipped = EXCLUDED.unshipped, shipped_not_invoiced = EXCLUDED.shipped_not_invoiced,
                updated_at = now()
            """)
    }

    // MARK: Limit requests

    static let requestColumns = """
        id, customer_number, currency, current_limit, requested_limit, justification, status, requested_by, requested_at,
        decided_by, decided_at, decision_note, rules_version, released_orders
        """

    func insertRequest(customer: String, currency: Currency, current: Int64?, requested: Int64, justification: String,
                       rulesVersion: Int, in tx: TenantTransaction) async throws -> LimitRequest {
        var bindings = PostgresBindings()
        bindings.append(customer)
        bindings.append(currency.code)
        bindings.append(current)
        bindings.append(requested)
        bindings.append(justification)
        bindings.append(tx.context.principal.auditID)
        bindings.append(rulesVersion)
        let sql = """
            INSERT INTO credit_limit_requests (customer_number, currency, current_limit, requested_limit, justification, requested_by,
                                               rules_version)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING \(Self.requestColumns)
            """
        guard let request = try await requests(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx).first else {
            throw OTCError.alreadyExists("customer \(customer) already has a pending limit request; approve or reject it first")
        }
        return request
    }

    func request(_ id: UUID, lock: Bool, in tx: TenantTransaction) async throws -> LimitRequest? {
        var bindings = PostgresBindings()
        bindings.append(id)
        let sql = "SELECT \(Self.requestColumns) FROM credit_limit_requests WHERE id = $1" + (lock ? " FOR UPDATE" : "")
        return try await requests(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx).first
    }

    func decide(_ id: UUID, status: LimitRequest.Status, note: String, releasedOrders: [String],
                in tx: TenantTransaction) async throws -> LimitRequest {
        var bindings = PostgresBindings()
        bindings.append(id)
        bindings.append(status.rawValue)
        bindings.append(note)
        bindings.append(tx.context.principal.auditID)
        bindings.append(releasedOrders)
        let sql = """
            UPDATE credit_limit_requests SET status = $2, decision_note = $3, decided_by = $4, decided_at = now(), released_orders = $5
            WHERE id = $1 AND status = 'pending' RETURNING \(Self.requestColumns)
            """
        guard let request = try await requests(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx).first else {
            throw OTCError.failedPrecondition("limit request \(id) was decided meanwhile")
        }
        return request
    }

    func listRequests(status: String?, customer: String?, limit: Int, in tx: TenantTransaction) async throws -> [LimitRequest] {
        var bindings = PostgresBindings()
        bindings.append(status)
        bindings.append(customer)
        bindings.append(limit)
        let sql = """
            SELECT \(Self.requestColumns) FROM credit_limit_requests
            WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR customer_number = $2)
            ORDER BY seq DESC LIMIT $3
            """
        return try await requests(PostgresQuery(unsafeSQL: sql, binds: bindings), in: tx)
    }

    func pendingRequests(customer: String, in tx: TenantTransaction) async throws -> Int {
        for try await count in try await tx.query(
            "SELECT count(*)::int FROM credit_limit_requests WHERE customer_number = \(customer) AND status = 'pending'").decode(Int.self)
        {
            return count
        }
        return 0
    }

    private func requests(_ query: PostgresQuery, in tx: TenantTransaction) async throws -> [LimitRequest] {
        var result: [LimitRequest] = []
        for try await row in try await tx.query(query) {
            let (id, customer, currency, current, requested, justification, status, requestedBy, requestedAt, decidedBy, decidedAt,
                 note, rulesVersion, released) =
                try row.decode((UUID, String, String, Int64?, Int64, String, String, String, Date, String?, Date?, String, Int, [String]).self)
            result.append(LimitRequest(
                id: id, customerNumber: customer, currency: Currency(currency) ?? Currency("XXX")!, currentLimit: current,
                requestedLimit: requested, justification: justification, status: LimitRequest.Status(rawValue: status) ?? .pending,
                requestedBy: requestedBy, requestedAt: requestedAt, decidedBy: decidedBy, decidedAt: decidedAt, decisionNote: note,
                rulesVersion: rulesVersion, releasedOrders: released))
        }
        return result
    }

    // MARK: Scoring

    /// Payment behaviour and invoicing of the last 12 months, in `currency`: items paid in full
    /// (settled on the date of their last application) weigh their days late by their amount.
    func scoringFacts(customer: String, currency: Currency, today: BusinessDate,
                      in tx: TenantTransaction) async throws -> (daysLateHundredths: Int64, paidItems: Int, invoiced: Int64) {
        let rows = try await tx.query(
            """
            WITH paid AS (
                SELECT i.amount, greatest(0, max(a.applied_on) - i.due_date) AS late
                FROM ar_items i JOIN ar_applications a ON a.item_id = i.id OR a.source_item_id = i.id
                WHERE i.customer_number = \(customer) AND i.currency = \(currency.code) AND i.amount > 0 AND i.open_amount = 0
                  AND i.due_date IS NOT NULL
                GROUP BY i.id, i.amount, i.due_date
                HAVING max(a.applied_on) > DATE '1970-01-01' + \(today.dayNumber - 365)::int)
            SELECT coalesce((SELECT (sum(amount::numeric * late) * 100 / nullif(sum(amount), 0))::bigint FROM paid), 0),
                   (SELECT count(*)::int FROM paid),
                   coalesce((SELECT sum(amount)::bigint FROM ar_items
                             WHERE customer_number = \(customer) AND currency = \(currency.code) AND amount > 0
                               AND issue_date > DATE '1970-01-01' + \(today.dayNumber - 365)::int), 0)
            """)
        for try await row in rows.decode((Int64, Int, Int64).self) { return row }
        return (0, 0, 0)
    }
}
