import ArgumentParser
import Foundation
import OTCClient
import OTCCore
import OTCProto
import SwiftProtobuf

enum CreditMethods {
    static let prefix = "/otc.credit.v1.CreditService/"
    static let getProfile = prefix + "GetProfile"
    static let updateProfile = prefix + "UpdateProfile"
    static let listProfileHistory = prefix + "ListProfileHistory"
    static let requestLimit = prefix + "RequestLimit"
    static let approveLimit = prefix + "ApproveLimit"
    static let rejectLimit = prefix + "RejectLimit"
    static let listLimitRequests = prefix + "ListLimitRequests"
    static let scoreCustomer = prefix + "ScoreCustomer"
    static let listReviewsDue = prefix + "ListReviewsDue"
    static let recheckHolds = prefix + "RecheckHolds"
}

extension OrderMethods {
    /// Lives on OrderService (it cancels the order), but is worked from `otcctl credit`.
    static let rejectCreditHold = prefix + "RejectCreditHold"
}

/// Credit management of the current tenant: profiles and exposure, limit changes under
/// maker-checker, scoring and reviews, and the orders waiting on a credit decision.
struct CreditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit",
        abstract: "Credit profiles, limits (maker-checker), scoring, reviews and credit holds of the current tenant.",
        subcommands: [Show.self, Update.self, SetLimit.self, RequestLimit.self, Approve.self, RejectLimit.self, Requests.self,
                      History.self, ScoreCommand.self, Reviews.self, Holds.self, Release.self, Reject.self, Recheck.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a customer's credit profile and its exposure against the limit.")
        @Argument(help: "Customer number.") var customer: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let profile = try await fetchProfile(customer, session: session)
                if session.json { return try JSONOutput.print(profile) }
                printProfile(profile)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change a profile's risk class, block, external rating or next review date.",
            discussion: """
                Only what is given changes; the reason is kept in the profile history. The limit is changed with \
                set-limit (lowering) or request-limit (raising, needs a second operator).
                """)
        @Argument(help: "Customer number.") var customer: String
        @Option(help: "Why (kept in the profile history).") var reason: String
        @Option(name: .customLong("risk-class"), help: "New risk class (one of the tenant's rules).") var riskClass: String?
        @Flag(help: "Block the customer's credit.") var block = false
        @Flag(help: "Lift the block; the customer's held orders are checked again.") var unblock = false
        @Option(name: .customLong("external-rating"), help: "Agency rating 0-100; -1 clears it.") var externalRating: Int32?
        @Option(name: .customLong("next-review"), help: ArgumentHelp("Next review date.", valueName: "YYYY-MM-DD"))
        var nextReview: DayArgument?
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            try requireText(reason, option: "--reason")
            if block && unblock { throw ValidationError("--block and --unblock exclude each other") }
            if let externalRating, !(-1...100).contains(externalRating) {
                throw ValidationError("--external-rating must be between 0 and 100 (-1 clears it)")
            }
            if riskClass == nil && !block && !unblock && externalRating == nil && nextReview == nil {
                throw ValidationError("nothing to change: give --risk-class, --block, --unblock, --external-rating or --next-review")
            }
        }

        func run() async throws {
            let request = Otc_Credit_V1_UpdateProfileRequest.with {
                $0.customerNumber = customer
                $0.reason = reason
                $0.riskClass = riskClass ?? ""
                $0.setBlocked = block || unblock
                $0.blocked = block
                $0.setExternalRating = externalRating != nil
                $0.externalRating = externalRating ?? 0
                if let nextReview { $0.nextReview = nextReview.message }
            }
            try await updateProfile(request, global: global)
        }
    }

    struct SetLimit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-limit",
            abstract: "Lower a customer's credit limit; takes effect at once.",
            discussion: "Raising a limit is refused: use request-limit, which another operator must approve.")
        @Argument(help: "Customer number.") var customer: String
        @Argument(help: "The new limit, a decimal in the profile's currency (e.g. 15000.00).") var amount: String
        @Option(help: "Why (kept in the profile history).") var reason: String
        @OptionGroup var global: GlobalOptions

        func validate() throws { try requireText(reason, option: "--reason") }

        func run() async throws {
            try await global.withSession { session in
                let units = try parseLimit(amount, currency: try await profileCurrency(customer, session: session))
                let request = Otc_Credit_V1_UpdateProfileRequest.with {
                    $0.customerNumber = customer
                    $0.reason = reason
                    $0.setLimit = true
                    $0.creditLimit = units
                }
                try await updateProfile(request, session: session)
            }
        }
    }

    struct RequestLimit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "request-limit",
            abstract: "Ask for a new credit limit (maker); prints the request id.",
            discussion: """
                Another operator must approve it ('otcctl credit approve ID'); their role's approval limit for the \
                currency must cover the requested limit. Approval changes the limit and re-checks held orders.
                """)
        @Argument(help: "Customer number.") var customer: String
        @Argument(help: "The limit asked for, a decimal in the currency (e.g. 25000.00).") var amount: String
        @Option(help: "Why the customer needs it (shown to the approver).") var justification: String
        @Option(help: "Currency of the limit, ISO 4217 (default: the profile's).") var currency: String?
        @OptionGroup var global: GlobalOptions

        func validate() throws { try requireText(justification, option: "--justification") }

        func run() async throws {
            try await global.withSession { session in
                var limitCurrency = currency?.uppercased() ?? ""
                if limitCurrency.isEmpty { limitCurrency = try await profileCurrency(customer, session: session) }
                let units = try parseLimit(amount, currency: limitCurrency)
                let request = Otc_Credit_V1_RequestLimitRequest.with {
                    $0.customerNumber = customer
                    $0.requestedLimit = .with { $0.units = units; $0.currency = limitCurrency }
                    $0.justification = justification
                }
                let limitRequest = try await session.write(CreditMethods.requestLimit, request, as: Otc_Credit_V1_LimitRequest.self,
                                                           tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(limitRequest) }
                print("limit request \(limitRequest.id) is \(limitRequest.status); another operator approves it with " +
                      "'otcctl credit approve \(limitRequest.id)'\n")
                printLimitRequest(limitRequest)
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a limit request (checker): the limit changes now and held orders are re-checked.",
            discussion: "You cannot approve your own request; your role's approval limit for the currency must cover the limit.")
        @Argument(help: "Limit request id.") var id: String
        @Option(help: "Note kept with the decision.") var note: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await decideLimit(CreditMethods.approveLimit, id: id, reason: note ?? "", global: global)
        }
    }

    struct RejectLimit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reject-limit",
            abstract: "Reject a limit request (checker); the limit stays as it is.")
        @Argument(help: "Limit request id.") var id: String
        @Option(help: "Why (shown to the requester).") var reason: String
        @OptionGroup var global: GlobalOptions

        func validate() throws { try requireText(reason, option: "--reason") }

        func run() async throws {
            try await decideLimit(CreditMethods.rejectLimit, id: id, reason: reason, global: global)
        }
    }

    struct Requests: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List limit requests.")
        @Option(help: "Only requests in this status: pending, approved or rejected.") var status: String?
        @Option(help: "Only requests of this customer number.") var customer: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Credit_V1_ListLimitRequestsRequest.with {
                    $0.status = status?.lowercased() ?? ""
                    $0.customerNumber = customer ?? ""
                }
                let response = try await session.read(CreditMethods.listLimitRequests, request,
                                                      as: Otc_Credit_V1_ListLimitRequestsResponse.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(response) }
                var table = Table("id", "customer", "current>", "requested>", "status", "requested by", "requested at", "decided by",
                                  "justification")
                for r in response.requests {
                    table.add(r.id, r.customerNumber, Money.format(units: r.currentLimit, currency: r.currency),
                              Money.format(units: r.requestedLimit, currency: r.currency), r.status, r.requestedBy,
                              shortTime(r.requestedAt), r.decidedBy, r.justification)
                }
                table.print()
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every change of a customer's credit profile.")
        @Argument(help: "Customer number.") var customer: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let response = try await session.read(
                    CreditMethods.listProfileHistory, Otc_Credit_V1_ListProfileHistoryRequest.with { $0.customerNumber = customer },
                    as: Otc_Credit_V1_ListProfileHistoryResponse.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(response) }
                var table = Table("version>", "at", "principal", "reason", "changes")
                for c in response.changes {
                    let changes = c.changes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
                    table.add("\(c.version)", shortTime(c.at), c.principal, c.reason, changes)
                }
                table.print()
            }
        }
    }

    struct ScoreCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "score",
            abstract: "Score a customer's payment behaviour; sets the risk class and next review, recommends a limit.")
        @Argument(help: "Customer number.") var customer: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                // Not a pure read: the score updates the profile's risk class and review date.
                let score = try await session.write(CreditMethods.scoreCustomer,
                                                    Otc_Credit_V1_ScoreCustomerRequest.with { $0.customerNumber = customer },
                                                    as: Otc_Credit_V1_Score.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(score) }
                printScore(score)
            }
        }
    }

    struct Reviews: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List credit profiles whose review is due.")
        @Option(name: .customLong("as-of"), help: ArgumentHelp("Due by this date (default: today).", valueName: "YYYY-MM-DD"))
        var asOf: DayArgument?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Credit_V1_ListReviewsDueRequest.with { if let asOf { $0.asOf = asOf.message } }
                let response = try await session.read(CreditMethods.listReviewsDue, request,
                                                      as: Otc_Credit_V1_ListReviewsDueResponse.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(response) }
                var table = Table("customer", "next review", "risk class", "score>", "limit>", "exposure>", "available>", "blocked")
                for p in response.profiles {
                    table.add(p.customerNumber, formatDate(p.nextReview), p.riskClass, p.score < 0 ? "" : "\(p.score)", limitText(p),
                              Money.format(units: p.exposure.total, currency: p.currency),
                              p.hasLimit_p ? Money.format(units: p.exposure.available, currency: p.currency) : "", yesNo(p.blocked))
                }
                table.print()
            }
        }
    }

    struct Holds: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List orders on credit hold (every page).",
            discussion: "Work them with 'credit release', 'credit reject' or 'credit recheck'. -o json prints one ListOrdersResponse.")
        @Option(help: "Only orders of this customer number.") var customer: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Orders_V1_ListOrdersRequest.with {
                    $0.statuses = [.creditHold]
                    $0.customerNumber = customer ?? ""
                    $0.pageSize = 500
                }
                let combined = try await session.readPages(OrderMethods.list, request, as: Otc_Orders_V1_ListOrdersResponse.self,
                                                           tenant: try session.requireTenant(), all: true, pageToken: \.pageToken)
                if session.json { return try JSONOutput.print(combined) }
                var table = Table("order id", "order ref", "customer", "net total>", "hold reason", "updated")
                for o in combined.orders {
                    table.add(o.id, o.orderRef, o.customerNumber, o.hasNetTotal ? Money.format(o.netTotal) : "", o.holdReason,
                              shortTime(o.updatedAt))
                }
                table.print()
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Release an order from credit hold (the credit is granted).")
        @Argument(help: "Order id or order ref.") var order: String
        @Option(help: "Why (kept in the audit log).") var reason: String
        @OptionGroup var global: GlobalOptions

        func validate() throws { try requireText(reason, option: "--reason") }

        func run() async throws {
            try await decideHold(OrderMethods.release, order: order, global: global) { id in
                Otc_Orders_V1_ReleaseHoldRequest.with { $0.id = id; $0.reason = reason }
            }
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Refuse the credit an order on credit hold asks for: the order is cancelled with the reason.")
        @Argument(help: "Order id or order ref.") var order: String
        @Option(help: "Why (recorded on the order and in the audit log).") var reason: String
        @OptionGroup var global: GlobalOptions

        func validate() throws { try requireText(reason, option: "--reason") }

        func run() async throws {
            try await decideHold(OrderMethods.rejectCreditHold, order: order, global: global) { id in
                Otc_Orders_V1_RejectCreditHoldRequest.with { $0.id = id; $0.reason = reason }
            }
        }
    }

    struct Recheck: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a customer's credit-held orders again; those now within the limit are released.")
        @Argument(help: "Customer number.") var customer: String
        @Option(help: "Why (kept in the audit log).") var reason: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let response = try await session.write(
                    CreditMethods.recheckHolds,
                    Otc_Credit_V1_RecheckHoldsRequest.with { $0.customerNumber = customer; $0.reason = reason ?? "" },
                    as: Otc_Credit_V1_RecheckHoldsResponse.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(response) }
                var details = Details()
                details.add("released", response.releasedOrders.isEmpty ? "none" : response.releasedOrders.joined(separator: ", "))
                details.add("still held", response.stillHeld.isEmpty ? "none" : response.stillHeld.joined(separator: ", "))
                details.print()
            }
        }
    }
}

