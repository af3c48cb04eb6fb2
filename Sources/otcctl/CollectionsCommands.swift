import ArgumentParser
import Foundation
import OTCClient
import OTCCore
import OTCProto
import SwiftProtobuf

enum CollectionsMethods {
    static let prefix = "/otc.collections.v1.CollectionsService/"
    static let getAging = prefix + "GetAging"
    static let runDunning = prefix + "RunDunning"
    static let listDunningNotices = prefix + "ListDunningNotices"
    static let exportDunningNotice = prefix + "ExportDunningNotice"
    static let setDunningHold = prefix + "SetDunningHold"
    static let setItemHold = prefix + "SetItemHold"
    static let getWorklist = prefix + "GetWorklist"
    static let assignCollector = prefix + "AssignCollector"
    static let addActivity = prefix + "AddActivity"
    static let listActivities = prefix + "ListActivities"
    static let addPromise = prefix + "AddPromise"
    static let listPromises = prefix + "ListPromises"
    static let detectBrokenPromises = prefix + "DetectBrokenPromises"
    static let getProvision = prefix + "GetProvision"
    static let requestWriteOff = prefix + "RequestWriteOff"
    static let approveWriteOff = prefix + "ApproveWriteOff"
    static let rejectWriteOff = prefix + "RejectWriteOff"
    static let listWriteOffs = prefix + "ListWriteOffs"
}

/// Open receivables by days past due, as of any date.
struct AgingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aging",
        abstract: "Age open receivables with the tenant's buckets: totals per currency, then customers, largest overdue first.",
        discussion: "-o json prints one Aging message holding every customer row fetched.")
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Age as of this date (default: today).", valueName: "YYYY-MM-DD"))
    var asOf: DayArgument?
    @Option(help: "Only this customer number.") var customer: String?
    @Option(help: "Only this currency (ISO 4217).") var currency: String?
    @Option(help: "Customer rows to show.") var limit = 50
    @OptionGroup var global: GlobalOptions

    func validate() throws { try validateLimit(limit) }

    func run() async throws {
        try await global.withSession { session in
            let request = Otc_Collections_V1_GetAgingRequest.with {
                if let asOf { $0.asOf = asOf.message }
                $0.customerNumber = customer ?? ""
                $0.currency = currency?.uppercased() ?? ""
            }
            let aging = try await session.readFirst(limit, CollectionsMethods.getAging, request, as: Otc_Collections_V1_Aging.self,
                                                    rows: \.customers.count, pageSize: \.pageSize, pageToken: \.pageToken)
            if session.json { return try JSONOutput.print(aging) }
            print("as of \(formatDate(aging.asOf)), rules version \(aging.rulesVersion)\n")
            guard !aging.totals.isEmpty else { return print("no open items") }
            agingTable(["currency"], aging.totals, labels: aging.labels) { [$0.currency] }.print()
            print("")
            agingTable(["customer", "name", "currency"], aging.customers, labels: aging.labels) {
                [$0.customerNumber, $0.customerName, $0.currency]
            }.print()
            if !aging.nextPageToken.isEmpty {
                printError("(\(aging.customers.count) of \(aging.customerCount) customers: use a larger --limit)")
            }
        }
    }

    /// Key columns, one column per bucket label (the rows' buckets matched by label), then sums.
    private func agingTable(_ keys: [String], _ rows: [Otc_Collections_V1_AgingRow], labels: [String],
                            key: (Otc_Collections_V1_AgingRow) -> [String]) -> Table {
        var table = Table(titles: keys + labels.map { $0 + ">" } + ["total>", "overdue>", "items>"])
        for row in rows {
            let amounts = Dictionary(row.buckets.map { ($0.label, $0.amount) }, uniquingKeysWith: +)
            table.add(row: key(row) + labels.map { bare(amounts[$0] ?? 0, row.currency) }
                + [bare(row.total, row.currency), bare(row.overdue, row.currency), "\(row.items)"])
        }
        return table
    }
}

