import Foundation
import OTCClient
import OTCProto
import OTCServer
import SwiftProtobuf
import PostgresNIO
import Testing

/// Tenant isolation is the first security property: these tests try to break it.
@Suite("Tenant isolation")
struct IsolationTests {
    @Test func erpKeyCannotNameAnotherTenantNorSeeItsOrders() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (a, keyA) = try await server.onboard("iso_a", admin: admin)
            let (b, keyB) = try await server.onboard("iso_b", admin: admin)
            let erpA = try await server.connect(.apiKey(keyA))
            let erpB = try await server.connect(.apiKey(keyB))
            let _: Otc_Customers_V1_Customer = try await erpB.call(Method.upsertCustomer, tenant: b, request: Fixtures.customer("C-B"))
            let orderB: Otc_Orders_V1_Order = try await erpB.call(Method.createOrder, tenant: b, request: Fixtures.order("SO-B", customer: "C-B"))

            // Naming tenant B with A's key.
            let denied = await expectStatus(.permissionDenied) {
                let _: Otc_Orders_V1_ListOrdersResponse = try await erpA.call(Method.listOrders, tenant: b, request: Otc_Orders_V1_ListOrdersRequest())
            }
            #expect(denied?.message.contains(a) == true)
            await expectStatus(.permissionDenied) {
                let _: Otc_Orders_V1_Order = try await erpA.call(Method.createOrder, tenant: b, request: Fixtures.order("SO-X", customer: "C-B"))
            }
            // B's order id used within A.
            var get = Otc_Orders_V1_GetOrderRequest()
            get.id = orderB.id
            await expectStatus(.notFound) {
                let _: Otc_Orders_V1_Order = try await erpA.call(Method.getOrder, tenant: a, request: get)
            }
            var ship = Otc_Orders_V1_RecordShipmentRequest()
            ship.orderID = orderB.id
            ship.shipmentRef = "DN"
            ship.lines = [.with { $0.lineNo = 1; $0.quantity = 1 }]
            await expectStatus(.notFound) {
                let _: Otc_Orders_V1_RecordShipmentResponse = try await erpA.call(Method.recordShipment, tenant: a, request: ship)
            }
            // Same order_ref in both tenants is fine: they are separate books.
            let _: Otc_Customers_V1_Customer = try await erpA.call(Method.upsertCustomer, tenant: a, request: Fixtures.customer("C-B"))
            let orderA: Otc_Orders_V1_Order = try await erpA.call(Method.createOrder, tenant: a, request: Fixtures.order("SO-B", customer: "C-B"))
            #expect(orderA.id != orderB.id)
            // Admin methods are not for ERP keys.
            await expectStatus(.permissionDenied) {
                let _: Otc_Admin_V1_ListTenantsResponse = try await erpA.call(Method.admin + "ListTenants", request: Otc_Admin_V1_ListTenantsRequest())
            }
            #expect(try await server.count("orders", tenant: b) == 1)
        }
    }

    @Test func serverRoleWithoutTenantRoleReadsNothing() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("iso_raw", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            // Every table of the tenant schema, the ledger and billing ones included (read from the catalog,
            // so a table added later is covered without editing this test).
            var tables: [String] = []
            for row in try await server.rawQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'tenant_\(tenant)' ORDER BY 1") {
                tables.append(try row.decode(String.self))
            }
            #expect(tables.contains("ar_items") && tables.contains("billing_documents") && tables.contains("number_series"))
            // The login role is NOINHERIT: membership in the tenant role gives nothing without SET ROLE.
            for table in tables {
                do {
                    _ = try await server.rawQuery("SELECT * FROM tenant_\(tenant).\(table)")
                    Issue.record("the server role read tenant_\(tenant).\(table) without the tenant role")
                } catch let error as PSQLError {
                    #expect(error.serverInfo?[.sqlState] == "42501", "expected insufficient_privilege, got \(error)")
                }
            }
            // One tenant's role cannot read another tenant's schema either.
            let (other, _) = try await server.onboard("iso_other", admin: admin)
            for table in tables {
                do {
                    _ = try await server.client.withTransaction(logger: TestEnvironment.logger) { conn in
                        try await conn.query("SELECT set_config('role', \("otc_t_" + other), true)", logger: TestEnvironment.logger)
                        return try await conn.query(PostgresQuery(unsafeSQL: "SELECT * FROM tenant_\(tenant).\(table)"), logger: TestEnvironment.logger).collect()
                    }
                    Issue.record("tenant \(other)'s role read tenant \(tenant)'s \(table)")
                } catch {
                    #expect("\(String(reflecting: error))".contains("42501"), "\(table)")
                }
            }
        }
    }

    @Test func auditLogRefusesUpdateAndDelete() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("iso_audit", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            for statement in ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
                do {
                    _ = try await server.asTenant(tenant) { conn in
                        try await conn.query(PostgresQuery(unsafeSQL: statement), logger: TestEnvironment.logger).collect()
                    }
                    Issue.record("\(statement) on the audit log succeeded")
                } catch {
                    #expect("\(String(reflecting: error))".contains("append-only"))
                }
            }
            #expect(try await server.count("audit_log", tenant: tenant) >= 1)
            do {
                _ = try await server.rawQuery("DELETE FROM otc_control.audit_log")
                Issue.record("platform audit log delete succeeded")
            } catch {
                #expect("\(String(reflecting: error))".contains("append-only"))
            }
        }
    }

    /// Cash application's ids, advices and upload parts belong to one tenant: used in another,
    /// they are not found; named by another tenant's key or operator, they are refused.
    @Test func cashApplicationIdsOfOneTenantMeanNothingInAnother() async throws {
        try await withServer { server in
            let prefix = "/otc.cashapp.v1.CashApplicationService/"
            let a = try await CollectionsTests.desk(server, "iso_cash_a", customers: ["C-1"])
            let b = try await CollectionsTests.desk(server, "iso_cash_b", customers: ["C-1"])
            let invoice = try await CollectionsTests.invoice(a, "ISO-1", customer: "C-1", issuedDaysAgo: 5, net: 10_000)
            let file = """
                :20:ISO
                :25:DE89370400440532013000
                :28C:1/1
                :60F:C261125EUR0,00
                :61:2611260126C120,00NTRFNONREF//I1
                :86:166?20\(invoice.number)
                :62F:C261126EUR120,00
                -
                """
            let request = Otc_Cashapp_V1_ImportBankFileRequest.with { $0.content = Data(file.utf8) }
            await expectStatus(.permissionDenied) {
                let _: Otc_Cashapp_V1_ImportBankFileResponse = try await a.erp.call(prefix + "ImportBankFile", tenant: b.tenant, request: request)
            }
            let _: Otc_Cashapp_V1_ImportBankFileResponse = try await a.erp.call(prefix + "ImportBankFile", tenant: a.tenant, request: request)
            let run: Otc_Cashapp_V1_RunMatchingResponse = try await a.analyst.call(prefix + "RunMatching", tenant: a.tenant,
                                                                                  request: Otc_Cashapp_V1_RunMatchingRequest())
            let receipt = try #require(run.proposals.first?.receiptID)
            #expect(run.applied == 1)
            await expectStatus(.permissionDenied) {
                let _: Otc_Cashapp_V1_Receipt = try await a.analyst.call(prefix + "ReverseApplication", tenant: b.tenant,
                    request: Otc_Cashapp_V1_ReverseApplicationRequest.with { $0.receiptID = receipt; $0.reason = "x" })
            }
            await expectStatus(.notFound) {
                let _: Otc_Cashapp_V1_Receipt = try await b.analyst.call(prefix + "ReverseApplication", tenant: b.tenant,
                    request: Otc_Cashapp_V1_ReverseApplicationRequest.with { $0.receiptID = receipt; $0.reason = "x" })
            }
            await expectStatus(.notFound) {
                let _: Otc_Cashapp_V1_Receipt = try await b.analyst.call(prefix + "ApplyReceipt", tenant: b.tenant,
                    request: Otc_Cashapp_V1_ApplyReceiptRequest.with { $0.receiptID = receipt; $0.customerNumber = "C-1" })
            }
            await expectStatus(.notFound) {
                let _: Otc_Cashapp_V1_ListProposalsResponse = try await b.analyst.call(prefix + "ListProposals", tenant: b.tenant,
                    request: Otc_Cashapp_V1_ListProposalsRequest.with { $0.receiptID = receipt })
            }
            // B sees none of A's receipts, cash or advices; the same advice reference is B's own.
            let receiptsB: Otc_Cashapp_V1_ListReceiptsResponse = try await b.analyst.call(prefix + "ListReceipts", tenant: b.tenant,
                                                                                          request: Otc_Cashapp_V1_ListReceiptsRequest())
            #expect(receiptsB.receipts.isEmpty)
            let advice = Otc_Cashapp_V1_ImportRemittanceAdvicesRequest.with {
                $0.advices = [.with { $0.reference = "ADV-SAME"; $0.lines = [.with { $0.documentNumber = invoice.number; $0.paid = 100 }] }]
            }
            for desk in [a, b] {
                let stored: Otc_Cashapp_V1_ImportRemittanceAdvicesResponse = try await desk.erp.call(prefix + "ImportRemittanceAdvices", tenant: desk.tenant, request: advice)
                #expect(stored.advicesNew == 1)
            }
            // An upload's parts are the tenant's: B cannot finish A's upload.
            let _: Otc_Cashapp_V1_ImportBankFileResponse = try await a.erp.call(prefix + "ImportBankFile", tenant: a.tenant,
                request: Otc_Cashapp_V1_ImportBankFileRequest.with { $0.uploadID = "up-iso-1"; $0.part = 0; $0.moreParts = true; $0.content = Data(file.utf8.prefix(40)) })
            await expectStatus(.failedPrecondition) {
                let _: Otc_Cashapp_V1_ImportBankFileResponse = try await b.erp.call(prefix + "ImportBankFile", tenant: b.tenant,
                    request: Otc_Cashapp_V1_ImportBankFileRequest.with { $0.uploadID = "up-iso-1"; $0.part = 1; $0.content = Data(file.utf8.dropFirst(40)) })
            }
            let unapplied: Otc_Cashapp_V1_ListUnappliedResponse = try await b.analyst.call(prefix + "ListUnapplied", tenant: b.tenant,
                                                                                          request: Otc_Cashapp_V1_ListUnappliedRequest())
            #expect(unapplied.receipts.isEmpty && unapplied.onAccount.isEmpty && unapplied.totals.isEmpty)
        }
    }
}
