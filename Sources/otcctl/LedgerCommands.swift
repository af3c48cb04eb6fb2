import ArgumentParser
import Foundation
import OTCClient
import OTCCore
import OTCProto
import SwiftProtobuf

enum LedgerMethods {
    static let prefix = "/otc.receivables.v1.LedgerService/"
    static let check = prefix + "CheckLedger"
    static let statement = prefix + "GetStatement"
    static let openItems = prefix + "ListOpenItems"
    static let balances = prefix + "GetBalances"
    static let recordPayment = prefix + "RecordPayment"
}

/// A customer's statement of account: open items per currency, aged with the client's buckets.
struct StatementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statement",
        abstract: "Show a customer's statement of account: open items, aging and totals per currency.")
    @Argument(help: "Customer number.") var customer: String
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Age as of this date (default: today).", valueName: "YYYY-MM-DD"))
    var asOf: DayArgument?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withSession { session in
            let request = Otc_Receivables_V1_GetStatementRequest.with {
                $0.customerNumber = customer
                if let asOf { $0.asOf = asOf.message }
            }
            let statement = try await session.read(LedgerMethods.statement, request, as: Otc_Receivables_V1_Statement.self,
                                                   tenant: try session.requireTenant())
            if session.json { return try JSONOutput.print(statement) }
            var header = Details()
            header.add("customer", statement.customerNumber + (statement.customerName.isEmpty ? "" : "  \(statement.customerName)"))
            header.add("as of", formatDate(statement.asOf))
            header.add("rules version", "\(statement.rulesVersion)")
            header.print()
            if statement.currencies.isEmpty {
                print("\nno open items")
                return
            }
            for section in statement.currencies {
                let currency = section.currency
                print("\n\(currency)")
                var items = Table("document", "kind", "issue date", "due date", "amount>", "open>", "days overdue>", "bucket")
                for item in section.items {
                    items.add(item.documentNumber, item.kind, formatDate(item.issueDate), formatDate(item.dueDate),
                              Money.format(units: item.amount, currency: currency), Money.format(units: item.openAmount, currency: currency),
                              item.daysOverdue > 0 ? "\(item.daysOverdue)" : "", item.bucket)
                }
                items.print()
                print("")
                var aging = Table("aging", "amount>")
                for bucket in section.aging { aging.add(bucket.label, Money.format(units: bucket.amount, currency: currency)) }
                aging.add("total open", Money.format(units: section.totalOpen, currency: currency))
                aging.add("overdue", Money.format(units: section.overdue, currency: currency))
                aging.print()
            }
        }
    }
}

