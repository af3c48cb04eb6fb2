import Foundation
import OTCClient
import OTCCore
import OTCDisputes
import OTCProto
import OTCStore
import PostgresNIO
import SwiftProtobuf
import Testing

/// Dispute resolution against a real server and database: routing and SLA from the rules,
/// states with history, disputed amounts held from dunning, acceptance into credit memos,
/// rejection back to collections, automatic write-off of small deductions, escalation.
@Suite("Dispute resolution")
struct DisputeTests {
    static let prefix = "/otc.disputes.v1.DisputeService/"

    @Test func aDisputeIsRoutedHeldFromDunningAndAcceptedIntoACreditMemo() async throws {
        try await withServer { server in
            let desk = try await CollectionsTests.desk(server, "ds_flow", customers: ["C-1", "C-2"])
            let a = try await CollectionsTests.invoice(desk, "D-1", customer: "C-1", issuedDaysAgo: 40, net: 10_000)
            let b = try await CollectionsTests.invoice(desk, "D-2", customer: "C-1", issuedDaysAgo: 40, net: 5_000)
            let other = try await CollectionsTests.invoice(desk, "D-3", customer: "C-2", issuedDaysAgo: 40, net: 5_000)
            func open(_ request: Otc_Disputes_V1_OpenDisputeRequest) async throws -> Otc_Disputes_V1_Dispute {
                try await desk.erp.call(Self.prefix + "OpenDispute", tenant: desk.tenant, request: request)
            }
            let request = Otc_Disputes_V1_OpenDisputeRequest.with {
                $0.customerNumber = "C-1"
                $0.reasonCode = "QUALITY"
                $0.items = [.with { $0.documentNumber = a.number; $0.amount = 6_000 }, .with { $0.documentNumber = b.number; $0.amount = 1_200 }]
                $0.description_p = "scratched housings"
                $0.attachments = [.with { $0.reference = "dms://claims/4711"; $0.name = "photos.zip" }]
                $0.externalRef = "ERP-CLAIM-1"
            }
            let dispute = try await open(request)
            #expect(dispute.number.hasPrefix("DSP-") && dispute.status == "open" && dispute.source == "erp")
            #expect(dispute.ownerTeam == "quality" && dispute.disputedAmount == 7_200 && !dispute.slaBreached)
            #expect(dispute.attachments.first?.name == "photos.zip")
            // Opened once per external reference.
            #expect(try await open(request).id == dispute.id)
            // Refusals: an unknown reason, more than is open, another customer's invoice.
            let unknown = await expectStatus(.invalidArgument) {
                _ = try await open(.with { $0.customerNumber = "C-1"; $0.reasonCode = "WEATHER"; $0.items = request.items })
            }
            #expect(unknown?.details["reason"] == "UNKNOWN_REASON_CODE")
            await expectStatus(.failedPrecondition) {
                _ = try await open(.with {
                    $0.customerNumber = "C-1"; $0.reasonCode = "PRICE"; $0.items = [.with { $0.documentNumber = a.number; $0.amount = 6_001 }]
                })
            }
            await expectStatus(.failedPrecondition) {
                _ = try await open(.with {
                    $0.customerNumber = "C-1"; $0.reasonCode = "PRICE"; $0.items = [.with { $0.documentNumber = other.number; $0.amount = 1 }]
                })
            }

            // Dunning leaves the disputed part alone: D-2 (1 200 of 6 000 disputed) is dunned for 4 800.
            let run: Otc_Collections_V1_DunningRun = try await desk.analyst.call(Method.runDunning, tenant: desk.tenant, request: Otc_Collections_V1_RunDunningRequest())
            let c1 = try #require(run.noticeList.first { $0.customerNumber == "C-1" })
            #expect(c1.items.map(\.dunnedAmount).sorted() == [4_800, 6_000])

            // Worked through its states; a resolution is not a status change.
            func move(_ status: String) async throws -> Otc_Disputes_V1_Dispute {
                try await desk.analyst.call(Self.prefix + "ChangeStatus", tenant: desk.tenant, request: Otc_Disputes_V1_ChangeStatusRequest.with {
                    $0.id = dispute.number; $0.status = status; $0.note = "step"
                })
            }
            await expectStatus(.failedPrecondition) { _ = try await move("closed") }
            _ = try await move("in_review")
            _ = try await move("pending_customer")
            await expectStatus(.failedPrecondition) { _ = try await move("resolved_accepted") }
            _ = try await move("in_review")
            await expectStatus(.permissionDenied) {
                let _: Otc_Disputes_V1_Dispute = try await desk.erp.call(Self.prefix + "ChangeStatus", tenant: desk.tenant, request: Otc_Disputes_V1_ChangeStatusRequest.with {
                    $0.id = dispute.id; $0.status = "pending_customer"
                })
            }

            // Accepted for 6 000 of 7 200: a credit memo on D-1 for all of it.
            let resolved: Otc_Disputes_V1_Dispute = try await desk.analyst.call(Self.prefix + "ResolveDispute", tenant: desk.tenant, request: Otc_Disputes_V1_ResolveDisputeRequest.with {
                $0.id = dispute.id; $0.accepted = true; $0.acceptedAmount = 6_000; $0.note = "supplier confirmed the defect"
            })
            #expect(resolved.status == "resolved_accepted")
            #expect(resolved.creditMemos.count == 1 && resolved.acceptedAmount == 6_000)
            #expect(resolved.events.map(\.toStatus) == ["open", "in_review", "pending_customer", "in_review", "resolved_accepted"])
            let afterMemo: Otc_Billing_V1_Document = try await desk.erp.call(
                Method.getDocument, tenant: desk.tenant, request: Otc_Billing_V1_GetDocumentRequest.with { $0.number = a.number })
            #expect(afterMemo.openAmount == 6_000)
            // Nothing is held any more: the rest of D-2 is collectable again.
            #expect(try await server.count("collection_item_holds", tenant: desk.tenant) == 0)
            let closed = try await move("closed")
            #expect(closed.status == "closed")
            try await expectLedgerClean(desk.erp, tenant: desk.tenant)

            // A rejected dispute gives the amount back to collections.
            let second = try await open(.with {
                $0.customerNumber = "C-2"; $0.reasonCode = "PRICE"; $0.items = [.with { $0.documentNumber = other.number; $0.amount = 1_000 }]
            })
            #expect(try await server.count("collection_item_holds", tenant: desk.tenant) == 1)
            await expectStatus(.invalidArgument) {
                let _: Otc_Disputes_V1_Dispute = try await desk.analyst.call(Self.prefix + "ResolveDispute", tenant: desk.tenant, request: Otc_Disputes_V1_ResolveDisputeRequest.with {
                    $0.id = second.id; $0.accepted = false
                })
            }
            let rejected: Otc_Disputes_V1_Dispute = try await desk.analyst.call(Self.prefix + "ResolveDispute", tenant: desk.tenant, request: Otc_Disputes_V1_ResolveDisputeRequest.with {
                $0.id = second.id; $0.accepted = false; $0.note = "price as contracted"
            })
            #expect(rejected.status == "resolved_rejected" && rejected.creditMemos.isEmpty)
            #expect(try await server.count("collection_item_holds", tenant: desk.tenant) == 0)

            let causes: Otc_Disputes_V1_RootCauses = try await desk.lead.call(Self.prefix + "GetRootCauses", tenant: desk.tenant, request: Otc_Disputes_V1_GetRootCausesRequest())
            #expect(causes.causes.map(\.reasonCode) == ["QUALITY", "PRICE"])
            #expect(causes.causes.first?.acceptedAmount == 6_000 && causes.causes.last?.rejected == 1)
            let list: Otc_Disputes_V1_ListDisputesResponse = try await desk.erp.call(Self.prefix + "ListDisputes", tenant: desk.tenant, request: Otc_Disputes_V1_ListDisputesRequest.with {
                $0.customerNumber = "C-1"
            })
            #expect(list.disputes.map(\.number) == [dispute.number])
        }
    }

