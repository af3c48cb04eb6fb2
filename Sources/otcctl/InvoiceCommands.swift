import ArgumentParser
import Foundation
import OTCClient
import OTCCore
import OTCProto
import SwiftProtobuf

enum BillingMethods {
    static let prefix = "/otc.billing.v1.BillingService/"
    static let createInvoice = prefix + "CreateInvoice"
    static let invoiceShipment = prefix + "InvoiceShipment"
    static let runBilling = prefix + "RunBilling"
    static let createCreditMemo = prefix + "CreateCreditMemo"
    static let createDebitMemo = prefix + "CreateDebitMemo"
    static let cancelInvoice = prefix + "CancelInvoice"
    static let getDocument = prefix + "GetDocument"
    static let listDocuments = prefix + "ListDocuments"
    static let exportUBL = prefix + "ExportUBL"
    static let recordDispatch = prefix + "RecordDispatch"
    static let resendDocument = prefix + "ResendDocument"
    static let listUndistributed = prefix + "ListUndistributed"
}

/// Invoices, credit and debit memos of the current tenant: listing, reading, issuing, cancelling,
/// e-invoice export and the distribution queue.
struct InvoiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoice",
        abstract: "List, show, create, cancel, export and distribute invoices (and memos) of the current tenant.",
        subcommands: [List.self, Get.self, Create.self, Ship.self, Cancel.self, ExportUBL.self, Dispatch.self, Resend.self,
                      Undistributed.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List invoices, credit memos and debit memos, newest first.",
            discussion: "-o json prints one ListDocumentsResponse holding every document fetched.")
        @Option(help: "Only documents of this customer number.") var customer: String?
        @Option(name: .customLong("kind"), help: "Only this kind (repeatable).")
        var kinds: [DocumentKindName] = []
        @Option(name: .customLong("status"), help: "Only this status (repeatable).")
        var statuses: [DocumentStatusName] = []
        @Option(help: ArgumentHelp("Issued on or after this date.", valueName: "YYYY-MM-DD")) var from: DayArgument?
        @Option(help: ArgumentHelp("Issued on or before this date.", valueName: "YYYY-MM-DD")) var to: DayArgument?
        @Flag(help: "Only documents past their due date with an open amount.") var overdue = false
        @Option(name: .customLong("as-of"), help: ArgumentHelp("Judge 'overdue' on this date (default: today).", valueName: "YYYY-MM-DD"))
        var asOf: DayArgument?
        @Option(help: "Only documents of this order ref.") var order: String?
        @Option(name: .customLong("page-size"), help: "Documents per call (1-500; default 50).") var pageSize: UInt32?
        @Flag(help: "Follow next_page_token until every document is listed.") var all = false
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            try validatePageSize(pageSize)
            if let from, let to, from > to { throw ValidationError("--from \(from) is after --to \(to)") }
        }

        func run() async throws {
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                let request = Otc_Billing_V1_ListDocumentsRequest.with {
                    $0.kinds = kinds.map(\.rawValue)
                    $0.statuses = statuses.map(\.rawValue)
                    $0.customerNumber = customer ?? ""
                    if let from { $0.issuedFrom = from.message }
                    if let to { $0.issuedTo = to.message }
                    $0.overdueOnly = overdue
                    if let asOf { $0.asOf = asOf.message }
                    $0.orderRef = order ?? ""
                    $0.page.pageSize = pageSize ?? (all ? 500 : 0)
                }
                let combined = try await session.readPages(
                    BillingMethods.listDocuments, request, as: Otc_Billing_V1_ListDocumentsResponse.self, tenant: tenant, all: all, pageToken: \.page.pageToken)
                if session.json { return try JSONOutput.print(combined) }
                documentTable(combined.documents).print()
                if !combined.nextPageToken.isEmpty { printError("(more documents: use --all, or a larger --page-size)") }
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an invoice or memo: header, lines, tax breakdown, totals, terms and last dispatch.")
        @Argument(help: "Document number (or its id).") var number: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let document = try await fetchDocument(number, session: session)
                if session.json { return try JSONOutput.print(document) }
                printDocument(document)
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a direct invoice from a JSON file (proto JSON of CreateInvoiceRequest; '-' reads stdin).",
            discussion: """
                Idempotent by external_ref: the same content returns the stored invoice, other content under the \
                same ref is ALREADY_EXISTS. Amounts are minor units (unit_price 1250 = 12.50 EUR).
                Example: {"external_ref": "ERP-INV-1001", "customer_number": "C-1", "currency": "EUR",
                          "order_ref": "SO-1001",
                          "lines": [{"sku": "A-1", "description": "Widget", "quantity": "2", "unit_of_measure": "EA",
                                     "unit_price": "1250", "tax_code": "STD", "order_line_no": 1}]}
                """)
        @Argument(help: "JSON file, or '-' for stdin.") var file: String
        @Option(name: .customLong("idempotency-key"), help: "Key for safe retries (default: a new UUID).")
        var idempotencyKey: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let text = try readInputText(file)
            let request: Otc_Billing_V1_CreateInvoiceRequest
            do {
                request = try Otc_Billing_V1_CreateInvoiceRequest(jsonString: text)
            } catch {
                throw CLIError("\(file) is not a CreateInvoiceRequest in proto JSON: \(error)")
            }
            try await global.withSession { session in
                let (document, replayed) = try await session.invoke(
                    BillingMethods.createInvoice, request, as: Otc_Billing_V1_Document.self, tenant: try session.requireTenant(),
                    idempotencyKey: idempotencyKey ?? UUID().uuidString.lowercased())
                if session.json {
                    try JSONOutput.print(document)
                    if replayed { printError("(replayed)") }
                    return
                }
                print("invoice \(document.number) created" + (replayed ? " (replayed: it existed already)" : "") + "\n")
                printDocument(document)
            }
        }
    }

    struct Ship: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ship",
            abstract: "Invoice the uninvoiced lines of one shipment (InvoiceShipment).",
            discussion: "A shipment invoiced already fails with FAILED_PRECONDITION, reason=ALREADY_BILLED.")
        @Argument(help: "The order's ref.") var orderRef: String
        @Argument(help: "The shipment's ref (the ERP's delivery number).") var shipmentRef: String
        @Option(name: .customLong("issue-date"), help: ArgumentHelp("Issue date (default: today).", valueName: "YYYY-MM-DD"))
        var issueDate: DayArgument?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Billing_V1_InvoiceShipmentRequest.with {
                    $0.orderRef = orderRef
                    $0.shipmentRef = shipmentRef
                    if let issueDate { $0.issueDate = issueDate.message }
                }
                let (document, replayed) = try await session.invoke(
                    BillingMethods.invoiceShipment, request, as: Otc_Billing_V1_Document.self, tenant: try session.requireTenant(),
                    idempotencyKey: UUID().uuidString.lowercased())
                if session.json { return try JSONOutput.print(document) }
                print("invoice \(document.number) issued for shipment \(shipmentRef) of order \(orderRef)" +
                      (replayed ? " (replayed)" : "") + "\n")
                printDocument(document)
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel an invoice by issuing a full credit memo (the only way to cancel an issued invoice).")
        @Argument(help: "Invoice number.") var number: String
        @Option(help: "Why (printed on the credit memo and audited).") var reason: String
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--reason must not be empty") }
        }

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Billing_V1_CancelInvoiceRequest.with { $0.invoiceNumber = number; $0.reason = reason }
                let (memo, replayed) = try await session.invoke(
                    BillingMethods.cancelInvoice, request, as: Otc_Billing_V1_Document.self, tenant: try session.requireTenant(),
                    idempotencyKey: UUID().uuidString.lowercased())
                if session.json { return try JSONOutput.print(memo) }
                print("invoice \(number) cancelled by credit memo \(memo.number)" + (replayed ? " (replayed)" : "") + "\n")
                printDocument(memo)
            }
        }
    }

    struct ExportUBL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-ubl",
            abstract: "Export a document as UBL 2.1 XML (PEPPOL BIS Billing 3.0 Invoice or CreditNote).",
            discussion: """
                Writes the XML to the server's file name (e.g. INV-2026-000001.xml) in the current directory, to \
                --file PATH (a directory puts the server's file name in it), or to stdout with --file -. \
                (-o is the global output format, so the file option is -f/--file.) With -o json and no --file, \
                the ExportUBLResponse (number, kind, filename, xml) is printed instead and no file is written.
                """)
        @Argument(help: "Document number.") var number: String
        @Option(name: [.short, .customLong("file")], help: "Where to write the XML; '-' = stdout.") var file: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let response = try await global.withSession { session in
                try await session.read(BillingMethods.exportUBL, Otc_Billing_V1_ExportUBLRequest.with { $0.number = number },
                                       as: Otc_Billing_V1_ExportUBLResponse.self, tenant: try session.requireTenant())
            }
            if global.json && file == nil { return try JSONOutput.print(response) }
            let data = Data(response.xml.utf8)
            if file == "-" {
                FileHandle.standardOutput.write(data)
                return
            }
            // The server names the file; never let that name leave the chosen directory.
            var serverName = (response.filename as NSString).lastPathComponent
            if serverName.isEmpty || serverName == "." || serverName == ".." { serverName = "\(response.number).xml" }
            var path = file ?? serverName
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                path = (path as NSString).appendingPathComponent(serverName)
            }
            let existed = FileManager.default.fileExists(atPath: path)
            do {
                try data.write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw CLIError("cannot write \(path): \(error.localizedDescription)")
            }
            if global.json {
                try printJSONObject(["number": response.number, "kind": response.kind, "path": path, "bytes": data.count])
            } else {
                print("\(existed ? "replaced" : "wrote") \(path) (\(response.kind) \(response.number), \(data.count) bytes)")
            }
        }
    }

    struct Dispatch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report the outcome of a document's pending dispatch (RecordDispatch).",
            discussion: "A failed dispatch opens an invoice_distribution task; a sent one closes it.")
        @Argument(help: "Document number.") var number: String
        @Option(help: "sent or failed.") var status: DispatchOutcome
        @Option(help: "Message id, EDI interchange number, or the failure reason (required for failed).") var detail: String?
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if status == .failed && (detail ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError("--status failed needs --detail with the failure reason")
            }
        }

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Billing_V1_RecordDispatchRequest.with {
                    $0.number = number
                    $0.status = status.rawValue
                    $0.detail = detail ?? ""
                }
                let (dispatch, replayed) = try await session.invoke(
                    BillingMethods.recordDispatch, request, as: Otc_Billing_V1_Dispatch.self, tenant: try session.requireTenant(),
                    idempotencyKey: UUID().uuidString.lowercased())
                if session.json { return try JSONOutput.print(dispatch) }
                print("\(dispatch.documentNumber) by \(dispatch.channel), attempt \(dispatch.attempt): \(dispatch.status)" +
                      (dispatch.detail.isEmpty ? "" : " (\(dispatch.detail))") + (replayed ? " (replayed)" : ""))
            }
        }
    }

    struct Resend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a document for dispatch again, optionally on another channel.")
        @Argument(help: "Document number.") var number: String
        @Option(help: "email, edi, portal or print (default: the customer's channel).") var channel: InvoiceChannel?
        @Option(help: "Why (audited).") var reason: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Billing_V1_ResendDocumentRequest.with {
                    $0.number = number
                    $0.channel = channel?.rawValue ?? ""
                    $0.reason = reason ?? ""
                }
                let (dispatch, replayed) = try await session.invoke(
                    BillingMethods.resendDocument, request, as: Otc_Billing_V1_Dispatch.self, tenant: try session.requireTenant(),
                    idempotencyKey: UUID().uuidString.lowercased())
                if session.json { return try JSONOutput.print(dispatch) }
                print("\(dispatch.documentNumber) queued for \(dispatch.channel) (attempt \(dispatch.attempt)): \(dispatch.status)" +
                      (replayed ? " (replayed)" : ""))
            }
        }
    }

    struct Undistributed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Invoices and memos whose latest dispatch is not sent, oldest first.",
            discussion: "-o json prints one ListDocumentsResponse holding every document fetched.")
        @Option(name: .customLong("page-size"), help: "Documents per call (1-500; default 50).") var pageSize: UInt32?
        @Flag(help: "Follow next_page_token until every document is listed.") var all = false
        @OptionGroup var global: GlobalOptions

        func validate() throws { try validatePageSize(pageSize) }

        func run() async throws {
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                let request = Otc_Billing_V1_ListUndistributedRequest.with { $0.page.pageSize = pageSize ?? (all ? 500 : 0) }
                let combined = try await session.readPages(
                    BillingMethods.listUndistributed, request, as: Otc_Billing_V1_ListDocumentsResponse.self, tenant: tenant, all: all, pageToken: \.page.pageToken)
                if session.json { return try JSONOutput.print(combined) }
                guard !combined.documents.isEmpty else { return print("no undistributed documents") }
                var table = Table("number", "kind", "customer", "issue date", "gross>", "channel", "dispatch", "attempt>",
                                  "requested", "detail")
                for d in combined.documents {
                    let dispatch = d.hasLastDispatch ? d.lastDispatch : nil
                    table.add(d.number, d.kind, d.customerNumber, formatDate(d.issueDate), Money.format(units: d.grossTotal, currency: d.currency),
                              dispatch?.channel ?? "-", dispatch?.status ?? "none", dispatch.map { "\($0.attempt)" } ?? "",
                              dispatch.map { shortTime($0.requestedAt) } ?? "", dispatch?.detail ?? "")
                }
                table.print()
                if !combined.nextPageToken.isEmpty { printError("(more documents: use --all, or a larger --page-size)") }
            }
        }
    }
}