/// Dunning: notices for overdue items by level, and the holds that keep items or customers out.
struct DunningCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dunning",
        abstract: "Run dunning, list and export notices, and hold customers or items from dunning.",
        subcommands: [Run.self, List.self, Export.self, Hold.self, HoldItem.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create notices for every item whose days overdue reach a dunning level.",
            discussion: """
                Each item is dunned once per level and anchor (due date, or the last partial payment after it), so \
                running again adds only what became due since. Disputed amounts and customers on dunning hold are \
                skipped and counted by reason.
                """)
        @Option(name: .customLong("as-of"), help: ArgumentHelp("Dun as of this date (default: today).", valueName: "YYYY-MM-DD"))
        var asOf: DayArgument?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let dunningRun = try await session.invoke(
                    CollectionsMethods.runDunning, Otc_Collections_V1_RunDunningRequest.with { if let asOf { $0.asOf = asOf.message } },
                    as: Otc_Collections_V1_DunningRun.self, tenant: try session.requireTenant(),
                    idempotencyKey: UUID().uuidString.lowercased(), timeout: .seconds(300)).response
                if session.json { return try JSONOutput.print(dunningRun) }
                var details = Details()
                details.add("run", dunningRun.id)
                details.add("as of", formatDate(dunningRun.asOf))
                details.add("notices", "\(dunningRun.notices)")
                details.add("items", "\(dunningRun.items)")
                let skipped = dunningRun.skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                details.add("skipped", skipped.isEmpty ? "none" : skipped.joined(separator: ", "))
                details.add("rules version", "\(dunningRun.rulesVersion)")
                details.print()
                if !dunningRun.noticeList.isEmpty {
                    print("")
                    noticeTable(dunningRun.noticeList).print()
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List dunning notices.",
            discussion: "-o json prints one ListDunningNoticesResponse holding every notice fetched.")
        @Option(name: .customLong("run"), help: "Only notices of this dunning run.") var runID: String?
        @Option(help: "Only notices of this customer number.") var customer: String?
        @Option(name: .customLong("page-size"), help: "Notices per call (1-500; default 50).") var pageSize: UInt32?
        @Flag(help: "Follow next_page_token until every notice is listed.") var all = false
        @OptionGroup var global: GlobalOptions

        func validate() throws { try validatePageSize(pageSize) }

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Collections_V1_ListDunningNoticesRequest.with {
                    $0.runID = runID ?? ""
                    $0.customerNumber = customer ?? ""
                    $0.pageSize = pageSize ?? (all ? 500 : 0)
                }
                let combined = try await session.readPages(
                    CollectionsMethods.listDunningNotices, request, as: Otc_Collections_V1_ListDunningNoticesResponse.self,
                    tenant: try session.requireTenant(), all: all, pageToken: \.pageToken)
                if session.json { return try JSONOutput.print(combined) }
                noticeTable(combined.notices).print()
                if !combined.nextPageToken.isEmpty { printError("(more notices: use --all, or a larger --page-size)") }
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a dunning notice as text, ready to print or mail.",
            discussion: "Writes to stdout, or to --out FILE. With -o json and no --out, prints the ExportDunningNoticeResponse.")
        @Argument(help: "Notice id.") var id: String
        @Option(help: "File to write the text to (default: stdout).") var out: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let response = try await global.withSession { session in
                try await session.read(CollectionsMethods.exportDunningNotice, Otc_Collections_V1_ExportDunningNoticeRequest.with { $0.id = id },
                                       as: Otc_Collections_V1_ExportDunningNoticeResponse.self, tenant: try session.requireTenant())
            }
            guard let out else {
                if global.json { return try JSONOutput.print(response) }
                return print(response.text, terminator: response.text.hasSuffix("\n") ? "" : "\n")
            }
            do {
                try Data(response.text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw CLIError("cannot write \(out): \(error.localizedDescription)")
            }
            notice("wrote \(out) (notice \(id), \(response.text.utf8.count) bytes)", json: global.json)
        }
    }

    struct Hold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a customer on dunning hold, or take it off with --off.")
        @Argument(help: "Customer number.") var customer: String
        @Option(help: "Why (kept in the audit log).") var reason: String
        @Flag(help: "Lift the hold: the customer is dunned again.") var off = false
        @OptionGroup var global: GlobalOptions

        func validate() throws { try requireText(reason, option: "--reason") }

        func run() async throws {
            try await global.withSession { session in
                let account = try await session.write(
                    CollectionsMethods.setDunningHold,
                    Otc_Collections_V1_SetDunningHoldRequest.with { $0.customerNumber = customer; $0.hold = !off; $0.reason = reason },
                    as: Otc_Collections_V1_CollectionAccount.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(account) }
                print("\(account.customerNumber) is " + (account.dunningHold ? "on dunning hold (\(account.holdReason))" : "dunned again"))
            }
        }
    }

    struct HoldItem: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hold-item",
            abstract: "Exclude a disputed amount of an item from dunning; amount 0 lifts the hold.")
        @Argument(help: "Document number of the open item.") var document: String
        @Argument(help: "Amount excluded, a decimal in the document's currency (e.g. 120.00); 0 lifts the hold.") var amount: String
        @Option(help: "Why (kept in the audit log).") var reason: String
        @Option(help: "Who put it on hold, e.g. a dispute id.") var reference: String?
        @OptionGroup var global: GlobalOptions

        func validate() throws { try requireText(reason, option: "--reason") }

        func run() async throws {
            try await global.withSession { session in
                let (units, currency) = try await documentAmount(amount, of: document, session: session)
                let request = Otc_Collections_V1_SetItemHoldRequest.with {
                    $0.documentNumber = document
                    $0.amount = units
                    $0.reason = reason
                    $0.reference = reference ?? ""
                }
                let hold = try await session.write(CollectionsMethods.setItemHold, request, as: Otc_Collections_V1_ItemHold.self,
                                                   tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(hold) }
                print(hold.amount == 0 ? "\(hold.documentNumber): dunning hold lifted"
                    : "\(hold.documentNumber): \(Money.format(units: hold.amount, currency: currency)) held from dunning" +
                        (hold.reference.isEmpty ? "" : " (\(hold.reference))"))
            }
        }
    }
}

