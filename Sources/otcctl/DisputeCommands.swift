import ArgumentParser
import Foundation
import OTCClient
import OTCCore
import OTCProto
import SwiftProtobuf

enum DisputeMethods {
    static let prefix = "/otc.disputes.v1.DisputeService/"
    static let open = prefix + "OpenDispute"
    static let get = prefix + "GetDispute"
    static let list = prefix + "ListDisputes"
    static let assign = prefix + "AssignDispute"
    static let changeStatus = prefix + "ChangeStatus"
    static let resolve = prefix + "ResolveDispute"
    static let rootCauses = prefix + "GetRootCauses"
}

/// Disputes: open, list, show, assign, move, resolve, and root causes by reason code.
struct DisputeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispute",
        abstract: "Open, work and resolve disputes on invoices; root causes by reason code.",
        subcommands: [Open.self, List.self, Show.self, Assign.self, Status.self, Resolve.self, Causes.self])

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a dispute; the disputed amounts are held from dunning at once.",
            discussion: "Example: otcctl dispute open C-1001 --reason QUALITY --item INV-2026-000001:120.00 --description \"scratched\"")
        @Argument(help: "Customer number.") var customer: String
        @Option(help: "Reason code from the client's rules (disputes.reason_codes), e.g. PRICE, QUALITY.") var reason: String
        @Option(name: .customLong("item"), help: ArgumentHelp("An invoice and the amount disputed on it; repeatable.", valueName: "DOCUMENT:AMOUNT"))
        var items: [String]
        @Option(help: "What the customer says.") var description: String = ""
        @Option(name: .customLong("attachment"), help: ArgumentHelp("A document kept elsewhere; repeatable.", valueName: "REFERENCE[=NAME]"))
        var attachments: [String] = []
        @Option(help: "The customer's or ERP's reference (a dispute is opened once per reference).") var ref: String?
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard !items.isEmpty else { throw ValidationError("name at least one --item DOCUMENT:AMOUNT") }
            for item in items where !item.contains(":") { throw ValidationError("--item takes DOCUMENT:AMOUNT (got \(item))") }
        }

        func run() async throws {
            try await global.withSession { session in
                var disputed: [Otc_Disputes_V1_DisputedItem] = []
                for item in items {
                    let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
                    let document = try await fetchDocument(parts[0], session: session)
                    let units = try parseAmount(parts[1], currency: document.currency)
                    disputed.append(.with { $0.documentNumber = document.number; $0.amount = units })
                }
                let request = Otc_Disputes_V1_OpenDisputeRequest.with {
                    $0.customerNumber = customer
                    $0.reasonCode = reason.uppercased()
                    $0.items = disputed
                    $0.description_p = description
                    $0.attachments = attachments.map { text in
                        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                        return .with { $0.reference = parts[0]; $0.name = parts.count > 1 ? parts[1] : "" }
                    }
                    $0.externalRef = ref ?? ""
                }
                let dispute = try await session.write(DisputeMethods.open, request, as: Otc_Disputes_V1_Dispute.self,
                                                      tenant: try session.requireTenant())
                try show(dispute, json: session.json)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List disputes (every page).")
        @Option(help: "open, in_review, pending_customer, resolved_accepted, resolved_rejected or closed.") var status: String?
        @Option(help: "Only this customer.") var customer: String?
        @Option(help: "Only this owner team.") var team: String?
        @Flag(help: "Only disputes past their SLA.") var breached = false
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                var disputes: [Otc_Disputes_V1_Dispute] = []
                var token = ""
                repeat {
                    let page: Otc_Disputes_V1_ListDisputesResponse = try await session.read(DisputeMethods.list, Otc_Disputes_V1_ListDisputesRequest.with {
                        $0.page = .with { $0.pageSize = 500; $0.pageToken = token }
                        $0.status = status ?? ""
                        $0.customerNumber = customer ?? ""
                        $0.ownerTeam = team ?? ""
                        $0.breachedOnly = breached
                    }, as: Otc_Disputes_V1_ListDisputesResponse.self, tenant: tenant)
                    disputes += page.disputes
                    token = page.nextPageToken
                } while !token.isEmpty
                if session.json { return try JSONOutput.print(Otc_Disputes_V1_ListDisputesResponse.with { $0.disputes = disputes }) }
                var table = Table("number", "customer", "reason", "amount>", "status", "team", "assignee", "sla due", "breached")
                for d in disputes {
                    table.add(d.number, d.customerNumber, d.reasonCode, Money.format(units: d.disputedAmount, currency: d.currency), d.status,
                              d.ownerTeam, d.assignee, shortTime(d.slaDueAt), d.slaBreached ? "yes" : "")
                }
                table.print()
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a dispute with its invoices and history.")
        @Argument(help: "Dispute number (DSP-…) or id.") var id: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let dispute = try await session.read(DisputeMethods.get, Otc_Disputes_V1_GetDisputeRequest.with { $0.id = id },
                                                     as: Otc_Disputes_V1_Dispute.self, tenant: try session.requireTenant())
                try show(dispute, json: session.json)
            }
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a dispute to a person, or to another team.")
        @Argument(help: "Dispute number or id.") var id: String
        @Option(help: "Operator login.") var to: String?
        @Option(help: "Owner team.") var team: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let dispute = try await session.write(DisputeMethods.assign, Otc_Disputes_V1_AssignDisputeRequest.with {
                    $0.id = id; $0.assignee = to ?? ""; $0.ownerTeam = team ?? ""
                }, as: Otc_Disputes_V1_Dispute.self, tenant: try session.requireTenant())
                try show(dispute, json: session.json)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a dispute: in_review, pending_customer, or closed once resolved.")
        @Argument(help: "Dispute number or id.") var id: String
        @Argument(help: "The new status.") var status: String
        @Option(help: "What happened.") var note: String = ""
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let dispute = try await session.write(DisputeMethods.changeStatus, Otc_Disputes_V1_ChangeStatusRequest.with {
                    $0.id = id; $0.status = status; $0.note = note
                }, as: Otc_Disputes_V1_Dispute.self, tenant: try session.requireTenant())
                try show(dispute, json: session.json)
            }
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept a dispute (a credit memo for the accepted amount) or reject it (the amount is collectable again).")
        @Argument(help: "Dispute number or id.") var id: String
        @Flag(help: "Accept.") var accept = false
        @Flag(help: "Reject.") var reject = false
        @Option(help: "Accept only this much (a decimal in the dispute's currency; default: all of it).") var amount: String?
        @Option(name: .customLong("tax-code"), help: "The tax code the credit carries, when an invoice has several.") var taxCode: String?
        @Option(help: "Why (the customer is told).") var note: String
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard accept != reject else { throw ValidationError("say --accept or --reject") }
            guard amount == nil || accept else { throw ValidationError("--amount goes with --accept") }
            try requireText(note, option: "--note")
        }

        func run() async throws {
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                var units: Int64 = 0
                if let amount {
                    let dispute = try await session.read(DisputeMethods.get, Otc_Disputes_V1_GetDisputeRequest.with { $0.id = id },
                                                         as: Otc_Disputes_V1_Dispute.self, tenant: tenant)
                    units = try parseAmount(amount, currency: dispute.currency)
                }
                let dispute = try await session.write(DisputeMethods.resolve, Otc_Disputes_V1_ResolveDisputeRequest.with {
                    $0.id = id; $0.accepted = accept; $0.acceptedAmount = units; $0.taxCode = taxCode ?? ""; $0.note = note
                }, as: Otc_Disputes_V1_Dispute.self, tenant: tenant)
                try show(dispute, json: session.json)
            }
        }
    }

    struct Causes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disputes by reason code: counts, amounts, outcomes, cycle time.")
        @Option(help: ArgumentHelp("Opened on or after.", valueName: "YYYY-MM-DD")) var from: DayArgument?
        @Option(help: ArgumentHelp("Opened on or before.", valueName: "YYYY-MM-DD")) var to: DayArgument?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let causes = try await session.read(DisputeMethods.rootCauses, Otc_Disputes_V1_GetRootCausesRequest.with {
                    if let from { $0.from = from.message }
                    if let to { $0.to = to.message }
                }, as: Otc_Disputes_V1_RootCauses.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(causes) }
                var table = Table("reason", "currency", "opened>", "disputed>", "accepted>", "accepted amount>", "rejected>", "open>", "avg days>")
                for c in causes.causes {
                    table.add(c.reasonCode, c.currency, "\(c.opened)", Money.format(units: c.disputedAmount, currency: c.currency), "\(c.accepted)",
                              Money.format(units: c.acceptedAmount, currency: c.currency), "\(c.rejected)", "\(c.openNow)",
                              OTCCore.Money.decimal(c.averageCycleHundredths, digits: 2))
                }
                table.print()
            }
        }
    }
}

