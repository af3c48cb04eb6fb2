import ArgumentParser
import Foundation
import OTCClient
import OTCProto
import SwiftProtobuf

/// Credit and debit memos: corrections of an issued invoice.
struct MemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memo",
        abstract: "Issue credit and debit memos against invoices of the current tenant.",
        subcommands: [Create.self])

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case credit, debit

        init?(argument: String) { self.init(rawValue: argument.lowercased()) }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a credit or debit memo against an invoice.",
            discussion: """
                Give --full (credit memos only: everything still open on the invoice), or lines: --line LINE:QTY \
                corrects QTY of the invoice's line LINE at its price; --amount NET:TAXCODE[:DESCRIPTION] is a line \
                by amount, NET a decimal in the invoice's currency (e.g. 25.00), TAXCODE one of the invoice's tax \
                codes. Both repeat and mix. A credit memo never exceeds what the invoice has open.
                Examples:
                  otcctl memo create --invoice INV-1 --kind credit --reason "2 damaged" --line 1:2
                  otcctl memo create --invoice INV-1 --kind credit --reason "Goodwill" --amount 25.00:STD
                  otcctl memo create --invoice INV-1 --kind debit --reason "Freight" --amount "45.00:STD:Freight"
                """)
        @Option(help: "The invoice corrected.") var invoice: String
        @Option(help: "credit or debit.") var kind: Kind
        @Option(help: "Why the invoice is corrected (printed on the memo and audited).") var reason: String
        @Flag(help: "Credit everything still open on the invoice, line by line (credit memos only).") var full = false
        @Option(name: .customLong("line"), help: ArgumentHelp("Invoice line and quantity (repeatable).", valueName: "LINE:QTY"))
        var lineSpecs: [String] = []
        @Option(name: .customLong("amount"),
                help: ArgumentHelp("A line by amount (repeatable).", valueName: "NET:TAXCODE[:DESCRIPTION]"))
        var amountSpecs: [String] = []
        @Option(name: .customLong("issue-date"), help: ArgumentHelp("Issue date (default: today).", valueName: "YYYY-MM-DD"))
        var issueDate: DayArgument?
        @Option(name: .customLong("idempotency-key"), help: "Key for safe retries (default: a new UUID).")
        var idempotencyKey: String?
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--reason must not be empty") }
            let hasLines = !lineSpecs.isEmpty || !amountSpecs.isEmpty
            if full && kind == .debit { throw ValidationError("--full applies to credit memos only") }
            if full && hasLines { throw ValidationError("give either --full or --line/--amount, not both") }
            if !full && !hasLines { throw ValidationError("give --full, or at least one --line LINE:QTY or --amount NET:TAXCODE") }
            _ = try quantityLines()
            for spec in amountSpecs { _ = try splitAmount(spec) }
        }

        func quantityLines() throws -> [Otc_Billing_V1_MemoLineInput] {
            try lineSpecs.map { spec in
                let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2, let line = Int32(parts[0]), line > 0, let quantity = Int64(parts[1]), quantity > 0 else {
                    throw ValidationError("--line '\(spec)' is not LINE:QTY with positive numbers (e.g. 1:5)")
                }
                return .with { $0.invoiceLineNo = line; $0.quantity = quantity }
            }
        }

        func splitAmount(_ spec: String) throws -> (net: String, taxCode: String, description: String) {
            let parts = spec.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--amount '\(spec)' is not NET:TAXCODE[:DESCRIPTION] (e.g. 25.00:STD:Price correction)")
            }
            return (parts[0], parts[1], parts.count == 3 ? parts[2] : "")
        }

        func run() async throws {
            var lines = try quantityLines()
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                if !amountSpecs.isEmpty {
                    // Amounts are typed as decimals of the invoice's currency; only the invoice knows which.
                    let target = try await fetchDocument(invoice, session: session)
                    for spec in amountSpecs {
                        let (net, taxCode, description) = try splitAmount(spec)
                        let units = try parseAmount(net, currency: target.currency)
                        guard units > 0 else { throw CLIError("--amount '\(spec)': the net amount must be positive") }
                        lines.append(.with { $0.netAmount = units; $0.taxCode = taxCode; $0.description_p = description })
                    }
                }
                let request = Otc_Billing_V1_CreateMemoRequest.with {
                    $0.invoiceNumber = invoice
                    $0.reason = reason
                    $0.full = full
                    $0.lines = lines
                    if let issueDate { $0.issueDate = issueDate.message }
                }
                let method = kind == .credit ? BillingMethods.createCreditMemo : BillingMethods.createDebitMemo
                let (memo, replayed) = try await session.invoke(
                    method, request, as: Otc_Billing_V1_Document.self, tenant: tenant,
                    idempotencyKey: idempotencyKey ?? UUID().uuidString.lowercased())
                if session.json {
                    try JSONOutput.print(memo)
                    if replayed { printError("(replayed)") }
                    return
                }
                print("\(kind.rawValue) memo \(memo.number) issued for invoice \(invoice)" + (replayed ? " (replayed)" : "") + "\n")
                printDocument(memo)
            }
        }
    }
}