    @Test func smallDeductionsAreWrittenOffAndLateDisputesEscalateOnce() async throws {
        try await withServer { server in
            let desk = try await CollectionsTests.desk(server, "ds_auto", customers: ["C-1"])
            _ = try await publishRules(#"{"disputes": {"auto_write_off_below": {"EUR": 500}}}"#, tenant: desk.tenant, on: desk.lead)
            let invoice = try await CollectionsTests.invoice(desk, "A-1", customer: "C-1", issuedDaysAgo: 10, net: 10_000)
            // A short payment of 4.00 from cash application: written off, the dispute closed with why.
            let small = try await server.inTenant(desk.tenant) { tx in
                try await Disputes().open(Disputes.Opening(customerNumber: "C-1", reasonCode: "DEDUCTION", items: [(invoice.number, 400)],
                                                           description: "short payment", source: .deduction), rules: try await tx.currentRules(), in: tx)
            }
            #expect(small.status == .closed && small.resolutionNote.contains("written off automatically"))
            #expect(try await server.count("ar_posting_lines", tenant: desk.tenant, where: "account = 'write_off' AND amount = 400") == 1)
            // A larger one stays a dispute for the collections team.
            let large = try await server.inTenant(desk.tenant) { tx in
                try await Disputes().open(Disputes.Opening(customerNumber: "C-1", reasonCode: "DEDUCTION", items: [(invoice.number, 2_000)],
                                                           description: "short payment", source: .deduction), rules: try await tx.currentRules(), in: tx)
            }
            #expect(large.status == .open && large.ownerTeam == "collections")
            try await expectLedgerClean(desk.erp, tenant: desk.tenant)

            // Past its SLA (moved back in time here): escalated once, listed as breached.
            try await server.asTenant(desk.tenant) { conn in
                try await conn.query("UPDATE disputes SET sla_due_at = now() - interval '1 hour'", logger: TestEnvironment.logger)
            }
            let runner = TenantJobRunner(client: server.client, logger: TestEnvironment.logger, jobs: [Disputes.slaEscalation])
            _ = await runner.runOnce()
            _ = await runner.runOnce()
            #expect(try await server.count("tasks", tenant: desk.tenant, where: "kind = 'dispute_escalation'") == 1)
            let breached: Otc_Disputes_V1_ListDisputesResponse = try await desk.analyst.call(Self.prefix + "ListDisputes", tenant: desk.tenant, request: Otc_Disputes_V1_ListDisputesRequest.with {
                $0.breachedOnly = true
            })
            #expect(breached.disputes.map(\.number) == [large.number])
            #expect(breached.disputes.first?.slaBreached == true)
        }
    }
}
