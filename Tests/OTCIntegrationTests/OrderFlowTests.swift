import Foundation
import OTCClient
import OTCProto
import OTCServer
import SwiftProtobuf
import Testing

/// Order management end to end, through TLS, the router and a real tenant schema.
@Suite("Orders end to end")
struct OrderFlowTests {
    @Test func erpCreatesShipsAndListsAnOrder() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("flow", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            #expect(erp.welcome.principal.kind == .erp)
            #expect(erp.welcome.tenants == [tenant])

            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            let order: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant,
                request: Fixtures.order("SO-1", customer: "C-1", po: "PO-9", lines: [(3, 1999, "STD"), (1, 500, "RED")]))
            #expect(order.status == .released)
            #expect(order.discrepancies.isEmpty)
            #expect(order.netTotal.units == 3 * 1999 + 500)
            #expect(order.netTotal.currency == "EUR")
            #expect(order.rulesVersion == 1)

            var ship = Otc_Orders_V1_RecordShipmentRequest()
            ship.orderID = order.id
            ship.shipmentRef = "DN-1"
            ship.lines = [.with { $0.lineNo = 1; $0.quantity = 2 }]
            let partial: Otc_Orders_V1_RecordShipmentResponse = try await erp.call(Method.recordShipment, tenant: tenant, request: ship)
            #expect(partial.order.status == .partiallyShipped)
            #expect(partial.order.lines[0].shippedQuantity == 2)

            // The same delivery again is a retry, not a second shipment.
            let again: Otc_Orders_V1_RecordShipmentResponse = try await erp.call(Method.recordShipment, tenant: tenant, request: ship)
            #expect(again.shipment.id == partial.shipment.id)
            #expect(again.order.lines[0].shippedQuantity == 2)

            // Shipping more than is open is refused, and changes nothing.
            var tooMuch = ship
            tooMuch.shipmentRef = "DN-2"
            tooMuch.lines = [.with { $0.lineNo = 1; $0.quantity = 5 }]
            await expectStatus(.failedPrecondition) {
                let _: Otc_Orders_V1_RecordShipmentResponse = try await erp.call(Method.recordShipment, tenant: tenant, request: tooMuch)
            }

            var rest = ship
            rest.shipmentRef = "DN-3"
            rest.lines = [.with { $0.lineNo = 1; $0.quantity = 1 }, .with { $0.lineNo = 2; $0.quantity = 1 }]
            let full: Otc_Orders_V1_RecordShipmentResponse = try await erp.call(Method.recordShipment, tenant: tenant, request: rest)
            // Fully shipped, and billed on shipment (the default rule): invoiced.
            #expect(full.order.status == .invoiced)
            #expect(full.order.shipments.allSatisfy { !$0.invoiceNumber.isEmpty })
            #expect(full.order.shipments.count == 2)

            // Shipped orders cannot be amended.
            var amend = Otc_Orders_V1_AmendOrderRequest()
            amend.id = order.id
            amend.customerPo = "PO-10"
            await expectStatus(.failedPrecondition) {
                let _: Otc_Orders_V1_Order = try await erp.call(Method.amendOrder, tenant: tenant, request: amend)
            }

