public import OTCCore
public import OTCStore
import OTCReceivables
import OTCProto
import Foundation
import SwiftProtobuf

/// `otc.billing.v1.BillingService`: invoices, memos, billing runs, distribution, UBL export.
public struct BillingService: RPCService {
    let store: TenantStore
    let billing = Billing()
    let documents = BillingStore()
    let ledger = Ledger()
    /// Order management's side of invoicing from shipments; nil when orders are not served.
    let shipments: (any ShipmentBilling)?

    public init(store: TenantStore, shipments: (any ShipmentBilling)?) {
        self.store = store
        self.shipments = shipments
    }

    static let prefix = "/otc.billing.v1.BillingService/"
    static let distributionTask = Billing.distributionTask

    public func registerMethods(with table: inout MethodTable) {
        let write = MethodAccess.tenant(scope: .billingWrite, role: .analyst)
        let read = MethodAccess.tenant(scope: .billingRead, role: .viewer)
        table.register(Self.prefix + "CreateInvoice", access: write, mutating: true, createInvoice)
        table.register(Self.prefix + "InvoiceShipment", access: write, mutating: true, invoiceShipment)
        table.register(Self.prefix + "RunBilling", access: write, mutating: true, runBilling)
        table.register(Self.prefix + "CreateCreditMemo", access: write, mutating: true, createCreditMemo)
        table.register(Self.prefix + "CreateDebitMemo", access: write, mutating: true, createDebitMemo)
        table.register(Self.prefix + "CancelInvoice", access: write, mutating: true, cancelInvoice)
        table.register(Self.prefix + "GetDocument", access: read, mutating: false, getDocument)
        table.register(Self.prefix + "ListDocuments", access: read, mutating: false, listDocuments)
        table.register(Self.prefix + "ExportUBL", access: read, mutating: false, exportUBL)
        table.register(Self.prefix + "RecordDispatch", access: write, mutating: true, recordDispatch)
        table.register(Self.prefix + "ResendDocument", access: write, mutating: true, resendDocument)
        table.register(Self.prefix + "ListUndistributed", access: read, mutating: false, listUndistributed)
    }

    // MARK: Invoices

    @Sendable func createInvoice(_ request: Otc_Billing_V1_CreateInvoiceRequest, _ context: CallContext) async throws
        -> Otc_Billing_V1_Document
    {
        let externalRef = request.externalRef.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(externalRef.count) else {
            throw OTCError.invalidArgument("external_ref is required (the ERP's invoice reference, 1-64 characters)")
        }
        guard let currency = Currency(request.currency) else {
            throw OTCError.invalidArgument("currency '\(request.currency)' is not an ISO 4217 code such as EUR")
        }
        let issueDate = try BusinessDate.optional(request.issueDate, isSet: request.hasIssueDate, field: "issue_date")
        var lines: [LineDraft] = []
        for (i, line) in request.lines.enumerated() {
            guard line.quantity > 0 else { throw OTCError.invalidArgument("line \(i + 1): quantity must be positive") }
            guard line.unitPrice >= 0 else { throw OTCError.invalidArgument("line \(i + 1): unit_price must not be negative") }
            guard !line.description_p.isEmpty || !line.sku.isEmpty else {
                throw OTCError.invalidArgument("line \(i + 1): give a description or a sku")
            }
            lines.append(LineDraft(sku: line.sku, description: line.description_p.isEmpty ? line.sku : line.description_p,
                                   quantity: line.quantity, unitOfMeasure: line.unitOfMeasure.isEmpty ? "EA" : line.unitOfMeasure,
                                   unitPrice: line.unitPrice, taxCode: line.taxCode))
        }
        return try await store.idempotentTransaction(context) { tx in
            if let (existing, digest) = try await documents.find(externalRef: externalRef, in: tx) {
                guard digest == context.requestDigest else {
                    throw OTCError.alreadyExists(
                        "invoice \(existing.number) was already created for external_ref \(externalRef) with other content")
                }
                context.replay.set()
                return try await message(existing, in: tx)
            }
            let rules = try await tx.currentRules()
            var customerPO = request.customerPo
            if !request.orderRef.isEmpty, let shipments {
                // Lines that name an order line count against what that line has shipped.
                let orderLines = request.lines.enumerated().filter { $0.element.orderLineNo > 0 }
                if !orderLines.isEmpty {
                    let po = try await shipments.billDirectly(
                        orderRef: request.orderRef, lines: orderLines.map { (Int($0.element.orderLineNo), $0.element.quantity) }, in: tx)
                    if customerPO.isEmpty { customerPO = po }
                    for (i, line) in orderLines {
                        lines[i].source = LineSource(orderRef: request.orderRef, orderLineNo: Int(line.orderLineNo),
                                                     shipmentID: LineSource.noShipment, shipmentRef: "")
                    }
                }
            }
            let issued = try await billing.issueInvoice(
                Billing.InvoiceRequest(customerNumber: request.customerNumber, currency: currency, issueDate: issueDate,
                                       paymentTerms: request.paymentTerms, orderRef: request.orderRef, customerPO: customerPO,
                                       externalRef: externalRef, lines: lines, digest: context.requestDigest),
                rules: rules, in: tx)
            return Self.message(issued, rules: rules, today: tx.today)
        }
    }

