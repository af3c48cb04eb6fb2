import Foundation
import OTCClient
import OTCProto
import PostgresNIO
import SwiftProtobuf
import Testing

/// Billing runs over a due list, document-level rounding, distribution, statements as of a date,
/// the ledger check's teeth, and tenant isolation of billing.
@Suite("Billing runs, distribution, statements")
struct BillingRunTests {
    /// Under the billing-run rule shipments wait on the due list; a run as of a date bills what
    /// shipped by then, one invoice per order, and a second run finds nothing.
    @Test func billingRunInvoicesTheDueListOnce() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("run", admin: admin)
            _ = try await publishRules(Fixtures.sellerRules, tenant: tenant, on: admin)
            // A publish is a merge patch: the seller published before survives the billing change.
            let rules = try await publishRules(#"{"billing": {"mode": "billing_run", "rounding": "document"}}"#, tenant: tenant, on: admin)
            #expect(rules.version == 3, "onboarding stored version 1, the seller version 2")
            #expect(rules.bodyJson.contains(#""rounding":"document""#))
            #expect(rules.bodyJson.contains("Acme Supplies GmbH"))
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            var orderIDs: [String] = []
            for n in 1...3 {
                // Three lines of 0.15 at 7 %: 0.0105 each; line rounding gives 0.03, document rounding 0.03 of 0.0315.
                let order: Otc_Orders_V1_Order = try await erp.call(
                    Method.createOrder, tenant: tenant,
                    request: Fixtures.order("SO-\(n)", customer: "C-1", lines: [(1, 15, "RED"), (1, 15, "RED"), (1, 15, "RED"), (1, 1_005, "STD")]))
                orderIDs.append(order.id)
                let shipped: Otc_Orders_V1_RecordShipmentResponse = try await erp.call(Method.recordShipment, tenant: tenant, request: Otc_Orders_V1_RecordShipmentRequest.with {
                    $0.orderID = order.id
                    $0.shipmentRef = "DN-\(n)"
                    $0.lines = (1...4).map { line in .with { $0.lineNo = UInt32(line); $0.quantity = 1 } }
                })
                #expect(shipped.shipment.invoiceNumber.isEmpty, "billing_run: nothing is billed at shipment")
                #expect(shipped.order.status == .shipped)
            }
            // Run with a batch of 2: the first call bills two orders and says there is more.
            let first: Otc_Billing_V1_RunBillingResponse = try await erp.call(Method.runBilling, tenant: tenant, request: Otc_Billing_V1_RunBillingRequest.with {
                $0.maxOrders = 2
            })
            #expect(first.invoices.count == 2)
            #expect(first.more)
            let second: Otc_Billing_V1_RunBillingResponse = try await erp.call(Method.runBilling, tenant: tenant, request: Otc_Billing_V1_RunBillingRequest.with {
                $0.maxOrders = 2
            })
            #expect(second.invoices.count == 1)
            #expect(!second.more)
            let third: Otc_Billing_V1_RunBillingResponse = try await erp.call(Method.runBilling, tenant: tenant, request: Otc_Billing_V1_RunBillingRequest())
            #expect(third.invoices.isEmpty)

            let invoice = first.invoices[0]
            // Document rounding: 0.45 at 7 % = 0.0315 → 0.03; 10.05 at 20 % = 2.01.
            let reduced = invoice.taxSubtotals.first { $0.taxCode == "RED" }
            #expect(reduced?.taxableAmount == 45)
            #expect(reduced?.taxAmount == 3)
            #expect(invoice.lines.filter { $0.taxCode == "RED" }.map(\.taxAmount).reduce(0, +) == 3)
            #expect(invoice.taxTotal == 3 + 201)
            for id in orderIDs {
                let order: Otc_Orders_V1_Order = try await erp.call(Method.getOrder, tenant: tenant, request: Otc_Orders_V1_GetOrderRequest.with { $0.id = id })
                #expect(order.status == .invoiced)
            }
            // The billed shipment cannot be billed again by hand.
            let again = await expectStatus(.failedPrecondition) {
                let _: Otc_Billing_V1_Document = try await erp.call(Method.invoiceShipment, tenant: tenant, request: Otc_Billing_V1_InvoiceShipmentRequest.with {
                    $0.orderRef = "SO-1"
                    $0.shipmentRef = "DN-1"
                })
            }
            #expect(again?.details["reason"] == "ALREADY_BILLED")
            try await expectLedgerClean(erp, tenant: tenant)
        }
    }

    /// Dispatch status per customer channel: portal is published at once; a failed e-mail opens a
    /// distribution task and the invoice is listed as undistributed until a resend is sent.
    @Test func distributionTracksDispatchesAndTasks() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("dist", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            var portal = Fixtures.customer("C-P")
            portal.customer.invoiceChannel = "portal"
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: portal)
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-E"))
            var bad = Fixtures.customer("C-X")
            bad.customer.invoiceChannel = "fax"
            await expectStatus(.invalidArgument) {
                let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: bad)
            }

            let p: Otc_Billing_V1_Document = try await erp.call(
                Method.createInvoice, tenant: tenant, request: Fixtures.invoice("P", customer: "C-P", lines: [(1, 100, "STD")]))
            #expect(p.lastDispatch.channel == "portal")
            #expect(p.lastDispatch.status == "sent")
            let e: Otc_Billing_V1_Document = try await erp.call(
                Method.createInvoice, tenant: tenant, request: Fixtures.invoice("E", customer: "C-E", lines: [(1, 100, "STD")]))
            #expect(e.lastDispatch.channel == "email")
            #expect(e.lastDispatch.status == "pending")
            // An undistributed document is a task until it is sent; the portal one never was.
            #expect(try await server.count("tasks", tenant: tenant, where: "kind = 'invoice_distribution' AND status = 'open'") == 1)
            #expect(try await server.count("tasks", tenant: tenant, where: "subject_id = '\(p.id)'") == 0)

            var undistributed: Otc_Billing_V1_ListDocumentsResponse = try await erp.call(
                Method.listUndistributed, tenant: tenant, request: Otc_Billing_V1_ListUndistributedRequest())
            #expect(undistributed.documents.map(\.number) == [e.number])

            let failed: Otc_Billing_V1_Dispatch = try await erp.call(Method.recordDispatch, tenant: tenant, request: Otc_Billing_V1_RecordDispatchRequest.with {
                $0.number = e.number
                $0.status = "failed"
                $0.detail = "mailbox full"
            })
            #expect(failed.status == "failed")
            #expect(try await server.count("tasks", tenant: tenant, where: "kind = 'invoice_distribution' AND status = 'open' AND title LIKE '%mailbox full%'") == 1)
            #expect(try await server.count("tasks", tenant: tenant, where: "kind = 'invoice_distribution' AND status = 'open'") == 1)

            let resend: Otc_Billing_V1_Dispatch = try await erp.call(Method.resendDocument, tenant: tenant, request: Otc_Billing_V1_ResendDocumentRequest.with {
                $0.number = e.number
                $0.channel = "print"
                $0.reason = "customer asked for paper"
            })
            #expect(resend.attempt == 2)
            #expect(resend.status == "pending")
            let sent: Otc_Billing_V1_Dispatch = try await erp.call(Method.recordDispatch, tenant: tenant, request: Otc_Billing_V1_RecordDispatchRequest.with {
                $0.number = e.number
                $0.status = "sent"
                $0.detail = "print batch 42"
            })
            #expect(sent.channel == "print")
            #expect(!sent.dispatchedAt.isEmpty)
            undistributed = try await erp.call(Method.listUndistributed, tenant: tenant, request: Otc_Billing_V1_ListUndistributedRequest())
            #expect(undistributed.documents.isEmpty)
            #expect(try await server.count("tasks", tenant: tenant, where: "kind = 'invoice_distribution' AND status = 'open'") == 0)
            #expect(try await server.count("audit_log", tenant: tenant, where: "action IN ('document.dispatch', 'document.resend')") == 3)
        }
    }

    /// A statement as of a date ages items by their due dates with the tenant's buckets, counts
    /// only what was issued and applied by then, and gives items without a due date their own bucket.
    @Test func statementAgesItemsAsOfADate() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("stmt", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            var customer = Fixtures.customer("C-1")
            customer.customer.paymentTerms = "NET30"
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: customer)
            // Due 2026-02-01 (61+ days late on 2026-04-05), 2026-03-15 (21 days), 2026-05-01 (not due).
            let old: Otc_Billing_V1_Document = try await erp.call(Method.createInvoice, tenant: tenant,
                request: Fixtures.invoice("OLD", customer: "C-1", issue: Fixtures.date(2026, 1, 2), lines: [(1, 10_000, "ZERO")]))
            let mid: Otc_Billing_V1_Document = try await erp.call(Method.createInvoice, tenant: tenant,
                request: Fixtures.invoice("MID", customer: "C-1", issue: Fixtures.date(2026, 2, 13), lines: [(1, 5_000, "ZERO")]))
            let _: Otc_Billing_V1_Document = try await erp.call(Method.createInvoice, tenant: tenant,
                request: Fixtures.invoice("NEW", customer: "C-1", issue: Fixtures.date(2026, 4, 1), lines: [(1, 2_000, "ZERO")]))
            // A credit memo issued after the statement date must not count.
            let _: Otc_Billing_V1_Document = try await erp.call(Method.creditMemo, tenant: tenant, request: Otc_Billing_V1_CreateMemoRequest.with {
                $0.invoiceNumber = old.number
                $0.reason = "late rebate"
                $0.issueDate = Fixtures.date(2026, 4, 20)
                $0.lines = [.with { $0.netAmount = 1_000; $0.taxCode = "ZERO" }]
            })
            #expect(mid.dueDate == Fixtures.date(2026, 3, 15))

            let statement: Otc_Receivables_V1_Statement = try await erp.call(Method.statement, tenant: tenant, request: Otc_Receivables_V1_GetStatementRequest.with {
                $0.customerNumber = "C-1"
                $0.asOf = Fixtures.date(2026, 4, 5)
            })
            let eur = try #require(statement.currencies.first)
            #expect(eur.items.map(\.documentNumber).count == 3)
            #expect(eur.totalOpen == 17_000)
            #expect(eur.overdue == 15_000)
            let aging = Dictionary(uniqueKeysWithValues: eur.aging.map { ($0.label, $0.amount) })
            #expect(aging["current"] == 2_000)
            #expect(aging["1-30"] == 5_000)
            #expect(aging["61-90"] == 10_000)
            #expect(aging["no_due_date"] == 0)
            #expect(eur.items.first { $0.documentNumber == old.number }?.daysOverdue == 63)

            // After the memo date the old invoice is reduced by it.
            let later: Otc_Receivables_V1_Statement = try await erp.call(Method.statement, tenant: tenant, request: Otc_Receivables_V1_GetStatementRequest.with {
                $0.customerNumber = "C-1"
                $0.asOf = Fixtures.date(2026, 4, 30)
            })
            #expect(later.currencies.first?.totalOpen == 16_000)

            let overdue: Otc_Billing_V1_ListDocumentsResponse = try await erp.call(Method.listDocuments, tenant: tenant, request: Otc_Billing_V1_ListDocumentsRequest.with {
                $0.overdueOnly = true
                $0.asOf = Fixtures.date(2026, 4, 5)
            })
            #expect(Set(overdue.documents.map(\.number)) == [old.number, mid.number])
            #expect(overdue.documents.allSatisfy { $0.overdue })
            try await expectLedgerClean(erp, tenant: tenant)
        }
    }

    /// The ledger check finds what it promises: an unbalanced posting and an open amount that
    /// does not match its applications are reported (written behind the API's back on purpose).
    @Test func ledgerCheckReportsBrokenInvariants() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("broken_ledger", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            let _: Otc_Billing_V1_Document = try await erp.call(
                Method.createInvoice, tenant: tenant, request: Fixtures.invoice("A", customer: "C-1", lines: [(1, 100, "STD")]))
            try await expectLedgerClean(erp, tenant: tenant)
            try await server.asTenant(tenant) { conn in
                try await conn.query(
                    """
                    WITH p AS (INSERT INTO ar_postings (id, currency, description, posted_on, principal, request_id)
                               VALUES (gen_random_uuid(), 'EUR', 'sabotage', current_date, 'test', 'test') RETURNING id)
                    INSERT INTO ar_posting_lines (posting_id, line_no, account, customer_number, amount)
                    SELECT id, 1, 'receivables', 'C-1', 999 FROM p
                    """, logger: TestEnvironment.logger)
            }
            let check: Otc_Receivables_V1_CheckLedgerResponse = try await erp.call(
                Method.checkLedger, tenant: tenant, request: Otc_Receivables_V1_CheckLedgerRequest())
            #expect(!check.clean)
            #expect(Set(check.violations.map(\.rule)) == ["posting_balance", "account_balance"])
            // Suspended, so the suite's closing `otcctl ledger check --all-tenants` skips this wreck on purpose.
            let _: Otc_Admin_V1_Tenant = try await admin.call(Method.admin + "SuspendTenant", request: Otc_Admin_V1_SetTenantStatusRequest.with {
                $0.slug = tenant
                $0.reason = "ledger sabotaged by ledgerCheckReportsBrokenInvariants"
            })
        }
    }

    /// Billing data follows tenant isolation: another tenant's invoice number is unknown, and a
    /// key without billing scopes cannot read invoices.
    @Test func billingIsIsolatedPerTenantAndScope() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (a, keyA) = try await server.onboard("isoa", admin: admin)
            let (b, keyB) = try await server.onboard("isob", admin: admin)
            let erpA = try await server.connect(.apiKey(keyA))
            let erpB = try await server.connect(.apiKey(keyB))
            let _: Otc_Customers_V1_Customer = try await erpA.call(Method.upsertCustomer, tenant: a, request: Fixtures.customer("C-1"))
            let invoice: Otc_Billing_V1_Document = try await erpA.call(
                Method.createInvoice, tenant: a, request: Fixtures.invoice("A", customer: "C-1", lines: [(1, 100, "STD")]))
            await expectStatus(.notFound) {
                let _: Otc_Billing_V1_Document = try await erpB.call(
                    Method.getDocument, tenant: b, request: Otc_Billing_V1_GetDocumentRequest.with { $0.number = invoice.number })
            }
            await expectStatus(.permissionDenied) {
                let _: Otc_Billing_V1_Document = try await erpB.call(
                    Method.getDocument, tenant: a, request: Otc_Billing_V1_GetDocumentRequest.with { $0.number = invoice.number })
            }
            // An orders-only key.
            let issued: Otc_Admin_V1_IssuedCredential = try await admin.call(
                Method.admin + "IssueCredential", request: Otc_Admin_V1_IssueCredentialRequest.with {
                    $0.tenant = a
                    $0.name = "orders only"
                    $0.scopes = ["orders:write"]
                })
            let ordersOnly = try await server.connect(.apiKey(issued.apiKey))
            await expectStatus(.permissionDenied) {
                let _: Otc_Billing_V1_Document = try await ordersOnly.call(
                    Method.getDocument, tenant: a, request: Otc_Billing_V1_GetDocumentRequest.with { $0.number = invoice.number })
            }
            // ERP keys cannot publish rules.
            await expectStatus(.permissionDenied) {
                _ = try await publishRules("{}", tenant: a, on: erpA)
            }
            // A broken rule set is refused with the field named.
            let refused = await expectStatus(.invalidArgument) {
                _ = try await publishRules(#"{"billing": {"rounding": "sometimes"}}"#, tenant: a, on: admin)
            }
            #expect(refused?.message.contains("rounding") == true)
        }
    }
}