/// The collector worklist: accounts by priority, and who works them.
struct WorklistCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worklist",
        abstract: "Show the collector worklist (broken promises first, then the tenant's weights) and assign collectors.",
        subcommands: [Show.self, Assign.self],
        defaultSubcommand: Show.self)

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List accounts by priority.",
            discussion: "-o json prints one Worklist message holding every entry fetched.")
        @Option(help: "Only accounts of this collector (operator login); '-' for unassigned ones.") var collector: String?
        @Flag(help: "Only your own accounts (the operator login of the context's credential).") var mine = false
        @Option(name: .customLong("as-of"), help: ArgumentHelp("Rank as of this date (default: today).", valueName: "YYYY-MM-DD"))
        var asOf: DayArgument?
        @Option(help: "Accounts to show.") var limit = 50
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if mine && collector != nil { throw ValidationError("--mine and --collector exclude each other") }
            try validateLimit(limit)
        }

        func run() async throws {
            try await global.withSession { session in
                var login = collector ?? ""
                if mine {
                    // The Welcome names the principal already; no WhoAmI round trip needed.
                    let principal = session.connection.welcome.principal
                    guard principal.kind == .operator else { throw CLIError("--mine needs an operator credential; use --collector LOGIN") }
                    login = principal.id
                }
                let request = Otc_Collections_V1_GetWorklistRequest.with {
                    $0.collector = login
                    if let asOf { $0.asOf = asOf.message }
                }
                let worklist = try await session.readFirst(limit, CollectionsMethods.getWorklist, request, as: Otc_Collections_V1_Worklist.self,
                                                           rows: \.entries.count, pageSize: \.pageSize, pageToken: \.pageToken)
                if session.json { return try JSONOutput.print(worklist) }
                var table = Table("rank>", "customer", "name", "currency", "overdue>", "days>", "risk", "broken>", "score>", "state",
                                  "collector", "follow-up")
                for e in worklist.entries {
                    table.add("\(e.rank)", e.customerNumber, e.customerName, e.currency, bare(e.overdue, e.currency), "\(e.maxDaysOverdue)",
                              e.riskClass, "\(e.brokenPromises)", "\(e.score)", e.state, e.collector, formatDate(e.followUp))
                }
                table.print()
                print("\n\(worklist.entries.count) of \(worklist.accounts) account(s)" +
                      (worklist.promisesBroken > 0 ? "; \(worklist.promisesBroken) promise(s) found broken" : ""))
            }
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Assign customers' accounts to a collector.")
        @Argument(help: "Customer numbers.") var customers: [String]
        @Option(help: "Operator login of the collector; '-' unassigns.") var collector: String
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if customers.isEmpty { throw ValidationError("give at least one customer number") }
            try requireText(collector, option: "--collector")
        }

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Collections_V1_AssignCollectorRequest.with {
                    $0.customerNumbers = customers
                    $0.collector = collector == "-" ? "" : collector
                }
                let response = try await session.write(CollectionsMethods.assignCollector, request,
                                                       as: Otc_Collections_V1_AssignCollectorResponse.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(response) }
                var table = Table("customer", "collector", "dunning hold")
                for a in response.accounts { table.add(a.customerNumber, a.collector.isEmpty ? "-" : a.collector, yesNo(a.dunningHold)) }
                table.print()
            }
        }
    }
}

