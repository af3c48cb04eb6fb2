public import OTCCore
public import OTCStore
import OTCReceivables
import OTCProto
import Foundation

/// `otc.credit.v1.CreditService`: profiles, exposure, limit requests with maker-checker approval,
/// scoring and reviews. Credit holds on orders are released or rejected in OrderService.
public struct CreditService: RPCService {
    let store: TenantStore
    let credit = CreditStore()
    let customers = CustomerStore()
    let heldOrders: (any HeldOrders)?

    /// `heldOrders` re-checks credit-held orders after a limit approval or an unblock.
    public init(store: TenantStore, heldOrders: (any HeldOrders)?) {
        self.store = store
        self.heldOrders = heldOrders
    }

    static let prefix = "/otc.credit.v1.CreditService/"
    static let approvalTask = "credit_limit_approval"

    public func registerMethods(with table: inout MethodTable) {
        let read = MethodAccess.tenant(scope: .creditRead, role: .viewer)
        let analyst = MethodAccess.tenant(scope: .creditRead, role: .analyst, erpAllowed: false)
        table.register(Self.prefix + "GetProfile", access: read, mutating: false, getProfile)
        table.register(Self.prefix + "UpdateProfile", access: analyst, mutating: true, updateProfile)
        table.register(Self.prefix + "ListProfileHistory", access: read, mutating: false, history)
        table.register(Self.prefix + "RequestLimit", access: analyst, mutating: true, requestLimit)
        table.register(Self.prefix + "ApproveLimit", access: analyst, mutating: true, approveLimit)
        table.register(Self.prefix + "RejectLimit", access: analyst, mutating: true, rejectLimit)
        table.register(Self.prefix + "ListLimitRequests", access: read, mutating: false, listRequests)
        table.register(Self.prefix + "ScoreCustomer", access: analyst, mutating: true, score)
        table.register(Self.prefix + "ListReviewsDue", access: read, mutating: false, reviewsDue)
        table.register(Self.prefix + "RecheckHolds", access: analyst, mutating: true, recheckHolds)
    }

    // MARK: Profiles

    @Sendable func getProfile(_ request: Otc_Credit_V1_GetProfileRequest, _ context: CallContext) async throws -> Otc_Credit_V1_CreditProfile {
        try await store.transaction(context) { tx in
            let rules = try await tx.currentRules()
            let profile = try await profileOrDefault(request.customerNumber, in: tx)
            return try await message(profile, rules: rules, in: tx)
        }
    }

    /// The stored profile, or the one a customer without a profile has: its currency, no limit.
    func profileOrDefault(_ customer: String, lock: Bool = false, in tx: TenantTransaction) async throws -> CreditProfile {
        guard !customer.isEmpty else { throw OTCError.invalidArgument("customer_number is required") }
        if let profile = try await credit.profile(customer, lock: lock, in: tx) { return profile }
        guard let found = try await customers.find(customer, in: tx) else {
            throw OTCError.notFound("customer \(customer) does not exist")
        }
        return CreditProfile(customerNumber: customer, currency: found.currency)
    }

    func message(_ profile: CreditProfile, rules: VersionedRules, in tx: TenantTransaction) async throws -> Otc_Credit_V1_CreditProfile {
        let exposure = try await credit.exposure(customer: profile.customerNumber, currency: profile.currency, excludingOrder: nil,
                                                 countShipped: rules.rules.credit.includeShippedNotInvoiced, in: tx)
        let pending = try await credit.pendingRequests(customer: profile.customerNumber, in: tx)
        return Self.message(profile, exposure: exposure, rulesVersion: rules.version, pendingRequests: pending)
    }

