import Foundation
import OTCClient
import OTCProto
import SwiftProtobuf
import Testing

/// A shift analyst's billing day with the real otcctl: rules, a direct invoice, a billing run,
/// a credit memo, a UBL export, a statement and the ledger check over every tenant.
@Suite("otcctl billing")
struct BillingCLITests {
    @Test func analystInvoicesCreditsExportsAndChecksTheLedger() async throws {
        try await withServer { server in
            let dir = NSTemporaryDirectory() + "otcctl-billing-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let config = dir + "/config.json"
            let pepper = dir + "/pepper"
            try Data(TestEnvironment.pepper).write(to: URL(fileURLWithPath: pepper))
            func run(_ args: String...) async throws -> CLITests.Run { try await CLITests.otcctl(args, config: config) }

            let boot = try await run("bootstrap", "--database-url", try TestEnvironment.databaseURL, "--pepper-file", pepper,
                               "--admin-login", "bill-" + UUID().uuidString.prefix(6).lowercased(), "--server", "127.0.0.1:\(server.port)",
                               "--ca-file", TestEnvironment.certificate.cert, "--context-name", "admin")
            #expect(boot.status == 0, "\(boot.stderr)")
            let tenant = TestEnvironment.slug("clibill")
            #expect(try await run("tenant", "onboard", tenant, "--name", "CLI billing", "--currency", "EUR").status == 0)
            func t(_ args: String...) async throws -> CLITests.Run { try await CLITests.otcctl(args + ["--tenant", tenant], config: config) }

            try Fixtures.sellerRules.write(toFile: dir + "/seller.json", atomically: true, encoding: .utf8)
            let published = try await t("rules", "publish", dir + "/seller.json", "--note", "seller for e-invoices")
            #expect(published.status == 0, "\(published.stderr)")
            #expect(try await t("rules", "get").stdout.contains("Acme Supplies GmbH"))

            let customer = try await t("customer", "upsert", "C-1", "--name", "Müller & Söhne", "--currency", "EUR", "--country", "DE",
                                 "--email", "ap@mueller.example", "--terms", "2/10NET30", "--channel", "portal")
            #expect(customer.status == 0, "\(customer.stderr)")

            // A direct invoice from a file, as an ERP integrator would test it.
            let request = Fixtures.invoice("ERP-CLI-1", customer: "C-1", lines: [(3, 1_999, "STD"), (7, 333, "RED")])
            try request.jsonString().write(toFile: dir + "/invoice.json", atomically: true, encoding: .utf8)
            let created = try await t("invoice", "create", dir + "/invoice.json", "-o", "json")
            #expect(created.status == 0, "\(created.stderr)")
            let invoice = try Otc_Billing_V1_Document(jsonString: created.stdout, options: CLITests.lenient)
            #expect(invoice.number.hasPrefix("INV-"))

            let list = try await t("invoice", "list")
            #expect(list.status == 0)
            #expect(list.stdout.contains(invoice.number))
            #expect(list.stdout.contains("Müller") || list.stdout.contains("C-1"))
            let shown = try await t("invoice", "get", invoice.number)
            #expect(shown.stdout.contains("2 % discount"), "\(shown.stdout)")

            // A credit memo by line, then one too large: refused on stderr with a non-zero exit.
            let memo = try await t("memo", "create", "--invoice", invoice.number, "--kind", "credit", "--reason", "one unit damaged", "--line", "1:1")
            #expect(memo.status == 0, "\(memo.stderr)")
            #expect(memo.stdout.contains("CN-"))
            let tooMuch = try await t("memo", "create", "--invoice", invoice.number, "--kind", "credit", "--reason", "too much",
                                "--amount", "999.00:STD")
            #expect(tooMuch.status != 0)
            #expect(tooMuch.stderr.contains("FAILED_PRECONDITION"), "\(tooMuch.stderr)")

            // Export for the customer's e-invoicing and check it against the UBL schema.
            let export = try await t("invoice", "export-ubl", invoice.number, "--file", dir)
            #expect(export.status == 0, "\(export.stderr)")
            let xml = try String(contentsOfFile: dir + "/\(invoice.number).xml", encoding: .utf8)
            #expect(try await xmllintErrors(xml, schema: "UBL-Invoice-2.1.xsd") == nil)
            #expect(xml.contains("Müller &amp; Söhne"))

            // Billing run: switch the tenant to periodic billing, ship an order, run.
            #expect(try await t("rules", "publish", "-", "--note", "periodic").status != 0, "stdin is empty: refused")
            try #"{"billing": {"mode": "billing_run"}}"#.write(toFile: dir + "/run.json", atomically: true, encoding: .utf8)
            #expect(try await t("rules", "publish", dir + "/run.json", "--note", "periodic billing").status == 0)
            let admin = try await server.admin()
            let order: Otc_Orders_V1_Order = try await admin.call(
                Method.createOrder, tenant: tenant, request: Fixtures.order("SO-CLI", customer: "C-1", lines: [(2, 1_000, "STD")]))
            let _: Otc_Orders_V1_RecordShipmentResponse = try await admin.call(Method.recordShipment, tenant: tenant, request: Otc_Orders_V1_RecordShipmentRequest.with {
                $0.orderID = order.id
                $0.shipmentRef = "DN-CLI"
                $0.lines = [.with { $0.lineNo = 1; $0.quantity = 2 }]
            })
            let billed = try await t("billing", "run")
            #expect(billed.status == 0, "\(billed.stderr)")
            #expect(billed.stdout.contains("SO-CLI") || billed.stdout.contains("INV-"), "\(billed.stdout)")
            let again = try await t("billing", "run", "-o", "json")
            #expect(again.status == 0)
            #expect(!again.stdout.contains("INV-"))

            let statement = try await t("statement", "C-1")
            #expect(statement.status == 0, "\(statement.stderr)")
            #expect(statement.stdout.contains(invoice.number))
            #expect(statement.stdout.contains("current"))

            let check = try await t("ledger", "check")
            #expect(check.status == 0, "\(check.stderr)")
            #expect(check.stdout.contains(tenant) && check.stdout.contains("yes"), "\(check.stdout)")
            let all = try await run("ledger", "check", "--all-tenants", "-o", "json")
            #expect(all.stdout.contains(tenant))
        }
    }
}
