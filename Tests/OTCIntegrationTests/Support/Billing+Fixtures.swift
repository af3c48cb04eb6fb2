import Foundation
import OTCClient
import OTCProto
import SwiftProtobuf
import Testing

extension Method {
    static let billing = "/otc.billing.v1.BillingService/"
    static let createInvoice = billing + "CreateInvoice"
    static let invoiceShipment = billing + "InvoiceShipment"
    static let runBilling = billing + "RunBilling"
    static let creditMemo = billing + "CreateCreditMemo"
    static let debitMemo = billing + "CreateDebitMemo"
    static let cancelInvoice = billing + "CancelInvoice"
    static let getDocument = billing + "GetDocument"
    static let listDocuments = billing + "ListDocuments"
    static let exportUBL = billing + "ExportUBL"
    static let recordDispatch = billing + "RecordDispatch"
    static let resendDocument = billing + "ResendDocument"
    static let listUndistributed = billing + "ListUndistributed"
    static let ledger = "/otc.receivables.v1.LedgerService/"
    static let checkLedger = ledger + "CheckLedger"
    static let statement = ledger + "GetStatement"
    static let balances = ledger + "GetBalances"
    static let openItems = ledger + "ListOpenItems"
    static let publishRules = "/otc.rules.v1.RulesService/PublishRules"
    static let getRules = "/otc.rules.v1.RulesService/GetRules"
}

extension Fixtures {
    static func date(_ y: Int32, _ m: Int32, _ d: Int32) -> Otc_Common_V1_Date {
        .with { $0.year = y; $0.month = m; $0.day = d }
    }

    static func invoice(_ ref: String, customer: String, currency: String = "EUR", issue: Otc_Common_V1_Date? = nil,
                        lines: [(qty: Int64, price: Int64, tax: String)]) -> Otc_Billing_V1_CreateInvoiceRequest {
        var request = Otc_Billing_V1_CreateInvoiceRequest()
        request.externalRef = ref
        request.customerNumber = customer
        request.currency = currency
        if let issue { request.issueDate = issue }
        request.lines = lines.enumerated().map { i, line in
            .with {
                $0.sku = "SKU-\(i + 1)"
                $0.description_p = "Service \(i + 1)"
                $0.quantity = line.qty
                $0.unitOfMeasure = "EA"
                $0.unitPrice = line.price
                $0.taxCode = line.tax
            }
        }
        return request
    }

    /// A seller good enough for PEPPOL: name, VAT id, address, IBAN and an electronic address.
    static let sellerRules = """
        {"billing": {"seller": {"name": "Acme Supplies GmbH", "vat_id": "DE123456789", "street": "Hauptstr. 1",
          "city": "Berlin", "postal_code": "10115", "country": "DE", "iban": "DE89370400440532013000",
          "bic": "COBADEFFXXX", "endpoint_id": "4000001123452", "endpoint_scheme": "0088"}}}
        """
}

/// Publishes rules for a tenant as the given operator connection.
func publishRules(_ json: String, tenant: String, on connection: OTCConnection) async throws -> Otc_Rules_V1_RuleSet {
    try await connection.call(Method.publishRules, tenant: tenant, request: Otc_Rules_V1_PublishRulesRequest.with {
        $0.bodyJson = json
        $0.note = "test rules"
    })
}

/// The ledger check of a tenant, expected clean.
func expectLedgerClean(_ connection: OTCConnection, tenant: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let check: Otc_Receivables_V1_CheckLedgerResponse = try await connection.call(
        Method.checkLedger, tenant: tenant, request: Otc_Receivables_V1_CheckLedgerRequest())
    #expect(check.clean, "ledger of \(tenant): \(check.violations)", sourceLocation: sourceLocation)
    #expect(check.itemsChecked > 0, sourceLocation: sourceLocation)
}

/// Validates XML against a UBL 2.1 schema with xmllint; returns xmllint's complaint when invalid.
func xmllintErrors(_ xml: String, schema: String) async throws -> String? {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let xsd = repo.appendingPathComponent("ops/schemas/ubl-2.1/maindoc/\(schema)").path
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("ubl-\(UUID().uuidString).xml")
    try xml.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let (status, stdout, stderr) = try await runProcess(URL(fileURLWithPath: "/usr/bin/xmllint"), ["--noout", "--schema", xsd, file.path])
    return status == 0 ? nil : stdout + stderr
}
