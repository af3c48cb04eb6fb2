public import OTCCore
import OTCReceivables

/// Renders a billing document as UBL 2.1 XML following PEPPOL BIS Billing 3.0 (EN 16931):
/// invoices and debit memos as `Invoice` (type code 380 / 383), credit memos as `CreditNote` (381).
///
/// Pure: no I/O, no clock, no floating point. Amounts are the document's integer minor units
/// written with the currency's decimals; every element is written in the order the UBL 2.1 XSD
/// sequences demand, and no element is written empty (PEPPOL-EN16931-R008).
///
/// Choices where the document model leaves room:
/// - Buyer electronic address (BT-49, PEPPOL-EN16931-R010): the `buyerEndpoint` argument when
///   given, else the buyer's e-mail with EAS scheme `EM`. A customer number is no registered
///   identifier, so without either the export is refused rather than guessing a scheme.
/// - `customerPO` is the buyer's purchase order (BT-13, `OrderReference/ID`, `NA` when there is
///   none); `orderRef` is our sales order (BT-14, `OrderReference/SalesOrderID`). BuyerReference
///   (BT-10) is the PO, else the customer number.
/// - Unit codes: see `unitCode(_:)`.
/// - Credit notes carry no PaymentMeans (the buyer pays nothing; the credit settles the referenced
///   invoice) and no due date (UBL 2.1 `CreditNote` has no header DueDate); PaymentTerms/Note says
///   what the credit settles, which satisfies BR-CO-25.
/// - Tax subtotals are merged per (UNCL 5305 category, rate): two tax codes mapping to the same
///   category and rate make one `TaxSubtotal`, as BR-S-08/BR-Z-08/BR-E-08 require.
/// - A line whose net is not quantity × unit price (a memo by amount, the rest of a partly
///   credited line) is priced as `PriceAmount = net` per `BaseQuantity = quantity`, so
///   PEPPOL-EN16931-R120 (net = quantity × price / base quantity) still holds exactly.
///
/// Not checked here: EN 16931 allows at most 2 decimals in amounts (BR-DEC-*), so documents in
/// 3-decimal currencies (KWD, BHD, …) are valid UBL but fail EN 16931 validators; amounts are never
/// rounded to make them fit.
public struct UBLWriter: Sendable {
    /// A PEPPOL electronic address: identifier and its EAS scheme (e.g. `0088` GLN, `9930` DE VAT, `EM` e-mail).
    public struct Endpoint: Sendable, Equatable {
        public var id: String
        public var scheme: String
        public init(id: String, scheme: String) {
            self.id = id
            self.scheme = scheme
        }
    }

    public static let customizationID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
    public static let profileID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

    public let seller: TenantRules.Seller
    public let billing: TenantRules.Billing

    public init(seller: TenantRules.Seller, billing: TenantRules.Billing) {
        self.seller = seller
        self.billing = billing
    }

    /// The seller from the billing rules.
    public init(billing: TenantRules.Billing) {
        self.init(seller: billing.seller, billing: billing)
    }

    /// The buyer's electronic address when the snapshot has one: its e-mail with scheme `EM`.
    public static func defaultBuyerEndpoint(for buyer: BuyerSnapshot) -> Endpoint? {
        let email = buyer.email.trimmingSpaces
        return email.isEmpty ? nil : Endpoint(id: email, scheme: "EM")
    }

    /// UN/ECE Recommendation 20 unit code for a unit of measure: empty → `C62` (one), piece
    /// spellings (`PCE`, `PC`, `PCS`, `PIECE`) → `H87`, `KG` → `KGM`, `G` → `GRM`, `M` → `MTR`,
    /// `L` → `LTR`, `H`/`HR` → `HUR`; anything else (already a Rec 20 code such as `EA`, `C62`,
    /// `DAY`, `MON`) is passed through.
    public static func unitCode(_ unitOfMeasure: String) -> String {
        let trimmed = unitOfMeasure.trimmingSpaces
        switch trimmed.uppercased() {
        case "": return "C62"
        case "PCE", "PC", "PCS", "PIECE", "PIECES": return "H87"
        case "KG": return "KGM"
        case "G": return "GRM"
        case "M": return "MTR"
        case "L": return "LTR"
        case "H", "HR", "HRS", "HOUR": return "HUR"
        default: return trimmed
        }
    }

