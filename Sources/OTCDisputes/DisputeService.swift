public import OTCCore
public import OTCStore
import OTCProto
import Foundation
import SwiftProtobuf

/// `otc.disputes.v1.DisputeService`: disputes opened by ERPs and operators, routed, worked and
/// resolved; root-cause statistics.
public struct DisputeService: RPCService {
    let store: TenantStore
    let disputes = Disputes()
    let records = DisputeStore()

    public init(store: TenantStore) {
        self.store = store
    }

    static let prefix = "/otc.disputes.v1.DisputeService/"

    public func registerMethods(with table: inout MethodTable) {
        let read = MethodAccess.tenant(scope: .disputesRead, role: .viewer)
        let analyst = MethodAccess.tenant(scope: .disputesRead, role: .analyst, erpAllowed: false)
        table.register(Self.prefix + "OpenDispute", access: .tenant(scope: .disputesWrite, role: .analyst), mutating: true, open)
        table.register(Self.prefix + "GetDispute", access: read, mutating: false, get)
        table.register(Self.prefix + "ListDisputes", access: read, mutating: false, list)
        table.register(Self.prefix + "AssignDispute", access: analyst, mutating: true, assign)
        table.register(Self.prefix + "ChangeStatus", access: analyst, mutating: true, changeStatus)
        table.register(Self.prefix + "ResolveDispute", access: analyst, mutating: true, resolve)
        table.register(Self.prefix + "GetRootCauses", access: read, mutating: false, rootCauses)
    }

