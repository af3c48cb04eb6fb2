import OTCCore
import OTCStore
import OTCProto
import Foundation
import SwiftProtobuf

/// The people's side of cash application: the exception queue, unapplied cash and reversals.
extension CashApplicationService {
    @Sendable func listProposals(_ request: Otc_Cashapp_V1_ListProposalsRequest, _ context: CallContext) async throws
        -> Otc_Cashapp_V1_ListProposalsResponse
    {
        let paging = try Paging(pageSize: request.page.pageSize, pageToken: request.page.pageToken, kind: "proposals")
        let after = try paging.afterNumber()
        let only = request.receiptID.isEmpty ? nil : try UUID.parse(request.receiptID, what: "receipt")
        return try await store.transaction(context) { tx in
            let page = try await receipts.waiting(statuses: ["exception"], only: only, afterSeq: after, limit: paging.limit, in: tx)
            if let only, page.isEmpty { throw OTCError.notFound("receipt \(only.uuidString.lowercased()) does not exist") }
            var response = Otc_Cashapp_V1_ListProposalsResponse()
            response.exceptions = page.map { waiting in
                .with {
                    $0.receipt = Self.message(waiting.record)
                    $0.suggestions = waiting.suggestions.map { Self.message($0, receipt: waiting.record) }
                    $0.taskDueAt = waiting.taskDueAt ?? ""
                }
            }
            response.nextPageToken = only != nil ? "" : paging.nextToken(lastKey: page.last.map { "\($0.seq)" }, returned: page.count, kind: "proposals")
            return response
        }
    }

    @Sendable func listUnapplied(_ request: Otc_Cashapp_V1_ListUnappliedRequest, _ context: CallContext) async throws
        -> Otc_Cashapp_V1_ListUnappliedResponse
    {
        let paging = try Paging(pageSize: request.page.pageSize, pageToken: request.page.pageToken, kind: "unapplied")
        let after = try paging.afterNumber()
        return try await store.transaction(context) { tx in
            let page = try await receipts.waiting(statuses: ["unmatched", "exception"], only: nil, afterSeq: after, limit: paging.limit, in: tx)
            var response = Otc_Cashapp_V1_ListUnappliedResponse()
            response.receipts = page.map { waiting in
                .with {
                    $0.receipt = Self.message(waiting.record)
                    $0.ageDays = Int32(waiting.ageDays)
                    if let best = waiting.suggestions.first(where: { $0.status == "proposed" }) {
                        $0.bestSuggestion = "\(best.rule) \(best.confidence) % \(best.customerNumber ?? "no customer")"
                    }
                    $0.taskDueAt = waiting.taskDueAt ?? ""
                }
            }
            response.nextPageToken = paging.nextToken(lastKey: page.last.map { "\($0.seq)" }, returned: page.count, kind: "unapplied")
            if after == nil {
                response.totals = try await receipts.unappliedTotals(in: tx).map { code, units in .with { $0.currency = code; $0.units = units } }
                response.onAccount = try await receipts.onAccount(limit: 100, in: tx).map { customer, code, units in
                    .with { $0.customerNumber = customer; $0.amount = .with { $0.currency = code; $0.units = units } }
                }
            }
            return response
        }
    }

    @Sendable func reverseApplication(_ request: Otc_Cashapp_V1_ReverseApplicationRequest, _ context: CallContext) async throws
        -> Otc_Cashapp_V1_Receipt
    {
        let id = try UUID.parse(request.receiptID, what: "receipt")
        return try await store.idempotentTransaction(context) { tx in
            Self.message(try await application.reverse(receiptID: id, reason: request.reason, rules: try await tx.currentRules(), in: tx))
        }
    }

    static func message(_ stored: ReceiptStore.StoredProposal, receipt: ReceiptRecord) -> Otc_Cashapp_V1_Proposal {
        .with {
            $0.receiptID = receipt.id.uuidString.lowercased()
            $0.receiptReference = receipt.receipt.reference
            $0.customerNumber = stored.customerNumber ?? ""
            $0.rule = stored.rule
            $0.evidence = stored.evidence
            $0.confidence = Int32(stored.confidence)
            $0.status = stored.status
            $0.allocations = stored.allocations.map { document, amount in .with { $0.documentNumber = document; $0.amount = amount } }
            $0.differences = stored.differences.map { kind, amount, reason in .with { $0.kind = kind; $0.amount = amount; $0.reason = reason } }
        }
    }
}
