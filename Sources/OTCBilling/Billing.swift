public import OTCCore
public import OTCStore
import OTCReceivables
public import Foundation

/// Billing's Swift API: issues invoices and memos inside the caller's tenant transaction and posts
/// each to the AR subledger, so an order's shipment, its invoice and the receivable commit or roll
/// back together. Every path that issues a document goes through `issue`.
/// A document just issued, with its first dispatch: enough to answer the caller without reading
/// anything back while the number series is still locked.
public struct IssuedDocument: Sendable {
    public var document: BillingDocument
    public var dispatch: Dispatch
}

public struct Billing: Sendable {
    /// The work-queue task kind of a document not yet delivered to its customer.
    public static let distributionTask = "invoice_distribution"

    let store = BillingStore()
    let ledger = Ledger()
    let customers = CustomerStore()

    public init() {}

    /// An invoice to issue: from shipped order lines or directly from an ERP.
    public struct InvoiceRequest: Sendable {
        public var customerNumber: String
        public var currency: Currency
        public var issueDate: BusinessDate?
        /// nil = the customer's terms.
        public var paymentTerms: String?
        public var orderRef: String
        public var customerPO: String
        public var externalRef: String
        public var lines: [LineDraft]
        /// The request digest of a direct invoice, to tell a retry from a conflict.
        public var digest: [UInt8]?
        /// An id chosen by the caller, who links its own rows to the invoice before it is issued.
        public var documentID: UUID?

        public init(customerNumber: String, currency: Currency, issueDate: BusinessDate? = nil, paymentTerms: String? = nil,
                    orderRef: String = "", customerPO: String = "", externalRef: String = "", lines: [LineDraft],
                    digest: [UInt8]? = nil, documentID: UUID? = nil) {
            self.documentID = documentID
            self.customerNumber = customerNumber
            self.currency = currency
            self.issueDate = issueDate
            self.paymentTerms = paymentTerms
            self.orderRef = orderRef
            self.customerPO = customerPO
            self.externalRef = externalRef
            self.lines = lines
            self.digest = digest
        }
    }

    /// Issues an invoice: prices the lines, takes a number, posts Dr receivables / Cr revenue and tax.
    public func issueInvoice(_ request: InvoiceRequest, rules: VersionedRules, in tx: TenantTransaction) async throws -> IssuedDocument {
        guard !request.lines.isEmpty else { throw BillingError.invalid("an invoice needs at least one line") }
        guard let customer = try await customers.find(request.customerNumber, in: tx) else {
            throw OTCError.failedPrecondition("customer \(request.customerNumber) does not exist; create it before invoicing it",
                                              details: ["reason": "UNKNOWN_CUSTOMER"])
        }
        guard customer.currency == request.currency else {
            throw BillingError.currencyMismatch(document: "customer \(customer.number)'s account", expected: customer.currency,
                                                got: request.currency)
        }
        let terms = request.paymentTerms.flatMap { $0.isEmpty ? nil : $0.uppercased() } ?? customer.paymentTerms
        guard let parsedTerms = PaymentTerms(terms) else {
            throw BillingError.invalid("payment terms '\(terms)' are not of the form NET30 or 2/10NET30")
        }
        let (lines, subtotals) = try TaxCalculation.price(request.lines, taxCodes: rules.rules.taxCodes, rounding: rules.rules.billing.rounding)
        let issueDate = request.issueDate ?? tx.today
        var document = BillingDocument(
            id: request.documentID ?? UUID(), kind: .invoice, number: "", buyer: Self.buyer(customer), currency: request.currency, issueDate: issueDate,
            dueDate: nil, paymentTerms: terms, discountDate: nil, discountAmount: 0, lines: lines, taxSubtotals: subtotals,
            referenceID: nil, referenceNumber: "", orderRef: request.orderRef, customerPO: request.customerPO,
            externalRef: request.externalRef, reason: "", rulesVersion: rules.version, createdAt: Date(),
            createdBy: tx.context.principal.auditID)
        guard document.grossTotal > 0 else { throw BillingError.invalid("an invoice must total more than zero; use a credit memo to credit") }
        let schedule = try TermsSchedule(terms: parsedTerms, issueDate: issueDate, grossAmount: document.grossTotal)
        document.dueDate = schedule.dueDate
        document.discountDate = schedule.discountDate
        document.discountAmount = schedule.discountAmount
        return try await issue(document, digest: request.digest, cancels: false, channel: customer.invoiceChannel, rules: rules, in: tx)
    }