/// Calls, e-mails, letters, meetings and notes on a customer's account.
struct ActivityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activity",
        abstract: "Record and list collection activities on a customer's account.",
        subcommands: [Add.self, List.self])

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case call, email, letter, meeting, note

        init?(argument: String) { self.init(rawValue: argument.lowercased()) }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record an activity, optionally with a follow-up date.")
        @Argument(help: "Customer number.") var customer: String
        @Option(help: "call, email, letter, meeting or note.") var kind: Kind
        @Option(help: "e.g. reached, no_answer, promised, disputed, refused, left_message.") var outcome: String?
        @Option(help: "Free text.") var note: String?
        @Option(name: .customLong("follow-up"), help: ArgumentHelp("Follow up on this date.", valueName: "YYYY-MM-DD"))
        var followUp: DayArgument?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Collections_V1_AddActivityRequest.with {
                    $0.customerNumber = customer
                    $0.kind = kind.rawValue
                    $0.outcome = outcome ?? ""
                    $0.note = note ?? ""
                    if let followUp { $0.followUp = followUp.message }
                }
                let activity = try await session.write(CollectionsMethods.addActivity, request, as: Otc_Collections_V1_Activity.self,
                                                       tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(activity) }
                print("\(activity.kind) recorded for \(activity.customerNumber) (activity \(activity.id))" +
                      (activity.hasFollowUp ? "; follow up on \(formatDate(activity.followUp))" : ""))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a customer's activities.",
            discussion: "-o json prints one ListActivitiesResponse holding every activity fetched.")
        @Argument(help: "Customer number.") var customer: String
        @Option(name: .customLong("page-size"), help: "Activities per call (1-500; default 50).") var pageSize: UInt32?
        @Flag(help: "Follow next_page_token until every activity is listed.") var all = false
        @OptionGroup var global: GlobalOptions

        func validate() throws { try validatePageSize(pageSize) }

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Collections_V1_ListActivitiesRequest.with {
                    $0.customerNumber = customer
                    $0.pageSize = pageSize ?? (all ? 500 : 0)
                }
                let combined = try await session.readPages(
                    CollectionsMethods.listActivities, request, as: Otc_Collections_V1_ListActivitiesResponse.self,
                    tenant: try session.requireTenant(), all: all, pageToken: \.pageToken)
                if session.json { return try JSONOutput.print(combined) }
                var table = Table("at", "kind", "outcome", "by", "follow-up", "note")
                for a in combined.activities {
                    table.add(shortTime(a.at), a.kind, a.outcome, a.principal, formatDate(a.followUp), a.note)
                }
                table.print()
                if !combined.nextPageToken.isEmpty { printError("(more activities: use --all, or a larger --page-size)") }
            }
        }
    }
}

