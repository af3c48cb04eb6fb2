import Foundation
import OTCClient
import OTCCore
import OTCProto
import SwiftProtobuf
import Testing

/// Issue 4's "done when", with the real otcctl: a shift analyst sees a credit hold raised by an
/// ERP order and releases it with a reason; the customer goes overdue; a dunning run produces a
/// level-1 notice once; a promise to pay is recorded and broken; a write-off is requested by one
/// operator and approved by another.
@Suite("otcctl credit and collections")
struct CollectionsCLITests {
    @Test func analystWorksACreditHoldDunningAPromiseAndAWriteOff() async throws {
        try await withServer { server in
            let dir = NSTemporaryDirectory() + "otcctl-collections-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let config = dir + "/config.json"
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("clicoll", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            // Two operators of the shift, each with a context in otcctl.
            var logins: [String: String] = [:]
            for (name, role) in [("ana", "analyst"), ("lea", "team_lead")] {
                let login = "\(name)-" + UUID().uuidString.prefix(6).lowercased()
                let created: Otc_Admin_V1_CreatedOperator = try await admin.call(
                    Method.admin + "CreateOperator", request: Otc_Admin_V1_CreateOperatorRequest.with { $0.login = login })
                let _: Otc_Admin_V1_Operator = try await admin.call(Method.admin + "GrantRole", request: Otc_Admin_V1_GrantRoleRequest.with {
                    $0.login = login; $0.tenant = tenant; $0.role = role
                })
                let added = try await CLITests.otcctl(["context", "add", name, "--server", "127.0.0.1:\(server.port)", "--token", created.token,
                                                       "--ca-file", TestEnvironment.certificate.cert], config: config)
                #expect(added.status == 0, "\(added.stderr)")
                logins[name] = login
            }
            func ana(_ args: String...) async throws -> CLITests.Run { try await CLITests.otcctl(args + ["--context", "ana", "--tenant", tenant], config: config) }
            func lea(_ args: String...) async throws -> CLITests.Run { try await CLITests.otcctl(args + ["--context", "lea", "--tenant", tenant], config: config) }
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))

            // A 1 000.00 EUR limit, asked for by the analyst and approved by the team lead.
            let asked = try await ana("credit", "request-limit", "C-1", "1000.00", "--justification", "new customer, bank reference", "-o", "json")
            #expect(asked.status == 0, "\(asked.stderr)")
            let limitRequest = try Otc_Credit_V1_LimitRequest(jsonString: asked.stdout, options: CLITests.lenient)
            let selfApproval = try await ana("credit", "approve", limitRequest.id)
            #expect(selfApproval.status == 1)
            #expect(selfApproval.stderr.contains("PERMISSION_DENIED"), "\(selfApproval.stderr)")
            #expect(try await lea("credit", "approve", limitRequest.id).status == 0)

            // The ERP sends an order over the limit: the analyst finds the hold and releases it.
            let order: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant, request: Fixtures.order("ERP-77", customer: "C-1", lines: [(10, 10_000, "STD")]))
            #expect(order.status == .creditHold)
            let holds = try await ana("credit", "holds")
            #expect(holds.status == 0, "\(holds.stderr)")
            #expect(holds.stdout.contains("ERP-77") && holds.stdout.contains("over the credit limit"), "\(holds.stdout)")
            let shown = try await ana("credit", "show", "C-1")
            #expect(shown.stdout.contains("1000.00"), "\(shown.stdout)")
            let release = try await ana("credit", "release", "ERP-77", "--reason", "customer paid in advance by phone")
            #expect(release.status == 0, "\(release.stderr)")
            let released: Otc_Orders_V1_Order = try await erp.call(Method.getOrder, tenant: tenant, request: Otc_Orders_V1_GetOrderRequest.with { $0.id = order.id })
            #expect(released.status == .released)

