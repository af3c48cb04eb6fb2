import ArgumentParser
import Foundation
import OTCClient
import OTCCore
import OTCProto
import SwiftProtobuf

enum CashAppMethods {
    static let prefix = "/otc.cashapp.v1.CashApplicationService/"
    static let importFile = prefix + "ImportBankFile"
    static let listReceipts = prefix + "ListReceipts"
    static let runMatching = prefix + "RunMatching"
    static let applyReceipt = prefix + "ApplyReceipt"
}

/// Bank files into receipts.
struct BankCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bank",
        abstract: "Import bank statements and notifications (camt.053/054, BAI2, MT940, CSV).",
        subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a bank file; the same file or the same entries again create nothing new.",
            discussion: """
                The format is recognised from the content (camt, BAI2, MT940); CSV needs --format csv and the client's \
                column mapping (--csv-mapping FILE, JSON). Lines or elements that cannot be read are listed on stderr with \
                their location; the others are imported, and the command exits 1 when there were any. A file above 3 MiB \
                goes in parts of 3 MiB under a fresh upload id (progress on stderr); the last part imports the whole file \
                (at most 256 MiB). If the command fails half-way, run it again: the file is sent anew.
                """)
        @Argument(help: "The file.") var file: String
        @Option(help: "camt.053, camt.054, bai2, mt940 or csv (default: recognised).") var format: String?
        @Option(name: .customLong("csv-mapping"), help: "CSV column mapping (JSON file).") var csvMapping: String?
        /// Tests send small files in parts with small parts.
        @Option(name: .customLong("part-bytes"), help: .hidden) var partBytes: Int = Import.defaultPartBytes
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard (1...Self.defaultPartBytes).contains(partBytes) else { throw ValidationError("--part-bytes is 1 to \(Self.defaultPartBytes)") }
        }

        func run() async throws {
            let content = try Data(contentsOf: URL(fileURLWithPath: file))
            let mapping = try csvMapping.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? ""
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                let request = Otc_Cashapp_V1_ImportBankFileRequest.with {
                    $0.fileName = (file as NSString).lastPathComponent
                    $0.format = format ?? ""
                    $0.csvMappingJson = mapping
                }
                let response: Otc_Cashapp_V1_ImportBankFileResponse
                if content.count <= partBytes {
                    printError("importing \(file) (\(content.count) bytes)…")
                    var whole = request
                    whole.content = content
                    response = try await session.write(CashAppMethods.importFile, whole, as: Otc_Cashapp_V1_ImportBankFileResponse.self,
                                                       tenant: tenant)
                } else {
                    response = try await upload(content, request, session: session, tenant: tenant)
                }
                if session.json {
                    try JSONOutput.print(response)
                } else {
                    var details = Details()
                    details.add("file", response.fileID + (response.duplicateFile ? "  (imported before: nothing new)" : ""))
                    details.add("format", response.format)
                    details.add("statements", "\(response.statements)")
                    details.add("receipts new", "\(response.receiptsNew)")
                    details.add("already imported", "\(response.receiptsExisting)")
                    details.add("credits", response.credited.map(Money.format).joined(separator: ", "))
                    details.add("errors", "\(response.errors.count)")
                    details.print()
                }
                for error in response.errors { printError("error: \(error.location): \(error.message)") }
                if !response.errors.isEmpty { throw ExitCode(1) }
            }
        }

        /// Files above this go in parts of this size (one frame holds 4 MiB).
        static let defaultPartBytes = 3 * 1024 * 1024

        /// Sends a large file as parts of one fresh upload; the last part imports it. Each part has
        /// its own idempotency key, so a retried part is stored once and a retried last part
        /// returns the first import's answer.
        func upload(_ content: Data, _ request: Otc_Cashapp_V1_ImportBankFileRequest, session: Session,
                    tenant: String) async throws -> Otc_Cashapp_V1_ImportBankFileResponse {
            let uploadID = UUID().uuidString.lowercased()
            let count = (content.count + partBytes - 1) / partBytes
            func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
            for part in 0..<count {
                let range = (part * partBytes)..<min(content.count, (part + 1) * partBytes)
                let last = part == count - 1
                printError("uploading part \(part + 1)/\(count) (\(mib(range.upperBound)) of \(mib(content.count)) MiB)…")
                var message = last ? request : Otc_Cashapp_V1_ImportBankFileRequest.with { $0.fileName = request.fileName }
                message.content = content.subdata(in: range)
                message.uploadID = uploadID
                message.part = UInt32(part)
                message.moreParts = !last
                if last { printError("importing…") }
                let (response, _) = try await session.invoke(
                    CashAppMethods.importFile, message, as: Otc_Cashapp_V1_ImportBankFileResponse.self, tenant: tenant,
                    idempotencyKey: "bank-upload:\(uploadID):\(part)", timeout: last ? .seconds(300) : .seconds(60))
                if last { return response }
                guard response.partsReceived == part + 1 else {
                    throw CLIError("the server holds \(response.partsReceived) part(s) of upload \(uploadID) after part \(part + 1) of \(count); run the command again")
                }
            }
            preconditionFailure("an upload has at least one part")
        }
    }
}