private func fetchProfile(_ customer: String, session: Session) async throws -> Otc_Credit_V1_CreditProfile {
    try await session.read(CreditMethods.getProfile, Otc_Credit_V1_GetProfileRequest.with { $0.customerNumber = customer },
                           as: Otc_Credit_V1_CreditProfile.self, tenant: try session.requireTenant())
}

/// Limits are typed as decimals of the profile's currency, and only the server knows which that is.
private func profileCurrency(_ customer: String, session: Session) async throws -> String {
    let currency = try await fetchProfile(customer, session: session).currency
    guard !currency.isEmpty else { throw CLIError("the credit profile of \(customer) has no currency") }
    return currency
}

private func parseLimit(_ amount: String, currency: String) throws -> Int64 {
    let units = try parseAmount(amount, currency: currency)
    guard units >= 0 else { throw CLIError("a credit limit cannot be negative") }
    return units
}

private func updateProfile(_ request: Otc_Credit_V1_UpdateProfileRequest, global: GlobalOptions) async throws {
    try await global.withSession { session in try await updateProfile(request, session: session) }
}

private func updateProfile(_ request: Otc_Credit_V1_UpdateProfileRequest, session: Session) async throws {
    let profile = try await session.write(CreditMethods.updateProfile, request, as: Otc_Credit_V1_CreditProfile.self,
                                          tenant: try session.requireTenant())
    if session.json { return try JSONOutput.print(profile) }
    print("credit profile of \(profile.customerNumber) updated (version \(profile.version))\n")
    printProfile(profile)
}