    @Sendable func invoiceShipment(_ request: Otc_Billing_V1_InvoiceShipmentRequest, _ context: CallContext) async throws
        -> Otc_Billing_V1_Document
    {
        guard let shipments else { throw OTCError(.unimplemented, "order management is not enabled on this server") }
        let issueDate = try BusinessDate.optional(request.issueDate, isSet: request.hasIssueDate, field: "issue_date")
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let issued = try await shipments.invoiceShipment(
                orderRef: request.orderRef, shipmentRef: request.shipmentRef, issueDate: issueDate, rules: rules, in: tx)
            return Self.message(issued, rules: rules, today: tx.today)
        }
    }

    @Sendable func runBilling(_ request: Otc_Billing_V1_RunBillingRequest, _ context: CallContext) async throws
        -> Otc_Billing_V1_RunBillingResponse
    {
        guard let shipments else { throw OTCError(.unimplemented, "order management is not enabled on this server") }
        let asOf = try BusinessDate.optional(request.asOf, isSet: request.hasAsOf, field: "as_of")
        let issueDate = try BusinessDate.optional(request.issueDate, isSet: request.hasIssueDate, field: "issue_date")
        let maxOrders = request.maxOrders == 0 ? 100 : min(Int(request.maxOrders), 500)
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let (invoices, more) = try await shipments.runBilling(
                asOf: asOf ?? tx.today, issueDate: issueDate, maxOrders: maxOrders, rules: rules, in: tx)
            var response = Otc_Billing_V1_RunBillingResponse()
            response.invoices = invoices.map { Self.message($0, rules: rules, today: tx.today) }
            response.more = more
            return response
        }
    }

    // MARK: Memos

    @Sendable func createCreditMemo(_ request: Otc_Billing_V1_CreateMemoRequest, _ context: CallContext) async throws
        -> Otc_Billing_V1_Document
    {
        try await memo(.creditMemo, request, cancels: false, context)
    }

    @Sendable func createDebitMemo(_ request: Otc_Billing_V1_CreateMemoRequest, _ context: CallContext) async throws
        -> Otc_Billing_V1_Document
    {
        try await memo(.debitMemo, request, cancels: false, context)
    }

    @Sendable func cancelInvoice(_ request: Otc_Billing_V1_CancelInvoiceRequest, _ context: CallContext) async throws
        -> Otc_Billing_V1_Document
    {
        var memoRequest = Otc_Billing_V1_CreateMemoRequest()
        memoRequest.invoiceNumber = request.invoiceNumber
        memoRequest.reason = request.reason.isEmpty ? "" : "Cancellation: \(request.reason)"
        memoRequest.full = true
        return try await memo(.creditMemo, memoRequest, cancels: true, context)
    }

    private func memo(_ kind: DocumentKind, _ request: Otc_Billing_V1_CreateMemoRequest, cancels: Bool,
                      _ context: CallContext) async throws -> Otc_Billing_V1_Document {
        let lines: [Billing.MemoLine] = try request.lines.enumerated().map { i, line in
            if line.invoiceLineNo > 0 {
                guard line.netAmount == 0, line.taxCode.isEmpty else {
                    throw OTCError.invalidArgument("memo line \(i + 1): give invoice_line_no with quantity, or net_amount with tax_code, not both")
                }
                return .invoiceLine(lineNo: Int(line.invoiceLineNo), quantity: line.quantity)
            }
            guard !line.taxCode.isEmpty else {
                throw OTCError.invalidArgument("memo line \(i + 1): a line by amount needs net_amount and tax_code")
            }
            return .amount(description: line.description_p, net: line.netAmount, taxCode: line.taxCode)
        }
        let issueDate = try BusinessDate.optional(request.issueDate, isSet: request.hasIssueDate, field: "issue_date")
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let issued = try await billing.issueMemo(
                kind: kind, invoiceNumber: request.invoiceNumber, lines: lines, full: request.full, cancels: cancels,
                reason: request.reason, issueDate: issueDate, rules: rules, in: tx)
            if kind == .creditMemo, !issued.document.orderRef.isEmpty {
                try await shipments?.invoiceSettled(orderRef: issued.document.orderRef, in: tx)
            }
            return Self.message(issued, rules: rules, today: tx.today)
        }
    }

    // MARK: Reading

    @Sendable func getDocument(_ request: Otc_Billing_V1_GetDocumentRequest, _ context: CallContext) async throws
        -> Otc_Billing_V1_Document
    {
        try await store.transaction(context) { tx in
            try await message(try await find(number: request.number, id: request.id, in: tx), in: tx)
        }
    }

    private func find(number: String, id: String = "", in tx: TenantTransaction) async throws -> BillingDocument {
        if !id.isEmpty {
            guard let uuid = UUID(uuidString: id) else { throw OTCError.invalidArgument("id '\(id)' is not a UUID") }
            guard let document = try await documents.find(id: uuid, in: tx) else { throw OTCError.notFound("document \(id) does not exist") }
            return document
        }
        guard !number.isEmpty else { throw OTCError.invalidArgument("give the document number (or its id)") }
        guard let document = try await documents.find(number: number, in: tx) else {
            throw OTCError.notFound("document \(number) does not exist")
        }
        return document
    }

    static let kinds = DocumentKind.allCases.map(\.rawValue)
    static let statuses = ["open", "partially_settled", "settled", "cancelled", "applied"]

    @Sendable func listDocuments(_ request: Otc_Billing_V1_ListDocumentsRequest, _ context: CallContext) async throws
        -> Otc_Billing_V1_ListDocumentsResponse
    {
        let paging = try Paging(pageSize: request.page.pageSize, pageToken: request.page.pageToken, kind: "documents")
        for kind in request.kinds where !Self.kinds.contains(kind) {
            throw OTCError.invalidArgument("kind '\(kind)' is unknown: use \(Self.kinds.joined(separator: ", "))")
        }
        for status in request.statuses where !Self.statuses.contains(status) {
            throw OTCError.invalidArgument("status '\(status)' is unknown: use \(Self.statuses.joined(separator: ", "))")
        }
        let from = try BusinessDate.optional(request.issuedFrom, isSet: request.hasIssuedFrom, field: "issued_from")
        let to = try BusinessDate.optional(request.issuedTo, isSet: request.hasIssuedTo, field: "issued_to")
        let asOf = try BusinessDate.optional(request.asOf, isSet: request.hasAsOf, field: "as_of")
        return try await store.transaction(context) { tx in
            let filter = BillingStore.ListFilter(
                kinds: request.kinds.isEmpty ? nil : request.kinds, customer: request.customerNumber.isEmpty ? nil : request.customerNumber,
                issuedFrom: from, issuedTo: to, orderRef: request.orderRef.isEmpty ? nil : request.orderRef,
                overdueOn: request.overdueOnly ? (asOf ?? tx.today) : nil, statuses: request.statuses.isEmpty ? nil : request.statuses)
            let page = try await documents.list(filter, beforeSeq: paging.after.flatMap { Int64($0) }, limit: paging.limit, in: tx)
            var response = Otc_Billing_V1_ListDocumentsResponse()
            response.documents = try await messages(page.map(\.document), asOf: asOf, in: tx)
            response.nextPageToken = paging.nextToken(lastKey: page.last.map { String($0.seq) }, returned: page.count, kind: "documents")
            return response
        }
    }

    @Sendable func exportUBL(_ request: Otc_Billing_V1_ExportUBLRequest, _ context: CallContext) async throws
        -> Otc_Billing_V1_ExportUBLResponse
    {
        try await store.transaction(context) { tx in
            let document = try await find(number: request.number, in: tx)
            let rules = try await tx.currentRules()
            var response = Otc_Billing_V1_ExportUBLResponse()
            response.number = document.number
            response.kind = document.kind.rawValue
            response.filename = "\(document.number).xml"
            // The buyer is the snapshot taken at issue; only the electronic address (routing, not
            // content) falls back to today's master data when the snapshot has none.
            var endpoint = UBLWriter.defaultBuyerEndpoint(for: document.buyer)
            if endpoint == nil, let email = try await CustomerStore().find(document.buyer.number, in: tx)?.email, !email.isEmpty {
                endpoint = UBLWriter.Endpoint(id: email, scheme: "EM")
            }
            var referenceIssueDate: BusinessDate?
            if let referenceID = document.referenceID {
                referenceIssueDate = try await documents.find(id: referenceID, in: tx)?.issueDate
            }
            response.xml = try UBLWriter(seller: rules.rules.billing.seller, billing: rules.rules.billing)
                .xml(for: document, buyerEndpoint: endpoint, referenceIssueDate: referenceIssueDate)
            return response
        }
    }

    // MARK: Distribution

    @Sendable func recordDispatch(_ request: Otc_Billing_V1_RecordDispatchRequest, _ context: CallContext) async throws
        -> Otc_Billing_V1_Dispatch
    {
        guard ["sent", "failed"].contains(request.status) else {
            throw OTCError.invalidArgument("status '\(request.status)' is not sent or failed")
        }
        return try await store.idempotentTransaction(context) { tx in
            let document = try await find(number: request.number, in: tx)
            guard let dispatch = try await documents.recordDispatch(
                documentID: document.id, status: request.status, detail: request.detail, in: tx)
            else { throw OTCError.failedPrecondition("document \(document.number) has no dispatch to report on") }
            let subject = document.id.uuidString.lowercased()
            if request.status == "failed" {
                try await tx.closeTasks(subjectType: document.kind.rawValue, subjectID: subject, kind: Self.distributionTask,
                                        status: "cancelled", resolution: "dispatch failed: \(request.detail)")
                try await tx.openTask(kind: Self.distributionTask, subjectType: document.kind.rawValue, subjectID: subject,
                                      title: "\(document.number) could not be sent by \(dispatch.channel): \(request.detail)",
                                      rules: try await tx.currentRules(), details: ["number": document.number, "channel": dispatch.channel])
            } else {
                try await tx.closeTasks(subjectType: document.kind.rawValue, subjectID: subject, kind: Self.distributionTask,
                                        resolution: "sent by \(dispatch.channel)")
            }
            try await tx.audit(action: "document.dispatch", entityType: document.kind.rawValue, entityID: subject, details: [
                "number": document.number, "channel": dispatch.channel, "status": request.status, "attempt": "\(dispatch.attempt)",
                "detail": request.detail,
            ])
            return Self.message(dispatch, number: document.number)
        }
    }

    @Sendable func resendDocument(_ request: Otc_Billing_V1_ResendDocumentRequest, _ context: CallContext) async throws
        -> Otc_Billing_V1_Dispatch
    {
        try await store.idempotentTransaction(context) { tx in
            let document = try await find(number: request.number, in: tx)
            var channel = request.channel.lowercased()
            if channel.isEmpty {
                channel = try await CustomerStore().find(document.buyer.number, in: tx)?.invoiceChannel ?? "email"
            }
            guard CustomerDraft.channels.contains(channel) else {
                throw OTCError.invalidArgument("channel '\(request.channel)' is not one of \(CustomerDraft.channels.joined(separator: ", "))")
            }
            let dispatch = try await documents.queueDispatch(documentID: document.id, channel: channel, in: tx)
            try await tx.audit(action: "document.resend", entityType: document.kind.rawValue, entityID: document.id.uuidString.lowercased(),
                               details: ["number": document.number, "channel": channel, "attempt": "\(dispatch.attempt)", "reason": request.reason])
            return Self.message(dispatch, number: document.number)
        }
    }

    @Sendable func listUndistributed(_ request: Otc_Billing_V1_ListUndistributedRequest, _ context: CallContext) async throws
        -> Otc_Billing_V1_ListDocumentsResponse
    {
        let paging = try Paging(pageSize: request.page.pageSize, pageToken: request.page.pageToken, kind: "undistributed")
        return try await store.transaction(context) { tx in
            let page = try await documents.undistributed(afterSeq: paging.after.flatMap { Int64($0) }, limit: paging.limit, in: tx)
            var response = Otc_Billing_V1_ListDocumentsResponse()
            response.documents = try await messages(page.map(\.document), in: tx)
            response.nextPageToken = paging.nextToken(lastKey: page.last.map { String($0.seq) }, returned: page.count, kind: "undistributed")
            return response
        }
    }
}