/// Receipts from bank files.
struct ReceiptsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipts",
        abstract: "List receipts imported from bank files, and apply one by hand.",
        subcommands: [List.self, Apply.self], defaultSubcommand: List.self)

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply an unmatched or exception receipt by hand: split across a customer's items, the rest on account.",
            discussion: "Example: otcctl receipts apply 3f2c… --customer C-1001 --apply INV-2026-000001:1200.00 --note \"phone call\"")
        @Argument(help: "Receipt id (otcctl receipts shows them with -o json).") var receipt: String
        @Option(help: "The customer who paid.") var customer: String
        @Option(name: .customLong("apply"), help: ArgumentHelp("A document and the amount it gets; repeatable.", valueName: "DOCUMENT:AMOUNT"))
        var allocations: [String] = []
        @Option(help: "Why (kept with the application).") var note: String = ""
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            for allocation in allocations where !allocation.contains(":") {
                throw ValidationError("--apply takes DOCUMENT:AMOUNT (got \(allocation))")
            }
        }

        func run() async throws {
            try await global.withSession { session in
                var parsed: [Otc_Cashapp_V1_Allocation] = []
                for allocation in allocations {
                    let parts = allocation.split(separator: ":", maxSplits: 1).map(String.init)
                    let document = try await fetchDocument(parts[0], session: session)
                    let units = try parseAmount(parts[1], currency: document.currency)
                    parsed.append(.with { $0.documentNumber = document.number; $0.amount = units })
                }
                let applied = try await session.write(CashAppMethods.applyReceipt, Otc_Cashapp_V1_ApplyReceiptRequest.with {
                    $0.receiptID = receipt; $0.customerNumber = customer; $0.allocations = parsed; $0.note = note
                }, as: Otc_Cashapp_V1_Receipt.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(applied) }
                print("receipt \(applied.reference) (\(Money.format(applied.amount))) applied to \(customer)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List receipts (every page).")
        @Option(help: "unmatched, applied, exception or not_applicable.") var status: String?
        @Option(help: "Only receipts of this bank file (its id).") var file: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                var receipts: [Otc_Cashapp_V1_Receipt] = []
                var token = ""
                repeat {
                    let page = try await session.read(CashAppMethods.listReceipts, Otc_Cashapp_V1_ListReceiptsRequest.with {
                        $0.page = .with { $0.pageSize = 500; $0.pageToken = token }
                        $0.status = status ?? ""
                        $0.fileID = file ?? ""
                    }, as: Otc_Cashapp_V1_ListReceiptsResponse.self, tenant: tenant)
                    receipts += page.receipts
                    token = page.nextPageToken
                } while !token.isEmpty
                if session.json { return try JSONOutput.print(Otc_Cashapp_V1_ListReceiptsResponse.with { $0.receipts = receipts }) }
                var table = Table("reference", "value date", "amount>", "dir", "payer", "payer account", "remittance", "status")
                for r in receipts {
                    table.add(r.reference, formatDate(r.valueDate), Money.format(r.amount), r.isReversal ? "rev" : r.isCredit ? "in" : "out",
                              r.payerName, r.payerAccount, ([r.remittanceText] + r.structuredReferences).filter { !$0.isEmpty }.joined(separator: " "),
                              r.status)
                }
                table.print()
            }
        }
    }
}

/// Matching receipts to open items.
struct MatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Match receipts to open items with the client's rules; work the exception queue; reverse applications.",
        subcommands: [Run.self, Proposals.self, ReceiptsCommand.Apply.self, Reverse.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Match unmatched receipts: sure proposals post, the others wait as exceptions with their best proposal.")
        @Option(name: .customLong("max"), help: "At most this many receipts (oldest first; the server takes 5000 at most).")
        var maxReceipts: UInt32 = 500
        @Option(help: "Seconds the server may take (a run over a large ledger takes a while).") var timeout: Int = 300
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let response = try await session.invoke(CashAppMethods.runMatching, Otc_Cashapp_V1_RunMatchingRequest.with {
                    $0.maxReceipts = maxReceipts
                }, as: Otc_Cashapp_V1_RunMatchingResponse.self, tenant: try session.requireTenant(),
                   idempotencyKey: UUID().uuidString.lowercased(), timeout: .seconds(timeout)).response
                if session.json { return try JSONOutput.print(response) }
                print("\(response.receipts) receipt(s): \(response.applied) applied, \(response.exceptions) exception(s)\n")
                var table = Table("receipt", "status", "customer", "rule", "conf>", "documents", "differences", "evidence")
                for p in response.proposals {
                    table.add(p.receiptReference, p.status, p.customerNumber, p.rule, p.confidence > 0 ? "\(p.confidence)" : "",
                              p.allocations.map(\.documentNumber).joined(separator: " "),
                              p.differences.map { "\($0.kind) \($0.amount)" + ($0.disputeNumber.isEmpty ? "" : " \($0.disputeNumber)") }
                                  .joined(separator: ", "),
                              p.evidence.joined(separator: "; "))
                }
                table.print()
            }
        }
    }
}