/// Approve and reject differ only in the method; both print the request as decided.
private func decideLimit(_ method: String, id: String, reason: String, global: GlobalOptions) async throws {
    try await global.withSession { session in
        let decided = try await session.write(method, Otc_Credit_V1_DecideLimitRequest.with { $0.id = id; $0.reason = reason },
                                              as: Otc_Credit_V1_LimitRequest.self, tenant: try session.requireTenant())
        if session.json { return try JSONOutput.print(decided) }
        print("limit request \(decided.id) is \(decided.status)\n")
        printLimitRequest(decided)
    }
}

/// Release and reject of a credit hold: same shape, different method and request type.
private func decideHold<Request: SwiftProtobuf.Message>(
    _ method: String, order: String, global: GlobalOptions, request: (String) -> Request
) async throws {
    try await global.withSession { session in
        let tenant = try session.requireTenant()
        // The holds table shows id and ref; accept either, as 'otcctl order release' does.
        let id = UUID(uuidString: order) != nil
            ? order.lowercased()
            : try await session.read(OrderMethods.get, Otc_Orders_V1_GetOrderRequest.with { $0.orderRef = order },
                                     as: Otc_Orders_V1_Order.self, tenant: tenant).id
        let updated = try await session.write(method, request(id), as: Otc_Orders_V1_Order.self, tenant: tenant)
        if session.json { return try JSONOutput.print(updated) }
        print("order \(updated.orderRef) is \(OrderStatusName.name(updated.status))" +
              (updated.cancelReason.isEmpty ? "" : " (\(updated.cancelReason))"))
    }
}

