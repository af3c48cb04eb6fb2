import ArgumentParser
import Foundation
import OTCClient
import OTCCore
import OTCProto
import SwiftProtobuf

/// Payments the client already matched (a remittance read by a person, an ERP's own matching):
/// the money goes on account and settles the named documents.
struct PaymentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payment",
        abstract: "Record payments that are already matched to documents.",
        subcommands: [Record.self])

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a payment and apply it to documents; the rest stays on account.",
            discussion: """
                Recorded once per reference: running the same command again shows the first result. Settling \
                re-checks the customer's credit-held orders and closes orders whose invoices are all paid.
                Example: otcctl payment record BANK-2026-118 C-1001 1500.00 --apply INV-2026-000001:1200.00
                """)
        @Argument(help: "The bank's or ERP's payment reference.") var reference: String
        @Argument(help: "Customer number.") var customer: String
        @Argument(help: "Amount received, a decimal in the currency (e.g. 1500.00).") var amount: String
        @Option(help: "Currency, ISO 4217 (default: the customer's).") var currency: String?
        @Option(name: .customLong("value-date"), help: ArgumentHelp("Value date (default: today).", valueName: "YYYY-MM-DD"))
        var valueDate: DayArgument?
        @Option(name: .customLong("apply"), help: ArgumentHelp("Settle a document with part of the payment; repeatable.",
                                                                valueName: "DOCUMENT:AMOUNT"))
        var allocations: [String] = []
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            for allocation in allocations where !allocation.contains(":") {
                throw ValidationError("--apply takes DOCUMENT:AMOUNT, e.g. INV-2026-000001:1200.00 (got \(allocation))")
            }
        }

        func run() async throws {
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                var code = currency?.uppercased() ?? ""
                if code.isEmpty {
                    code = try await session.read(CustomerMethods.get, Otc_Customers_V1_GetCustomerRequest.with { $0.number = customer },
                                                  as: Otc_Customers_V1_Customer.self, tenant: tenant).currency
                }
                let units = try parseAmount(amount, currency: code)
                let request = try Otc_Receivables_V1_RecordPaymentRequest.with {
                    $0.paymentRef = reference
                    $0.customerNumber = customer
                    $0.amount = .with { $0.units = units; $0.currency = code }
                    if let valueDate { $0.valueDate = valueDate.message }
                    $0.allocations = try allocations.map { text in
                        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
                        let share = try parseAmount(parts[1], currency: code)
                        return .with { $0.documentNumber = parts[0]; $0.amount = share }
                    }
                }
                let response = try await session.write(LedgerMethods.recordPayment, request, as: Otc_Receivables_V1_RecordPaymentResponse.self,
                                                       tenant: tenant)
                if session.json { return try JSONOutput.print(response) }
                print("payment \(response.paymentRef): \(Money.format(units: units, currency: code)) from \(customer)")
                var table = Table("document", "open now>")
                for item in response.settled { table.add(item.documentNumber, Money.format(units: item.openAmount, currency: code)) }
                table.add("on account", Money.format(units: -response.payment.openAmount, currency: code))
                table.print()
            }
        }
    }
}
