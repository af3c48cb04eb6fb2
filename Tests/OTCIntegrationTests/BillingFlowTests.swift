import Foundation
import OTCClient
import OTCProto
import PostgresNIO
import SwiftProtobuf
import Testing

/// Invoicing and billing end to end: shipments become invoices with gapless numbers, memos
/// correct them, every document posts to the AR subledger, and the ledger check stays clean.
@Suite("Billing end to end")
struct BillingFlowTests {
    /// The issue's "done when": an ERP order is shipped, invoiced with a gapless number, partly
    /// credited, and exported as a UBL invoice that passes the XSD; the ledger check is clean.
    @Test func erpOrderIsShippedInvoicedCreditedAndExported() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("bill", admin: admin)
            _ = try await publishRules(Fixtures.sellerRules, tenant: tenant, on: admin)
            let erp = try await server.connect(.apiKey(key))
            var customer = Fixtures.customer("C-1")
            customer.customer.email = "ap@customer.example"
            customer.customer.taxID = "DE999999999"
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: customer)
            let order: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant,
                request: Fixtures.order("SO-1", customer: "C-1", po: "PO-77", lines: [(3, 1999, "STD"), (2, 333, "RED")]))

            // Invoice on shipment (the default rule): each shipment is billed in its own transaction.
            var ship = Otc_Orders_V1_RecordShipmentRequest()
            ship.orderID = order.id
            ship.shipmentRef = "DN-1"
            ship.lines = [.with { $0.lineNo = 1; $0.quantity = 2 }]
            let first: Otc_Orders_V1_RecordShipmentResponse = try await erp.call(Method.recordShipment, tenant: tenant, request: ship)
            let year = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "Europe/Berlin")!, from: Date()).year!
            #expect(first.shipment.invoiceNumber == "INV-\(year)-000001")
            #expect(first.order.status == .partiallyShipped)
            #expect(first.order.lines[0].invoicedQuantity == 2)

            ship.shipmentRef = "DN-2"
            ship.lines = [.with { $0.lineNo = 1; $0.quantity = 1 }, .with { $0.lineNo = 2; $0.quantity = 2 }]
            let second: Otc_Orders_V1_RecordShipmentResponse = try await erp.call(Method.recordShipment, tenant: tenant, request: ship)
            #expect(second.shipment.invoiceNumber == "INV-\(year)-000002")
            #expect(second.order.status == .invoiced)
            #expect(second.order.lines.map(\.invoicedQuantity) == [3, 2])

            let invoice: Otc_Billing_V1_Document = try await erp.call(
                Method.getDocument, tenant: tenant, request: Otc_Billing_V1_GetDocumentRequest.with { $0.number = second.shipment.invoiceNumber })
            // 1 × 19.99 at 20 % and 2 × 3.33 at 7 %: 4.00 + 0.47 tax (line rounding).
            #expect(invoice.netTotal == 1999 + 666)
            #expect(invoice.taxTotal == 400 + 47)
            #expect(invoice.grossTotal == 1999 + 666 + 447)
            #expect(invoice.openAmount == invoice.grossTotal)
            #expect(invoice.status == "open")
            #expect(invoice.customerPo == "PO-77")
            #expect(invoice.lines.map(\.shipmentRef) == ["DN-2", "DN-2"])
            // 2/10 NET30: due 30 days after issue, 2 % discount within 10 days.
            let issue = invoice.issueDate
            let issued = Calendar(identifier: .gregorian).date(from: DateComponents(year: Int(issue.year), month: Int(issue.month), day: Int(issue.day)))!
            let due = Calendar(identifier: .gregorian).dateComponents([.year, .month, .day], from: issued.addingTimeInterval(30 * 86_400))
            #expect(invoice.dueDate == Fixtures.date(Int32(due.year!), Int32(due.month!), Int32(due.day!)))
            #expect(invoice.discountAmount == (invoice.grossTotal * 2 + 50) / 100)
            #expect(invoice.termsNote.contains("2 % discount"))

            // Partial credit: one unit of line 1.
            let memo: Otc_Billing_V1_Document = try await erp.call(Method.creditMemo, tenant: tenant, request: Otc_Billing_V1_CreateMemoRequest.with {
                $0.invoiceNumber = invoice.number
                $0.reason = "damaged in transit"
                $0.lines = [.with { $0.invoiceLineNo = 1; $0.quantity = 1 }]
            })
            #expect(memo.number == "CN-\(year)-000001")
            #expect(memo.kind == "credit_memo")
            #expect(memo.referenceNumber == invoice.number)
            #expect(memo.grossTotal == 1999 + 400)
            let after: Otc_Billing_V1_Document = try await erp.call(
                Method.getDocument, tenant: tenant, request: Otc_Billing_V1_GetDocumentRequest.with { $0.number = invoice.number })
            #expect(after.openAmount == invoice.grossTotal - memo.grossTotal)
            #expect(after.status == "partially_settled")

            // Export both as UBL and validate against the OASIS schemas.
            for (number, schema) in [(invoice.number, "UBL-Invoice-2.1.xsd"), (memo.number, "UBL-CreditNote-2.1.xsd")] {
                let export: Otc_Billing_V1_ExportUBLResponse = try await erp.call(
                    Method.exportUBL, tenant: tenant, request: Otc_Billing_V1_ExportUBLRequest.with { $0.number = number })
                #expect(export.filename == "\(number).xml")
                let errors = try await xmllintErrors(export.xml, schema: schema)
                #expect(errors == nil, "\(number): \(errors ?? "")")
                #expect(export.xml.contains("<cbc:PayableAmount currencyID=\"EUR\">"))
            }

            // Statement: both invoices open (the second one reduced by the memo), aged as current.
            let statement: Otc_Receivables_V1_Statement = try await erp.call(
                Method.statement, tenant: tenant, request: Otc_Receivables_V1_GetStatementRequest.with { $0.customerNumber = "C-1" })
            #expect(statement.currencies.count == 1)
            let eur = statement.currencies[0]
            let firstInvoice: Otc_Billing_V1_Document = try await erp.call(
                Method.getDocument, tenant: tenant, request: Otc_Billing_V1_GetDocumentRequest.with { $0.number = first.shipment.invoiceNumber })
            #expect(eur.totalOpen == firstInvoice.grossTotal + after.openAmount)
            #expect(eur.items.map(\.documentNumber) == [firstInvoice.number, invoice.number])
            #expect(eur.aging.first { $0.label == "current" }?.amount == eur.totalOpen)
            #expect(eur.overdue == 0)

            try await expectLedgerClean(erp, tenant: tenant)
        }
    }

    /// Numbers are drawn in the committing transaction: 60 concurrent invoices (some of them
    /// failing after the number was drawn) leave no gap and no duplicate.
    @Test func concurrentInvoicesGetGaplessNumbers() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("gapless", admin: admin)
            let setup = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await setup.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            let connections = try await withThrowingTaskGroup(of: OTCConnection.self) { group in
                for _ in 0..<6 { group.addTask { try await server.connect(.apiKey(key)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let outcomes = await withTaskGroup(of: (Int, String?).self) { group in
                for i in 0..<70 {
                    group.addTask {
                        // Every seventh names an unknown tax code: refused after validation, nothing kept.
                        let tax = i % 7 == 3 ? "NOPE" : "STD"
                        let request = Fixtures.invoice("ERP-INV-\(i)", customer: "C-1", lines: [(1, Int64(100 + i), tax), (2, 50, "RED")])
                        // With retries, as an ERP would: the tenant's in-flight limit turns some away for a moment.
                        do {
                            let document: Otc_Billing_V1_Document = try await connections[i % connections.count].callWithRetry(
                                Method.createInvoice, tenant: tenant, request: request, attempts: 20)
                            return (i, document.number)
                        } catch let error as RPCStatusError {
                            #expect(i % 7 == 3 && error.details["reason"] == "UNKNOWN_TAX_CODE", "\(i): \(error)")
                            return (i, nil)
                        } catch {
                            Issue.record("\(i): \(error)")
                            return (i, nil)
                        }
                    }
                }
                return await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
            }
            let numbers = outcomes.compactMap(\.1).sorted()
            #expect(numbers.count == 60)
            #expect(Set(numbers).count == numbers.count)
            let values = numbers.compactMap { Int($0.split(separator: "-").last!) }.sorted()
            #expect(values == Array(1...60))
            #expect(outcomes.filter { $0.0 % 7 == 3 }.allSatisfy { $0.1 == nil })
            #expect(try await server.count("billing_documents", tenant: tenant) == 60)
            #expect(try await server.count("ar_items", tenant: tenant) == 60)
            try await expectLedgerClean(setup, tenant: tenant)
        }
    }

    /// A retried direct invoice returns the first one; other content under the same ref is refused.
    @Test func directInvoiceIsIdempotentByExternalRef() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("direct", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            let request = Fixtures.invoice("ERP-1", customer: "C-1", lines: [(1, 10_000, "STD")])
            let first: Otc_Billing_V1_Document = try await erp.call(Method.createInvoice, tenant: tenant, request: request)
            let again: Otc_Billing_V1_Document = try await erp.call(Method.createInvoice, tenant: tenant, request: request)
            #expect(again.number == first.number)
            var other = request
            other.lines[0].unitPrice = 9_999
            let error = await expectStatus(.alreadyExists) {
                let _: Otc_Billing_V1_Document = try await erp.call(Method.createInvoice, tenant: tenant, request: other)
            }
            #expect(error?.message.contains(first.number) == true)
            #expect(try await server.count("billing_documents", tenant: tenant) == 1)

            // The same new ref from ten retrying clients at once (no idempotency key): one invoice.
            let racing = Fixtures.invoice("ERP-RACE", customer: "C-1", lines: [(1, 500, "STD")])
            let numbers = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let document: Otc_Billing_V1_Document = try await erp.callWithRetry(
                            Method.createInvoice, tenant: tenant, request: racing, idempotencyKey: UUID().uuidString, attempts: 10)
                        return document.number
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(numbers.count == 1)
            #expect(try await server.count("billing_documents", tenant: tenant) == 2)
        }
    }

    /// Each bad request gets its own status and reason, and posts nothing.
    @Test func badBillingInputIsRefusedAndPostsNothing() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("badbill", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            let invoice: Otc_Billing_V1_Document = try await erp.call(
                Method.createInvoice, tenant: tenant, request: Fixtures.invoice("ERP-1", customer: "C-1", lines: [(2, 5_000, "STD")]))
            let postings = try await server.count("ar_postings", tenant: tenant)

            // Currency mismatch: the customer is billed in EUR.
            var usd = await expectStatus(.invalidArgument) {
                let _: Otc_Billing_V1_Document = try await erp.call(
                    Method.createInvoice, tenant: tenant, request: Fixtures.invoice("ERP-2", customer: "C-1", currency: "USD", lines: [(1, 100, "STD")]))
            }
            #expect(usd?.details["reason"] == "CURRENCY_MISMATCH")
            usd = nil

            // Unknown tax code.
            let tax = await expectStatus(.invalidArgument) {
                let _: Otc_Billing_V1_Document = try await erp.call(
                    Method.createInvoice, tenant: tenant, request: Fixtures.invoice("ERP-3", customer: "C-1", lines: [(1, 100, "VAT99")]))
            }
            #expect(tax?.details["reason"] == "UNKNOWN_TAX_CODE")
            #expect(tax?.message.contains("VAT99") == true)

            // A credit memo above the open amount.
            let tooMuch = await expectStatus(.failedPrecondition) {
                let _: Otc_Billing_V1_Document = try await erp.call(Method.creditMemo, tenant: tenant, request: Otc_Billing_V1_CreateMemoRequest.with {
                    $0.invoiceNumber = invoice.number
                    $0.reason = "goodwill"
                    $0.lines = [.with { $0.netAmount = 10_001; $0.taxCode = "STD" }]
                })
            }
            #expect(tooMuch?.details["reason"] == "EXCEEDS_OPEN_AMOUNT")
            // Crediting more units than were invoiced on the line.
            let tooMany = await expectStatus(.failedPrecondition) {
                let _: Otc_Billing_V1_Document = try await erp.call(Method.creditMemo, tenant: tenant, request: Otc_Billing_V1_CreateMemoRequest.with {
                    $0.invoiceNumber = invoice.number
                    $0.reason = "returned"
                    $0.lines = [.with { $0.invoiceLineNo = 1; $0.quantity = 3 }]
                })
            }
            #expect(tooMany?.details["reason"] == "EXCEEDS_LINE")

            // Invoicing an order line that has not shipped.
            let _: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant, request: Fixtures.order("SO-1", customer: "C-1", lines: [(5, 1_000, "STD")]))
            var direct = Fixtures.invoice("ERP-4", customer: "C-1", lines: [(1, 1_000, "STD")])
            direct.orderRef = "SO-1"
            direct.lines[0].orderLineNo = 1
            let unshipped = await expectStatus(.failedPrecondition) {
                let _: Otc_Billing_V1_Document = try await erp.call(Method.createInvoice, tenant: tenant, request: direct)
            }
            #expect(unshipped?.details["reason"] == "NOT_SHIPPED")

            // A second billing of the same shipment (already billed on shipment).
            let order: Otc_Orders_V1_Order = try await erp.call(
                Method.getOrder, tenant: tenant, request: Otc_Orders_V1_GetOrderRequest.with { $0.orderRef = "SO-1" })
            let shipped: Otc_Orders_V1_RecordShipmentResponse = try await erp.call(Method.recordShipment, tenant: tenant, request: Otc_Orders_V1_RecordShipmentRequest.with {
                $0.orderID = order.id
                $0.shipmentRef = "DN-1"
                $0.lines = [.with { $0.lineNo = 1; $0.quantity = 2 }]
            })
            let postingsAfterShipment = try await server.count("ar_postings", tenant: tenant)
            #expect(postingsAfterShipment == postings + 1)
            let twice = await expectStatus(.failedPrecondition) {
                let _: Otc_Billing_V1_Document = try await erp.call(Method.invoiceShipment, tenant: tenant, request: Otc_Billing_V1_InvoiceShipmentRequest.with {
                    $0.orderRef = "SO-1"
                    $0.shipmentRef = "DN-1"
                })
            }
            #expect(twice?.details["reason"] == "ALREADY_BILLED")
            #expect(twice?.message.contains(shipped.shipment.invoiceNumber) == true)

            // Direct billing of the shipped line beyond what is left is refused too (2 shipped, 2 billed).
            direct.lines[0].quantity = 1
            let nothingLeft = await expectStatus(.failedPrecondition) {
                let _: Otc_Billing_V1_Document = try await erp.call(Method.createInvoice, tenant: tenant, request: direct)
            }
            #expect(nothingLeft?.details["reason"] == "NOT_SHIPPED")

            #expect(try await server.count("ar_postings", tenant: tenant) == postingsAfterShipment)
            #expect(try await server.count("billing_documents", tenant: tenant) == 2)
            try await expectLedgerClean(erp, tenant: tenant)
        }
    }

    /// Cancellation is a full credit memo; a cancelled invoice takes no further memos; a debit
    /// memo adds a receivable with its own due date.
    @Test func cancelAndDebitMemos() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("cancel", admin: admin)
            _ = try await publishRules(Fixtures.sellerRules, tenant: tenant, on: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            let a: Otc_Billing_V1_Document = try await erp.call(
                Method.createInvoice, tenant: tenant, request: Fixtures.invoice("A", customer: "C-1", lines: [(3, 333, "STD"), (1, 1_001, "RED")]))
            // Partly credit line 1, then cancel: the cancellation credits exactly what is left.
            let partial: Otc_Billing_V1_Document = try await erp.call(Method.creditMemo, tenant: tenant, request: Otc_Billing_V1_CreateMemoRequest.with {
                $0.invoiceNumber = a.number
                $0.reason = "one unit missing"
                $0.lines = [.with { $0.invoiceLineNo = 1; $0.quantity = 1 }]
            })
            let cancel: Otc_Billing_V1_Document = try await erp.call(Method.cancelInvoice, tenant: tenant, request: Otc_Billing_V1_CancelInvoiceRequest.with {
                $0.invoiceNumber = a.number
                $0.reason = "ordered twice"
            })
            #expect(partial.grossTotal + cancel.grossTotal == a.grossTotal)
            #expect(cancel.reason.contains("ordered twice"))
            let cancelled: Otc_Billing_V1_Document = try await erp.call(
                Method.getDocument, tenant: tenant, request: Otc_Billing_V1_GetDocumentRequest.with { $0.number = a.number })
            #expect(cancelled.status == "cancelled")
            #expect(cancelled.openAmount == 0)
            await expectStatus(.failedPrecondition) {
                let _: Otc_Billing_V1_Document = try await erp.call(Method.creditMemo, tenant: tenant, request: Otc_Billing_V1_CreateMemoRequest.with {
                    $0.invoiceNumber = a.number
                    $0.reason = "again"
                    $0.full = true
                })
            }

            let b: Otc_Billing_V1_Document = try await erp.call(
                Method.createInvoice, tenant: tenant, request: Fixtures.invoice("B", customer: "C-1", lines: [(1, 10_000, "STD")]))
            let debit: Otc_Billing_V1_Document = try await erp.call(Method.debitMemo, tenant: tenant, request: Otc_Billing_V1_CreateMemoRequest.with {
                $0.invoiceNumber = b.number
                $0.reason = "freight charged later"
                $0.lines = [.with { $0.netAmount = 1_500; $0.taxCode = "STD"; $0.description_p = "Freight" }]
            })
            #expect(debit.number.hasPrefix("DN-"))
            #expect(debit.grossTotal == 1_800)
            #expect(debit.status == "open")
            #expect(debit.hasDueDate)
            let export: Otc_Billing_V1_ExportUBLResponse = try await erp.call(
                Method.exportUBL, tenant: tenant, request: Otc_Billing_V1_ExportUBLRequest.with { $0.number = debit.number })
            #expect(try await xmllintErrors(export.xml, schema: "UBL-Invoice-2.1.xsd") == nil)

            let list: Otc_Billing_V1_ListDocumentsResponse = try await erp.call(
                Method.listDocuments, tenant: tenant, request: Otc_Billing_V1_ListDocumentsRequest.with { $0.statuses = ["open"] })
            #expect(Set(list.documents.map(\.number)) == [b.number, debit.number])
            let memos: Otc_Billing_V1_ListDocumentsResponse = try await erp.call(
                Method.listDocuments, tenant: tenant, request: Otc_Billing_V1_ListDocumentsRequest.with { $0.kinds = ["credit_memo"] })
            #expect(memos.documents.count == 2)
            try await expectLedgerClean(erp, tenant: tenant)
        }
    }

    /// Issued documents and postings cannot be changed, even by the tenant's own role.
    @Test func issuedDocumentsAndPostingsAreImmutable() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("immut", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            let _: Otc_Billing_V1_Document = try await erp.call(
                Method.createInvoice, tenant: tenant, request: Fixtures.invoice("A", customer: "C-1", lines: [(1, 100, "STD")]))
            for statement in [
                "UPDATE billing_documents SET gross_total = 1", "DELETE FROM billing_documents",
                "UPDATE billing_document_lines SET net_amount = 1", "DELETE FROM ar_postings", "UPDATE ar_posting_lines SET amount = 1",
                "UPDATE ar_items SET amount = 1", "DELETE FROM ar_items", "TRUNCATE ar_applications",
            ] {
                do {
                    try await server.asTenant(tenant) { conn in
                        try await conn.query(PostgresQuery(unsafeSQL: statement), logger: TestEnvironment.logger)
                    }
                    Issue.record("\(statement) was allowed")
                } catch {
                    #expect("\(error)".contains("42501") && "\(error)".contains("refused"), "\(statement): \(error)")
                }
            }
            try await expectLedgerClean(erp, tenant: tenant)
        }
    }

    /// The order's life ends with its money: once every invoice of a fully invoiced order is
    /// settled (here: credited in full by cancellation) the order is closed.
    @Test func orderClosesWhenItsInvoicesAreSettled() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("close", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            let order: Otc_Orders_V1_Order = try await erp.call(
                Method.createOrder, tenant: tenant, request: Fixtures.order("SO-C", customer: "C-1", lines: [(2, 1_000, "STD")]))
            var invoices: [String] = []
            for (ref, quantity) in [("DN-1", Int64(1)), ("DN-2", Int64(1))] {
                let shipped: Otc_Orders_V1_RecordShipmentResponse = try await erp.call(Method.recordShipment, tenant: tenant, request: Otc_Orders_V1_RecordShipmentRequest.with {
                    $0.orderID = order.id
                    $0.shipmentRef = ref
                    $0.lines = [.with { $0.lineNo = 1; $0.quantity = quantity }]
                })
                invoices.append(shipped.shipment.invoiceNumber)
            }
            for (i, number) in invoices.enumerated() {
                let _: Otc_Billing_V1_Document = try await erp.call(Method.cancelInvoice, tenant: tenant, request: Otc_Billing_V1_CancelInvoiceRequest.with {
                    $0.invoiceNumber = number
                    $0.reason = "returned"
                })
                let now: Otc_Orders_V1_Order = try await erp.call(
                    Method.getOrder, tenant: tenant, request: Otc_Orders_V1_GetOrderRequest.with { $0.id = order.id })
                // Still invoiced while one invoice is open; closed when the last one is settled.
                #expect(now.status == (i == 0 ? .invoiced : .closed))
            }
            #expect(try await server.count("audit_log", tenant: tenant, where: "action = 'order.close'") == 1)
            try await expectLedgerClean(erp, tenant: tenant)
        }
    }
}
