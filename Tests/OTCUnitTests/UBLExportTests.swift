import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import OTCBilling
import OTCCore
import OTCReceivables
import Testing

/// UBL export: every document is validated against the vendored UBL 2.1 XSD with xmllint, then
/// parsed and checked against the EN 16931 totals and VAT breakdown rules with exact integers.
@Suite("UBL export")
struct UBLExportTests {
    static let seller = TenantRules.Seller(
        name: "Acme Trading GmbH", vatID: "DE123456789", street: "Hauptstraße 1", city: "Berlin", postalCode: "10115",
        country: "DE", iban: "DE89 3704 0044 0532 0130 00", bic: "COBADEFFXXX", endpointID: "4000001123452", endpointScheme: "0088")
    static let taxCodes = ["STD": 2000, "RED": 700, "ZERO": 0, "EXEMPT": 0]
    static let buyer = BuyerSnapshot(number: "C-1001", name: "Globex SARL", country: "FR", taxID: "FR40303265045",
                                     email: "ap@globex.example")

    static func billing(_ rounding: TenantRules.Billing.Rounding = .line, seller: TenantRules.Seller = seller) -> TenantRules.Billing {
        TenantRules.Billing(rounding: rounding, taxCategories: ["EXEMPT": "E"], exemptionReason: "Exempt under Art. 135(1)(g) VAT Directive",
                            seller: seller)
    }

