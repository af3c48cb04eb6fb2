import ArgumentParser
import Foundation
import OTCClient
import OTCProto
import SwiftProtobuf

/// The billing run: invoices the due list (shipped, uninvoiced lines), one invoice per order.
struct BillingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "billing",
        abstract: "Run billing for the current tenant.",
        subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Invoice every order with shipped, uninvoiced lines (RunBilling, repeated while more are due).",
            discussion: """
                Each call bills at most --batch orders in its own transaction under a fresh idempotency key, so \
                an interruption loses nothing: invoices of finished calls stay issued, and running the command \
                again bills what is still due. Progress goes to stderr.
                -o json prints one object {"invoices": [Document, ...]} (the shape of RunBillingResponse) \
                holding the invoices of every call.
                """)
        @Option(name: .customLong("as-of"),
                help: ArgumentHelp("Bill shipments made on or before this date (default: today).", valueName: "YYYY-MM-DD"))
        var asOf: DayArgument?
        @Option(name: .customLong("issue-date"), help: ArgumentHelp("Issue date of the invoices (default: today).", valueName: "YYYY-MM-DD"))
        var issueDate: DayArgument?
        @Option(help: "Orders per call (1-500; default: the server's, 100).") var batch: UInt32?
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if let batch, !(1...500).contains(batch) { throw ValidationError("--batch must be between 1 and 500") }
        }

        func run() async throws {
            let request = Otc_Billing_V1_RunBillingRequest.with {
                if let asOf { $0.asOf = asOf.message }
                if let issueDate { $0.issueDate = issueDate.message }
                $0.maxOrders = batch ?? 0
            }
            var invoices: [Otc_Billing_V1_Document] = []
            var calls = 0
            var failure: (any Error)?
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                while true {
                    let response: Otc_Billing_V1_RunBillingResponse
                    do {
                        // One call, one transaction: retries of this call reuse its key, the next call gets its own.
                        response = try await session.invoke(
                            BillingMethods.runBilling, request, as: Otc_Billing_V1_RunBillingResponse.self, tenant: tenant,
                            idempotencyKey: UUID().uuidString.lowercased(), timeout: .seconds(300)).response
                    } catch {
                        failure = error
                        break
                    }
                    calls += 1
                    invoices += response.invoices
                    printError("billed \(invoices.count) orders…")
                    guard response.more else { break }
                    guard !response.invoices.isEmpty else {
                        failure = CLIError("the server reports more orders due but billed none in the last call; stopping " +
                                           "(see 'otcctl order list --status partially_shipped --status shipped')")
                        break
                    }
                }
            }
            if let failure {
                printError("billing stopped after \(calls) call(s); the \(invoices.count) invoice(s) below are issued. " +
                           "Run the command again to bill what is still due.")
                try printResult(invoices, calls: calls)
                throw failure
            }
            try printResult(invoices, calls: calls)
        }

        private func printResult(_ invoices: [Otc_Billing_V1_Document], calls: Int) throws {
            if global.json {
                // Proto JSON leaves out empty lists; scripts get {"invoices": []} rather than {}.
                if invoices.isEmpty { return print("{\n  \"invoices\": []\n}") }
                return try JSONOutput.print(Otc_Billing_V1_RunBillingResponse.with { $0.invoices = invoices })
            }
            guard !invoices.isEmpty else {
                print("nothing to bill" + (asOf.map { " as of \($0)" } ?? ""))
                return
            }
            documentTable(invoices).print()
            var totals: [String: Int64] = [:]
            for invoice in invoices { totals[invoice.currency, default: 0] += invoice.grossTotal }
            let sums = totals.keys.sorted().map { Money.format(units: totals[$0]!, currency: $0) }.joined(separator: ", ")
            print("\n\(invoices.count) invoice(s) in \(calls) call(s), gross \(sums)")
        }
    }
}