    @Sendable func updateProfile(_ request: Otc_Credit_V1_UpdateProfileRequest, _ context: CallContext) async throws
        -> Otc_Credit_V1_CreditProfile
    {
        let reason = request.reason.trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty else { throw OTCError.invalidArgument("say why the profile changes (reason); it is kept in its history") }
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let current = try await profileOrDefault(request.customerNumber, lock: true, in: tx)
            if request.expectedVersion != 0, request.expectedVersion != current.version {
                throw OTCError(.aborted, "the profile changed since version \(request.expectedVersion) (now \(current.version)); reload it")
            }
            var updated = current
            if !request.riskClass.isEmpty {
                guard rules.rules.credit.riskClass(named: request.riskClass) != nil else {
                    throw OTCError.invalidArgument("risk class '\(request.riskClass)' is not in the rules (\(rules.rules.credit.riskClasses.map(\.name).joined(separator: ", ")))")
                }
                updated.riskClass = request.riskClass
            }
            if request.setBlocked {
                updated.blocked = request.blocked
                updated.blockReason = request.blocked ? reason : ""
            }
            if request.setExternalRating {
                guard (-1...100).contains(request.externalRating) else {
                    throw OTCError.invalidArgument("external_rating is 0 to 100, or -1 to clear it (got \(request.externalRating))")
                }
                updated.externalRating = request.externalRating < 0 ? nil : Int(request.externalRating)
            }
            if request.hasNextReview { updated.nextReview = try BusinessDate(request.nextReview, field: "next_review") }
            if request.setLimit {
                guard request.creditLimit >= 0 else { throw OTCError.invalidArgument("credit_limit cannot be negative") }
                guard let limit = current.limit, request.creditLimit < limit else {
                    throw OTCError.failedPrecondition(
                        "only lowering a limit takes effect at once; raising it (or setting a first limit) needs RequestLimit and the approval of a second operator",
                        details: ["reason": "NEEDS_APPROVAL"])
                }
                updated.limit = request.creditLimit
            }
            guard updated != current else { return try await message(current, rules: rules, in: tx) }
            let saved = try await credit.save(updated, previous: current, reason: reason,
                                              rulesVersion: rules.version, in: tx)
            try await tx.audit(action: "credit.profile_update", entityType: "customer", entityID: saved.customerNumber,
                               details: current.changes(to: saved).merging(["reason": reason, "rules_version": "\(rules.version)"]) { $1 })
            if current.blocked && !saved.blocked, let heldOrders {
                _ = try await heldOrders.recheck(customer: saved.customerNumber, reason: "credit block lifted: \(reason)", rules: rules, in: tx)
            }
            return try await message(saved, rules: rules, in: tx)
        }
    }

    @Sendable func history(_ request: Otc_Credit_V1_ListProfileHistoryRequest, _ context: CallContext) async throws
        -> Otc_Credit_V1_ListProfileHistoryResponse
    {
        try await store.transaction(context) { tx in
            var response = Otc_Credit_V1_ListProfileHistoryResponse()
            response.changes = try await credit.history(request.customerNumber, in: tx).map(Self.message)
            return response
        }
    }

    // MARK: Limit requests (maker-checker)

    @Sendable func requestLimit(_ request: Otc_Credit_V1_RequestLimitRequest, _ context: CallContext) async throws
        -> Otc_Credit_V1_LimitRequest
    {
        let justification = request.justification.trimmingCharacters(in: .whitespaces)
        guard !justification.isEmpty else {
            throw OTCError.invalidArgument("a limit request needs a justification; the approver reads it")
        }
        guard let currency = Currency(request.requestedLimit.currency) else {
            throw OTCError.invalidArgument("requested_limit.currency must be an ISO 4217 code such as EUR")
        }
        guard request.requestedLimit.units >= 0 else { throw OTCError.invalidArgument("a credit limit cannot be negative") }
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let profile = try await profileOrDefault(request.customerNumber, lock: true, in: tx)
            if profile.limit != nil, profile.currency != currency {
                throw OTCError.invalidArgument(
                    "the limit of \(profile.customerNumber) is in \(profile.currency); request it in \(profile.currency)",
                    details: ["reason": "CURRENCY_MISMATCH"])
            }
            guard profile.limit != request.requestedLimit.units else {
                throw OTCError.failedPrecondition("the limit already is \(Money(units: request.requestedLimit.units, currency: currency))")
            }
            let stored = try await credit.insertRequest(
                customer: profile.customerNumber, currency: currency, current: profile.limit, requested: request.requestedLimit.units,
                justification: justification, rulesVersion: rules.version, in: tx)
            let subject = stored.id.uuidString.lowercased()
            try await tx.openTask(
                kind: Self.approvalTask, subjectType: "credit_limit_request", subjectID: subject,
                title: "Approve credit limit \(Money(units: stored.requestedLimit, currency: currency)) for \(profile.customerNumber)",
                rules: rules, details: ["requested_by": stored.requestedBy, "justification": justification])
            try await tx.audit(action: "credit.limit_request", entityType: "credit_limit_request", entityID: subject, details: [
                "customer": profile.customerNumber, "current": profile.limit.map { Money(units: $0, currency: currency).description } ?? "none",
                "requested": Money(units: stored.requestedLimit, currency: currency).description, "justification": justification,
            ])
            return Self.message(stored)
        }
    }

    @Sendable func approveLimit(_ request: Otc_Credit_V1_DecideLimitRequest, _ context: CallContext) async throws
        -> Otc_Credit_V1_LimitRequest
    {
        let id = try UUID.parse(request.id, what: "limit request")
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let pending = try await pendingRequest(id, in: tx)
            try rules.rules.credit.approvalLimits.authorize(
                requester: pending.requestedBy, approver: tx.context.principal.auditID, role: tx.role, amount: pending.requestedLimit,
                currency: pending.currency, section: "credit.approval_limits", what: "credit limits")
            let current = try await profileOrDefault(pending.customerNumber, lock: true, in: tx)
            var updated = current
            updated.currency = pending.currency
            updated.limit = pending.requestedLimit
            let note = request.reason.trimmingCharacters(in: .whitespaces)
            let reason = "limit request \(pending.id.uuidString.lowercased()) approved: \(pending.justification)"
            try await credit.save(updated, previous: current, reason: reason, rulesVersion: rules.version, in: tx)
            var released: [String] = []
            if let heldOrders {
                released = try await heldOrders.recheck(customer: pending.customerNumber, reason: "credit limit approved", rules: rules,
                                                        in: tx).released
            }
            let decided = try await credit.decide(id, status: .approved, note: note, releasedOrders: released, in: tx)
            try await tx.closeTasks(subjectType: "credit_limit_request", subjectID: request.id.lowercased(), resolution: "approved")
            try await tx.audit(action: "credit.limit_approve", entityType: "credit_limit_request", entityID: request.id.lowercased(), details: [
                "customer": pending.customerNumber, "limit": Money(units: pending.requestedLimit, currency: pending.currency).description,
                "requested_by": pending.requestedBy, "role": tx.role?.rawValue ?? "-", "note": note,
                "released_orders": released.joined(separator: " "), "rules_version": "\(rules.version)",
            ])
            return Self.message(decided)
        }
    }

    @Sendable func rejectLimit(_ request: Otc_Credit_V1_DecideLimitRequest, _ context: CallContext) async throws
        -> Otc_Credit_V1_LimitRequest
    {
        let id = try UUID.parse(request.id, what: "limit request")
        let reason = request.reason.trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty else { throw OTCError.invalidArgument("say why the request is rejected (reason); the requester reads it") }
        return try await store.idempotentTransaction(context) { tx in
            let pending = try await pendingRequest(id, in: tx)
            guard pending.requestedBy != tx.context.principal.auditID else {
                throw OTCError.permissionDenied("you made this request; withdrawing it is not possible yet, and rejecting it needs another operator")
            }
            let decided = try await credit.decide(id, status: .rejected, note: reason, releasedOrders: [], in: tx)
            try await tx.closeTasks(subjectType: "credit_limit_request", subjectID: request.id.lowercased(), resolution: "rejected: \(reason)")
            try await tx.audit(action: "credit.limit_reject", entityType: "credit_limit_request", entityID: request.id.lowercased(),
                               details: ["customer": pending.customerNumber, "reason": reason])
            return Self.message(decided)
        }
    }

    private func pendingRequest(_ id: UUID, in tx: TenantTransaction) async throws -> LimitRequest {
        guard let found = try await credit.request(id, lock: true, in: tx) else {
            throw OTCError.notFound("limit request \(id.uuidString.lowercased()) does not exist")
        }
        guard found.status == .pending else {
            throw OTCError.failedPrecondition("limit request \(id.uuidString.lowercased()) is already \(found.status.rawValue) by \(found.decidedBy ?? "-")")
        }
        return found
    }

    @Sendable func listRequests(_ request: Otc_Credit_V1_ListLimitRequestsRequest, _ context: CallContext) async throws
        -> Otc_Credit_V1_ListLimitRequestsResponse
    {
        if !request.status.isEmpty, LimitRequest.Status(rawValue: request.status) == nil {
            throw OTCError.invalidArgument("status is pending, approved or rejected (got '\(request.status)')")
        }
        return try await store.transaction(context) { tx in
            var response = Otc_Credit_V1_ListLimitRequestsResponse()
            response.requests = try await credit.listRequests(
                status: request.status.isEmpty ? nil : request.status,
                customer: request.customerNumber.isEmpty ? nil : request.customerNumber, limit: 500, in: tx).map(Self.message)
            return response
        }
    }

    // MARK: Scoring and reviews

    @Sendable func score(_ request: Otc_Credit_V1_ScoreCustomerRequest, _ context: CallContext) async throws -> Otc_Credit_V1_Score {
        try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let current = try await profileOrDefault(request.customerNumber, lock: true, in: tx)
            let today = tx.today
            let facts = try await credit.scoringFacts(customer: current.customerNumber, currency: current.currency, today: today, in: tx)
            let exposure = try await credit.exposure(customer: current.customerNumber, currency: current.currency, excludingOrder: nil,
                                                     countShipped: rules.rules.credit.includeShippedNotInvoiced, in: tx)
            let score = CreditScore(
                CreditScore.Inputs(averageDaysLateHundredths: facts.daysLateHundredths, paidItems: facts.paidItems, exposure: exposure.total,
                                   limit: current.limit, externalRating: current.externalRating, invoicedLast12Months: facts.invoiced),
                rules: rules.rules.credit, today: today)
            var updated = current
            updated.score = score.score
            updated.riskClass = score.riskClass
            updated.nextReview = score.nextReview
            if updated != current {
                try await credit.save(updated, previous: current,
                                      reason: "scored \(score.score) → risk class \(score.riskClass)", rulesVersion: rules.version, in: tx)
                try await tx.audit(action: "credit.score", entityType: "customer", entityID: current.customerNumber,
                                   details: current.changes(to: updated).merging(["rules_version": "\(rules.version)"]) { $1 })
            }
            return Self.message(score, facts: facts, previous: current, rulesVersion: rules.version)
        }
    }

    @Sendable func reviewsDue(_ request: Otc_Credit_V1_ListReviewsDueRequest, _ context: CallContext) async throws
        -> Otc_Credit_V1_ListReviewsDueResponse
    {
        try await store.transaction(context) { tx in
            let rules = try await tx.currentRules()
            let asOf = try BusinessDate.optional(request.asOf, isSet: request.hasAsOf, field: "as_of") ?? tx.today
            var response = Otc_Credit_V1_ListReviewsDueResponse()
            for profile in try await credit.reviewsDue(asOf: asOf, limit: 500, in: tx) {
                response.profiles.append(try await message(profile, rules: rules, in: tx))
            }
            return response
        }
    }

    @Sendable func recheckHolds(_ request: Otc_Credit_V1_RecheckHoldsRequest, _ context: CallContext) async throws
        -> Otc_Credit_V1_RecheckHoldsResponse
    {
        try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let profile = try await profileOrDefault(request.customerNumber, in: tx)
            var response = Otc_Credit_V1_RecheckHoldsResponse()
            guard let heldOrders else { return response }
            let reason = request.reason.isEmpty ? "re-check requested" : request.reason
            let outcome = try await heldOrders.recheck(customer: profile.customerNumber, reason: reason, rules: rules, in: tx)
            response.releasedOrders = outcome.released
            response.stillHeld = outcome.stillHeld
            return response
        }
    }

}