    /// Issues a document the way billing does: priced by `TaxCalculation`, dated by `TermsSchedule`.
    static func document(
        kind: DocumentKind = .invoice, currency: String = "EUR", drafts: [LineDraft], rounding: TenantRules.Billing.Rounding = .line,
        taxCodes: [String: Int] = taxCodes, terms: String = "NET30", buyer: BuyerSnapshot = buyer, number: String = "INV-2026-000001",
        reference: String = "", orderRef: String = "SO-77", customerPO: String = "PO-4711", reason: String = ""
    ) throws -> BillingDocument {
        let (lines, subtotals) = try TaxCalculation.price(drafts, taxCodes: taxCodes, rounding: rounding)
        let issue = BusinessDate(year: 2026, month: 11, day: 30)!
        let gross = lines.reduce(Int64(0)) { $0 + $1.grossAmount }
        let schedule = try TermsSchedule(terms: try #require(PaymentTerms(terms)), issueDate: issue, grossAmount: gross)
        return BillingDocument(
            id: UUID(), kind: kind, number: number, buyer: buyer, currency: try #require(Currency(currency)), issueDate: issue,
            dueDate: kind == .creditMemo ? nil : schedule.dueDate, paymentTerms: terms,
            discountDate: kind == .creditMemo ? nil : schedule.discountDate, discountAmount: kind == .creditMemo ? 0 : schedule.discountAmount,
            lines: lines, taxSubtotals: subtotals, referenceID: reference.isEmpty ? nil : UUID(), referenceNumber: reference,
            orderRef: orderRef, customerPO: customerPO, externalRef: "", reason: reason, rulesVersion: 1, createdAt: Date(),
            createdBy: "test")
    }

    /// 37 lines with awkward prices, quantities and mixed rates (20 %, 7 %, 0 %, exempt).
    static func awkwardDrafts() -> [LineDraft] {
        let prices: [Int64] = [333, 1, 19_999, 5, 12_345, 7, 1_001]
        let quantities: [Int64] = [3, 7, 13]
        let codes = ["STD", "RED", "ZERO", "EXEMPT", "STD", "RED"]
        let units = ["EA", "PCE", "", "KG", "HUR"]
        return (0..<37).map { i in
            LineDraft(sku: "SKU-\(i)", description: i == 5 ? "Bolts & nuts <M8> \"zinc\"" : "Item \(i)", quantity: quantities[i % 3],
                      unitOfMeasure: units[i % units.count], unitPrice: prices[i % prices.count], taxCode: codes[i % codes.count],
                      source: i % 2 == 0 ? LineSource(orderRef: "SO-77", orderLineNo: i + 1, shipmentID: UUID(), shipmentRef: "SH-1") : nil)
        }
    }

    // MARK: - Tests

    @Test(arguments: ["EUR", "KWD", "JPY"], [TenantRules.Billing.Rounding.line, .document])
    func awkwardInvoicesAreSchemaValidAndAddUp(currency: String, rounding: TenantRules.Billing.Rounding) throws {
        let doc = try Self.document(currency: currency, drafts: Self.awkwardDrafts(), rounding: rounding)
        let xml = try UBLWriter(seller: Self.seller, billing: Self.billing(rounding)).xml(for: doc)
        let root = try UBLCheck.validate(xml, root: "Invoice")
        try UBLCheck.checkEN16931(root, document: doc, roundedPerDocument: rounding == .document)
        #expect(try UBLCheck.strings(root, "InvoiceLine").count == 37)
        #expect(try UBLCheck.strings(root, "TaxTotal/TaxSubtotal/TaxCategory/ID").sorted() == ["E", "S", "S", "Z"])
        #expect(try UBLCheck.strings(root, "TaxTotal/TaxSubtotal/TaxCategory/Percent").sorted() == ["0", "0", "20", "7"])
        #expect(try UBLCheck.strings(root, "DueDate") == ["2026-12-30"])
    }

    @Test func headerPartiesAndPaymentFollowPEPPOL() throws {
        let drafts = [
            LineDraft(sku: "A-1", description: "Widget", quantity: 3, unitOfMeasure: "EA", unitPrice: 333, taxCode: "STD",
                      source: LineSource(orderRef: "SO-77", orderLineNo: 4, shipmentID: UUID(), shipmentRef: "SH-1")),
            LineDraft(sku: "B-2", description: "", quantity: 2, unitOfMeasure: "", unitPrice: 1_000, taxCode: "HALF"),
        ]
        let doc = try Self.document(drafts: drafts, taxCodes: ["STD": 2000, "HALF": 750], terms: "2/10NET30")
        let xml = try UBLWriter(billing: Self.billing()).xml(for: doc)
        let root = try UBLCheck.validate(xml, root: "Invoice")
        try UBLCheck.checkEN16931(root, document: doc, roundedPerDocument: false)
        func one(_ path: String) throws -> String? { try UBLCheck.strings(root, path).first }
        #expect(try one("CustomizationID") == "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0")
        #expect(try one("ProfileID") == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0")
        #expect(try one("ID") == "INV-2026-000001")
        #expect(try one("IssueDate") == "2026-11-30")
        #expect(try one("DueDate") == "2026-12-30")
        #expect(try one("InvoiceTypeCode") == "380")
        #expect(try one("DocumentCurrencyCode") == "EUR")
        #expect(try UBLCheck.strings(root, "Note").isEmpty)
        #expect(try one("BuyerReference") == "PO-4711")
        #expect(try one("OrderReference/ID") == "PO-4711")
        #expect(try one("OrderReference/SalesOrderID") == "SO-77")
        #expect(try UBLCheck.strings(root, "BillingReference").isEmpty)
        // Seller
        #expect(try one("AccountingSupplierParty/Party/EndpointID") == "4000001123452")
        #expect(try one("AccountingSupplierParty/Party/EndpointID/@schemeID") == "0088")
        #expect(try one("AccountingSupplierParty/Party/PostalAddress/StreetName") == "Hauptstraße 1")
        #expect(try one("AccountingSupplierParty/Party/PostalAddress/CityName") == "Berlin")
        #expect(try one("AccountingSupplierParty/Party/PostalAddress/PostalZone") == "10115")
        #expect(try one("AccountingSupplierParty/Party/PostalAddress/Country/IdentificationCode") == "DE")
        #expect(try one("AccountingSupplierParty/Party/PartyTaxScheme/CompanyID") == "DE123456789")
        #expect(try one("AccountingSupplierParty/Party/PartyTaxScheme/TaxScheme/ID") == "VAT")
        #expect(try one("AccountingSupplierParty/Party/PartyLegalEntity/RegistrationName") == "Acme Trading GmbH")
        // Buyer
        #expect(try one("AccountingCustomerParty/Party/EndpointID") == "ap@globex.example")
        #expect(try one("AccountingCustomerParty/Party/EndpointID/@schemeID") == "EM")
        #expect(try one("AccountingCustomerParty/Party/PartyIdentification/ID") == "C-1001")
        #expect(try one("AccountingCustomerParty/Party/PostalAddress/Country/IdentificationCode") == "FR")
        #expect(try one("AccountingCustomerParty/Party/PartyTaxScheme/CompanyID") == "FR40303265045")
        #expect(try one("AccountingCustomerParty/Party/PartyLegalEntity/RegistrationName") == "Globex SARL")
        // Payment
        #expect(try one("PaymentMeans/PaymentMeansCode") == "30")
        #expect(try one("PaymentMeans/PaymentID") == "INV-2026-000001")
        #expect(try one("PaymentMeans/PayeeFinancialAccount/ID") == "DE89370400440532013000")
        #expect(try one("PaymentMeans/PayeeFinancialAccount/FinancialInstitutionBranch/ID") == "COBADEFFXXX")
        let schedule = try TermsSchedule(terms: PaymentTerms("2/10NET30")!, issueDate: doc.issueDate, grossAmount: doc.grossTotal)
        #expect(try one("PaymentTerms/Note") == TermsSchedule.note(terms: "2/10NET30", schedule: schedule, currency: doc.currency))
        #expect(try one("PaymentTerms/Note")?.contains("if paid by 2026-12-10") == true)
        // Tax: 999 × 20 % = 199.8 → 200; 2000 × 7.5 % = 150
        #expect(try UBLCheck.strings(root, "TaxTotal/TaxSubtotal/TaxCategory/Percent") == ["7.5", "20"])
        #expect(try UBLCheck.strings(root, "TaxTotal/TaxSubtotal/TaxAmount") == ["1.50", "2.00"])
        #expect(try one("TaxTotal/TaxAmount") == "3.50")
        #expect(try one("TaxTotal/TaxAmount/@currencyID") == "EUR")
        #expect(try one("LegalMonetaryTotal/PayableAmount") == "33.49")
        // Lines
        #expect(try UBLCheck.strings(root, "InvoiceLine/ID") == ["1", "2"])
        #expect(try UBLCheck.strings(root, "InvoiceLine/InvoicedQuantity") == ["3", "2"])
        #expect(try UBLCheck.strings(root, "InvoiceLine/InvoicedQuantity/@unitCode") == ["EA", "C62"])
        #expect(try UBLCheck.strings(root, "InvoiceLine/OrderLineReference/LineID") == ["4"])
        #expect(try UBLCheck.strings(root, "InvoiceLine/Item/Description") == ["Widget"])
        #expect(try UBLCheck.strings(root, "InvoiceLine/Item/Name") == ["Widget", "B-2"])
        #expect(try UBLCheck.strings(root, "InvoiceLine/Item/SellersItemIdentification/ID") == ["A-1", "B-2"])
        #expect(try UBLCheck.strings(root, "InvoiceLine/Item/ClassifiedTaxCategory/ID") == ["S", "S"])
        #expect(try UBLCheck.strings(root, "InvoiceLine/Item/ClassifiedTaxCategory/Percent") == ["20", "7.5"])
        #expect(try UBLCheck.strings(root, "InvoiceLine/Price/PriceAmount") == ["3.33", "10.00"])
        #expect(try UBLCheck.strings(root, "InvoiceLine/Price/BaseQuantity").isEmpty)
    }

    @Test func namesAndTextsAreEscaped() throws {
        let buyer = BuyerSnapshot(number: "C-<1>", name: "Müller & Söhne <GmbH>", country: "de", taxID: "", email: "einkauf@mueller.example")
        let drafts = [LineDraft(sku: "X&Y", description: "Quote \" and apostrophe ' and ]]> end\u{07}bell", quantity: 1,
                                unitOfMeasure: "EA", unitPrice: 100, taxCode: "STD")]
        let doc = try Self.document(drafts: drafts, buyer: buyer, orderRef: "", customerPO: "")
        let xml = try UBLWriter(billing: Self.billing()).xml(for: doc)
        #expect(xml.contains("<cbc:RegistrationName>Müller &amp; Söhne &lt;GmbH&gt;</cbc:RegistrationName>"))
        #expect(xml.contains("Quote &quot; and apostrophe &apos; and ]]&gt; end\u{FFFD}bell"))
        #expect(!xml.contains("\u{07}"))
        let root = try UBLCheck.validate(xml, root: "Invoice")
        try UBLCheck.checkEN16931(root, document: doc, roundedPerDocument: false)
        #expect(try UBLCheck.strings(root, "AccountingCustomerParty/Party/PartyLegalEntity/RegistrationName") == ["Müller & Söhne <GmbH>"])
        #expect(try UBLCheck.strings(root, "AccountingCustomerParty/Party/PostalAddress/Country/IdentificationCode") == ["DE"])
        #expect(try UBLCheck.strings(root, "InvoiceLine/Item/SellersItemIdentification/ID") == ["X&Y"])
        // No PO: the customer number is the buyer reference and there is no order reference.
        #expect(try UBLCheck.strings(root, "BuyerReference") == ["C-<1>"])
        #expect(try UBLCheck.strings(root, "OrderReference").isEmpty)
        #expect(try UBLCheck.strings(root, "AccountingCustomerParty/Party/PartyTaxScheme").isEmpty)
    }

    @Test(arguments: [TenantRules.Billing.Rounding.line, .document])
    func creditNoteReferencesTheInvoice(rounding: TenantRules.Billing.Rounding) throws {
        var drafts = Array(Self.awkwardDrafts().prefix(9))
        for i in drafts.indices { drafts[i].invoiceLineNo = i + 1 }
        // By amount (no invoice line), and the rest of a partly credited line with a fixed tax.
        drafts.append(LineDraft(sku: "", description: "Goodwill credit", quantity: 1, unitOfMeasure: "", unitPrice: 0,
                                taxCode: "STD", netOverride: 1_234))
        drafts.append(LineDraft(sku: "SKU-2", description: "Rest of line 3", quantity: 7, unitOfMeasure: "EA", unitPrice: 19_999,
                                taxCode: "ZERO", invoiceLineNo: 3, netOverride: 139_990, taxOverride: 0))
        drafts.append(LineDraft(sku: "ADJ", description: "Price adjustment", quantity: 0, unitOfMeasure: "", unitPrice: 0,
                                taxCode: "RED", netOverride: 999))
        let doc = try Self.document(kind: .creditMemo, drafts: drafts, rounding: rounding, number: "CN-2026-000001",
                                    reference: "INV-2026-000001", reason: "Damaged in transit & returned")
        let xml = try UBLWriter(billing: Self.billing(rounding)).xml(for: doc, referenceIssueDate: BusinessDate("2026-11-02"))
        let root = try UBLCheck.validate(xml, root: "CreditNote")
        try UBLCheck.checkEN16931(root, document: doc, roundedPerDocument: rounding == .document)
        #expect(try UBLCheck.strings(root, "CreditNoteTypeCode") == ["381"])
        #expect(try UBLCheck.strings(root, "BillingReference/InvoiceDocumentReference/IssueDate") == ["2026-11-02"])
        #expect(try UBLCheck.strings(root, "Note") == ["Damaged in transit & returned"])
        #expect(try UBLCheck.strings(root, "BillingReference/InvoiceDocumentReference/ID") == ["INV-2026-000001"])
        #expect(try UBLCheck.strings(root, "DueDate").isEmpty)
        #expect(try UBLCheck.strings(root, "PaymentMeans").isEmpty)
        #expect(try UBLCheck.strings(root, "PaymentTerms/Note") == ["Credits invoice INV-2026-000001; nothing to pay"])
        #expect(try UBLCheck.strings(root, "CreditNoteLine").count == 12)
        #expect(try UBLCheck.strings(root, "InvoiceLine").isEmpty)
        #expect(try UBLCheck.strings(root, "CreditNoteLine/CreditedQuantity").count == 12)
        #expect(try UBLCheck.strings(root, "CreditNoteLine/Note").first == "Corrects line 1 of invoice INV-2026-000001")
        // Amounts are positive: the document type gives the direction.
        for amount in try UBLCheck.strings(root, "LegalMonetaryTotal/*") + UBLCheck.strings(root, "CreditNoteLine/LineExtensionAmount") {
            #expect(!amount.hasPrefix("-"), "\(amount)")
        }
        #expect(try UBLCheck.strings(root, "LegalMonetaryTotal/PayableAmount").first.flatMap { UBLCheck.minorUnits($0, digits: 2) } == doc.grossTotal)
        // Lines whose net is not quantity × price carry the net per the whole quantity.
        let adjustment = try #require(try root.nodes(forXPath: UBLCheck.path("CreditNoteLine[12]")).first)
        #expect(try UBLCheck.strings(adjustment, "CreditedQuantity") == ["1"])
        #expect(try UBLCheck.strings(adjustment, "Price/PriceAmount") == ["9.99"])
    }

    @Test func debitMemoIsAnInvoiceWithTypeCode383() throws {
        let drafts = [LineDraft(sku: "FREIGHT", description: "Freight surcharge", quantity: 1, unitOfMeasure: "", unitPrice: 2_500,
                                taxCode: "STD", invoiceLineNo: nil)]
        let doc = try Self.document(kind: .debitMemo, currency: "JPY", drafts: drafts, number: "DN-2026-000001",
                                    reference: "INV-2026-000001", reason: "Freight not invoiced")
        let xml = try UBLWriter(billing: Self.billing()).xml(for: doc)
        let root = try UBLCheck.validate(xml, root: "Invoice")
        try UBLCheck.checkEN16931(root, document: doc, roundedPerDocument: false)
        #expect(try UBLCheck.strings(root, "InvoiceTypeCode") == ["383"])
        #expect(try UBLCheck.strings(root, "BillingReference/InvoiceDocumentReference/ID") == ["INV-2026-000001"])
        #expect(try UBLCheck.strings(root, "Note") == ["Freight not invoiced"])
        #expect(try UBLCheck.strings(root, "DueDate") == ["2026-12-30"])
        #expect(try UBLCheck.strings(root, "LegalMonetaryTotal/PayableAmount") == ["3000"])
        #expect(try UBLCheck.strings(root, "InvoiceLine/Price/PriceAmount/@currencyID") == ["JPY"])
    }

    @Test func sellerWithoutAccountUsesInstrumentNotDefined() throws {
        var seller = Self.seller
        seller.iban = ""
        seller.bic = ""
        seller.street = ""
        let doc = try Self.document(drafts: [LineDraft(sku: "A", description: "A", quantity: 1, unitOfMeasure: "EA", unitPrice: 1, taxCode: "STD")])
        let xml = try UBLWriter(seller: seller, billing: Self.billing()).xml(for: doc)
        let root = try UBLCheck.validate(xml, root: "Invoice")
        #expect(try UBLCheck.strings(root, "PaymentMeans/PaymentMeansCode") == ["1"])
        #expect(try UBLCheck.strings(root, "PaymentMeans/PayeeFinancialAccount").isEmpty)
        #expect(try UBLCheck.strings(root, "AccountingSupplierParty/Party/PostalAddress/StreetName").isEmpty)
        #expect(!xml.contains("></cbc:"), "no empty elements (PEPPOL-EN16931-R008)")
    }

    @Test func codesMappingToTheSameCategoryAndRateShareOneSubtotal() throws {
        let codes = ["STD": 2000, "STD2": 2000, "EXEMPT": 0, "MED": 0]
        let drafts = [
            LineDraft(sku: "A", description: "A", quantity: 3, unitOfMeasure: "EA", unitPrice: 333, taxCode: "STD"),
            LineDraft(sku: "B", description: "B", quantity: 7, unitOfMeasure: "EA", unitPrice: 19_999, taxCode: "STD2"),
            LineDraft(sku: "C", description: "C", quantity: 1, unitOfMeasure: "EA", unitPrice: 500, taxCode: "EXEMPT"),
            LineDraft(sku: "D", description: "D", quantity: 1, unitOfMeasure: "EA", unitPrice: 700, taxCode: "MED"),
        ]
        let doc = try Self.document(drafts: drafts, taxCodes: codes)
        #expect(doc.taxSubtotals.count == 4)
        var billing = Self.billing()
        billing.taxCategories = ["EXEMPT": "E", "MED": "E"]
        let xml = try UBLWriter(billing: billing).xml(for: doc)
        let root = try UBLCheck.validate(xml, root: "Invoice")
        try UBLCheck.checkEN16931(root, document: doc, roundedPerDocument: false, billing: billing)
        #expect(try UBLCheck.strings(root, "TaxTotal/TaxSubtotal/TaxCategory/ID") == ["E", "S"])
        #expect(try UBLCheck.strings(root, "TaxTotal/TaxSubtotal/TaxCategory/TaxExemptionReason") == [billing.exemptionReason])
        #expect(try UBLCheck.strings(root, "TaxTotal/TaxSubtotal/TaxableAmount") == ["12.00", "1409.92"])
    }

    @Test func refusesDocumentsPEPPOLCannotCarry() throws {
        let drafts = [LineDraft(sku: "A", description: "A", quantity: 1, unitOfMeasure: "EA", unitPrice: 100, taxCode: "STD")]
        let noEmail = BuyerSnapshot(number: "C-2", name: "Initech", country: "DE", taxID: "DE999999999", email: "")
        let doc = try Self.document(drafts: drafts, buyer: noEmail)
        let writer = UBLWriter(billing: Self.billing())
        let error = #expect(throws: BillingError.self) { try writer.xml(for: doc) }
        guard case .invalid(let message)? = error else { Issue.record("expected .invalid, got \(String(describing: error))"); return }
        #expect(message.contains("C-2") && message.contains("electronic address"))
        // With an explicit PEPPOL address it exports.
        let xml = try writer.xml(for: doc, buyerEndpoint: UBLWriter.Endpoint(id: "DE999999999", scheme: "9930"))
        let root = try UBLCheck.validate(xml, root: "Invoice")
        #expect(try UBLCheck.strings(root, "AccountingCustomerParty/Party/EndpointID/@schemeID") == ["9930"])
        #expect(try UBLCheck.strings(root, "AccountingCustomerParty/Party/Contact").isEmpty)

        // BR-S-02: standard-rated lines need the seller's VAT id.
        var noVAT = Self.seller
        noVAT.vatID = ""
        let vatError = #expect(throws: BillingError.self) { try UBLWriter(seller: noVAT, billing: Self.billing()).xml(for: Self.document(drafts: drafts)) }
        guard case .invalid(let vatMessage)? = vatError else { Issue.record("expected .invalid"); return }
        #expect(vatMessage.contains("vat_id") && vatMessage.contains("BR-S-02"))

        var noEndpoint = Self.seller
        noEndpoint.endpointID = ""
        #expect(throws: BillingError.self) { try UBLWriter(seller: noEndpoint, billing: Self.billing()).xml(for: Self.document(drafts: drafts)) }
        var broken = try Self.document(drafts: drafts)
        broken.taxSubtotals[0].taxableAmount += 1
        #expect(throws: BillingError.invalid("INV-2026-000001: the tax breakdown does not match the lines")) { try writer.xml(for: broken) }
        var noLines = try Self.document(drafts: drafts)
        noLines.lines = []
        noLines.taxSubtotals = []
        #expect(throws: BillingError.self) { try writer.xml(for: noLines) }
    }

    @Test func schemaValidationCatchesElementsOutOfOrder() throws {
        let doc = try Self.document(drafts: [LineDraft(sku: "A", description: "A", quantity: 1, unitOfMeasure: "EA", unitPrice: 1, taxCode: "STD")])
        let xml = try UBLWriter(billing: Self.billing()).xml(for: doc)
        #expect(try UBLCheck.schemaErrors(xml, root: "Invoice") == nil)
        // DueDate before IssueDate breaks the XSD sequence; an Invoice is no CreditNote.
        let due = "  <cbc:DueDate>2026-12-30</cbc:DueDate>\n"
        let swapped = xml.replacingOccurrences(of: due, with: "").replacingOccurrences(of: "  <cbc:IssueDate>", with: due + "  <cbc:IssueDate>")
        #expect(swapped != xml)
        #expect(try UBLCheck.schemaErrors(swapped, root: "Invoice") != nil)
        #expect(try UBLCheck.schemaErrors(xml, root: "CreditNote") != nil)
    }

    @Test func formattingHelpers() {
        #expect(UBLWriter.percent(basisPoints: 2000) == "20")
        #expect(UBLWriter.percent(basisPoints: 750) == "7.5")
        #expect(UBLWriter.percent(basisPoints: 725) == "7.25")
        #expect(UBLWriter.percent(basisPoints: 5) == "0.05")
        #expect(UBLWriter.percent(basisPoints: 0) == "0")
        #expect(UBLWriter.decimal(123_450, digits: 2) == "1234.50")
        #expect(UBLWriter.decimal(-5, digits: 3) == "-0.005")
        #expect(UBLWriter.decimal(1_500, digits: 0) == "1500")
        #expect(UBLWriter.decimal(.min, digits: 2) == "-92233720368547758.08")
        #expect(UBLWriter.unitCode("") == "C62")
        #expect(UBLWriter.unitCode("EA") == "EA")
        #expect(UBLWriter.unitCode("pce") == "H87")
        #expect(UBLWriter.unitCode("KG") == "KGM")
        #expect(UBLWriter.unitCode("DAY") == "DAY")
        #expect(UBLWriter.escape("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&apos;f")
    }
}

/// Schema validation with xmllint and the EN 16931 arithmetic rules on the parsed document.
enum UBLCheck {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let xmllint = "/usr/bin/xmllint"