private func limitText(_ p: Otc_Credit_V1_CreditProfile) -> String {
    p.hasLimit_p ? Money.format(units: p.creditLimit, currency: p.currency) : "none"
}

/// The profile, then its exposure as the limit check adds it up.
private func printProfile(_ p: Otc_Credit_V1_CreditProfile) {
    var details = Details()
    details.add("customer", p.customerNumber)
    details.add("currency", p.currency)
    details.add("credit limit", limitText(p))
    details.add("risk class", p.riskClass.isEmpty ? "none" : p.riskClass)
    details.add("score", p.score < 0 ? "not scored yet" : "\(p.score)")
    details.add("external rating", p.externalRating < 0 ? "none" : "\(p.externalRating)")
    details.add("next review", p.hasNextReview ? formatDate(p.nextReview) : "none")
    details.add("blocked", p.blocked ? "yes" + (p.blockReason.isEmpty ? "" : " (\(p.blockReason))") : "no")
    if p.pendingRequests > 0 {
        details.add("pending requests", "\(p.pendingRequests) (otcctl credit requests --customer \(p.customerNumber))")
    }
    details.add("version", "\(p.version) (rules v\(p.rulesVersion))")
    details.print()

    let e = p.exposure
    print("\nEXPOSURE")
    let amounts = [("open receivables", e.openReceivables), ("open orders", e.openOrders),
                   ("shipped not invoiced", e.shippedNotInvoiced), ("total", e.total)]
        .map { ($0.0, Money.format(units: $0.1, currency: p.currency)) }
        + [("limit", limitText(p)),
           ("available", p.hasLimit_p ? Money.format(units: e.available, currency: p.currency) : "no limit set")]
    let width = amounts.map(\.1.count).max() ?? 0
    var exposure = Details()
    for (key, value) in amounts {
        var line = String(repeating: " ", count: width - value.count) + value
        if key == "shipped not invoiced" { line += e.shippedNotInvoicedCounted ? "  (counted)" : "  (not counted)" }
        if key == "available", p.hasLimit_p, e.available < 0 { line += "  OVER LIMIT" }
        exposure.add(key, line)
    }
    exposure.add("max days overdue", "\(e.maxDaysOverdue)")
    if !e.otherCurrencies.isEmpty {
        exposure.add("other currencies", e.otherCurrencies.map(Money.format).joined(separator: ", ") + "  (not in the total)")
    }
    exposure.print()
}