// MARK: - Shared by invoice, memo and billing commands

/// A document by number, or by id when the argument is a UUID.
func fetchDocument(_ numberOrID: String, session: Session) async throws -> Otc_Billing_V1_Document {
    let request = Otc_Billing_V1_GetDocumentRequest.with {
        if UUID(uuidString: numberOrID) != nil { $0.id = numberOrID.lowercased() } else { $0.number = numberOrID }
    }
    return try await session.read(BillingMethods.getDocument, request, as: Otc_Billing_V1_Document.self,
                                  tenant: try session.requireTenant())
}

/// One row per document, as `invoice list` and `billing run` show them.
func documentTable(_ documents: [Otc_Billing_V1_Document]) -> Table {
    var table = Table("number", "kind", "customer", "issue date", "due date", "gross>", "open>", "status", "dispatch")
    for d in documents {
        table.add(d.number, d.kind, d.customerNumber, formatDate(d.issueDate), formatDate(d.dueDate),
                  Money.format(units: d.grossTotal, currency: d.currency), Money.format(units: d.openAmount, currency: d.currency), documentStatus(d),
                  d.hasLastDispatch ? dispatchSummary(d.lastDispatch) : "-")
    }
    return table
}

func documentStatus(_ d: Otc_Billing_V1_Document) -> String {
    d.status + (d.overdue ? " (overdue)" : "")
}

