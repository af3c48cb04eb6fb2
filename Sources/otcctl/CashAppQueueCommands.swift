import ArgumentParser
import Foundation
import OTCClient
import OTCCore
import OTCProto
import SwiftProtobuf

extension CashAppMethods {
    static let reverse = prefix + "ReverseApplication"
    static let listProposals = prefix + "ListProposals"
    static let listUnapplied = prefix + "ListUnapplied"
    static let importAdvices = prefix + "ImportRemittanceAdvices"
    static let listAdvices = prefix + "ListRemittanceAdvices"
}

extension MatchCommand {
    /// The exception queue: each receipt with the matcher's ranked suggestions and their evidence.
    struct Proposals: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The exception queue: receipts waiting for an analyst, each with ranked suggestions and their evidence.")
        @Option(help: "Only this receipt (any status).") var receipt: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                var entries: [Otc_Cashapp_V1_ExceptionEntry] = []
                var token = ""
                repeat {
                    let page = try await session.read(CashAppMethods.listProposals, Otc_Cashapp_V1_ListProposalsRequest.with {
                        $0.page = .with { $0.pageSize = 200; $0.pageToken = token }
                        $0.receiptID = receipt ?? ""
                    }, as: Otc_Cashapp_V1_ListProposalsResponse.self, tenant: tenant)
                    entries += page.exceptions
                    token = page.nextPageToken
                } while !token.isEmpty
                if session.json { return try JSONOutput.print(Otc_Cashapp_V1_ListProposalsResponse.with { $0.exceptions = entries }) }
                var table = Table("receipt", "id", "amount>", "payer", "#", "customer", "rule", "conf>", "documents", "evidence", "task due")
                for entry in entries {
                    let r = entry.receipt
                    if entry.suggestions.isEmpty {
                        table.add(r.reference, r.id, Money.format(r.amount), r.payerName, "", "", "no suggestion", "", "", "", entry.taskDueAt)
                    }
                    for (rank, s) in entry.suggestions.enumerated() {
                        table.add(rank == 0 ? r.reference : "", rank == 0 ? r.id : "", rank == 0 ? Money.format(r.amount) : "",
                                  rank == 0 ? r.payerName : "", "\(rank + 1)", s.customerNumber, s.rule, "\(s.confidence)",
                                  s.allocations.map { "\($0.documentNumber) \(Money.format(units: $0.amount, currency: r.amount.currency))" }
                                      .joined(separator: ", "),
                                  s.evidence.joined(separator: "; "), rank == 0 ? entry.taskDueAt : "")
                    }
                }
                table.print()
                if entries.isEmpty { printError("no receipts wait for an analyst") }
            }
        }
    }

    /// Undo an application: items open again, the money leaves the customer, the receipt waits again.
    struct Reverse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reverse an applied receipt: its items open again, open deduction disputes are withdrawn, and it waits in the exception queue.")
        @Argument(help: "Receipt id.") var receipt: String
        @Option(help: "Why (required; audited).") var reason: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let reversed = try await session.write(CashAppMethods.reverse, Otc_Cashapp_V1_ReverseApplicationRequest.with {
                    $0.receiptID = receipt; $0.reason = reason
                }, as: Otc_Cashapp_V1_Receipt.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(reversed) }
                print("receipt \(reversed.reference) (\(Money.format(reversed.amount))) reversed; it is now \(reversed.status)")
            }
        }
    }
}