private func printLimitRequest(_ r: Otc_Credit_V1_LimitRequest) {
    var details = Details()
    details.add("id", r.id)
    details.add("customer", r.customerNumber)
    details.add("status", r.status)
    details.add("current limit", Money.format(units: r.currentLimit, currency: r.currency))
    details.add("requested limit", Money.format(units: r.requestedLimit, currency: r.currency))
    details.add("justification", r.justification)
    details.add("requested", shortTime(r.requestedAt) + (r.requestedBy.isEmpty ? "" : " by \(r.requestedBy)"))
    if !r.decidedAt.isEmpty { details.add("decided", shortTime(r.decidedAt) + (r.decidedBy.isEmpty ? "" : " by \(r.decidedBy)")) }
    details.addIfPresent("decision note", r.decisionNote)
    if !r.releasedOrders.isEmpty { details.add("released orders", r.releasedOrders.joined(separator: ", ")) }
    details.add("rules version", "\(r.rulesVersion)")
    details.print()
}

private func printScore(_ s: Otc_Credit_V1_Score) {
    var details = Details()
    details.add("customer", s.customerNumber)
    details.add("score", "\(s.score)")
    let changed = !s.previousRiskClass.isEmpty && s.previousRiskClass != s.riskClass
    details.add("risk class", s.riskClass + (changed ? " (was \(s.previousRiskClass))" : ""))
    // Hundredths of a day: the same fixed-point text as two-decimal money, exactly.
    details.add("avg days late", "\(OTCCore.Money.decimal(s.averageDaysLateHundredths, digits: 2)) over \(s.paidItems) paid item(s), 12 months")
    details.add("utilisation", s.utilisationBp < 0 ? "no limit" : formatRate(basisPoints: s.utilisationBp))
    details.add("external rating", s.externalRating < 0 ? "none" : "\(s.externalRating)")
    details.add("components", "payment \(s.paymentComponent), utilisation \(s.utilisationComponent), external \(s.externalComponent)")
    if s.hasRecommendedLimit { details.add("recommended limit", Money.format(s.recommendedLimit)) }
    if s.hasInvoiced12Months { details.add("invoiced 12 months", Money.format(s.invoiced12Months)) }
    details.add("next review", s.hasNextReview ? formatDate(s.nextReview) : "none")
    details.add("rules version", "\(s.rulesVersion)")
    details.print()
}

/// Reasons and justifications are audited; an empty one is a usage error, not a server round trip.
func requireText(_ value: String, option: String) throws {
    guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("\(option) must not be empty") }
}
