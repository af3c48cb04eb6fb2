import OTCCore
import OTCStore
import OTCReceivables
import OTCProto
import Foundation

/// Domain ↔ proto for billing documents and dispatches.
extension BillingService {
    func message(_ document: BillingDocument, in tx: TenantTransaction) async throws -> Otc_Billing_V1_Document {
        try await messages([document], in: tx)[0]
    }

    /// A document just issued: open in full (a credit memo is applied at once), no queries.
    static func message(_ issued: IssuedDocument, rules: VersionedRules, today: BusinessDate) -> Otc_Billing_V1_Document {
        let document = issued.document
        let isCredit = document.kind == .creditMemo
        return message(document, openAmount: isCredit ? 0 : document.grossTotal, status: isCredit ? "applied" : "open",
                       dispatch: issued.dispatch, rules: rules.rules.billing, today: today)
    }

    /// Documents with their open amounts, status and latest dispatch, in four queries for any page size.
    func messages(_ list: [BillingDocument], asOf: BusinessDate? = nil, in tx: TenantTransaction) async throws -> [Otc_Billing_V1_Document] {
        guard !list.isEmpty else { return [] }
        let ids = list.map(\.id)
        let open = try await ledger.openAmounts(documentIDs: ids, in: tx)
        let cancelled = try await documents.cancelled(ids, in: tx)
        let dispatches = try await documents.latestDispatches(ids, in: tx)
        let rules = try await tx.currentRules()
        let today = asOf ?? tx.today
        return list.map { document in
            let openAmount = open[document.id] ?? 0
            let status: String = switch document.kind {
            case .creditMemo: "applied"
            case _ where cancelled.contains(document.id): "cancelled"
            case _ where openAmount == 0: "settled"
            case _ where openAmount == document.grossTotal: "open"
            default: "partially_settled"
            }
            return Self.message(document, openAmount: openAmount, status: status, dispatch: dispatches[document.id],
                                rules: rules.rules.billing, today: today)
        }
    }

    static func message(_ d: BillingDocument, openAmount: Int64, status: String, dispatch: Dispatch?,
                        rules: TenantRules.Billing, today: BusinessDate) -> Otc_Billing_V1_Document {
        var m = Otc_Billing_V1_Document()
        m.id = d.id.uuidString.lowercased()
        m.kind = d.kind.rawValue
        m.number = d.number
        m.customerNumber = d.buyer.number
        m.customerName = d.buyer.name
        m.currency = d.currency.code
        m.issueDate = d.issueDate.message
        if let due = d.dueDate { m.dueDate = due.message }
        m.paymentTerms = d.paymentTerms
        if let discountDate = d.discountDate { m.discountDate = discountDate.message }
        m.discountAmount = d.discountAmount
        m.lines = d.lines.map { line in
            var l = Otc_Billing_V1_DocumentLine()
            l.lineNo = Int32(line.lineNo)
            l.sku = line.sku
            l.description_p = line.description
            l.quantity = line.quantity
            l.unitOfMeasure = line.unitOfMeasure
            l.unitPrice = line.unitPrice
            l.netAmount = line.netAmount
            l.taxCode = line.taxCode
            l.taxRateBp = Int32(line.taxRateBasisPoints)
            l.taxAmount = line.taxAmount
            l.orderRef = line.source?.orderRef ?? ""
            l.orderLineNo = Int32(line.source?.orderLineNo ?? 0)
            l.shipmentRef = line.source?.shipmentRef ?? ""
            l.invoiceLineNo = Int32(line.invoiceLineNo ?? 0)
            return l
        }
        m.taxSubtotals = d.taxSubtotals.map { s in
            var t = Otc_Billing_V1_TaxSubtotal()
            t.taxCode = s.taxCode
            t.rateBp = Int32(s.rateBasisPoints)
            t.taxableAmount = s.taxableAmount
            t.taxAmount = s.taxAmount
            t.category = rules.taxCategory(code: s.taxCode, rateBasisPoints: s.rateBasisPoints)
            return t
        }
        m.netTotal = d.netTotal
        m.taxTotal = d.taxTotal
        m.grossTotal = d.grossTotal
        m.openAmount = d.kind == .creditMemo ? -openAmount : openAmount
        m.status = status
        m.referenceNumber = d.referenceNumber
        m.orderRef = d.orderRef
        m.customerPo = d.customerPO
        m.externalRef = d.externalRef
        m.reason = d.reason
        m.rulesVersion = Int32(d.rulesVersion)
        m.createdAt = Timestamp.string(d.createdAt)
        m.createdBy = d.createdBy
        if let dispatch { m.lastDispatch = message(dispatch, number: d.number) }
        if let due = d.dueDate, d.kind != .creditMemo { m.overdue = openAmount != 0 && due < today }
        if let due = d.dueDate, let terms = PaymentTerms(d.paymentTerms), d.kind != .creditMemo {
            var schedule = (try? TermsSchedule(terms: terms, issueDate: d.issueDate, grossAmount: d.grossTotal))
            schedule?.dueDate = due
            schedule?.discountDate = d.discountDate
            schedule?.discountAmount = d.discountAmount
            if let schedule { m.termsNote = TermsSchedule.note(terms: d.paymentTerms, schedule: schedule, currency: d.currency) }
        }
        return m
    }

    static func message(_ dispatch: Dispatch, number: String) -> Otc_Billing_V1_Dispatch {
        var m = Otc_Billing_V1_Dispatch()
        m.id = dispatch.id.uuidString.lowercased()
        m.documentNumber = number
        m.channel = dispatch.channel
        m.status = dispatch.status
        m.attempt = Int32(dispatch.attempt)
        m.requestedAt = Timestamp.string(dispatch.requestedAt)
        m.dispatchedAt = Timestamp.string(dispatch.dispatchedAt)
        m.detail = dispatch.detail
        return m
    }
}