/// Unapplied cash: receipts not yet applied, and money on account.
struct UnappliedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unapplied",
        abstract: "Unapplied cash: receipts waiting to be applied (age, best suggestion, task SLA) and money on account per customer.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withSession { session in
            let tenant = try session.requireTenant()
            var all = Otc_Cashapp_V1_ListUnappliedResponse()
            var token = ""
            repeat {
                let page = try await session.read(CashAppMethods.listUnapplied, Otc_Cashapp_V1_ListUnappliedRequest.with {
                    $0.page = .with { $0.pageSize = 500; $0.pageToken = token }
                }, as: Otc_Cashapp_V1_ListUnappliedResponse.self, tenant: tenant)
                if token.isEmpty { all.totals = page.totals; all.onAccount = page.onAccount }
                all.receipts += page.receipts
                token = page.nextPageToken
            } while !token.isEmpty
            if session.json { return try JSONOutput.print(all) }
            var table = Table("receipt", "id", "value date", "age>", "amount>", "payer", "status", "best suggestion", "task due")
            for u in all.receipts {
                let r = u.receipt
                table.add(r.reference, r.id, formatDate(r.valueDate), "\(u.ageDays)", Money.format(r.amount), r.payerName, r.status,
                          u.bestSuggestion, u.taskDueAt)
            }
            table.print()
            print("\nunapplied: " + (all.totals.isEmpty ? "none" : all.totals.map(Money.format).joined(separator: ", ")))
            if !all.onAccount.isEmpty {
                print("")
                var accounts = Table("customer", "on account>")
                for balance in all.onAccount { accounts.add(balance.customerNumber, Money.format(balance.amount)) }
                accounts.print()
            }
        }
    }
}

/// Remittance advices: what payers say their payments are for.
struct RemittanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remittance",
        abstract: "Import and list remittance advices (CSV or EDI 820); matching uses them first.",
        subcommands: [Import.self, List.self], defaultSubcommand: List.self)

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a remittance advice file; advices already stored (same reference) are kept as they are.",
            discussion: """
                CSV needs a header row with advice_ref, currency, document and paid, and may have customer, payer_name, payment_ref, \
                payment_date (YYYY-MM-DD), payment_amount, deduction and deduction_reason; rows with the same advice_ref are lines \
                of one advice. EDI 820 is recognised by its ISA header. Unreadable lines are listed on stderr and the command exits 1.
                """)
        @Argument(help: "The file.") var file: String
        @Option(help: "csv or edi820 (default: recognised).") var format: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let content = try Data(contentsOf: URL(fileURLWithPath: file))
            try await global.withSession { session in
                let response = try await session.write(CashAppMethods.importAdvices, Otc_Cashapp_V1_ImportRemittanceAdvicesRequest.with {
                    $0.content = content; $0.fileName = (file as NSString).lastPathComponent; $0.format = format ?? ""
                }, as: Otc_Cashapp_V1_ImportRemittanceAdvicesResponse.self, tenant: try session.requireTenant())
                if session.json {
                    try JSONOutput.print(response)
                } else {
                    print("\(response.advicesNew) new advice(s), \(response.advicesExisting) stored before, \(response.errors.count) error(s)")
                }
                for error in response.errors { printError("error: \(error.location): \(error.message)") }
                if !response.errors.isEmpty { throw ExitCode(1) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List remittance advices (every page).")
        @Option(help: "open or used.") var status: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                var advices: [Otc_Cashapp_V1_RemittanceAdvice] = []
                var token = ""
                repeat {
                    let page = try await session.read(CashAppMethods.listAdvices, Otc_Cashapp_V1_ListRemittanceAdvicesRequest.with {
                        $0.page = .with { $0.pageSize = 500; $0.pageToken = token }
                        $0.status = status ?? ""
                    }, as: Otc_Cashapp_V1_ListRemittanceAdvicesResponse.self, tenant: tenant)
                    advices += page.advices
                    token = page.nextPageToken
                } while !token.isEmpty
                if session.json { return try JSONOutput.print(Otc_Cashapp_V1_ListRemittanceAdvicesResponse.with { $0.advices = advices }) }
                var table = Table("advice", "customer", "payer", "payment ref", "date", "amount>", "lines", "status")
                for a in advices {
                    table.add(a.reference, a.customerNumber, a.payerName, a.paymentReference, formatDate(a.paymentDate), Money.format(a.amount),
                              a.lines.map { line in
                                  "\(line.documentNumber) \(Money.format(units: line.paid, currency: a.amount.currency))"
                                      + (line.deduction > 0 ? " −\(Money.format(units: line.deduction, currency: a.amount.currency)) \(line.deductionReason)" : "")
                              }.joined(separator: ", "),
                              a.status)
                }
                table.print()
            }
        }
    }
}