func dispatchSummary(_ dispatch: Otc_Billing_V1_Dispatch) -> String {
    "\(dispatch.status) (\(dispatch.channel)" + (dispatch.attempt > 1 ? ", attempt \(dispatch.attempt))" : ")")
}

/// Header, lines, tax breakdown, totals, terms and last dispatch: the document as a shift team reads it.
func printDocument(_ d: Otc_Billing_V1_Document) {
    let kindTitle = d.kind.replacingOccurrences(of: "_", with: " ")
    var details = Details()
    details.add("number", d.number)
    details.add("kind", kindTitle)
    details.add("status", documentStatus(d))
    if !d.referenceNumber.isEmpty { details.add("invoice", d.referenceNumber) }
    details.add("customer", d.customerNumber + (d.customerName.isEmpty ? "" : "  \(d.customerName)"))
    details.add("currency", d.currency)
    details.add("issue date", formatDate(d.issueDate))
    details.addIfPresent("due date", formatDate(d.dueDate))
    details.addIfPresent("payment terms", d.paymentTerms)
    if d.hasDiscountDate, d.discountAmount != 0 {
        details.add("discount", "\(Money.format(units: d.discountAmount, currency: d.currency)) if paid by \(formatDate(d.discountDate))")
    }
    details.addIfPresent("order ref", d.orderRef)
    details.addIfPresent("customer po", d.customerPo)
    details.addIfPresent("external ref", d.externalRef)
    details.addIfPresent("reason", d.reason)
    details.add("id", d.id)
    details.add("rules version", "\(d.rulesVersion)")
    details.add("created", d.createdAt + (d.createdBy.isEmpty ? "" : " by \(d.createdBy)"))
    details.print()

    print("\nLINES")
    var lines = Table("line>", "sku", "description", "qty>", "uom", "unit price>", "net>", "tax code", "rate>", "tax>", "source")
    for l in d.lines {
        var source = ""
        if l.invoiceLineNo > 0 {
            source = "invoice line \(l.invoiceLineNo)"
        } else if d.kind != "invoice" {
            source = "by amount"
        } else if !l.orderRef.isEmpty {
            source = "\(l.orderRef) line \(l.orderLineNo)" + (l.shipmentRef.isEmpty ? "" : ", shipment \(l.shipmentRef)")
        }
        lines.add("\(l.lineNo)", l.sku, l.description_p, "\(l.quantity)", l.unitOfMeasure, Money.format(units: l.unitPrice, currency: d.currency),
                  Money.format(units: l.netAmount, currency: d.currency), l.taxCode, formatRate(basisPoints: l.taxRateBp),
                  Money.format(units: l.taxAmount, currency: d.currency), source)
    }
    lines.print()

    if !d.taxSubtotals.isEmpty {
        print("\nTAX")
        var tax = Table("tax code", "category", "rate>", "taxable>", "tax>")
        for s in d.taxSubtotals {
            tax.add(s.taxCode, s.category, formatRate(basisPoints: s.rateBp), Money.format(units: s.taxableAmount, currency: d.currency),
                    Money.format(units: s.taxAmount, currency: d.currency))
        }
        tax.print()
    }

    print("\nTOTALS")
    let totals = [("net", d.netTotal), ("tax", d.taxTotal), ("gross", d.grossTotal), ("open", d.openAmount)]
        .map { ($0.0, Money.format(units: $0.1, currency: d.currency)) }
    let width = totals.map(\.1.count).max() ?? 0
    var totalDetails = Details()
    for (key, value) in totals { totalDetails.add(key, String(repeating: " ", count: width - value.count) + value) }
    totalDetails.print()

    if !d.termsNote.isEmpty {
        print("\nTERMS")
        print(d.termsNote)
    }

    if d.hasLastDispatch {
        let dispatch = d.lastDispatch
        print("\nLAST DISPATCH")
        var dispatchDetails = Details()
        dispatchDetails.add("channel", dispatch.channel)
        dispatchDetails.add("status", dispatch.status)
        dispatchDetails.add("attempt", "\(dispatch.attempt)")
        dispatchDetails.addIfPresent("requested", dispatch.requestedAt)
        dispatchDetails.addIfPresent("dispatched", dispatch.dispatchedAt)
        dispatchDetails.addIfPresent("detail", dispatch.detail)
        dispatchDetails.print()
    }
}

