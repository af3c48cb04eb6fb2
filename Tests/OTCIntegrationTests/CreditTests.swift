import Foundation
import OTCClient
import OTCCore
import OTCProto
import OTCReceivables
import OTCStore
import PostgresNIO
import SwiftProtobuf
import Testing

/// Credit management against a real server and database: exposure, holds at order entry,
/// maker-checker limit approval, scoring and reviews.
@Suite("Credit management")
struct CreditTests {
    /// Exposure computed by hand from what the API shows: open items, plus released orders'
    /// unshipped and shipped-not-invoiced value, gross at 20 % (the STD rate).
    static func exposureByDefinition(_ erp: OTCConnection, tenant: String, customer: String) async throws -> Int64 {
        let items: Otc_Receivables_V1_ListOpenItemsResponse = try await erp.call(
            Method.openItems, tenant: tenant, request: Otc_Receivables_V1_ListOpenItemsRequest.with { $0.customerNumber = customer })
        let orders: Otc_Orders_V1_ListOrdersResponse = try await erp.call(
            Method.listOrders, tenant: tenant, request: Otc_Orders_V1_ListOrdersRequest.with {
                $0.customerNumber = customer
                $0.statuses = [.released, .partiallyShipped, .shipped]
            })
        var total = items.items.reduce(Int64(0)) { $0 + $1.openAmount }
        func gross(_ quantity: Int64, _ price: Int64) -> Int64 {
            let net = quantity * price
            return net + (net * 2_000 + 5_000) / 10_000
        }
        for order in orders.orders {
            for line in order.lines {
                total += gross(line.quantity - line.shippedQuantity, line.unitPrice.units)
                    + gross(line.shippedQuantity - line.invoicedQuantity, line.unitPrice.units)
            }
        }
        return total
    }