    /// Validates against the UBL 2.1 XSD for `root` (Invoice or CreditNote) and returns the parsed root element.
    static func validate(_ xml: String, root: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> XMLElement {
        let errors = try schemaErrors(xml, root: root, sourceLocation: sourceLocation)
        #expect(errors == nil, "xmllint: \(errors ?? "")\n\(xml)", sourceLocation: sourceLocation)
        guard errors == nil else { throw Failure(description: "schema validation failed") }
        let document = try XMLDocument(xmlString: xml, options: [])
        let element = try #require(document.rootElement(), sourceLocation: sourceLocation)
        #expect(element.localName == root, sourceLocation: sourceLocation)
        return element
    }

    /// xmllint's complaints about `xml` against the UBL 2.1 XSD for `root`; nil when it is valid.
    /// A missing xmllint fails the test: the exports must not go unvalidated.
    static func schemaErrors(_ xml: String, root: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String? {
        guard FileManager.default.isExecutableFile(atPath: xmllint) else {
            Issue.record("\(xmllint) is missing: install it with `apt-get install -y libxml2-utils`; UBL exports cannot be validated without it",
                         sourceLocation: sourceLocation)
            throw Failure(description: "xmllint missing")
        }
        let schema = repoRoot.appendingPathComponent("ops/schemas/ubl-2.1/maindoc/UBL-\(root)-2.1.xsd")
        guard FileManager.default.fileExists(atPath: schema.path) else {
            Issue.record("schema \(schema.path) is missing", sourceLocation: sourceLocation)
            throw Failure(description: "schema missing")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ubl-\(UUID().uuidString).xml")
        try Data(xml.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: xmllint)
        process.arguments = ["--noout", "--nonet", "--schema", schema.path, file.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : "exit \(process.terminationStatus): \(output)"
    }

    /// "A/B/@c" → `*[local-name()='A']/*[local-name()='B']/@c`, relative to a node; "X[2]" keeps its predicate.
    static func path(_ steps: String) -> String {
        steps.split(separator: "/").map { step -> String in
            if step.hasPrefix("@") || step == "*" { return String(step) }
            if let bracket = step.firstIndex(of: "[") {
                return "*[local-name()='\(step[..<bracket])']\(step[bracket...])"
            }
            return "*[local-name()='\(step)']"
        }.joined(separator: "/")
    }

    static func strings(_ node: XMLNode, _ steps: String) throws -> [String] {
        try node.nodes(forXPath: path(steps)).map { $0.stringValue ?? "" }
    }

    /// A decimal with exactly `digits` decimals as integer minor units; nil for anything else.
    static func minorUnits(_ text: String, digits: Int) -> Int64? {
        var body = Substring(text)
        let negative = body.hasPrefix("-")
        if negative { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCII), whole.allSatisfy(\.isNumber) else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard parts.count <= 2, fraction.count == digits, (digits == 0) == (parts.count == 1),
              fraction.allSatisfy({ $0.isASCII && $0.isNumber }), let w = Int64(whole) else { return nil }
        var units = w
        for _ in 0..<digits { units *= 10 }
        if digits > 0 { units += Int64(fraction)! }
        return negative ? -units : units
    }

    /// "7.5" → 750 basis points.
    static func basisPoints(_ text: String) -> Int? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard let whole = Int(parts[0]), parts.count <= 2 else { return nil }
        guard parts.count == 2 else { return whole * 100 }
        let fraction = parts[1]
        guard (1...2).contains(fraction.count), let f = Int(fraction) else { return nil }
        return whole * 100 + (fraction.count == 1 ? f * 10 : f)
    }

    static func amount(_ node: XMLNode, _ steps: String, digits: Int, currency: String,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> Int64? {
        let values = try strings(node, steps)
        #expect(values.count <= 1, "\(steps) appears \(values.count) times", sourceLocation: sourceLocation)
        guard let text = values.first else { return nil }
        #expect(try strings(node, steps + "/@currencyID") == [currency], "\(steps) currencyID", sourceLocation: sourceLocation)
        let units = minorUnits(text, digits: digits)
        #expect(units != nil, "\(steps) = '\(text)' is not a decimal with \(digits) decimals", sourceLocation: sourceLocation)
        return units
    }

    /// EN 16931 totals (BR-CO-10, -13, -14, -15, -16), the VAT breakdown per category and rate
    /// (BR-S-08, BR-Z-08, BR-E-08, one subtotal per category and rate, BR-S-09 within rounding),
    /// PEPPOL-EN16931-R120 per line, and agreement with the stored document.
    static func checkEN16931(_ root: XMLElement, document: BillingDocument, roundedPerDocument: Bool,
                             billing: TenantRules.Billing = UBLExportTests.billing(),
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let digits = document.currency.minorUnitDigits
        let currency = document.currency.code
        func money(_ node: XMLNode, _ steps: String) throws -> Int64 {
            guard let value = try amount(node, steps, digits: digits, currency: currency, sourceLocation: sourceLocation) else {
                Issue.record("\(steps) missing", sourceLocation: sourceLocation)
                throw Failure(description: "\(steps) missing")
            }
            return value
        }
        let isCredit = root.localName == "CreditNote"
        let lineName = isCredit ? "CreditNoteLine" : "InvoiceLine"
        let quantityName = isCredit ? "CreditedQuantity" : "InvoicedQuantity"

        struct Line { var net: Int64; var category: String; var rate: Int }
        var lines: [Line] = []
        for node in try root.nodes(forXPath: path(lineName)) {
            let net = try money(node, "LineExtensionAmount")
            let category = try #require(try strings(node, "Item/ClassifiedTaxCategory/ID").first, sourceLocation: sourceLocation)
            let rate = try strings(node, "Item/ClassifiedTaxCategory/Percent").first.flatMap(basisPoints) ?? 0
            // PEPPOL-EN16931-R120: net = quantity × price / base quantity, exactly.
            let quantity = try #require(try strings(node, quantityName).first.flatMap { Int64($0) }, sourceLocation: sourceLocation)
            let price = try money(node, "Price/PriceAmount")
            let base = try strings(node, "Price/BaseQuantity").first.flatMap { Int64($0) } ?? 1
            #expect(quantity * price == net * base, "R120: \(quantity) × \(price) / \(base) ≠ \(net)", sourceLocation: sourceLocation)
            #expect(price >= 0, "BR-27: price must not be negative", sourceLocation: sourceLocation)
            #expect(try strings(node, "Item/Name").first?.isEmpty == false, "BR-25: item name", sourceLocation: sourceLocation)
            lines.append(Line(net: net, category: category, rate: rate))
        }
        #expect(lines.count == document.lines.count, sourceLocation: sourceLocation)
        #expect(lines.map(\.net) == document.lines.map(\.netAmount), sourceLocation: sourceLocation)

        let lineTotal = try money(root, "LegalMonetaryTotal/LineExtensionAmount")
        let taxExclusive = try money(root, "LegalMonetaryTotal/TaxExclusiveAmount")
        let taxInclusive = try money(root, "LegalMonetaryTotal/TaxInclusiveAmount")
        let payable = try money(root, "LegalMonetaryTotal/PayableAmount")
        let prepaid = try amount(root, "LegalMonetaryTotal/PrepaidAmount", digits: digits, currency: currency) ?? 0
        let payableRounding = try amount(root, "LegalMonetaryTotal/PayableRoundingAmount", digits: digits, currency: currency) ?? 0
        #expect(try strings(root, "TaxTotal").count == 1, "one TaxTotal in document currency", sourceLocation: sourceLocation)
        let taxTotal = try money(root, "TaxTotal/TaxAmount")
        let sumLines = lines.reduce(Int64(0)) { $0 + $1.net }

        #expect(lineTotal == sumLines, "BR-CO-10", sourceLocation: sourceLocation)
        #expect(taxExclusive == lineTotal, "BR-CO-13 (no allowances or charges)", sourceLocation: sourceLocation)
        #expect(taxInclusive == taxExclusive + taxTotal, "BR-CO-15", sourceLocation: sourceLocation)
        #expect(payable == taxInclusive - prepaid + payableRounding, "BR-CO-16", sourceLocation: sourceLocation)

        var subtotalSum: Int64 = 0
        var seen = Set<String>()
        let subtotals = try root.nodes(forXPath: path("TaxTotal/TaxSubtotal"))
        #expect(!subtotals.isEmpty, "BR-CO-18: at least one VAT breakdown", sourceLocation: sourceLocation)
        for node in subtotals {
            let taxable = try money(node, "TaxableAmount")
            let tax = try money(node, "TaxAmount")
            subtotalSum += tax
            let category = try #require(try strings(node, "TaxCategory/ID").first, sourceLocation: sourceLocation)
            let rate = try strings(node, "TaxCategory/Percent").first.flatMap(basisPoints) ?? 0
            #expect(seen.insert("\(category)|\(rate)").inserted, "\(category) \(rate) appears twice", sourceLocation: sourceLocation)
            let matching = lines.filter { $0.category == category && $0.rate == rate }
            #expect(!matching.isEmpty, "subtotal \(category) \(rate) has no lines", sourceLocation: sourceLocation)
            // BR-S-08 / BR-Z-08 / BR-E-08: taxable amount = Σ net of the lines in this category and rate.
            #expect(taxable == matching.reduce(0) { $0 + $1.net }, "BR-\(category)-08", sourceLocation: sourceLocation)
            switch category {
            case "S":
                #expect(rate > 0, "BR-S-05", sourceLocation: sourceLocation)
                let exact = try TaxCalculation.tax(on: taxable, basisPoints: rate)
                if roundedPerDocument {
                    #expect(tax == exact, "BR-S-09 (document rounding is exact)", sourceLocation: sourceLocation)
                } else {
                    // Line rounding: at most half a minor unit per line from the rounded total, and less than one
                    // major unit from the exact product (the BR-S-09 tolerance).
                    #expect(abs(tax - exact) * 2 <= Int64(matching.count), "line rounding: \(tax) vs \(exact)",
                            sourceLocation: sourceLocation)
                    let withinTolerance = abs(tax * 10_000 - taxable * Int64(rate)) < 10_000 * pow10(digits)
                    if digits == 0 {
                        // Known limitation of line rounding, not of the export: in a currency without decimals the
                        // tolerance is one minor unit, and n lines rounded one by one can drift n/2 from it.
                        withKnownIssue("BR-S-09: line rounding in a 0-decimal currency can exceed the ±1 tolerance", isIntermittent: true) {
                            #expect(withinTolerance, "BR-S-09: \(tax) vs \(taxable) × \(rate) bp", sourceLocation: sourceLocation)
                        }
                    } else {
                        #expect(withinTolerance, "BR-S-09: \(tax) vs \(taxable) × \(rate) bp", sourceLocation: sourceLocation)
                    }
                }
            case "Z", "E":
                #expect(tax == 0 && rate == 0, "BR-\(category)-09", sourceLocation: sourceLocation)
                if category == "E" {
                    #expect(try strings(node, "TaxCategory/TaxExemptionReason").first == billing.exemptionReason, "BR-E-10",
                            sourceLocation: sourceLocation)
                }
            default: break
            }
        }
        #expect(Set(lines.map { "\($0.category)|\($0.rate)" }) == seen, "every line's category has a subtotal", sourceLocation: sourceLocation)
        #expect(taxTotal == subtotalSum, "BR-CO-14", sourceLocation: sourceLocation)

        // The XML says what the stored document says.
        #expect(lineTotal == document.netTotal, sourceLocation: sourceLocation)
        #expect(taxTotal == document.taxTotal, sourceLocation: sourceLocation)
        #expect(payable == document.grossTotal, sourceLocation: sourceLocation)
        #expect(try strings(root, "DocumentCurrencyCode") == [currency], sourceLocation: sourceLocation)
    }

    static func pow10(_ digits: Int) -> Int64 { (0..<digits).reduce(Int64(1)) { acc, _ in acc * 10 } }
}