    /// How a memo takes its lines from the invoice.
    public enum MemoLine: Sendable, Equatable {
        /// A quantity of an invoice line at the invoice's price and tax code.
        case invoiceLine(lineNo: Int, quantity: Int64)
        /// A net amount with a tax code that appears on the invoice.
        case amount(description: String, net: Int64, taxCode: String)
    }

    /// Issues a credit memo (never more than the invoice has open) or a debit memo referencing an
    /// invoice. A credit memo is applied to the invoice at once. `full` credits everything left
    /// on every line; `cancels` marks the invoice cancelled (only with `full`, only when nothing
    /// but credit memos has settled it).
    public func issueMemo(kind: DocumentKind, invoiceNumber: String, lines specs: [MemoLine], full: Bool, cancels: Bool,
                          reason: String, issueDate: BusinessDate?, rules: VersionedRules,
                          in tx: TenantTransaction) async throws -> IssuedDocument {
        precondition(kind != .invoice)
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw BillingError.invalid("a memo needs a reason (it is printed on the document and audited)") }
        guard full || !specs.isEmpty else { throw BillingError.invalid("a memo needs lines, or full for a credit memo of everything open") }
        guard !(full && !specs.isEmpty) else { throw BillingError.invalid("give either full or lines, not both") }
        guard !full || kind == .creditMemo else { throw BillingError.invalid("full applies to credit memos only") }
        guard let invoice = try await store.find(number: invoiceNumber, in: tx) else {
            throw OTCError.notFound("invoice \(invoiceNumber) does not exist")
        }
        guard invoice.kind == .invoice else { throw BillingError.notAnInvoice(invoiceNumber) }
        // The invoice's open item is locked first: concurrent memos on one invoice queue here.
        guard let item = try await ledger.item(documentID: invoice.id, lock: true, in: tx) else {
            throw OTCError.internal(BillingFault("invoice \(invoiceNumber) has no open item"))
        }
        if try await !store.cancelled([invoice.id], in: tx).isEmpty {
            throw OTCError.failedPrecondition("invoice \(invoiceNumber) is cancelled", details: ["reason": "CANCELLED"])
        }
        let credited = kind == .creditMemo ? try await store.credited(invoiceID: invoice.id, in: tx) : [:]
        var drafts: [LineDraft] = []
        if full {
            for line in invoice.lines {
                let done = credited[line.lineNo] ?? (0, 0, 0)
                let rest = (quantity: line.quantity - done.quantity, net: line.netAmount - done.net, tax: line.taxAmount - done.tax)
                guard rest.net != 0 || rest.tax != 0 || rest.quantity != 0 else { continue }
                drafts.append(LineDraft(
                    sku: line.sku, description: line.description, quantity: max(rest.quantity, 0), unitOfMeasure: line.unitOfMeasure,
                    unitPrice: line.unitPrice, taxCode: line.taxCode, invoiceLineNo: line.lineNo, netOverride: rest.net, taxOverride: rest.tax))
            }
            guard !drafts.isEmpty else { throw BillingError.nothingToBill("invoice \(invoiceNumber) has been credited in full already") }
        } else {
            var seen = Set<Int>()
            for spec in specs {
                switch spec {
                case .invoiceLine(let lineNo, let quantity):
                    guard let line = invoice.lines.first(where: { $0.lineNo == lineNo }) else {
                        throw BillingError.invalid("invoice \(invoiceNumber) has no line \(lineNo)")
                    }
                    guard seen.insert(lineNo).inserted else { throw BillingError.invalid("line \(lineNo) appears twice in the memo") }
                    guard quantity > 0 else { throw BillingError.invalid("line \(lineNo): the quantity must be positive") }
                    var draft = LineDraft(sku: line.sku, description: line.description, quantity: quantity, unitOfMeasure: line.unitOfMeasure,
                                          unitPrice: line.unitPrice, taxCode: line.taxCode, invoiceLineNo: lineNo)
                    if kind == .creditMemo {
                        let done = credited[lineNo] ?? (0, 0, 0)
                        let restQuantity = line.quantity - done.quantity
                        guard quantity <= restQuantity else {
                            throw BillingError.exceedsLine(invoice: invoiceNumber, line: lineNo,
                                                           what: "\(quantity) cannot be credited; \(restQuantity) of \(line.quantity) are left")
                        }
                        if quantity == restQuantity {
                            // The last part takes exactly what is left, so rounding never leaves or overshoots a cent.
                            draft.netOverride = line.netAmount - done.net
                            draft.taxOverride = line.taxAmount - done.tax
                        }
                    }
                    drafts.append(draft)
                case .amount(let description, let net, let taxCode):
                    guard net > 0 else { throw BillingError.invalid("a memo line by amount needs a positive net amount") }
                    guard invoice.lines.contains(where: { $0.taxCode == taxCode }) else {
                        throw BillingError.invalid("tax code '\(taxCode)' does not appear on invoice \(invoiceNumber); a memo corrects the invoice's own tax codes")
                    }
                    drafts.append(LineDraft(sku: "", description: description.isEmpty ? reason : description, quantity: 1,
                                            unitOfMeasure: "EA", unitPrice: net, taxCode: taxCode, netOverride: net))
                }
            }
        }
        let (lines, subtotals) = try TaxCalculation.price(drafts, taxCodes: rules.rules.taxCodes.merging(
            Dictionary(invoice.lines.map { ($0.taxCode, $0.taxRateBasisPoints) }, uniquingKeysWith: { a, _ in a })) { _, invoiceRate in invoiceRate },
            rounding: rules.rules.billing.rounding)
        let issueDate = issueDate ?? tx.today
        guard issueDate >= invoice.issueDate else {
            throw BillingError.invalid("a memo cannot be dated \(issueDate), before invoice \(invoiceNumber) of \(invoice.issueDate)")
        }
        var memo = BillingDocument(
            id: UUID(), kind: kind, number: "", buyer: invoice.buyer, currency: invoice.currency, issueDate: issueDate, dueDate: nil,
            paymentTerms: invoice.paymentTerms, discountDate: nil, discountAmount: 0, lines: lines, taxSubtotals: subtotals,
            referenceID: invoice.id, referenceNumber: invoice.number, orderRef: invoice.orderRef, customerPO: invoice.customerPO,
            externalRef: "", reason: reason, rulesVersion: rules.version, createdAt: Date(), createdBy: tx.context.principal.auditID)
        guard memo.grossTotal > 0 else { throw BillingError.invalid("the memo totals zero; nothing to issue") }
        if kind == .creditMemo {
            if cancels {
                // Only credit memos may have settled it: payments must be reversed first.
                let creditedGross = try await store.creditMemoGross(invoiceID: invoice.id, in: tx)
                guard item.openAmount == invoice.grossTotal - creditedGross else {
                    throw OTCError.failedPrecondition(
                        "invoice \(invoiceNumber) is partly settled (\(invoice.money(item.openAmount)) open); reverse its payments before cancelling, or credit the open amount",
                        details: ["reason": "PARTLY_SETTLED"])
                }
                guard memo.grossTotal <= item.openAmount else {
                    throw OTCError.failedPrecondition(
                        "invoice \(invoiceNumber) was credited by amount before, so its lines no longer add up to what is open; credit the open \(invoice.money(item.openAmount)) by amount instead",
                        details: ["reason": "CREDITED_BY_AMOUNT"])
                }
            }
            guard memo.grossTotal <= item.openAmount else {
                throw BillingError.exceedsOpen(invoice: invoiceNumber, open: invoice.money(item.openAmount), requested: memo.money(memo.grossTotal))
            }
        } else {
            let schedule = try TermsSchedule(terms: PaymentTerms(invoice.paymentTerms) ?? PaymentTerms(netDays: 30, discountBasisPoints: 0, discountDays: 0),
                                             issueDate: issueDate, grossAmount: memo.grossTotal)
            memo.dueDate = schedule.dueDate
        }
        let customer = try await customers.find(invoice.buyer.number, in: tx)
        let issued = try await issue(memo, digest: nil, cancels: cancels, channel: customer?.invoiceChannel ?? "email", rules: rules, in: tx)
        if kind == .creditMemo, let memoItem = try await ledger.item(documentID: issued.document.id, in: tx) {
            try await ledger.apply(issued.document.grossTotal, to: item.id, from: .item(memoItem.id), on: issueDate,
                                   reason: "credit memo \(issued.document.number)", in: tx)
        }
        return issued
    }

    /// Queues its distribution, stores a priced document with its number, posts it, audits it.
    /// What needs no number comes before the number is drawn (the series row stays locked from
    /// then until COMMIT): after it only the posting, the audit record and the idempotency result.
    private func issue(_ document: BillingDocument, digest: [UInt8]?, cancels: Bool, channel: String, rules: VersionedRules,
                       in tx: TenantTransaction) async throws -> IssuedDocument {
        var document = document
        let dispatch = try await store.queueDispatch(documentID: document.id, channel: channel, firstAttempt: true, in: tx)
        if channel != "portal" {
            // Undistributed documents are work: the task closes when the gateway reports it sent.
            try await tx.openTask(
                kind: Self.distributionTask, subjectType: document.kind.rawValue, subjectID: document.id.uuidString.lowercased(),
                title: "\(document.kind.rawValue.replacingOccurrences(of: "_", with: " ")) for \(document.buyer.number) (\(document.money(document.grossTotal))) awaiting \(channel) dispatch",
                rules: rules, details: ["channel": channel, "customer": document.buyer.number])
        }
        let prefix = rules.rules.billing.numberPrefix(kind: document.kind.rawValue, year: document.issueDate.year)
        let (number, createdAt) = try await store.insert(document, numberPrefix: prefix, digits: rules.rules.billing.numberDigits,
                                                         digest: digest, cancelsReference: cancels, in: tx)
        document.number = number
        document.createdAt = createdAt
        let sign = document.kind.sign
        let itemKind: OpenItemKind = switch document.kind {
        case .invoice: .invoice
        case .creditMemo: .creditMemo
        case .debitMemo: .debitMemo
        }
        _ = try await ledger.post(
            OpenItemDraft(kind: itemKind, customerNumber: document.buyer.number, currency: document.currency,
                          amount: sign * document.grossTotal, documentID: document.id, documentNumber: number,
                          issueDate: document.issueDate, dueDate: document.dueDate, discountDate: document.discountDate,
                          discountAmount: document.discountAmount),
            counter: [PostingLine(.revenue, -sign * document.netTotal), PostingLine(.tax, -sign * document.taxTotal)],
            description: "\(document.kind.rawValue) \(number)", in: tx)
        var details = [
            "number": number, "customer": document.buyer.number, "gross": document.money(document.grossTotal).description,
            "net": document.money(document.netTotal).description, "tax": document.money(document.taxTotal).description,
            "issue_date": document.issueDate.description, "rules_version": "\(rules.version)", "rounding": rules.rules.billing.rounding.rawValue,
        ]
        if !document.referenceNumber.isEmpty { details["invoice"] = document.referenceNumber }
        if !document.reason.isEmpty { details["reason"] = document.reason }
        if cancels { details["cancels"] = document.referenceNumber }
        if !document.orderRef.isEmpty { details["order_ref"] = document.orderRef }
        try await tx.audit(action: "\(document.kind.rawValue).issue", entityType: document.kind.rawValue,
                           entityID: document.id.uuidString.lowercased(), details: details)
        return IssuedDocument(document: document, dispatch: dispatch)
    }

    static func buyer(_ customer: Customer) -> BuyerSnapshot {
        BuyerSnapshot(number: customer.number, name: customer.name, country: customer.country, taxID: customer.taxID, email: customer.email)
    }
}