            let list: Otc_Orders_V1_ListOrdersResponse = try await erp.call(Method.listOrders, tenant: tenant, request: Otc_Orders_V1_ListOrdersRequest())
            #expect(list.orders.map(\.orderRef) == ["SO-1"])
            // Every change is audited: one creation, two shipments (the replayed one wrote nothing).
            #expect(try await server.count("audit_log", tenant: tenant, where: "action = 'order.create'") == 1)
            #expect(try await server.count("audit_log", tenant: tenant, where: "action = 'order.ship'") == 2)
        }
    }

    @Test func invalidOrderIsHeldWithDiscrepanciesAndATask() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("hold", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            let _: Otc_Orders_V1_Order = try await erp.call(Method.createOrder, tenant: tenant,
                                                           request: Fixtures.order("SO-A", customer: "C-1", po: "PO-1"))
            let held: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant,
                request: Fixtures.order("SO-B", customer: "C-1", po: "PO-1", lines: [(0, 100, "STD"), (1, -5, "NOPE")]))
            #expect(held.status == .validationHold)
            let codes = Set(held.discrepancies.map(\.code))
            #expect(codes == ["duplicate_customer_po", "quantity_not_positive", "price_not_positive", "tax_code_unknown"])
            #expect(try await server.count("tasks", tenant: tenant, where: "kind = 'order_validation_hold' AND status = 'open'") == 1)

            let unknown: Otc_Orders_V1_Order = try await erp.call(Method.createOrder, tenant: tenant,
                                                                 request: Fixtures.order("SO-C", customer: "NOBODY"))
            #expect(unknown.discrepancies.map(\.code) == ["customer_unknown"])

            // ERP keys cannot release holds; an analyst can, once the cause is fixed.
            var release = Otc_Orders_V1_ReleaseHoldRequest()
            release.id = unknown.id
            release.reason = "customer created"
            await expectStatus(.permissionDenied) {
                let _: Otc_Orders_V1_Order = try await erp.call(Method.releaseHold, tenant: tenant, request: release)
            }
            var create = Otc_Admin_V1_CreateOperatorRequest()
            create.login = "analyst-" + UUID().uuidString.prefix(6).lowercased()
            let created: Otc_Admin_V1_CreatedOperator = try await admin.call(Method.admin + "CreateOperator", request: create)
            var grant = Otc_Admin_V1_GrantRoleRequest()
            grant.login = create.login
            grant.tenant = tenant
            grant.role = "analyst"
            let _: Otc_Admin_V1_Operator = try await admin.call(Method.admin + "GrantRole", request: grant)
            let analyst = try await server.connect(.operatorToken(created.token))

            let refused = await expectStatus(.failedPrecondition) {
                let _: Otc_Orders_V1_Order = try await analyst.call(Method.releaseHold, tenant: tenant, request: release)
            }
            #expect(refused?.message.contains("customer_unknown") == true)
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("NOBODY"))
            let released: Otc_Orders_V1_Order = try await analyst.call(Method.releaseHold, tenant: tenant, request: release)
            #expect(released.status == .released)
            #expect(try await server.count("tasks", tenant: tenant, where: "subject_id = '\(unknown.id)' AND status = 'done'") == 1)

            // Amending the held order fixes it: validation runs again and the hold task closes.
            var amend = Otc_Orders_V1_AmendOrderRequest()
            amend.id = held.id
            amend.expectedVersion = held.version
            amend.customerPo = "PO-2"
            amend.reason = "ERP corrected the lines"
            amend.lines = Fixtures.order("x", customer: "C-1", lines: [(4, 100, "STD")]).lines
            let amended: Otc_Orders_V1_Order = try await erp.call(Method.amendOrder, tenant: tenant, request: amend)
            #expect(amended.status == .released)
            #expect(amended.discrepancies.isEmpty)
            #expect(amended.netTotal.units == 400)
            // A stale version is refused.
            await expectStatus(.aborted) {
                let _: Otc_Orders_V1_Order = try await erp.call(Method.amendOrder, tenant: tenant, request: amend)
            }

            var cancel = Otc_Orders_V1_CancelOrderRequest()
            cancel.id = amended.id
            cancel.reason = "customer withdrew"
            let cancelled: Otc_Orders_V1_Order = try await erp.call(Method.cancelOrder, tenant: tenant, request: cancel)
            #expect(cancelled.status == .cancelled)
            var listByStatus = Otc_Orders_V1_ListOrdersRequest()
            listByStatus.statuses = [.validationHold, .cancelled]
            let listed: Otc_Orders_V1_ListOrdersResponse = try await erp.call(Method.listOrders, tenant: tenant, request: listByStatus)
            #expect(Set(listed.orders.map(\.orderRef)) == ["SO-B"])
        }
    }

    @Test func listOrdersPagesWithACursor() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("page", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            for i in 1...7 {
                let _: Otc_Orders_V1_Order = try await erp.call(Method.createOrder, tenant: tenant, request: Fixtures.order("SO-\(i)", customer: "C-1"))
            }
            var seen: [String] = []
            var request = Otc_Orders_V1_ListOrdersRequest()
            request.pageSize = 3
            repeat {
                let page: Otc_Orders_V1_ListOrdersResponse = try await erp.call(Method.listOrders, tenant: tenant, request: request)
                seen += page.orders.map(\.orderRef)
                request.pageToken = page.nextPageToken
            } while !request.pageToken.isEmpty
            #expect(seen == (1...7).reversed().map { "SO-\($0)" })
            request.pageToken = "garbage"
            await expectStatus(.invalidArgument) {
                let _: Otc_Orders_V1_ListOrdersResponse = try await erp.call(Method.listOrders, tenant: tenant, request: request)
            }
        }
    }

    @Test func customerImportReportsBadLinesAndKeepsGoodOnes() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("imp", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            var request = Otc_Customers_V1_ImportCustomersRequest()
            request.customers = [
                Fixtures.customer("C-1").customer,
                Fixtures.customer("C-2", currency: "euro").customer,
                Fixtures.customer("C-3").customer,
                Fixtures.customer("C-1").customer,
            ]
            let result: Otc_Customers_V1_ImportCustomersResponse = try await erp.call(Method.importCustomers, tenant: tenant, request: request)
            #expect(result.created == 2)
            #expect(result.failed == 2)
            #expect(result.results.map(\.outcome) == ["created", "error", "created", "error"])
            #expect(result.results[1].error.contains("ISO 4217"))
            let again: Otc_Customers_V1_ImportCustomersResponse = try await erp.call(Method.importCustomers, tenant: tenant, request: request)
            #expect(again.unchanged == 2)
            #expect(try await server.count("customers", tenant: tenant) == 2)
        }
    }
}
