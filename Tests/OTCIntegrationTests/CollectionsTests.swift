import Foundation
import OTCClient
import OTCCollections
import OTCCore
import OTCProto
import OTCReceivables
import OTCStore
import PostgresNIO
import SwiftProtobuf
import Testing

/// Collections against a real server and database: aging as of any date, dunning runs that send
/// each notice once, promises to pay broken exactly once, the worklist, provisions and write-offs
/// with maker-checker approval.
@Suite("Collections")
struct CollectionsTests {
    /// A tenant with customers, an ERP connection and two analysts and a team lead.
    struct Desk {
        let tenant: String
        let erp: OTCConnection
        let analyst: OTCConnection
        let analyst2: OTCConnection
        let lead: OTCConnection
        let leadLogin: String
    }

    static func desk(_ server: TestServer, _ prefix: String, customers: [String]) async throws -> Desk {
        let admin = try await server.admin()
        let (tenant, key) = try await server.onboard(prefix, admin: admin)
        let erp = try await server.connect(.apiKey(key))
        for customer in customers {
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer(customer))
        }
        let (analyst, _) = try await server.op("analyst", on: tenant, admin: admin)
        let (analyst2, _) = try await server.op("analyst", on: tenant, admin: admin)
        let (lead, leadLogin) = try await server.op("team_lead", on: tenant, admin: admin)
        return Desk(tenant: tenant, erp: erp, analyst: analyst, analyst2: analyst2, lead: lead, leadLogin: leadLogin)
    }

    /// A direct invoice issued `daysAgo` days ago (customers have 2/10NET30: due 30 days after issue).
    @discardableResult
    static func invoice(_ desk: Desk, _ ref: String, customer: String, issuedDaysAgo: Int, net: Int64) async throws -> Otc_Billing_V1_Document {
        try await desk.erp.call(Method.createInvoice, tenant: desk.tenant, request: Fixtures.invoice(
            ref, customer: customer, issue: Fixtures.day(-issuedDaysAgo), lines: [(1, net, "STD")]))
    }

    static func pay(_ server: TestServer, _ desk: Desk, _ number: String, amount: Int64, onDay day: Int) async throws {
        try await server.inTenant(desk.tenant) { tx in
            let item = try #require(try await Ledger().item(documentNumber: number, in: tx))
            try await Ledger().apply(amount, to: item.id, from: .account(.cash), on: tx.today.adding(days: day), reason: "bank", in: tx)
        }
    }

    @Test func agingAsOfAnyDateAddsUpAndLeavesNothingOut() async throws {
        try await withServer { server in
            let desk = try await Self.desk(server, "co_age", customers: ["C-1", "C-2"])
            let oldest = try await Self.invoice(desk, "A-1", customer: "C-1", issuedDaysAgo: 100, net: 10_000)  // due 70 days ago
            let mid = try await Self.invoice(desk, "A-2", customer: "C-1", issuedDaysAgo: 70, net: 20_000)  // due 40 days ago
            try await Self.invoice(desk, "A-3", customer: "C-2", issuedDaysAgo: 20, net: 5_000)  // due in 10 days
            let _: Otc_Billing_V1_Document = try await desk.erp.call(Method.creditMemo, tenant: desk.tenant, request: Otc_Billing_V1_CreateMemoRequest.with {
                $0.invoiceNumber = mid.number; $0.reason = "price"; $0.lines = [.with { $0.invoiceLineNo = 1; $0.quantity = 1 }]
            })
            try await Self.pay(server, desk, oldest.number, amount: 2_000, onDay: 0)
            let aging: Otc_Collections_V1_Aging = try await desk.analyst.call(Method.aging, tenant: desk.tenant, request: Otc_Collections_V1_GetAgingRequest())
            #expect(aging.labels == ["no_due_date", "current", "1-30", "31-60", "61-90", "91-120", ">120"])
            let total = try #require(aging.totals.first)
            #expect(aging.totals.count == 1 && total.currency == "EUR")
            // The credit memo was applied to A-2 at once: A-2 is fully credited and gone.
            #expect(total.buckets.map(\.amount) == [0, 6_000, 0, 0, 10_000, 0, 0])
            #expect(total.total == 16_000 && total.overdue == 10_000)
            #expect(aging.customers.map(\.customerNumber) == ["C-1", "C-2"])
            #expect(aging.customerCount == 2)
            let balances: Otc_Receivables_V1_GetBalancesResponse = try await desk.erp.call(Method.balances, tenant: desk.tenant, request: Otc_Receivables_V1_GetBalancesRequest())
            #expect(balances.balances.reduce(0) { $0 + $1.openAmount } == total.total)

            // Thirty days ago: A-3 did not exist, the payment and the memo had not happened.
            let past: Otc_Collections_V1_Aging = try await desk.analyst.call(Method.aging, tenant: desk.tenant, request: Otc_Collections_V1_GetAgingRequest.with {
                $0.asOf = Fixtures.day(-30)
            })
            #expect(past.totals.first?.buckets.map(\.amount) == [0, 0, 24_000, 12_000, 0, 0, 0])
            // Per customer and currency filters, paged.
            let one: Otc_Collections_V1_Aging = try await desk.erp.call(Method.aging, tenant: desk.tenant, request: Otc_Collections_V1_GetAgingRequest.with {
                $0.customerNumber = "C-2"
            })
            #expect(one.customers.map(\.total) == [6_000])
            let page: Otc_Collections_V1_Aging = try await desk.analyst.call(Method.aging, tenant: desk.tenant, request: Otc_Collections_V1_GetAgingRequest.with {
                $0.pageSize = 1
            })
            #expect(page.customers.map(\.customerNumber) == ["C-1"])
            let next: Otc_Collections_V1_Aging = try await desk.analyst.call(Method.aging, tenant: desk.tenant, request: Otc_Collections_V1_GetAgingRequest.with {
                $0.pageSize = 1; $0.pageToken = page.nextPageToken
            })
            #expect(next.customers.map(\.customerNumber) == ["C-2"])
            let provision: Otc_Collections_V1_Provision = try await desk.analyst.call(Method.provision, tenant: desk.tenant, request: Otc_Collections_V1_GetProvisionRequest())
            // 61-90 at 20 %: 10 000 → 2 000; current at 0 %.
            #expect(provision.totals.map(\.units) == [2_000])
            #expect(provision.lines.first { $0.bucket == "61-90" }?.provision == 2_000)
        }
    }

    @Test func dunningSendsEachLevelOnceSkipsDisputesAndHoldsAndRestartsAfterAPartialPayment() async throws {
        try await withServer { server in
            let desk = try await Self.desk(server, "co_dun", customers: ["C-1", "C-2", "C-3", "C-4"])
            // All due 5 days ago: level 1 (1 day).
            var numbers: [String: String] = [:]
            for customer in ["C-1", "C-2", "C-3", "C-4"] {
                numbers[customer] = try await Self.invoice(desk, "D-\(customer)", customer: customer, issuedDaysAgo: 35, net: 10_000).number
            }
            let _: Otc_Collections_V1_CollectionAccount = try await desk.analyst.call(Method.dunningHold, tenant: desk.tenant, request: Otc_Collections_V1_SetDunningHoldRequest.with {
                $0.customerNumber = "C-2"; $0.hold = true; $0.reason = "insolvency administrator appointed"
            })
            let _: Otc_Collections_V1_ItemHold = try await desk.analyst.call(Method.itemHold, tenant: desk.tenant, request: Otc_Collections_V1_SetItemHoldRequest.with {
                $0.documentNumber = numbers["C-3"]!; $0.amount = 12_000; $0.reason = "quality dispute"; $0.reference = "DSP-1"
            })
            let _: Otc_Collections_V1_ItemHold = try await desk.analyst.call(Method.itemHold, tenant: desk.tenant, request: Otc_Collections_V1_SetItemHoldRequest.with {
                $0.documentNumber = numbers["C-4"]!; $0.amount = 2_000; $0.reason = "short delivery"; $0.reference = "DSP-2"
            })
            await expectStatus(.failedPrecondition) {
                let _: Otc_Collections_V1_ItemHold = try await desk.analyst.call(Method.itemHold, tenant: desk.tenant, request: Otc_Collections_V1_SetItemHoldRequest.with {
                    $0.documentNumber = numbers["C-4"]!; $0.amount = 12_001; $0.reason = "too much"
                })
            }
            func run(_ day: Int) async throws -> Otc_Collections_V1_DunningRun {
                try await desk.analyst.call(Method.runDunning, tenant: desk.tenant, request: Otc_Collections_V1_RunDunningRequest.with { $0.asOf = Fixtures.day(day) })
            }
            let first = try await run(0)
            #expect(first.notices == 2)
            #expect(Set(first.noticeList.map(\.customerNumber)) == ["C-1", "C-4"])
            #expect(first.noticeList.allSatisfy { $0.level == 1 && $0.action == "reminder" })
            #expect(first.noticeList.first { $0.customerNumber == "C-4" }?.total == 10_000)
            #expect(first.skipped == ["customer_hold": 1, "disputed": 1])
            let again = try await run(0)
            #expect(again.notices == 0)
            #expect(again.skipped["already_dunned"] == 2)

            // Ten days later the items are 15 days overdue: level 2, once.
            let later = try await run(10)
            #expect(later.noticeList.map(\.level) == [2, 2])
            #expect(try await run(10).notices == 0)

            // C-1 pays part on day 12: its clock restarts there, so day 13 brings a level-1
            // reminder for what is left, not the final notice.
            try await Self.pay(server, desk, numbers["C-1"]!, amount: 5_000, onDay: 12)
            let afterPayment = try await run(13)
            let notice = try #require(afterPayment.noticeList.first { $0.customerNumber == "C-1" })
            #expect(notice.level == 1)
            #expect(notice.total == 7_000)
            #expect(notice.items.first?.anchorDate == Fixtures.day(12))
            #expect(afterPayment.noticeList.first { $0.customerNumber == "C-4" } == nil)
            // Day 31 from the due date: C-4 (no payment) reaches level 3.
            let final = try await run(26)
            #expect(final.noticeList.first { $0.customerNumber == "C-4" }?.level == 3)

            let exported: Otc_Collections_V1_ExportDunningNoticeResponse = try await desk.erp.call(
                Method.exportNotice, tenant: desk.tenant, request: Otc_Collections_V1_ExportDunningNoticeRequest.with { $0.id = notice.id })
            #expect(exported.text.contains("Dear Customer C-1 (C-1)"))
            #expect(exported.text.contains(numbers["C-1"]!))
            #expect(exported.text.contains("Total due: EUR 70.00"))
            let listed: Otc_Collections_V1_ListDunningNoticesResponse = try await desk.erp.call(
                Method.listNotices, tenant: desk.tenant, request: Otc_Collections_V1_ListDunningNoticesRequest.with { $0.customerNumber = "C-1" })
            #expect(listed.notices.map(\.level) == [1, 2, 1])
            // Notices are issued documents: the database refuses edits.
            await #expect(throws: (any Error).self) {
                try await server.asTenant(desk.tenant) { conn in
                    try await conn.query("UPDATE dunning_notices SET total = 0", logger: TestEnvironment.logger)
                }
            }
            // The ERP reads notices but cannot run dunning.
            await expectStatus(.permissionDenied) {
                let _: Otc_Collections_V1_DunningRun = try await desk.erp.call(Method.runDunning, tenant: desk.tenant, request: Otc_Collections_V1_RunDunningRequest())
            }
        }
    }

    @Test func aBrokenPromiseIsDetectedExactlyOnceAndPutsTheAccountOnTop() async throws {
        try await withServer { server in
            let desk = try await Self.desk(server, "co_ptp", customers: ["C-1", "C-2", "C-3"])
            try await Self.invoice(desk, "P-1", customer: "C-1", issuedDaysAgo: 40, net: 1_000)
            try await Self.invoice(desk, "P-2", customer: "C-2", issuedDaysAgo: 90, net: 500_000)
            let kept = try await Self.invoice(desk, "P-3", customer: "C-3", issuedDaysAgo: 40, net: 1_000)
            await expectStatus(.invalidArgument) {
                let _: Otc_Collections_V1_Promise = try await desk.analyst.call(Method.addPromise, tenant: desk.tenant, request: Otc_Collections_V1_AddPromiseRequest.with {
                    $0.customerNumber = "C-1"; $0.amount = Fixtures.money(1_200); $0.promisedDate = Fixtures.day(-1)
                })
            }
            let promise: Otc_Collections_V1_Promise = try await desk.analyst.call(Method.addPromise, tenant: desk.tenant, request: Otc_Collections_V1_AddPromiseRequest.with {
                $0.customerNumber = "C-1"; $0.amount = Fixtures.money(1_200); $0.promisedDate = Fixtures.day(2); $0.note = "CFO on the phone"
            })
            #expect(promise.status == "open")
            let _: Otc_Collections_V1_Promise = try await desk.analyst.call(Method.addPromise, tenant: desk.tenant, request: Otc_Collections_V1_AddPromiseRequest.with {
                $0.customerNumber = "C-3"; $0.amount = Fixtures.money(1_200); $0.promisedDate = Fixtures.day(2)
            })
            try await Self.pay(server, desk, kept.number, amount: 1_200, onDay: 1)

            // Before the date: nothing to do; C-1 is "promised" and waits at the bottom.
            let early: Otc_Collections_V1_DetectBrokenPromisesResponse = try await desk.analyst.call(
                Method.detectPromises, tenant: desk.tenant, request: Otc_Collections_V1_DetectBrokenPromisesRequest.with { $0.asOf = Fixtures.day(1) })
            #expect(early.broken.isEmpty)
            #expect(early.kept.map(\.customerNumber) == ["C-3"])
            let waiting: Otc_Collections_V1_Worklist = try await desk.analyst.call(
                Method.worklist, tenant: desk.tenant, request: Otc_Collections_V1_GetWorklistRequest.with { $0.asOf = Fixtures.day(1) })
            #expect(waiting.entries.map(\.customerNumber) == ["C-2", "C-1"])
            #expect(waiting.entries.last?.state == "promised")

            // The day after the promised date, with no payment: broken, once, however many ask at once.
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for connection in [desk.analyst, desk.analyst2, desk.lead] {
                    group.addTask {
                        let response: Otc_Collections_V1_DetectBrokenPromisesResponse = try await connection.call(
                            Method.detectPromises, tenant: desk.tenant, request: Otc_Collections_V1_DetectBrokenPromisesRequest.with { $0.asOf = Fixtures.day(3) })
                        return response.broken.count
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(results.reduce(0, +) == 1)
            #expect(try await server.count("promises", tenant: desk.tenant, where: "status = 'broken'") == 1)
            #expect(try await server.count("tasks", tenant: desk.tenant, where: "kind = 'promise_broken' AND status = 'open'") == 1)
            let top: Otc_Collections_V1_Worklist = try await desk.analyst.call(
                Method.worklist, tenant: desk.tenant, request: Otc_Collections_V1_GetWorklistRequest.with { $0.asOf = Fixtures.day(3) })
            #expect(top.promisesBroken == 0)
            #expect(top.entries.map(\.customerNumber) == ["C-1", "C-2"])
            #expect(top.entries.first?.state == "broken_promise")
            #expect(top.entries.first?.brokenPromises == 1)
            let promises: Otc_Collections_V1_ListPromisesResponse = try await desk.erp.call(
                Method.listPromises, tenant: desk.tenant, request: Otc_Collections_V1_ListPromisesRequest.with { $0.customerNumber = "C-1" })
            #expect(promises.promises.map(\.status) == ["broken"])

            // The collector calls: the follow-up answers the task, and C-1 drops back by weight.
            let _: Otc_Collections_V1_Activity = try await desk.analyst.call(Method.addActivity, tenant: desk.tenant, request: Otc_Collections_V1_AddActivityRequest.with {
                $0.customerNumber = "C-1"; $0.kind = "call"; $0.outcome = "reached"; $0.note = "pays Friday"; $0.followUp = Fixtures.day(7)
            })
            #expect(try await server.count("tasks", tenant: desk.tenant, where: "kind = 'promise_broken' AND status = 'open'") == 0)
            let after: Otc_Collections_V1_Worklist = try await desk.analyst.call(
                Method.worklist, tenant: desk.tenant, request: Otc_Collections_V1_GetWorklistRequest.with { $0.asOf = Fixtures.day(3) })
            #expect(after.entries.map(\.customerNumber) == ["C-2", "C-1"])
            #expect(after.entries.last?.followUp == Fixtures.day(7))
            await expectStatus(.invalidArgument) {
                let _: Otc_Collections_V1_Activity = try await desk.analyst.call(Method.addActivity, tenant: desk.tenant, request: Otc_Collections_V1_AddActivityRequest.with {
                    $0.customerNumber = "C-1"; $0.kind = "fax"; $0.note = "x"
                })
            }
            // Collectors: a team lead assigns; "-" lists what nobody owns.
            let _: Otc_Collections_V1_AssignCollectorResponse = try await desk.lead.call(Method.assignCollector, tenant: desk.tenant, request: Otc_Collections_V1_AssignCollectorRequest.with {
                $0.customerNumbers = ["C-2"]; $0.collector = "anna"
            })
            let annas: Otc_Collections_V1_Worklist = try await desk.analyst.call(
                Method.worklist, tenant: desk.tenant, request: Otc_Collections_V1_GetWorklistRequest.with { $0.collector = "anna"; $0.asOf = Fixtures.day(3) })
            #expect(annas.entries.map(\.customerNumber) == ["C-2"])
            let nobodys: Otc_Collections_V1_Worklist = try await desk.analyst.call(
                Method.worklist, tenant: desk.tenant, request: Otc_Collections_V1_GetWorklistRequest.with { $0.collector = "-"; $0.asOf = Fixtures.day(3) })
            #expect(nobodys.entries.map(\.customerNumber) == ["C-1"])
            await expectStatus(.permissionDenied) {
                let _: Otc_Collections_V1_AssignCollectorResponse = try await desk.analyst.call(Method.assignCollector, tenant: desk.tenant, request: Otc_Collections_V1_AssignCollectorRequest.with {
                    $0.customerNumbers = ["C-1"]; $0.collector = "me"
                })
            }
        }
    }

    /// otcd's watcher finds a promise whose day has passed without anyone asking, once.
    @Test func theWatcherBreaksAPastPromiseOnItsOwnOnce() async throws {
        try await withServer { server in
            let desk = try await Self.desk(server, "co_watch", customers: ["C-1"])
            try await Self.invoice(desk, "X-1", customer: "C-1", issuedDaysAgo: 40, net: 1_000)
            // Made a week ago for two days ago (the API only takes promises from today on).
            try await server.asTenant(desk.tenant) { conn in
                try await conn.query("""
                    INSERT INTO promises (customer_number, currency, amount, promised_date, made_on, principal)
                    VALUES ('C-1', 'EUR', 1200, current_date - 2, current_date - 7, 'op:test')
                    """, logger: TestEnvironment.logger)
            }
            let watcher = TenantJobRunner(client: server.client, logger: TestEnvironment.logger, jobs: [Collections.promiseWatch])
            _ = await watcher.runOnce()
            #expect(try await server.count("promises", tenant: desk.tenant, where: "status = 'broken'") == 1)
            _ = await watcher.runOnce()
            #expect(try await server.count("tasks", tenant: desk.tenant, where: "kind = 'promise_broken'") == 1)
            #expect(try await server.count("audit_log", tenant: desk.tenant,
                                           where: "action = 'collections.promise_broken' AND principal = 'op:system.promise-watch'") == 1)
        }
    }

    @Test func writeOffsNeedASecondOperatorWithEnoughAuthorityAndPostToTheLedger() async throws {
        try await withServer { server in
            let desk = try await Self.desk(server, "co_wo", customers: ["C-1"])
            // 1 200.00 EUR: above an analyst's 500.00, within a team lead's 10 000.00.
            let invoice = try await Self.invoice(desk, "W-1", customer: "C-1", issuedDaysAgo: 200, net: 100_000)
            await expectStatus(.failedPrecondition) {
                let _: Otc_Collections_V1_WriteOff = try await desk.analyst.call(Method.requestWriteOff, tenant: desk.tenant, request: Otc_Collections_V1_RequestWriteOffRequest.with {
                    $0.documentNumber = invoice.number; $0.amount = 120_001; $0.reason = "too much"
                })
            }
            let request: Otc_Collections_V1_WriteOff = try await desk.analyst.call(Method.requestWriteOff, tenant: desk.tenant, request: Otc_Collections_V1_RequestWriteOffRequest.with {
                $0.documentNumber = invoice.number; $0.reason = "customer insolvent, no dividend expected"
            })
            #expect(request.amount.units == 120_000)
            #expect(request.status == "pending")
            let own = await expectStatus(.permissionDenied) {
                let _: Otc_Collections_V1_WriteOff = try await desk.analyst.call(Method.approveWriteOff, tenant: desk.tenant, request: Otc_Collections_V1_DecideWriteOffRequest.with { $0.id = request.id })
            }
            #expect(own?.details["reason"] == "SAME_OPERATOR")
            let limit = await expectStatus(.permissionDenied) {
                let _: Otc_Collections_V1_WriteOff = try await desk.analyst2.call(Method.approveWriteOff, tenant: desk.tenant, request: Otc_Collections_V1_DecideWriteOffRequest.with { $0.id = request.id })
            }
            #expect(limit?.details["reason"] == "APPROVAL_LIMIT")
            #expect(try await server.count("ar_applications", tenant: desk.tenant, where: "source_account = 'write_off'") == 0)
            let approved: Otc_Collections_V1_WriteOff = try await desk.lead.call(Method.approveWriteOff, tenant: desk.tenant, request: Otc_Collections_V1_DecideWriteOffRequest.with {
                $0.id = request.id; $0.reason = "insolvency file checked"
            })
            #expect(approved.status == "approved")
            #expect(approved.decidedBy == "op:\(desk.leadLogin)")
            let after: Otc_Billing_V1_Document = try await desk.erp.call(
                Method.getDocument, tenant: desk.tenant, request: Otc_Billing_V1_GetDocumentRequest.with { $0.number = invoice.number })
            #expect(after.openAmount == 0)
            #expect(try await server.count("ar_posting_lines", tenant: desk.tenant, where: "account = 'write_off' AND amount = 120000") == 1)
            try await expectLedgerClean(desk.erp, tenant: desk.tenant)
            await expectStatus(.failedPrecondition) {
                let _: Otc_Collections_V1_WriteOff = try await desk.analyst2.call(Method.rejectWriteOff, tenant: desk.tenant, request: Otc_Collections_V1_DecideWriteOffRequest.with {
                    $0.id = request.id; $0.reason = "late"
                })
            }
            await expectStatus(.failedPrecondition) {
                let _: Otc_Collections_V1_WriteOff = try await desk.analyst.call(Method.requestWriteOff, tenant: desk.tenant, request: Otc_Collections_V1_RequestWriteOffRequest.with {
                    $0.documentNumber = invoice.number; $0.reason = "again"
                })
            }

            // Writing off the last invoice of an order settles it: the order closes.
            let order: Otc_Orders_V1_Order = try await desk.erp.call(
                Method.createOrder, tenant: desk.tenant, request: Fixtures.order("WO-1", customer: "C-1", lines: [(1, 1_000, "STD")]))
            let shipped: Otc_Orders_V1_RecordShipmentResponse = try await desk.erp.call(
                Method.recordShipment, tenant: desk.tenant, request: Otc_Orders_V1_RecordShipmentRequest.with {
                    $0.orderID = order.id; $0.shipmentRef = "S-1"; $0.lines = [.with { $0.lineNo = 1; $0.quantity = 1 }]
                })
            let small: Otc_Collections_V1_WriteOff = try await desk.analyst.call(Method.requestWriteOff, tenant: desk.tenant, request: Otc_Collections_V1_RequestWriteOffRequest.with {
                $0.documentNumber = shipped.shipment.invoiceNumber; $0.reason = "not worth collecting"
            })
            let _: Otc_Collections_V1_WriteOff = try await desk.analyst2.call(Method.approveWriteOff, tenant: desk.tenant, request: Otc_Collections_V1_DecideWriteOffRequest.with { $0.id = small.id })
            let closed: Otc_Orders_V1_Order = try await desk.erp.call(Method.getOrder, tenant: desk.tenant, request: Otc_Orders_V1_GetOrderRequest.with { $0.id = order.id })
            #expect(closed.status == .closed)
            try await expectLedgerClean(desk.erp, tenant: desk.tenant)
        }
    }
}