/// Promises to pay: made by a customer, kept or broken by what is paid by the date.
struct PromiseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ptp",
        abstract: "Record, list and check promises to pay.",
        subcommands: [Add.self, List.self, Check.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a customer's promise to pay an amount by a date.")
        @Argument(help: "Customer number.") var customer: String
        @Argument(help: "Amount promised, a decimal in the currency (e.g. 5000.00).") var amount: String
        @Option(help: ArgumentHelp("Date the customer promised to pay by.", valueName: "YYYY-MM-DD")) var date: DayArgument
        @Option(help: "Currency, ISO 4217 (default: the customer's).") var currency: String?
        @Option(help: "Free text.") var note: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                var promiseCurrency = currency?.uppercased() ?? ""
                if promiseCurrency.isEmpty {
                    promiseCurrency = try await session.read(CustomerMethods.get, Otc_Customers_V1_GetCustomerRequest.with { $0.number = customer },
                                                             as: Otc_Customers_V1_Customer.self, tenant: tenant).currency
                }
                let units = try parseAmount(amount, currency: promiseCurrency)
                guard units > 0 else { throw CLIError("the promised amount must be positive") }
                let request = Otc_Collections_V1_AddPromiseRequest.with {
                    $0.customerNumber = customer
                    $0.amount = .with { $0.units = units; $0.currency = promiseCurrency }
                    $0.promisedDate = date.message
                    $0.note = note ?? ""
                }
                let promise = try await session.write(CollectionsMethods.addPromise, request, as: Otc_Collections_V1_Promise.self, tenant: tenant)
                if session.json { return try JSONOutput.print(promise) }
                print("promise \(promise.id): \(promise.customerNumber) pays \(Money.format(promise.amount)) by \(formatDate(promise.promisedDate))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List promises to pay.")
        @Option(help: "Only promises of this customer number.") var customer: String?
        @Option(help: "Only promises in this status: open, kept, broken or cancelled.") var status: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Collections_V1_ListPromisesRequest.with {
                    $0.customerNumber = customer ?? ""
                    $0.status = status?.lowercased() ?? ""
                }
                let response = try await session.read(CollectionsMethods.listPromises, request, as: Otc_Collections_V1_ListPromisesResponse.self,
                                                      tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(response) }
                promiseTable(response.promises).print()
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark promises past their date as broken or kept (otcd also does this on its own).",
            discussion: "Each promise is marked once; checking again lists only promises resolved since.")
        @Option(name: .customLong("as-of"), help: ArgumentHelp("Judge as of this date (default: today).", valueName: "YYYY-MM-DD"))
        var asOf: DayArgument?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let response = try await session.write(
                    CollectionsMethods.detectBrokenPromises,
                    Otc_Collections_V1_DetectBrokenPromisesRequest.with { if let asOf { $0.asOf = asOf.message } },
                    as: Otc_Collections_V1_DetectBrokenPromisesResponse.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(response) }
                func section(_ title: String, _ promises: [Otc_Collections_V1_Promise]) {
                    print(title)
                    if promises.isEmpty { print("none") } else { promiseTable(promises).print() }
                }
                section("BROKEN", response.broken)
                print("")
                section("KEPT", response.kept)
            }
        }
    }

    private static func promiseTable(_ promises: [Otc_Collections_V1_Promise]) -> Table {
        var table = Table("id", "customer", "amount>", "date", "made on", "status", "paid>", "by", "note")
        for p in promises {
            table.add(p.id, p.customerNumber, Money.format(p.amount), formatDate(p.promisedDate), formatDate(p.madeOn), p.status,
                      Money.format(units: p.paid, currency: p.amount.currency), p.principal, p.note)
        }
        return table
    }
}

/// The bad-debt provision the books need at a period end.
struct ProvisionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provision",
        abstract: "Compute the bad-debt provision: receivables per aging bucket times the rules' rate.")
    @Option(name: .customLong("as-of"), help: ArgumentHelp("As of this date (default: today).", valueName: "YYYY-MM-DD"))
    var asOf: DayArgument?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withSession { session in
            let provision = try await session.read(
                CollectionsMethods.getProvision, Otc_Collections_V1_GetProvisionRequest.with { if let asOf { $0.asOf = asOf.message } },
                as: Otc_Collections_V1_Provision.self, tenant: try session.requireTenant())
            if session.json { return try JSONOutput.print(provision) }
            print("as of \(formatDate(provision.asOf)), rules version \(provision.rulesVersion)\n")
            var table = Table("currency", "bucket", "receivables>", "rate>", "provision>")
            var receivables: [String: Int64] = [:]
            for line in provision.lines {
                table.add(line.currency, line.bucket, bare(line.receivables, line.currency), formatRate(basisPoints: line.rateBp),
                          bare(line.provision, line.currency))
                receivables[line.currency, default: 0] += line.receivables
            }
            for total in provision.totals {
                table.add(total.currency, "TOTAL", bare(receivables[total.currency] ?? 0, total.currency), "", bare(total.units, total.currency))
            }
            table.print()
        }
    }
}