            // The customer goes overdue: an invoice due ten days ago.
            let invoice: Otc_Billing_V1_Document = try await erp.call(
                Method.createInvoice, tenant: tenant, request: Fixtures.invoice("ERP-INV-1", customer: "C-1", issue: Fixtures.day(-40), lines: [(1, 20_000, "STD")]))
            let aging = try await ana("aging")
            #expect(aging.status == 0 && aging.stdout.contains("1-30"), "\(aging.stdout)\(aging.stderr)")
            let run = try await ana("dunning", "run", "-o", "json")
            #expect(run.status == 0, "\(run.stderr)")
            let dunning = try Otc_Collections_V1_DunningRun(jsonString: run.stdout, options: CLITests.lenient)
            #expect(dunning.notices == 1 && dunning.noticeList.first?.level == 1)
            let again = try await ana("dunning", "run", "-o", "json")
            #expect(try Otc_Collections_V1_DunningRun(jsonString: again.stdout, options: CLITests.lenient).notices == 0)
            let text = try await ana("dunning", "export", try #require(dunning.noticeList.first?.id))
            #expect(text.stdout.contains(invoice.number) && text.stdout.contains("Total due: EUR 240.00"), "\(text.stdout)")

            // A promise to pay by tomorrow, not kept: broken once, and the account is on top.
            let promised = try await ana("ptp", "add", "C-1", "240.00", "--date", BusinessDate(utc: Date()).adding(days: 1).description,
                                         "--note", "AP clerk promised")
            #expect(promised.status == 0, "\(promised.stderr)")
            let dayAfter = BusinessDate(utc: Date()).adding(days: 2).description
            let check = try await ana("ptp", "check", "--as-of", dayAfter, "-o", "json")
            #expect(try Otc_Collections_V1_DetectBrokenPromisesResponse(jsonString: check.stdout, options: CLITests.lenient).broken.count == 1)
            let recheck = try await ana("ptp", "check", "--as-of", dayAfter, "-o", "json")
            #expect(try Otc_Collections_V1_DetectBrokenPromisesResponse(jsonString: recheck.stdout, options: CLITests.lenient).broken.isEmpty)
            let worklist = try await ana("worklist", "--as-of", dayAfter)
            #expect(worklist.status == 0, "\(worklist.stderr)")
            #expect(worklist.stdout.contains("C-1") && worklist.stdout.contains("broken_promise"), "\(worklist.stdout)")
            #expect(try await ana("activity", "add", "C-1", "--kind", "call", "--outcome", "reached", "--note", "pays Friday").status == 0)

            // A small write-off: requested by the analyst, approved by the team lead, not by the requester.
            let asks = try await ana("writeoff", "request", invoice.number, "0.40", "--reason", "rounding difference", "-o", "json")
            #expect(asks.status == 0, "\(asks.stderr)")
            let writeOff = try Otc_Collections_V1_WriteOff(jsonString: asks.stdout, options: CLITests.lenient)
            #expect(writeOff.amount.units == 40)
            let own = try await ana("writeoff", "approve", writeOff.id)
            #expect(own.status == 1 && own.stderr.contains("another operator"), "\(own.stderr)")
            let approved = try await lea("writeoff", "approve", writeOff.id, "--note", "ok")
            #expect(approved.status == 0, "\(approved.stderr)")
            let list = try await lea("writeoff", "list", "-o", "json")
            let listed = try Otc_Collections_V1_ListWriteOffsResponse(jsonString: list.stdout, options: CLITests.lenient)
            #expect(listed.writeOffs.first?.status == "approved")
            #expect(listed.writeOffs.first?.decidedBy == "op:\(logins["lea"]!)")
            // The rest is paid: recorded once, and the invoice is settled.
            let payment = try await ana("payment", "record", "BANK-9", "C-1", "250.00", "--apply", "\(invoice.number):239.60")
            #expect(payment.status == 0, "\(payment.stderr)")
            #expect(payment.stdout.contains("on account") && payment.stdout.contains("10.40"), "\(payment.stdout)")
            let replay = try await ana("payment", "record", "BANK-9", "C-1", "250.00", "--apply", "\(invoice.number):239.60")
            #expect(replay.status == 0, "\(replay.stderr)")
            let settled: Otc_Billing_V1_Document = try await erp.call(
                Method.getDocument, tenant: tenant, request: Otc_Billing_V1_GetDocumentRequest.with { $0.number = invoice.number })
            #expect(settled.openAmount == 0)
            let ledger = try await lea("ledger", "check")
            #expect(ledger.status == 0, "\(ledger.stdout)\(ledger.stderr)")
        }
    }
}