/// A decimal amount typed by a person (`12.5`, `1250`, `-3.125`) as minor units of the currency;
/// more decimals than the currency has is an error, never rounded.
func parseAmount(_ text: String, currency: String) throws -> Int64 {
    let digits = Currency(currency.uppercased())?.minorUnitDigits ?? 2
    var body = Substring(text.trimmingCharacters(in: .whitespaces))
    var negative = false
    if body.first == "-" { negative = true; body = body.dropFirst() }
    let parts = body.split(separator: ".", omittingEmptySubsequences: false)
    guard (1...2).contains(parts.count), !parts[0].isEmpty,
          parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } })
    else { throw CLIError("'\(text)' is not an amount such as 12.50") }
    let fraction = parts.count == 2 ? String(parts[1]) : ""
    guard parts.count == 1 || !fraction.isEmpty else { throw CLIError("'\(text)' is not an amount such as 12.50") }
    guard fraction.count <= digits else {
        throw CLIError("'\(text)' has more decimals than \(currency) has (\(digits))")
    }
    let digitsText = String(parts[0]) + fraction + String(repeating: "0", count: digits - fraction.count)
    guard let magnitude = Int64(digitsText) else { throw CLIError("'\(text)' is too large") }
    return negative ? -magnitude : magnitude
}