/// Write-offs of uncollectible items, under maker-checker.
struct WriteOffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "writeoff",
        abstract: "Request, approve, reject and list write-offs (maker-checker).",
        subcommands: [Request.self, Approve.self, Reject.self, List.self])

    struct Request: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask to write off an item's open amount, or part of it (maker).",
            discussion: """
                The amount is a decimal in the document's currency (looked up from the document); without it the \
                whole open amount is written off. Another operator must approve ('otcctl writeoff approve ID'); their \
                role's write-off limit for the currency must cover the amount.
                """)
        @Argument(help: "Document number of the open item.") var document: String
        @Argument(help: "Amount to write off (default: everything open).") var amount: String?
        @Option(help: "Why (shown to the approver and kept in the audit log).") var reason: String
        @OptionGroup var global: GlobalOptions

        func validate() throws { try requireText(reason, option: "--reason") }

        func run() async throws {
            try await global.withSession { session in
                var units: Int64 = 0
                if let amount {
                    units = try await documentAmount(amount, of: document, session: session).units
                    guard units > 0 else { throw CLIError("the amount must be positive (omit it to write off everything open)") }
                }
                let request = Otc_Collections_V1_RequestWriteOffRequest.with {
                    $0.documentNumber = document
                    $0.amount = units
                    $0.reason = reason
                }
                let writeOff = try await session.write(CollectionsMethods.requestWriteOff, request, as: Otc_Collections_V1_WriteOff.self,
                                                       tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(writeOff) }
                print("write-off \(writeOff.id) is \(writeOff.status); another operator approves it with " +
                      "'otcctl writeoff approve \(writeOff.id)'\n")
                printWriteOff(writeOff)
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a write-off (checker); it posts to the ledger.",
            discussion: "You cannot approve your own request; your role's write-off limit for the currency must cover the amount.")
        @Argument(help: "Write-off id.") var id: String
        @Option(help: "Note kept with the decision.") var note: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await decide(CollectionsMethods.approveWriteOff, id: id, reason: note ?? "", global: global)
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a write-off (checker); the item stays open.")
        @Argument(help: "Write-off id.") var id: String
        @Option(help: "Why (shown to the requester).") var reason: String
        @OptionGroup var global: GlobalOptions

        func validate() throws { try requireText(reason, option: "--reason") }

        func run() async throws {
            try await decide(CollectionsMethods.rejectWriteOff, id: id, reason: reason, global: global)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List write-offs.")
        @Option(help: "Only write-offs in this status: pending, approved or rejected.") var status: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let response = try await session.read(
                    CollectionsMethods.listWriteOffs, Otc_Collections_V1_ListWriteOffsRequest.with { $0.status = status?.lowercased() ?? "" },
                    as: Otc_Collections_V1_ListWriteOffsResponse.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(response) }
                var table = Table("id", "document", "customer", "amount>", "status", "requested by", "requested at", "decided by", "reason")
                for w in response.writeOffs {
                    table.add(w.id, w.documentNumber, w.customerNumber, Money.format(w.amount), w.status, w.requestedBy,
                              shortTime(w.requestedAt), w.decidedBy, w.reason)
                }
                table.print()
            }
        }
    }

    /// Approve and reject differ only in the method; both print the write-off as decided.
    private static func decide(_ method: String, id: String, reason: String, global: GlobalOptions) async throws {
        try await global.withSession { session in
            let writeOff = try await session.write(method, Otc_Collections_V1_DecideWriteOffRequest.with { $0.id = id; $0.reason = reason },
                                                   as: Otc_Collections_V1_WriteOff.self, tenant: try session.requireTenant())
            if session.json { return try JSONOutput.print(writeOff) }
            print("write-off \(writeOff.id) is \(writeOff.status)\n")
            printWriteOff(writeOff)
        }
    }

    private static func printWriteOff(_ w: Otc_Collections_V1_WriteOff) {
        var details = Details()
        details.add("id", w.id)
        details.add("document", w.documentNumber)
        details.add("customer", w.customerNumber)
        details.add("amount", Money.format(w.amount))
        details.add("status", w.status)
        details.add("reason", w.reason)
        details.add("requested", shortTime(w.requestedAt) + (w.requestedBy.isEmpty ? "" : " by \(w.requestedBy)"))
        if !w.decidedAt.isEmpty { details.add("decided", shortTime(w.decidedAt) + (w.decidedBy.isEmpty ? "" : " by \(w.decidedBy)")) }
        details.addIfPresent("decision note", w.decisionNote)
        details.add("rules version", "\(w.rulesVersion)")
        details.print()
    }
}