    @Sendable func open(_ request: Otc_Disputes_V1_OpenDisputeRequest, _ context: CallContext) async throws -> Otc_Disputes_V1_Dispute {
        let source: DisputeSource = if case .erp = context.principal { .erp } else { .operator }
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let dispute = try await disputes.open(Disputes.Opening(
                customerNumber: request.customerNumber, reasonCode: request.reasonCode,
                items: request.items.map { ($0.documentNumber, $0.amount) }, description: request.description_p,
                attachments: request.attachments.map { [$0.reference, $0.name] }, source: source,
                externalRef: request.externalRef.isEmpty ? nil : request.externalRef), rules: rules, in: tx)
            return Self.message(dispute)
        }
    }

    @Sendable func get(_ request: Otc_Disputes_V1_GetDisputeRequest, _ context: CallContext) async throws -> Otc_Disputes_V1_Dispute {
        try await store.transaction(context) { tx in
            guard let dispute = try await records.find(request.id, in: tx) else { throw OTCError.notFound("dispute \(request.id) does not exist") }
            return Self.message(dispute)
        }
    }

    @Sendable func list(_ request: Otc_Disputes_V1_ListDisputesRequest, _ context: CallContext) async throws
        -> Otc_Disputes_V1_ListDisputesResponse
    {
        let paging = try Paging(pageSize: request.page.pageSize, pageToken: request.page.pageToken, kind: "disputes")
        let after = try paging.afterNumber()
        if !request.status.isEmpty, DisputeStatus(rawValue: request.status) == nil {
            throw OTCError.invalidArgument("status '\(request.status)' is unknown: \(DisputeStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return try await store.transaction(context) { tx in
            let page = try await records.list(
                status: request.status.isEmpty ? nil : request.status, customer: request.customerNumber.isEmpty ? nil : request.customerNumber,
                team: request.ownerTeam.isEmpty ? nil : request.ownerTeam, breachedOnly: request.breachedOnly, afterSeq: after,
                limit: paging.limit, in: tx)
            var response = Otc_Disputes_V1_ListDisputesResponse()
            response.disputes = page.map { Self.message($0.0) }
            response.nextPageToken = paging.nextToken(lastKey: page.last.map { "\($0.1)" }, returned: page.count, kind: "disputes")
            return response
        }
    }

    @Sendable func assign(_ request: Otc_Disputes_V1_AssignDisputeRequest, _ context: CallContext) async throws -> Otc_Disputes_V1_Dispute {
        try await store.idempotentTransaction(context) { tx in
            guard let dispute = try await records.find(request.id, lock: true, in: tx) else {
                throw OTCError.notFound("dispute \(request.id) does not exist")
            }
            try await records.assign(dispute.id, assignee: request.assignee.isEmpty ? nil : request.assignee,
                                     team: request.ownerTeam.isEmpty ? nil : request.ownerTeam, in: tx)
            try await tx.audit(action: "dispute.assign", entityType: "dispute", entityID: dispute.number, details: [
                "assignee": request.assignee.isEmpty ? dispute.assignee : request.assignee,
                "team": request.ownerTeam.isEmpty ? dispute.ownerTeam : "\(dispute.ownerTeam) → \(request.ownerTeam)",
            ])
            return Self.message(try await records.find(dispute.id.uuidString, in: tx)!)
        }
    }

    @Sendable func changeStatus(_ request: Otc_Disputes_V1_ChangeStatusRequest, _ context: CallContext) async throws
        -> Otc_Disputes_V1_Dispute
    {
        guard let next = DisputeStatus(rawValue: request.status) else {
            throw OTCError.invalidArgument("status '\(request.status)' is unknown: \(DisputeStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return try await store.idempotentTransaction(context) { tx in
            Self.message(try await disputes.move(request.id, to: next, note: request.note, in: tx))
        }
    }

    @Sendable func resolve(_ request: Otc_Disputes_V1_ResolveDisputeRequest, _ context: CallContext) async throws -> Otc_Disputes_V1_Dispute {
        let note = request.note.trimmingCharacters(in: .whitespaces)
        guard !note.isEmpty else { throw OTCError.invalidArgument("say why the dispute is accepted or rejected (note); the customer is told") }
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            return Self.message(try await disputes.resolve(
                request.id, accepted: request.accepted, amount: request.acceptedAmount == 0 ? nil : request.acceptedAmount,
                taxCode: request.taxCode.isEmpty ? nil : request.taxCode, note: note, rules: rules, in: tx))
        }
    }

    @Sendable func rootCauses(_ request: Otc_Disputes_V1_GetRootCausesRequest, _ context: CallContext) async throws
        -> Otc_Disputes_V1_RootCauses
    {
        try await store.transaction(context) { tx in
            let from = try BusinessDate.optional(request.from, isSet: request.hasFrom, field: "from")
            let to = try BusinessDate.optional(request.to, isSet: request.hasTo, field: "to")
            var response = Otc_Disputes_V1_RootCauses()
            response.causes = try await records.rootCauses(from: from, to: to, in: tx).map { row in
                .with {
                    $0.reasonCode = row.0
                    $0.currency = row.1
                    $0.opened = Int32(row.2)
                    $0.disputedAmount = row.3
                    $0.accepted = Int32(row.4)
                    $0.acceptedAmount = row.5
                    $0.rejected = Int32(row.6)
                    $0.openNow = Int32(row.7)
                    $0.averageCycleHundredths = row.8
                }
            }
            return response
        }
    }

    static func message(_ dispute: Dispute) -> Otc_Disputes_V1_Dispute {
        .with {
            $0.id = dispute.id.uuidString.lowercased()
            $0.number = dispute.number
            $0.customerNumber = dispute.customerNumber
            $0.reasonCode = dispute.reasonCode
            $0.currency = dispute.currency.code
            $0.disputedAmount = dispute.disputedAmount
            $0.items = dispute.items.map { item in .with { $0.documentNumber = item.documentNumber; $0.amount = item.amount } }
            $0.description_p = dispute.description
            $0.attachments = dispute.attachments.map { pair in .with { $0.reference = pair.first ?? ""; $0.name = pair.count > 1 ? pair[1] : "" } }
            $0.status = dispute.status.rawValue
            $0.ownerTeam = dispute.ownerTeam
            $0.assignee = dispute.assignee
            $0.slaDueAt = Timestamp.string(dispute.slaDueAt)
            $0.slaBreached = dispute.isBreached(now: Date())
            $0.source = dispute.source.rawValue
            $0.externalRef = dispute.externalRef
            $0.acceptedAmount = dispute.acceptedAmount
            $0.creditMemos = dispute.creditMemos
            $0.resolutionNote = dispute.resolutionNote
            $0.openedAt = Timestamp.string(dispute.openedAt)
            $0.resolvedAt = Timestamp.string(dispute.resolvedAt)
            $0.rulesVersion = Int32(dispute.rulesVersion)
            $0.events = dispute.events.map { event in
                .with {
                    $0.at = Timestamp.string(event.at)
                    $0.principal = event.principal
                    $0.fromStatus = event.from
                    $0.toStatus = event.to
                    $0.note = event.note
                }
            }
        }
    }
}