/// Basis points as a percentage: 2000 → `20%`, 1950 → `19.5%`, 725 → `7.25%`.
func formatRate(basisPoints: Int32) -> String {
    let whole = basisPoints / 100
    let rest = abs(basisPoints % 100)
    guard rest != 0 else { return "\(whole)%" }
    var fraction = rest < 10 ? "0\(rest)" : "\(rest)"
    if fraction.hasSuffix("0") { fraction.removeLast() }
    return "\(basisPoints < 0 && whole == 0 ? "-" : "")\(whole).\(fraction)%"
}

/// A file's text, or stdin for '-'.
func readInputText(_ path: String) throws -> String {
    if path == "-" {
        return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
    }
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
    return String(decoding: data, as: UTF8.self)
}

func validatePageSize(_ pageSize: UInt32?) throws {
    if let pageSize, !(1...500).contains(pageSize) { throw ValidationError("--page-size must be between 1 and 500") }
}

/// A calendar date option, YYYY-MM-DD, checked when the command line is parsed.
struct DayArgument: ExpressibleByArgument, Comparable, CustomStringConvertible {
    let year: Int32
    let month: Int32
    let day: Int32

    init?(argument: String) {
        let parts = argument.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int32(parts[0]), let month = Int32(parts[1]), let day = Int32(parts[2]),
              year >= 1, (1...12).contains(month)
        else { return nil }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days: [Int32] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...days[Int(month) - 1]).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    var message: Otc_Common_V1_Date {
        .with { $0.year = year; $0.month = month; $0.day = day }
    }

    var description: String { formatDate(message) }

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

enum DocumentKindName: String, ExpressibleByArgument, CaseIterable {
    case invoice
    case creditMemo = "credit_memo"
    case debitMemo = "debit_memo"

    static let all = allCases.map(\.rawValue)

    init?(argument: String) {
        self.init(rawValue: argument.lowercased().replacingOccurrences(of: "-", with: "_"))
    }
}

enum DocumentStatusName: String, ExpressibleByArgument, CaseIterable {
    case open
    case partiallySettled = "partially_settled"
    case settled
    case cancelled
    case applied

    static let all = allCases.map(\.rawValue)

    init?(argument: String) {
        self.init(rawValue: argument.lowercased().replacingOccurrences(of: "-", with: "_"))
    }
}

/// How invoices reach a customer (Customer.invoice_channel, ResendDocument.channel).
enum InvoiceChannel: String, ExpressibleByArgument, CaseIterable {
    case email, edi, portal, print

    init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

enum DispatchOutcome: String, ExpressibleByArgument, CaseIterable {
    case sent, failed

    init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}