/// A dispute for people: details, its invoices, then its history.
private func show(_ d: Otc_Disputes_V1_Dispute, json: Bool) throws {
    if json { return try JSONOutput.print(d) }
    var details = Details()
    details.add("dispute", "\(d.number)  (\(d.id))")
    details.add("customer", d.customerNumber)
    details.add("reason", d.reasonCode)
    details.add("amount", Money.format(units: d.disputedAmount, currency: d.currency))
    details.add("status", d.status)
    details.add("team", d.ownerTeam + (d.assignee.isEmpty ? "" : ", assigned to \(d.assignee)"))
    details.add("sla due", shortTime(d.slaDueAt) + (d.slaBreached ? "  BREACHED" : ""))
    details.add("source", d.source + (d.externalRef.isEmpty ? "" : " (\(d.externalRef))"))
    details.addIfPresent("description", d.description_p)
    details.addIfPresent("attachments", d.attachments.map { $0.name.isEmpty ? $0.reference : "\($0.name) (\($0.reference))" }.joined(separator: ", "))
    if !d.creditMemos.isEmpty {
        details.add("credited", Money.format(units: d.acceptedAmount, currency: d.currency) + " by " + d.creditMemos.joined(separator: ", "))
    }
    details.addIfPresent("resolution", d.resolutionNote)
    details.print()
    print("")
    var items = Table("invoice", "disputed>")
    for item in d.items { items.add(item.documentNumber, Money.format(units: item.amount, currency: d.currency)) }
    items.print()
    if !d.events.isEmpty {
        print("")
        var events = Table("at", "by", "from", "to", "note")
        for e in d.events { events.add(shortTime(e.at), e.principal, e.fromStatus, e.toStatus, e.note) }
        events.print()
    }
}