    /// A rate in basis points as a percentage with at most two decimals: 2000 → "20", 750 → "7.5", 5 → "0.05".
    public static func percent(basisPoints: Int) -> String {
        let magnitude = basisPoints.magnitude
        let whole = magnitude / 100
        let fraction = magnitude % 100
        let sign = basisPoints < 0 ? "-" : ""
        if fraction == 0 { return "\(sign)\(whole)" }
        if fraction % 10 == 0 { return "\(sign)\(whole).\(fraction / 10)" }
        return "\(sign)\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Minor units as a decimal with exactly `digits` decimals: (123450, 2) → "1234.50", (-5, 3) → "-0.005".
    public static func decimal(_ units: Int64, digits: Int) -> String { Money.decimal(units, digits: digits) }

    /// Escapes text for XML element content and attribute values. Characters XML 1.0 cannot carry
    /// at all (C0 controls other than tab, LF, CR) become U+FFFD; CR is kept as a reference.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\r": out += "&#13;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out.unicodeScalars.append("\u{FFFD}")
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// The document as UBL 2.1 XML. Throws `.invalid` when something PEPPOL requires is missing
    /// (seller name, country or endpoint; buyer name, country or electronic address) or the tax
    /// breakdown does not match the lines.
    /// `referenceIssueDate`: for memos, the issue date of the invoice they correct (BT-26).
    public func xml(for document: BillingDocument, buyerEndpoint: Endpoint? = nil,
                    referenceIssueDate: BusinessDate? = nil) throws(BillingError) -> String {
        let number = document.number.trimmingSpaces
        guard !number.isEmpty else { throw .invalid("the document has no number; only issued documents can be exported") }
        guard !document.lines.isEmpty else { throw .invalid("\(number) has no lines; a UBL document needs at least one") }
        let sellerName = seller.name.trimmingSpaces
        let sellerCountry = seller.country.trimmingSpaces.uppercased()
        let sellerEndpoint = Endpoint(id: seller.endpointID.trimmingSpaces, scheme: seller.endpointScheme.trimmingSpaces)
        guard !sellerName.isEmpty, !sellerCountry.isEmpty, !sellerEndpoint.id.isEmpty, !sellerEndpoint.scheme.isEmpty else {
            throw .invalid("the billing rules' seller needs name, country, endpoint_id and endpoint_scheme for an e-invoice")
        }
        let buyerName = document.buyer.name.trimmingSpaces
        let buyerCountry = document.buyer.country.trimmingSpaces.uppercased()
        guard !buyerName.isEmpty, !buyerCountry.isEmpty else {
            throw .invalid("customer \(document.buyer.number) needs a name and a country for an e-invoice")
        }
        guard let buyerAddress = buyerEndpoint ?? Self.defaultBuyerEndpoint(for: document.buyer),
              !buyerAddress.id.trimmingSpaces.isEmpty, !buyerAddress.scheme.trimmingSpaces.isEmpty else {
            throw .invalid("customer \(document.buyer.number) has no electronic address for PEPPOL; set the customer's e-mail or pass an endpoint")
        }
        let breakdown = try taxBreakdown(document)
        // BR-S-02 (and its siblings for the other taxed categories): the seller's VAT id is required.
        if seller.vatID.trimmingSpaces.isEmpty, let taxed = breakdown.first(where: { ["S", "AE", "K", "G", "E"].contains($0.category) }) {
            throw .invalid("the billing rules' seller needs vat_id: \(number) has \(taxed.category)-category lines (EN 16931 BR-\(taxed.category)-02)")
        }

        let isCredit = document.kind == .creditMemo
        let root = isCredit ? "CreditNote" : "Invoice"
        let digits = document.currency.minorUnitDigits
        let currency = document.currency.code
        var x = XMLWriter()
        func amount(_ name: String, _ units: Int64) {
            x.leaf(name, Self.decimal(units, digits: digits), attributes: [("currencyID", currency)])
        }

        x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        x.open(root, attributes: [
            ("xmlns", "urn:oasis:names:specification:ubl:schema:xsd:\(root)-2"),
            ("xmlns:cac", "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"),
            ("xmlns:cbc", "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"),
        ])
        x.leaf("cbc:CustomizationID", Self.customizationID)
        x.leaf("cbc:ProfileID", Self.profileID)
        x.leaf("cbc:ID", number)
        x.leaf("cbc:IssueDate", document.issueDate.description)
        if isCredit {
            x.leaf("cbc:CreditNoteTypeCode", "381")
        } else {
            if let due = document.dueDate { x.leaf("cbc:DueDate", due.description) }
            x.leaf("cbc:InvoiceTypeCode", document.kind == .debitMemo ? "383" : "380")
        }
        x.leaf("cbc:Note", document.reason)
        x.leaf("cbc:DocumentCurrencyCode", currency)
        let po = document.customerPO.trimmingSpaces
        x.leaf("cbc:BuyerReference", po.isEmpty ? document.buyer.number : po)
        let salesOrder = document.orderRef.trimmingSpaces
        if !po.isEmpty || !salesOrder.isEmpty {
            x.open("cac:OrderReference")
            x.leaf("cbc:ID", po.isEmpty ? "NA" : po)
            x.leaf("cbc:SalesOrderID", salesOrder)
            x.close("cac:OrderReference")
        }
        let reference = document.referenceNumber.trimmingSpaces
        if document.kind != .invoice, !reference.isEmpty {
            x.open("cac:BillingReference")
            x.open("cac:InvoiceDocumentReference")
            x.leaf("cbc:ID", reference)
            if let referenceIssueDate { x.leaf("cbc:IssueDate", referenceIssueDate.description) }
            x.close("cac:InvoiceDocumentReference")
            x.close("cac:BillingReference")
        }

        // BG-4 Seller
        x.open("cac:AccountingSupplierParty")
        x.open("cac:Party")
        x.leaf("cbc:EndpointID", sellerEndpoint.id, attributes: [("schemeID", sellerEndpoint.scheme)])
        x.open("cac:PostalAddress")
        x.leaf("cbc:StreetName", seller.street)
        x.leaf("cbc:CityName", seller.city)
        x.leaf("cbc:PostalZone", seller.postalCode)
        x.open("cac:Country")
        x.leaf("cbc:IdentificationCode", sellerCountry)
        x.close("cac:Country")
        x.close("cac:PostalAddress")
        if !seller.vatID.trimmingSpaces.isEmpty {
            x.open("cac:PartyTaxScheme")
            x.leaf("cbc:CompanyID", seller.vatID)
            x.open("cac:TaxScheme")
            x.leaf("cbc:ID", "VAT")
            x.close("cac:TaxScheme")
            x.close("cac:PartyTaxScheme")
        }
        x.open("cac:PartyLegalEntity")
        x.leaf("cbc:RegistrationName", sellerName)
        x.close("cac:PartyLegalEntity")
        x.close("cac:Party")
        x.close("cac:AccountingSupplierParty")

        // BG-7 Buyer
        x.open("cac:AccountingCustomerParty")
        x.open("cac:Party")
        x.leaf("cbc:EndpointID", buyerAddress.id, attributes: [("schemeID", buyerAddress.scheme)])
        if !document.buyer.number.trimmingSpaces.isEmpty {
            x.open("cac:PartyIdentification")
            x.leaf("cbc:ID", document.buyer.number)
            x.close("cac:PartyIdentification")
        }
        x.open("cac:PostalAddress")
        x.open("cac:Country")
        x.leaf("cbc:IdentificationCode", buyerCountry)
        x.close("cac:Country")
        x.close("cac:PostalAddress")
        if !document.buyer.taxID.trimmingSpaces.isEmpty {
            x.open("cac:PartyTaxScheme")
            x.leaf("cbc:CompanyID", document.buyer.taxID)
            x.open("cac:TaxScheme")
            x.leaf("cbc:ID", "VAT")
            x.close("cac:TaxScheme")
            x.close("cac:PartyTaxScheme")
        }
        x.open("cac:PartyLegalEntity")
        x.leaf("cbc:RegistrationName", buyerName)
        x.close("cac:PartyLegalEntity")
        if !document.buyer.email.trimmingSpaces.isEmpty {
            x.open("cac:Contact")
            x.leaf("cbc:ElectronicMail", document.buyer.email)
            x.close("cac:Contact")
        }
        x.close("cac:Party")
        x.close("cac:AccountingCustomerParty")

        // BG-16 Payment instructions (what the buyer pays into; not on credit notes)
        if !isCredit {
            let iban = seller.iban.filter { $0 != " " }
            x.open("cac:PaymentMeans")
            // 30 (credit transfer) needs the account (BR-61); without one: 1, instrument not defined.
            x.leaf("cbc:PaymentMeansCode", iban.isEmpty ? "1" : "30")
            x.leaf("cbc:PaymentID", number)
            if !iban.isEmpty {
                x.open("cac:PayeeFinancialAccount")
                x.leaf("cbc:ID", iban)
                let bic = seller.bic.trimmingSpaces
                if !bic.isEmpty {
                    x.open("cac:FinancialInstitutionBranch")
                    x.leaf("cbc:ID", bic)
                    x.close("cac:FinancialInstitutionBranch")
                }
                x.close("cac:PayeeFinancialAccount")
            }
            x.close("cac:PaymentMeans")
        }
        x.open("cac:PaymentTerms")
        x.leaf("cbc:Note", try termsNote(document))
        x.close("cac:PaymentTerms")

        // BG-23 VAT breakdown
        x.open("cac:TaxTotal")
        amount("cbc:TaxAmount", document.taxTotal)
        for group in breakdown {
            x.open("cac:TaxSubtotal")
            amount("cbc:TaxableAmount", group.taxable)
            amount("cbc:TaxAmount", group.tax)
            x.open("cac:TaxCategory")
            x.leaf("cbc:ID", group.category)
            if group.category != "O" { x.leaf("cbc:Percent", Self.percent(basisPoints: group.rate)) }
            if let exemption = exemption(group.category) {
                x.leaf("cbc:TaxExemptionReasonCode", exemption.code)
                x.leaf("cbc:TaxExemptionReason", exemption.reason)
            }
            x.open("cac:TaxScheme")
            x.leaf("cbc:ID", "VAT")
            x.close("cac:TaxScheme")
            x.close("cac:TaxCategory")
            x.close("cac:TaxSubtotal")
        }
        x.close("cac:TaxTotal")

        // BG-22 Document totals (no allowances, charges or prepayments)
        x.open("cac:LegalMonetaryTotal")
        amount("cbc:LineExtensionAmount", document.netTotal)
        amount("cbc:TaxExclusiveAmount", document.netTotal)
        amount("cbc:TaxInclusiveAmount", document.grossTotal)
        amount("cbc:PayableAmount", document.grossTotal)
        x.close("cac:LegalMonetaryTotal")

        // BG-25 Lines
        let lineElement = isCredit ? "cac:CreditNoteLine" : "cac:InvoiceLine"
        for line in document.lines {
            let pricing = Self.pricing(line)
            let unit = Self.unitCode(line.unitOfMeasure)
            x.open(lineElement)
            x.leaf("cbc:ID", String(line.lineNo))
            if document.kind != .invoice, let corrected = line.invoiceLineNo, corrected > 0 {
                x.leaf("cbc:Note", reference.isEmpty ? "Corrects invoice line \(corrected)" : "Corrects line \(corrected) of invoice \(reference)")
            }
            x.leaf(isCredit ? "cbc:CreditedQuantity" : "cbc:InvoicedQuantity", String(pricing.quantity),
                   attributes: [("unitCode", unit)])
            amount("cbc:LineExtensionAmount", line.netAmount)
            if let source = line.source {
                x.open("cac:OrderLineReference")
                x.leaf("cbc:LineID", String(source.orderLineNo))
                x.close("cac:OrderLineReference")
            }
            let category = billing.taxCategory(code: line.taxCode, rateBasisPoints: line.taxRateBasisPoints)
            x.open("cac:Item")
            let description = line.description.trimmingSpaces
            x.leaf("cbc:Description", description)
            let name = description.isEmpty ? line.sku.trimmingSpaces : description
            x.leaf("cbc:Name", name.isEmpty ? "Line \(line.lineNo)" : name)
            if !line.sku.trimmingSpaces.isEmpty {
                x.open("cac:SellersItemIdentification")
                x.leaf("cbc:ID", line.sku)
                x.close("cac:SellersItemIdentification")
            }
            x.open("cac:ClassifiedTaxCategory")
            x.leaf("cbc:ID", category)
            if category != "O" { x.leaf("cbc:Percent", Self.percent(basisPoints: line.taxRateBasisPoints)) }
            x.open("cac:TaxScheme")
            x.leaf("cbc:ID", "VAT")
            x.close("cac:TaxScheme")
            x.close("cac:ClassifiedTaxCategory")
            x.close("cac:Item")
            x.open("cac:Price")
            amount("cbc:PriceAmount", pricing.price)
            if pricing.baseQuantity != 1 {
                x.leaf("cbc:BaseQuantity", String(pricing.baseQuantity), attributes: [("unitCode", unit)])
            }
            x.close("cac:Price")
            x.close(lineElement)
        }
        x.close(root)
        return x.text
    }

    // MARK: - Parts

    struct TaxGroup: Equatable {
        var category: String
        var rate: Int
        var taxable: Int64
        var tax: Int64
    }

    /// The document's subtotals merged per (category, rate), checked against the lines.
    func taxBreakdown(_ document: BillingDocument) throws(BillingError) -> [TaxGroup] {
        var groups: [TaxGroup] = []
        func add(_ category: String, _ rate: Int, _ taxable: Int64, _ tax: Int64, into list: inout [TaxGroup]) {
            if let i = list.firstIndex(where: { $0.category == category && $0.rate == rate }) {
                list[i].taxable += taxable
                list[i].tax += tax
            } else {
                list.append(TaxGroup(category: category, rate: rate, taxable: taxable, tax: tax))
            }
        }
        for subtotal in document.taxSubtotals {
            let category = billing.taxCategory(code: subtotal.taxCode, rateBasisPoints: subtotal.rateBasisPoints)
            add(category, subtotal.rateBasisPoints, subtotal.taxableAmount, subtotal.taxAmount, into: &groups)
        }
        var fromLines: [TaxGroup] = []
        for line in document.lines {
            let category = billing.taxCategory(code: line.taxCode, rateBasisPoints: line.taxRateBasisPoints)
            add(category, line.taxRateBasisPoints, line.netAmount, line.taxAmount, into: &fromLines)
        }
        let sorted: ([TaxGroup]) -> [TaxGroup] = { $0.sorted { ($0.category, $0.rate) < ($1.category, $1.rate) } }
        guard sorted(groups) == sorted(fromLines) else {
            throw .invalid("\(document.number): the tax breakdown does not match the lines")
        }
        return sorted(groups)
    }

    /// UNCL 5305 categories that need an exemption reason (BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10).
    /// E takes the client's reason text only (which VATEX article applies is the client's to say).
    func exemption(_ category: String) -> (code: String, reason: String)? {
        switch category {
        case "E": ("", billing.exemptionReason.trimmingSpaces.isEmpty ? "Exempt from VAT" : billing.exemptionReason)
        case "AE": ("VATEX-EU-AE", "Reverse charge")
        case "K": ("VATEX-EU-IC", "Intra-community supply")
        case "G": ("VATEX-EU-G", "Export outside the EU")
        case "O": ("VATEX-EU-O", "Not subject to VAT")
        default: nil
        }
    }

    /// BT-20: the discount terms as printed when there is a discount, else "Net due <date>".
    func termsNote(_ document: BillingDocument) throws(BillingError) -> String {
        let reference = document.referenceNumber.trimmingSpaces
        if document.kind == .creditMemo {
            return reference.isEmpty ? "Credit to the customer's account; nothing to pay" : "Credits invoice \(reference); nothing to pay"
        }
        guard let due = document.dueDate else { return "Due on receipt" }
        if let discountDate = document.discountDate, document.discountAmount != 0,
           let terms = PaymentTerms(document.paymentTerms) {
            // TermsSchedule has no memberwise initializer: build one, then put the stored values in.
            var schedule = try TermsSchedule(terms: terms, issueDate: document.issueDate, grossAmount: 0)
            schedule.dueDate = due
            schedule.discountDate = discountDate
            schedule.discountAmount = document.discountAmount
            return TermsSchedule.note(terms: document.paymentTerms, schedule: schedule, currency: document.currency)
        }
        return "Net due \(due)"
    }

    /// Quantity, price and base quantity with quantity × price / base = net exactly and price ≥ 0 (BR-27).
    static func pricing(_ line: DocumentLine) -> (quantity: Int64, price: Int64, baseQuantity: Int64) {
        let (product, overflow) = line.unitPrice.multipliedReportingOverflow(by: line.quantity)
        if !overflow, product == line.netAmount, line.quantity != 0 || line.netAmount == 0 {
            return line.unitPrice < 0 ? (-line.quantity, -line.unitPrice, 1) : (line.quantity, line.unitPrice, 1)
        }
        // Net is not quantity × unit price: the whole net per the whole quantity.
        let base: Int64 = line.quantity == 0 ? 1 : Int64(line.quantity.magnitude)
        let price = Int64(line.netAmount.magnitude)
        return (line.netAmount < 0 ? -base : base, price, base)
    }
}

/// Indented XML text, escaped, with empty optional leaves left out.
struct XMLWriter {
    private(set) var text = ""
    private var depth = 0

    mutating func raw(_ line: String) {
        text += line
        text += "\n"
    }

    mutating func open(_ name: String, attributes: [(String, String)] = []) {
        text += String(repeating: "  ", count: depth) + "<" + name + Self.attributes(attributes) + ">\n"
        depth += 1
    }

    mutating func close(_ name: String) {
        depth -= 1
        text += String(repeating: "  ", count: depth) + "</" + name + ">\n"
    }

    /// Writes `<name>value</name>` unless the value is empty or only spaces.
    mutating func leaf(_ name: String, _ value: String, attributes: [(String, String)] = []) {
        let value = value.trimmingSpaces
        guard !value.isEmpty else { return }
        text += String(repeating: "  ", count: depth) + "<" + name + Self.attributes(attributes) + ">"
            + UBLWriter.escape(value) + "</" + name + ">\n"
    }

    private static func attributes(_ list: [(String, String)]) -> String {
        list.map { " \($0.0)=\"\(UBLWriter.escape($0.1))\"" }.joined()
    }
}

extension String {
    /// Without leading and trailing whitespace and newlines (no Foundation needed).
    fileprivate var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