    @Test func exposureStaysEqualToItsDefinitionThroughOrdersInvoicesMemosAndPayments() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("cr_exp", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let (analyst, _) = try await server.op("analyst", on: tenant, admin: admin)
            let (lead, _) = try await server.op("team_lead", on: tenant, admin: admin)
            _ = try await publishRules(#"{"billing": {"mode": "billing_run"}}"#, tenant: tenant, on: lead)
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            try await grantLimit(10_000_000, customer: "C-1", tenant: tenant, maker: analyst, checker: lead)

            func expectExposure(_ step: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let profile: Otc_Credit_V1_CreditProfile = try await erp.call(
                    Method.getProfile, tenant: tenant, request: Otc_Credit_V1_GetProfileRequest.with { $0.customerNumber = "C-1" })
                let expected = try await Self.exposureByDefinition(erp, tenant: tenant, customer: "C-1")
                #expect(profile.exposure.total == expected, "after \(step)", sourceLocation: sourceLocation)
                #expect(profile.exposure.available == 10_000_000 - expected, sourceLocation: sourceLocation)
            }
            try await expectExposure("nothing")
            let first: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant, request: Fixtures.order("O-1", customer: "C-1", lines: [(4, 1_250, "STD"), (3, 999, "STD")]))
            #expect(first.status == .released)
            try await expectExposure("order entry")
            let second: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant, request: Fixtures.order("O-2", customer: "C-1", lines: [(1, 50_000, "STD")]))
            try await expectExposure("second order")
            // A smaller second order: still released, and its reservation follows.
            let smaller: Otc_Orders_V1_Order = try await erp.call(Method.amendOrder, tenant: tenant, request: Otc_Orders_V1_AmendOrderRequest.with {
                $0.id = second.id
                $0.reason = "customer halved the quantity"
                $0.lines = Fixtures.order("O-2", customer: "C-1", lines: [(1, 25_000, "STD")]).lines
            })
            #expect(smaller.status == .released)
            try await expectExposure("an amendment")
            let _: Otc_Orders_V1_RecordShipmentResponse = try await erp.call(
                Method.recordShipment, tenant: tenant, request: Otc_Orders_V1_RecordShipmentRequest.with {
                    $0.orderID = first.id
                    $0.shipmentRef = "S-1"
                    $0.lines = [.with { $0.lineNo = 1; $0.quantity = 3 }, .with { $0.lineNo = 2; $0.quantity = 1 }]
                })
            let profile: Otc_Credit_V1_CreditProfile = try await erp.call(
                Method.getProfile, tenant: tenant, request: Otc_Credit_V1_GetProfileRequest.with { $0.customerNumber = "C-1" })
            #expect(profile.exposure.shippedNotInvoiced == 3 * 1_500 + 1_199)
            try await expectExposure("a partial shipment (shipped, not invoiced)")
            let run: Otc_Billing_V1_RunBillingResponse = try await erp.call(Method.runBilling, tenant: tenant, request: Otc_Billing_V1_RunBillingRequest())
            #expect(run.invoices.count == 1)
            try await expectExposure("the billing run")
            let invoice = run.invoices[0]
            let _: Otc_Billing_V1_Document = try await erp.call(Method.creditMemo, tenant: tenant, request: Otc_Billing_V1_CreateMemoRequest.with {
                $0.invoiceNumber = invoice.number
                $0.reason = "one damaged"
                $0.lines = [.with { $0.invoiceLineNo = 1; $0.quantity = 1 }]
            })
            try await expectExposure("a credit memo")
            try await server.inTenant(tenant) { tx in
                let item = try #require(try await Ledger().item(documentNumber: invoice.number, in: tx))
                try await Ledger().apply(1_000, to: item.id, from: .account(.cash), on: tx.today, reason: "partial payment", in: tx)
            }
            try await expectExposure("a partial payment")
            let _: Otc_Orders_V1_Order = try await erp.call(Method.cancelOrder, tenant: tenant, request: Otc_Orders_V1_CancelOrderRequest.with {
                $0.id = second.id
                $0.reason = "customer withdrew"
            })
            try await expectExposure("a cancellation")
            // The rest ships and is invoiced: the order reserves nothing any more.
            let _: Otc_Orders_V1_RecordShipmentResponse = try await erp.call(
                Method.recordShipment, tenant: tenant, request: Otc_Orders_V1_RecordShipmentRequest.with {
                    $0.orderID = first.id
                    $0.shipmentRef = "S-2"
                    $0.lines = [.with { $0.lineNo = 1; $0.quantity = 1 }, .with { $0.lineNo = 2; $0.quantity = 2 }]
                })
            let _: Otc_Billing_V1_RunBillingResponse = try await erp.call(Method.runBilling, tenant: tenant, request: Otc_Billing_V1_RunBillingRequest())
            try await expectExposure("the last invoice")
            #expect(try await server.count("credit_reservations", tenant: tenant) == 0)
            try await expectLedgerClean(erp, tenant: tenant)
        }
    }

    @Test func orderOverTheLimitIsHeldThenReleasedOrRejectedByAnAnalyst() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("cr_hold", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let (analyst, _) = try await server.op("analyst", on: tenant, admin: admin)
            let (lead, _) = try await server.op("team_lead", on: tenant, admin: admin)
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            try await grantLimit(100_000, customer: "C-1", tenant: tenant, maker: analyst, checker: lead)

            // 1 000.00 EUR limit; the order is 1 200.00 gross.
            let held: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant, request: Fixtures.order("H-1", customer: "C-1", lines: [(10, 10_000, "STD")]))
            #expect(held.status == .creditHold)
            #expect(held.holdReason.contains("over the credit limit"))
            #expect(try await server.count("tasks", tenant: tenant, where: "kind = 'order_credit_hold' AND status = 'open'") == 1)
            #expect(try await server.count("credit_decisions", tenant: tenant, where: "decision = 'hold' AND code = 'OVER_LIMIT' AND rules_version >= 0") == 1)
            #expect(try await server.count("credit_reservations", tenant: tenant) == 0)

            // The ERP cannot release its own hold; an analyst can, with a reason.
            await expectStatus(.permissionDenied) {
                let _: Otc_Orders_V1_Order = try await erp.call(Method.releaseHold, tenant: tenant, request: Otc_Orders_V1_ReleaseHoldRequest.with {
                    $0.id = held.id; $0.reason = "please"
                })
            }
            await expectStatus(.invalidArgument) {
                let _: Otc_Orders_V1_Order = try await analyst.call(Method.releaseHold, tenant: tenant, request: Otc_Orders_V1_ReleaseHoldRequest.with {
                    $0.id = held.id
                })
            }
            let released: Otc_Orders_V1_Order = try await analyst.call(Method.releaseHold, tenant: tenant, request: Otc_Orders_V1_ReleaseHoldRequest.with {
                $0.id = held.id; $0.reason = "prepayment received by phone"
            })
            #expect(released.status == .released)
            #expect(try await server.count("tasks", tenant: tenant, where: "kind = 'order_credit_hold' AND status = 'open'") == 0)
            #expect(try await server.count("credit_reservations", tenant: tenant) == 1)
            #expect(try await server.count("credit_decisions", tenant: tenant, where: "decision = 'released'") == 1)
            // A released order amended to a higher value needs credit again; a lower one would not.
            let raised: Otc_Orders_V1_Order = try await erp.call(Method.amendOrder, tenant: tenant, request: Otc_Orders_V1_AmendOrderRequest.with {
                $0.id = held.id
                $0.reason = "two more"
                $0.lines = Fixtures.order("H-1", customer: "C-1", lines: [(12, 10_000, "STD")]).lines
            })
            #expect(raised.status == .creditHold)
            #expect(try await server.count("credit_reservations", tenant: tenant) == 0)
            let _: Otc_Orders_V1_Order = try await analyst.call(Method.releaseHold, tenant: tenant, request: Otc_Orders_V1_ReleaseHoldRequest.with {
                $0.id = held.id; $0.reason = "prepayment covers it"
            })
            let lowered: Otc_Orders_V1_Order = try await erp.call(Method.amendOrder, tenant: tenant, request: Otc_Orders_V1_AmendOrderRequest.with {
                $0.id = held.id
                $0.reason = "back to ten"
                $0.lines = Fixtures.order("H-1", customer: "C-1", lines: [(10, 10_000, "STD")]).lines
            })
            #expect(lowered.status == .released)

            // Now over the limit by the released order alone: the next small order waits too; rejected, it is cancelled.
            let next: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant, request: Fixtures.order("H-2", customer: "C-1", lines: [(1, 100, "STD")]))
            #expect(next.status == .creditHold)
            let rejected: Otc_Orders_V1_Order = try await analyst.call(Method.rejectCreditHold, tenant: tenant, request: Otc_Orders_V1_RejectCreditHoldRequest.with {
                $0.id = next.id; $0.reason = "customer in arrears elsewhere"
            })
            #expect(rejected.status == .cancelled)
            #expect(rejected.cancelReason.contains("credit refused"))
            await expectStatus(.failedPrecondition) {
                let _: Otc_Orders_V1_Order = try await analyst.call(Method.rejectCreditHold, tenant: tenant, request: Otc_Orders_V1_RejectCreditHoldRequest.with {
                    $0.id = released.id; $0.reason = "not held"
                })
            }
        }
    }

    /// The profile row is locked for the check: orders racing for the last of a limit get it one
    /// at a time, so the limit is never overrun.
    @Test func concurrentOrdersCannotBothTakeTheLastOfTheLimit() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("cr_race", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let (analyst, _) = try await server.op("analyst", on: tenant, admin: admin)
            let (lead, _) = try await server.op("team_lead", on: tenant, admin: admin)
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            try await grantLimit(100_000, customer: "C-1", tenant: tenant, maker: analyst, checker: lead)
            // Eight orders of 240.00 gross at once against a 1 000.00 limit: four fit.
            let statuses = try await withThrowingTaskGroup(of: Otc_Orders_V1_OrderStatus.self) { group in
                for n in 1...8 {
                    group.addTask {
                        let order: Otc_Orders_V1_Order = try await erp.call(
                            Method.createOrder, tenant: tenant, request: Fixtures.order("R-\(n)", customer: "C-1", lines: [(1, 20_000, "STD")]))
                        return order.status
                    }
                }
                return try await group.reduce(into: [Otc_Orders_V1_OrderStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .released }.count == 4)
            #expect(statuses.filter { $0 == .creditHold }.count == 4)
            let profile: Otc_Credit_V1_CreditProfile = try await erp.call(
                Method.getProfile, tenant: tenant, request: Otc_Credit_V1_GetProfileRequest.with { $0.customerNumber = "C-1" })
            #expect(profile.exposure.total == 96_000)
            #expect(profile.exposure.available == 4_000)
        }
    }

    @Test func limitChangesNeedASecondOperatorWithEnoughAuthority() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("cr_mc", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let (maker, makerLogin) = try await server.op("analyst", on: tenant, admin: admin)
            let (analyst, _) = try await server.op("analyst", on: tenant, admin: admin)
            let (lead, leadLogin) = try await server.op("team_lead", on: tenant, admin: admin)
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            // An order before any limit: the default rules approve customers without a profile.
            let early: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant, request: Fixtures.order("M-0", customer: "C-1", lines: [(1, 1_000, "STD")]))
            #expect(early.status == .released)
            // First limit: raising from nothing needs approval; lowering later does not.
            await expectStatus(.failedPrecondition) {
                let _: Otc_Credit_V1_CreditProfile = try await maker.call(Method.updateProfile, tenant: tenant, request: Otc_Credit_V1_UpdateProfileRequest.with {
                    $0.customerNumber = "C-1"; $0.reason = "opening"; $0.setLimit = true; $0.creditLimit = 500_000
                })
            }
            await expectStatus(.permissionDenied) {
                let _: Otc_Credit_V1_LimitRequest = try await erp.call(Method.requestLimit, tenant: tenant, request: Otc_Credit_V1_RequestLimitRequest.with {
                    $0.customerNumber = "C-1"; $0.requestedLimit = Fixtures.money(1); $0.justification = "erp"
                })
            }
            // 30 000.00 EUR: above an analyst's 25 000.00, within a team lead's 250 000.00.
            let request: Otc_Credit_V1_LimitRequest = try await maker.call(Method.requestLimit, tenant: tenant, request: Otc_Credit_V1_RequestLimitRequest.with {
                $0.customerNumber = "C-1"; $0.requestedLimit = Fixtures.money(3_000_000); $0.justification = "new framework contract"
            })
            #expect(request.status == "pending")
            #expect(request.requestedBy == "op:\(makerLogin)")
            await expectStatus(.alreadyExists) {
                let _: Otc_Credit_V1_LimitRequest = try await analyst.call(Method.requestLimit, tenant: tenant, request: Otc_Credit_V1_RequestLimitRequest.with {
                    $0.customerNumber = "C-1"; $0.requestedLimit = Fixtures.money(1_000); $0.justification = "second"
                })
            }
            let own = await expectStatus(.permissionDenied) {
                let _: Otc_Credit_V1_LimitRequest = try await maker.call(Method.approveLimit, tenant: tenant, request: Otc_Credit_V1_DecideLimitRequest.with { $0.id = request.id })
            }
            #expect(own?.details["reason"] == "SAME_OPERATOR")
            let tooHigh = await expectStatus(.permissionDenied) {
                let _: Otc_Credit_V1_LimitRequest = try await analyst.call(Method.approveLimit, tenant: tenant, request: Otc_Credit_V1_DecideLimitRequest.with { $0.id = request.id })
            }
            #expect(tooHigh?.details["reason"] == "APPROVAL_LIMIT")
            #expect(tooHigh?.message.contains("25000.00 EUR") == true)
            // Nothing changed yet.
            let before: Otc_Credit_V1_CreditProfile = try await lead.call(
                Method.getProfile, tenant: tenant, request: Otc_Credit_V1_GetProfileRequest.with { $0.customerNumber = "C-1" })
            #expect(!before.hasLimit_p)
            #expect(before.pendingRequests == 1)
            #expect(try await server.count("tasks", tenant: tenant, where: "kind = 'credit_limit_approval' AND status = 'open'") == 1)

            let approved: Otc_Credit_V1_LimitRequest = try await lead.call(Method.approveLimit, tenant: tenant, request: Otc_Credit_V1_DecideLimitRequest.with {
                $0.id = request.id; $0.reason = "checked the contract"
            })
            #expect(approved.status == "approved")
            #expect(approved.decidedBy == "op:\(leadLogin)")
            let after: Otc_Credit_V1_CreditProfile = try await lead.call(
                Method.getProfile, tenant: tenant, request: Otc_Credit_V1_GetProfileRequest.with { $0.customerNumber = "C-1" })
            #expect(after.hasLimit_p && after.creditLimit == 3_000_000)
            #expect(after.exposure.openOrders == 1_200)
            #expect(try await server.count("tasks", tenant: tenant, where: "kind = 'credit_limit_approval' AND status = 'open'") == 0)
            await expectStatus(.failedPrecondition) {
                let _: Otc_Credit_V1_LimitRequest = try await analyst.call(Method.approveLimit, tenant: tenant, request: Otc_Credit_V1_DecideLimitRequest.with { $0.id = request.id })
            }

            // A rejection needs a reason and leaves the limit alone.
            let lower: Otc_Credit_V1_LimitRequest = try await maker.call(Method.requestLimit, tenant: tenant, request: Otc_Credit_V1_RequestLimitRequest.with {
                $0.customerNumber = "C-1"; $0.requestedLimit = Fixtures.money(9_000_000); $0.justification = "more"
            })
            await expectStatus(.invalidArgument) {
                let _: Otc_Credit_V1_LimitRequest = try await lead.call(Method.rejectLimit, tenant: tenant, request: Otc_Credit_V1_DecideLimitRequest.with { $0.id = lower.id })
            }
            let rejected: Otc_Credit_V1_LimitRequest = try await lead.call(Method.rejectLimit, tenant: tenant, request: Otc_Credit_V1_DecideLimitRequest.with {
                $0.id = lower.id; $0.reason = "no financials"
            })
            #expect(rejected.status == "rejected")
            // Lowering takes effect at once, and the history tells who did what, why, under which rules.
            let lowered: Otc_Credit_V1_CreditProfile = try await maker.call(Method.updateProfile, tenant: tenant, request: Otc_Credit_V1_UpdateProfileRequest.with {
                $0.customerNumber = "C-1"; $0.reason = "bad news in the press"; $0.setLimit = true; $0.creditLimit = 1_000_000
            })
            #expect(lowered.creditLimit == 1_000_000)
            let history: Otc_Credit_V1_ListProfileHistoryResponse = try await lead.call(
                Method.profileHistory, tenant: tenant, request: Otc_Credit_V1_ListProfileHistoryRequest.with { $0.customerNumber = "C-1" })
            #expect(history.changes.map(\.version) == [1, 2])
            #expect(history.changes[0].principal == "op:\(leadLogin)")
            #expect(history.changes[0].changes["limit"] == "- → 30000.00 EUR")
            #expect(history.changes[1].principal == "op:\(makerLogin)")
            #expect(history.changes[1].reason == "bad news in the press")
            #expect(history.changes[1].changes["limit"] == "30000.00 EUR → 10000.00 EUR")
            // The database itself refuses self-approval and history edits.
            await #expect(throws: (any Error).self) {
                try await server.asTenant(tenant) { conn in
                    try await conn.query("UPDATE credit_limit_requests SET decided_by = requested_by", logger: TestEnvironment.logger)
                }
            }
            await #expect(throws: (any Error).self) {
                try await server.asTenant(tenant) { conn in
                    try await conn.query("DELETE FROM credit_profile_history", logger: TestEnvironment.logger)
                }
            }
        }
    }

    @Test func blocksOverdueItemsAndRiskClassesHoldOrdersAndLiftingThemReleases() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("cr_rule", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let (analyst, _) = try await server.op("analyst", on: tenant, admin: admin)
            let (lead, _) = try await server.op("team_lead", on: tenant, admin: admin)
            for customer in ["C-1", "C-2"] {
                let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer(customer))
            }
            // Blocked: held whatever the limit; unblocking re-checks and releases.
            let _: Otc_Credit_V1_CreditProfile = try await analyst.call(Method.updateProfile, tenant: tenant, request: Otc_Credit_V1_UpdateProfileRequest.with {
                $0.customerNumber = "C-1"; $0.reason = "insolvency filing"; $0.setBlocked = true; $0.blocked = true
            })
            let blocked: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant, request: Fixtures.order("B-1", customer: "C-1", lines: [(1, 100, "STD")]))
            #expect(blocked.status == .creditHold)
            #expect(blocked.holdReason.contains("blocked for credit: insolvency filing"))
            let _: Otc_Credit_V1_CreditProfile = try await analyst.call(Method.updateProfile, tenant: tenant, request: Otc_Credit_V1_UpdateProfileRequest.with {
                $0.customerNumber = "C-1"; $0.reason = "filing withdrawn"; $0.setBlocked = true; $0.blocked = false
            })
            let unblocked: Otc_Orders_V1_Order = try await erp.call(Method.getOrder, tenant: tenant, request: Otc_Orders_V1_GetOrderRequest.with { $0.id = blocked.id })
            #expect(unblocked.status == .released)

            // An invoice 40 days past due holds new orders (rule: 30 days), also without a limit.
            let _: Otc_Billing_V1_Document = try await erp.call(
                Method.createInvoice, tenant: tenant, request: Fixtures.invoice("OLD", customer: "C-2", issue: Fixtures.day(-70), lines: [(1, 1_000, "STD")]))
            let late: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant, request: Fixtures.order("L-1", customer: "C-2", lines: [(1, 100, "STD")]))
            #expect(late.status == .creditHold)
            #expect(late.holdReason.contains("40 days past due"))
            // Risk class D always waits for an analyst.
            _ = try await publishRules(#"{"credit": {"max_days_overdue": 3650}}"#, tenant: tenant, on: lead)
            let _: Otc_Credit_V1_CreditProfile = try await analyst.call(Method.updateProfile, tenant: tenant, request: Otc_Credit_V1_UpdateProfileRequest.with {
                $0.customerNumber = "C-2"; $0.reason = "agency downgrade"; $0.riskClass = "D"
            })
            let risky: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant, request: Fixtures.order("L-2", customer: "C-2", lines: [(1, 100, "STD")]))
            #expect(risky.holdReason.contains("risk class D"))
            await expectStatus(.invalidArgument) {
                let _: Otc_Credit_V1_CreditProfile = try await analyst.call(Method.updateProfile, tenant: tenant, request: Otc_Credit_V1_UpdateProfileRequest.with {
                    $0.customerNumber = "C-2"; $0.reason = "typo"; $0.riskClass = "Z"
                })
            }
            // Back to class A: a re-check releases both held orders of C-2.
            let _: Otc_Credit_V1_CreditProfile = try await analyst.call(Method.updateProfile, tenant: tenant, request: Otc_Credit_V1_UpdateProfileRequest.with {
                $0.customerNumber = "C-2"; $0.reason = "upgrade"; $0.riskClass = "A"
            })
            let recheck: Otc_Credit_V1_RecheckHoldsResponse = try await analyst.call(
                Method.credit + "RecheckHolds", tenant: tenant, request: Otc_Credit_V1_RecheckHoldsRequest.with { $0.customerNumber = "C-2" })
            #expect(Set(recheck.releasedOrders) == ["L-1", "L-2"])
            #expect(try await server.count("tasks", tenant: tenant, where: "kind = 'order_credit_hold' AND status = 'open'") == 0)
        }
    }

    @Test func aPaymentReleasesHeldOrdersClosesPaidOrdersAndIsRecordedOnce() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("cr_pay", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let (analyst, _) = try await server.op("analyst", on: tenant, admin: admin)
            let (lead, _) = try await server.op("team_lead", on: tenant, admin: admin)
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            try await grantLimit(200_000, customer: "C-1", tenant: tenant, maker: analyst, checker: lead)
            // O-1 ships and is invoiced at once (1 200.00): then O-2 (1 200.00) is over the 2 000.00 limit.
            let first: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant, request: Fixtures.order("O-1", customer: "C-1", lines: [(1, 100_000, "STD")]))
            let shipped: Otc_Orders_V1_RecordShipmentResponse = try await erp.call(
                Method.recordShipment, tenant: tenant, request: Otc_Orders_V1_RecordShipmentRequest.with {
                    $0.orderID = first.id; $0.shipmentRef = "S-1"; $0.lines = [.with { $0.lineNo = 1; $0.quantity = 1 }]
                })
            let invoiceNumber = shipped.shipment.invoiceNumber
            #expect(!invoiceNumber.isEmpty)
            let held: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant, request: Fixtures.order("O-2", customer: "C-1", lines: [(1, 100_000, "STD")]))
            #expect(held.status == .creditHold)

            let postings = try await server.count("ar_postings", tenant: tenant)
            await expectStatus(.invalidArgument) {
                let _: Otc_Receivables_V1_RecordPaymentResponse = try await erp.call(Method.ledger + "RecordPayment", tenant: tenant, request: Otc_Receivables_V1_RecordPaymentRequest.with {
                    $0.paymentRef = "BANK-1"; $0.customerNumber = "C-1"; $0.amount = Fixtures.money(100)
                    $0.allocations = [.with { $0.documentNumber = invoiceNumber; $0.amount = 101 }]
                })
            }
            let tooMuch = await expectStatus(.failedPrecondition) {
                let _: Otc_Receivables_V1_RecordPaymentResponse = try await erp.call(Method.ledger + "RecordPayment", tenant: tenant, request: Otc_Receivables_V1_RecordPaymentRequest.with {
                    $0.paymentRef = "BANK-1"; $0.customerNumber = "C-1"; $0.amount = Fixtures.money(200_000)
                    $0.allocations = [.with { $0.documentNumber = invoiceNumber; $0.amount = 120_001 }]
                })
            }
            #expect(tooMuch?.details["reason"] == "EXCEEDS_OPEN_AMOUNT")
            #expect(try await server.count("ar_postings", tenant: tenant) == postings)

            let payment = Otc_Receivables_V1_RecordPaymentRequest.with {
                $0.paymentRef = "BANK-1"; $0.customerNumber = "C-1"; $0.amount = Fixtures.money(130_000)
                $0.allocations = [.with { $0.documentNumber = invoiceNumber; $0.amount = 120_000 }]
            }
            let paid: Otc_Receivables_V1_RecordPaymentResponse = try await erp.call(Method.ledger + "RecordPayment", tenant: tenant, request: payment)
            #expect(paid.settled.map(\.openAmount) == [0])
            #expect(paid.payment.openAmount == -10_000)
            // The held order passed the re-check the payment triggered; the paid one closed.
            let released: Otc_Orders_V1_Order = try await erp.call(Method.getOrder, tenant: tenant, request: Otc_Orders_V1_GetOrderRequest.with { $0.id = held.id })
            #expect(released.status == .released)
            let closed: Otc_Orders_V1_Order = try await erp.call(Method.getOrder, tenant: tenant, request: Otc_Orders_V1_GetOrderRequest.with { $0.id = first.id })
            #expect(closed.status == .closed)
            // The same payment again is the same payment; other content under its reference is refused.
            let again: Otc_Receivables_V1_RecordPaymentResponse = try await erp.call(Method.ledger + "RecordPayment", tenant: tenant, request: payment)
            #expect(again.payment.id == paid.payment.id)
            await expectStatus(.alreadyExists) {
                let _: Otc_Receivables_V1_RecordPaymentResponse = try await erp.call(Method.ledger + "RecordPayment", tenant: tenant, request: Otc_Receivables_V1_RecordPaymentRequest.with {
                    $0.paymentRef = "BANK-1"; $0.customerNumber = "C-1"; $0.amount = Fixtures.money(1)
                })
            }
            #expect(try await server.count("ar_items", tenant: tenant, where: "kind = 'payment_on_account'") == 1)
            try await expectLedgerClean(erp, tenant: tenant)
        }
    }

    @Test func scoringMapsPaymentBehaviourToARiskClassAndAReview() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("cr_score", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let (analyst, _) = try await server.op("analyst", on: tenant, admin: admin)
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            // Two invoices paid today: one on time (issued 10 days ago), one 30 days late (issued 60 days ago, NET30).
            var numbers: [String] = []
            for (ref, issued, price) in [("P-1", -10, 10_000), ("P-2", -60, 10_000)] {
                let invoice: Otc_Billing_V1_Document = try await erp.call(
                    Method.createInvoice, tenant: tenant, request: Fixtures.invoice(ref, customer: "C-1", issue: Fixtures.day(issued), lines: [(1, Int64(price), "STD")]))
                numbers.append(invoice.number)
            }
            try await server.inTenant(tenant) { tx in
                for number in numbers {
                    let item = try #require(try await Ledger().item(documentNumber: number, in: tx))
                    try await Ledger().apply(item.openAmount, to: item.id, from: .account(.cash), on: tx.today, reason: "paid", in: tx)
                }
            }
            let _: Otc_Credit_V1_CreditProfile = try await analyst.call(Method.updateProfile, tenant: tenant, request: Otc_Credit_V1_UpdateProfileRequest.with {
                $0.customerNumber = "C-1"; $0.reason = "agency report"; $0.setExternalRating = true; $0.externalRating = 70
            })
            let score: Otc_Credit_V1_Score = try await analyst.call(
                Method.scoreCustomer, tenant: tenant, request: Otc_Credit_V1_ScoreCustomerRequest.with { $0.customerNumber = "C-1" })
            // Equal amounts, 0 and 30 days late: 15 days on average → payment 100 − 15/60×100 = 75.
            #expect(score.paidItems == 2)
            #expect(score.averageDaysLateHundredths == 1_500)
            #expect(score.paymentComponent == 75)
            #expect(score.utilisationComponent == -1)
            // (75×50 + 70×30) / 80 = 73.1 → 73, class B (60–79): 2 months of 12 months' invoicing, review in 180 days.
            #expect(score.score == 73)
            #expect(score.riskClass == "B")
            #expect(score.recommendedLimit.units == 24_000 * 2 / 12)
            #expect(score.nextReview == BusinessDate(utc: Date()).adding(days: 180).message)
            let due: Otc_Credit_V1_ListReviewsDueResponse = try await analyst.call(
                Method.reviewsDue, tenant: tenant, request: Otc_Credit_V1_ListReviewsDueRequest.with { $0.asOf = Fixtures.day(181) })
            #expect(due.profiles.map(\.customerNumber) == ["C-1"])
            let notYet: Otc_Credit_V1_ListReviewsDueResponse = try await analyst.call(
                Method.reviewsDue, tenant: tenant, request: Otc_Credit_V1_ListReviewsDueRequest.with { $0.asOf = Fixtures.day(10) })
            #expect(notYet.profiles.isEmpty)
        }
    }
}