/// The AR subledger: consistency check, balances and open items.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Check the AR subledger and list balances and open items.",
        subcommands: [Check.self, Balances.self, Items.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove the subledger consistent (CheckLedger); exits 1 if any violation is found.",
            discussion: """
                Checks the current tenant, or with --all-tenants every active tenant (platform admin: the tenants \
                come from ListTenants; onboarding and suspended tenants are listed as skipped). A tenant whose check \
                fails with an error counts as a failure too.
                -o json prints the CheckLedgerResponse; with --all-tenants an array of \
                {"tenant": SLUG, "result": CheckLedgerResponse} (or {"tenant", "skipped"} / {"tenant", "error"}).
                """)
        @Flag(name: .customLong("all-tenants"), help: "Check every active tenant.") var allTenants = false
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if allTenants && global.tenant != nil { throw ValidationError("--all-tenants and --tenant exclude each other") }
        }

        enum Outcome {
            case checked(Otc_Receivables_V1_CheckLedgerResponse)
            case skipped(String)
            case failed(any Error)
        }

        func run() async throws {
            let results: [(tenant: String, outcome: Outcome)] = try await global.withSession { session in
                guard allTenants else {
                    let tenant = try session.requireTenant()
                    let response = try await check(tenant, session: session)
                    if !session.json {
                        let width = max("tenant".count, tenant.count)
                        printLine("TENANT", nil, width: width)
                        printLine(tenant, .checked(response), width: width)
                    }
                    return [(tenant, .checked(response))]
                }
                let tenants = try await session.read(AdminMethods.listTenants, Otc_Admin_V1_ListTenantsRequest(),
                                                     as: Otc_Admin_V1_ListTenantsResponse.self, tenant: nil).tenants
                let width = max("tenant".count, tenants.map(\.slug.count).max() ?? 0)
                if !session.json { printLine("TENANT", nil, width: width) }
                var results: [(tenant: String, outcome: Outcome)] = []
                for (i, tenant) in tenants.enumerated() {
                    let outcome: Outcome
                    if tenant.status != "active" {
                        outcome = .skipped(tenant.status)
                    } else {
                        if session.json { printError("checking \(tenant.slug) (\(i + 1)/\(tenants.count))…") }
                        do {
                            outcome = .checked(try await check(tenant.slug, session: session))
                        } catch {
                            outcome = .failed(error)
                        }
                    }
                    // Streamed, so a long run shows each tenant as it finishes.
                    if !session.json { printLine(tenant.slug, outcome, width: width) }
                    results.append((tenant.slug, outcome))
                }
                return results
            }

            var violations: [(String, Otc_Receivables_V1_Violation)] = []
            var failures = 0
            for (tenant, outcome) in results {
                switch outcome {
                case .checked(let response): violations += response.violations.map { (tenant, $0) }
                case .failed: failures += 1
                case .skipped: break
                }
            }
            if global.json {
                if !allTenants, case .checked(let response) = results.first?.outcome {
                    try JSONOutput.print(response)
                } else {
                    var entries: [String] = []
                    for (tenant, outcome) in results {
                        switch outcome {
                        case .checked(let response):
                            entries.append("{\"tenant\":\(jsonString(tenant)),\"result\":\(try response.jsonString())}")
                        case .skipped(let status):
                            entries.append("{\"tenant\":\(jsonString(tenant)),\"skipped\":\(jsonString(status))}")
                        case .failed(let error):
                            entries.append("{\"tenant\":\(jsonString(tenant)),\"error\":\(jsonString(errorText(error)))}")
                        }
                    }
                    print(JSONOutput.prettyPrinted("[" + entries.joined(separator: ",") + "]"))
                }
            } else {
                if !violations.isEmpty {
                    print("\nVIOLATIONS")
                    var table = Table("tenant", "rule", "subject", "detail")
                    for (tenant, v) in violations { table.add(tenant, v.rule, v.subject, v.detail) }
                    table.print()
                }
                if allTenants {
                    let checked = results.filter { if case .checked = $0.outcome { true } else { false } }.count
                    print("\n\(checked) tenant(s) checked, \(violations.count) violation(s), \(failures) error(s)")
                }
            }
            if !violations.isEmpty || failures > 0 { throw ExitCode.failure }
        }

        private func check(_ tenant: String, session: Session) async throws -> Otc_Receivables_V1_CheckLedgerResponse {
            try await session.read(LedgerMethods.check, Otc_Receivables_V1_CheckLedgerRequest(),
                                   as: Otc_Receivables_V1_CheckLedgerResponse.self, tenant: tenant)
        }

        /// `tenant  clean  items  postings`, aligned without waiting for every tenant; nil outcome = header.
        private func printLine(_ tenant: String, _ outcome: Outcome?, width: Int) {
            let name = tenant + String(repeating: " ", count: max(0, width - tenant.count))
            func cells(_ clean: String, _ items: String, _ postings: String) -> String {
                "\(name)  \(clean.padding(toLength: 5, withPad: " ", startingAt: 0))  " +
                    "\(String(repeating: " ", count: max(0, 9 - items.count)))\(items)  " +
                    "\(String(repeating: " ", count: max(0, 9 - postings.count)))\(postings)"
            }
            switch outcome {
            case nil:
                print(cells("CLEAN", "ITEMS", "POSTINGS"))
            case .checked(let r)?:
                print(cells(yesNo(r.clean), "\(r.itemsChecked)", "\(r.postingsChecked)"))
            case .skipped(let status)?:
                print("\(name)  skipped (\(status))")
            case .failed(let error)?:
                print("\(name)  ERROR: \(errorText(error))")
            }
        }
    }

    struct Balances: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open and overdue balance per customer and currency.")
        @Option(help: "Only this customer number.") var customer: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let response = try await session.read(
                    LedgerMethods.balances, Otc_Receivables_V1_GetBalancesRequest.with { $0.customerNumber = customer ?? "" },
                    as: Otc_Receivables_V1_GetBalancesResponse.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(response) }
                var table = Table("customer", "currency", "open>", "overdue>", "items>")
                var totals: [String: (open: Int64, overdue: Int64, items: Int)] = [:]
                for b in response.balances {
                    table.add(b.customerNumber, b.currency, Money.format(units: b.openAmount, currency: b.currency),
                              Money.format(units: b.overdueAmount, currency: b.currency), "\(b.openItems)")
                    totals[b.currency, default: (0, 0, 0)].open += b.openAmount
                    totals[b.currency, default: (0, 0, 0)].overdue += b.overdueAmount
                    totals[b.currency, default: (0, 0, 0)].items += Int(b.openItems)
                }
                if customer == nil && response.balances.count > 1 {
                    for currency in totals.keys.sorted() {
                        let t = totals[currency]!
                        table.add("TOTAL", currency, Money.format(units: t.open, currency: currency), Money.format(units: t.overdue, currency: currency), "\(t.items)")
                    }
                }
                table.print()
            }
        }
    }

    struct Items: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List open items (invoices, memos, payments on account), aged as of a date.",
            discussion: "-o json prints one ListOpenItemsResponse holding every item fetched.")
        @Option(help: "Only this customer number.") var customer: String?
        @Option(help: "Only this currency (ISO 4217).") var currency: String?
        @Flag(help: "Only items past their due date.") var overdue = false
        @Option(name: .customLong("as-of"), help: ArgumentHelp("Age as of this date (default: today).", valueName: "YYYY-MM-DD"))
        var asOf: DayArgument?
        @Option(name: .customLong("page-size"), help: "Items per call (1-500; default 50).") var pageSize: UInt32?
        @Flag(help: "Follow next_page_token until every item is listed.") var all = false
        @OptionGroup var global: GlobalOptions

        func validate() throws { try validatePageSize(pageSize) }

        func run() async throws {
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                let request = Otc_Receivables_V1_ListOpenItemsRequest.with {
                    $0.customerNumber = customer ?? ""
                    $0.currency = currency?.uppercased() ?? ""
                    $0.overdueOnly = overdue
                    if let asOf { $0.asOf = asOf.message }
                    $0.page.pageSize = pageSize ?? (all ? 500 : 0)
                }
                let combined = try await session.readPages(
                    LedgerMethods.openItems, request, as: Otc_Receivables_V1_ListOpenItemsResponse.self, tenant: tenant, all: all, pageToken: \.page.pageToken)
                if session.json { return try JSONOutput.print(combined) }
                var table = Table("document", "kind", "customer", "issue date", "due date", "amount>", "open>", "days overdue>", "bucket")
                for item in combined.items {
                    table.add(item.documentNumber, item.kind, item.customerNumber, formatDate(item.issueDate), formatDate(item.dueDate),
                              Money.format(units: item.amount, currency: item.currency), Money.format(units: item.openAmount, currency: item.currency),
                              item.daysOverdue > 0 ? "\(item.daysOverdue)" : "", item.bucket)
                }
                table.print()
                if !combined.nextPageToken.isEmpty { printError("(more items: use --all, or a larger --page-size)") }
            }
        }
    }
}

/// An error as one line, the way reportError would print it (without the `error:` prefix).
func errorText(_ error: any Error) -> String {
    switch error {
    case let status as RPCStatusError: "\(status.code.name): \(status.message)"
    case let cli as CLIError: cli.description
    default: "\(error)"
    }
}

/// A JSON string literal, escaped (OTCCore's writer, shared with the audit log).
func jsonString(_ text: String) -> String {
    var out = ""
    JSONText.appendString(text, to: &out)
    return out
}