/// One row per notice, as `dunning run` and `dunning list` show them.
private func noticeTable(_ notices: [Otc_Collections_V1_DunningNotice]) -> Table {
    var table = Table("id", "customer", "name", "level>", "action", "items>", "total>", "as of")
    for n in notices {
        table.add(n.id, n.customerNumber, n.customerName, "\(n.level)", n.action, "\(n.items.count)",
                  Money.format(units: n.total, currency: n.currency), formatDate(n.asOf))
    }
    return table
}

/// Amounts on an item are typed as decimals of the document's currency; only the document knows
/// which. Zero needs no look-up: it means the same in every currency.
private func documentAmount(_ text: String, of document: String, session: Session) async throws -> (units: Int64, currency: String) {
    if (try? parseAmount(text, currency: "")) == 0 { return (0, "") }
    let currency = try await fetchDocument(document, session: session).currency
    return (try parseAmount(text, currency: currency), currency)
}

/// Amount cells of wide tables that have a currency column: the code once per row is enough.
private func bare(_ units: Int64, _ currency: String) -> String {
    OTCCore.Money.decimal(units, digits: Money.decimals(currency))
}

private func validateLimit(_ limit: Int) throws {
    if !(1...10_000).contains(limit) { throw ValidationError("--limit must be between 1 and 10000") }
}

extension Session {
    /// Up to `limit` rows of a ranked listing (aging, worklist), following next_page_token; the
    /// token of the last page is kept so callers can tell that more exist.
    fileprivate func readFirst<Request: SwiftProtobuf.Message, Response: PagedResponse>(
        _ limit: Int, _ method: String, _ request: Request, as: Response.Type, rows: KeyPath<Response, Int>,
        pageSize: WritableKeyPath<Request, UInt32>, pageToken: WritableKeyPath<Request, String>
    ) async throws -> Response {
        let tenant = try requireTenant()
        var request = request
        request[keyPath: pageSize] = UInt32(min(limit, 500))
        var combined = try await read(method, request, as: Response.self, tenant: tenant)
        while combined[keyPath: rows] < limit, !combined.nextPageToken.isEmpty {
            request[keyPath: pageToken] = combined.nextPageToken
            request[keyPath: pageSize] = UInt32(min(limit - combined[keyPath: rows], 500))
            combined.append(try await read(method, request, as: Response.self, tenant: tenant))
        }
        return combined
    }
}

extension Otc_Collections_V1_Aging: PagedResponse {
    mutating func append(_ page: Self) { customers += page.customers; nextPageToken = page.nextPageToken }
}

extension Otc_Collections_V1_Worklist: PagedResponse {
    mutating func append(_ page: Self) { entries += page.entries; nextPageToken = page.nextPageToken }
}

extension Otc_Collections_V1_ListDunningNoticesResponse: PagedResponse {
    mutating func append(_ page: Self) { notices += page.notices; nextPageToken = page.nextPageToken }
}

extension Otc_Collections_V1_ListActivitiesResponse: PagedResponse {
    mutating func append(_ page: Self) { activities += page.activities; nextPageToken = page.nextPageToken }
}
