import ArgumentParser
import Crypto
import Foundation
import OTCClient
import OTCProto
import SwiftProtobuf
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Customer master data of the current tenant (normally pushed by the ERP; this is for fixes and loads).
struct CustomerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer",
        abstract: "Create, inspect, list and bulk-import customers of the current tenant.",
        subcommands: [Upsert.self, Get.self, List.self, Import.self])

    struct Upsert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or replace a customer (fields not given are cleared).")
        @Argument(help: "The ERP's customer number.") var number: String
        @Option(help: "Customer name.") var name: String
        @Option(help: "Invoice currency, ISO 4217.") var currency: String
        @Option(help: "Country, ISO 3166-1 alpha-2.") var country: String?
        @Option(name: .customLong("tax-id"), help: "Tax id (VAT number).") var taxID: String?
        @Option(help: "Invoice e-mail address.") var email: String?
        @Option(help: "Payment terms, e.g. NET30.") var terms: String?
        @Option(help: "How invoices reach the customer: email, edi, portal or print (default: email).") var channel: InvoiceChannel?
        @Flag(help: "Block the customer: new orders go to validation hold.") var blocked = false
        @Option(name: .customLong("block-reason"), help: "Why the customer is blocked.") var blockReason: String?
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if blockReason != nil && !blocked { throw ValidationError("--block-reason needs --blocked") }
        }

        func run() async throws {
            try await global.withSession { session in
                let customer = Otc_Customers_V1_Customer.with {
                    $0.number = number
                    $0.name = name
                    $0.currency = currency.uppercased()
                    $0.country = country?.uppercased() ?? ""
                    $0.taxID = taxID ?? ""
                    $0.email = email ?? ""
                    $0.paymentTerms = terms ?? ""
                    $0.invoiceChannel = channel?.rawValue ?? ""
                    $0.blocked = blocked
                    $0.blockReason = blockReason ?? ""
                }
                let saved = try await session.write(CustomerMethods.upsert,
                                                    Otc_Customers_V1_UpsertCustomerRequest.with { $0.customer = customer },
                                                    as: Otc_Customers_V1_Customer.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(saved) }
                printCustomer(saved)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one customer.")
        @Argument(help: "Customer number.") var number: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let customer = try await session.read(CustomerMethods.get, Otc_Customers_V1_GetCustomerRequest.with { $0.number = number },
                                                      as: Otc_Customers_V1_Customer.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(customer) }
                printCustomer(customer)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List customers.")
        @Option(help: "Case-insensitive substring of number or name.") var query: String?
        @Flag(help: "Only blocked customers.") var blocked = false
        @Option(help: "Page size (1-500; default 50).") var limit: UInt32?
        @Flag(help: "Follow next_page_token until every customer is listed.") var all = false
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if let limit, !(1...500).contains(limit) { throw ValidationError("--limit must be between 1 and 500") }
        }

        func run() async throws {
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                let request = Otc_Customers_V1_ListCustomersRequest.with {
                    $0.query = query ?? ""
                    $0.blockedOnly = blocked
                    $0.pageSize = limit ?? (all ? 500 : 0)
                }
                let combined = try await session.readPages(
                    CustomerMethods.list, request, as: Otc_Customers_V1_ListCustomersResponse.self, tenant: tenant, all: all, pageToken: \.pageToken)
                if session.json { return try JSONOutput.print(combined) }
                var table = Table("number", "name", "currency", "country", "terms", "blocked", "updated")
                for c in combined.customers {
                    table.add(c.number, c.name, c.currency, c.country, c.paymentTerms,
                              c.blocked ? "yes" + (c.blockReason.isEmpty ? "" : " (\(c.blockReason))") : "no", shortTime(c.updatedAt))
                }
                table.print()
                if !combined.nextPageToken.isEmpty {
                    printError("(more customers: use --all, or a larger --limit)")
                }
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import customers from a CSV file in batches.",
            discussion: """
                Header: number,name,currency,country,tax_id,email,blocked,payment_terms (block_reason and invoice_channel optional; \
                columns in any order). Each batch carries an idempotency key derived from the file's SHA-256 and \
                the batch index, so re-running the same file (e.g. after an interruption) changes nothing twice.
                """)
        @Argument(help: "CSV file.") var file: String
        @Option(name: .customLong("batch-size"), help: "Customers per ImportCustomers call (1-5000).") var batchSize = 500
        @OptionGroup var global: GlobalOptions

        static let columns = ["number", "name", "currency", "country", "tax_id", "email", "blocked", "payment_terms", "block_reason",
                              "invoice_channel"]
        static let required = ["number", "name", "currency"]

        func validate() throws {
            guard (1...5000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 5000") }
        }

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            guard let text = String(data: data, encoding: .utf8) else { throw CLIError("\(file) is not UTF-8 text") }
            let records = try CSV.parse(text)
            guard let header = records.first else { throw CLIError("\(file) is empty") }

            var index: [String: Int] = [:]
            for (i, name) in header.fields.enumerated() {
                let key = name.trimmingCharacters(in: .whitespaces).lowercased()
                guard Self.columns.contains(key) else {
                    throw CLIError("\(file) line \(header.line): unknown column '\(name)'; expected \(Self.columns.joined(separator: ","))")
                }
                index[key] = i
            }
            let missing = Self.required.filter { index[$0] == nil }
            guard missing.isEmpty else { throw CLIError("\(file): the header lacks \(missing.joined(separator: ", "))") }

            var failures: [(line: Int, number: String, reason: String)] = []
            var rows: [(line: Int, customer: Otc_Customers_V1_Customer)] = []
            for record in records.dropFirst() {
                func value(_ column: String) -> String {
                    guard let i = index[column], i < record.fields.count else { return "" }
                    return record.fields[i].trimmingCharacters(in: .whitespaces)
                }
                guard record.fields.count == header.fields.count else {
                    failures.append((record.line, value("number"), "has \(record.fields.count) fields, the header has \(header.fields.count)"))
                    continue
                }
                guard let blocked = Self.parseBool(value("blocked")) else {
                    failures.append((record.line, value("number"), "blocked must be true/false, yes/no or 1/0, not '\(value("blocked"))'"))
                    continue
                }
                rows.append((record.line, Otc_Customers_V1_Customer.with {
                    $0.number = value("number")
                    $0.name = value("name")
                    $0.currency = value("currency").uppercased()
                    $0.country = value("country").uppercased()
                    $0.taxID = value("tax_id")
                    $0.email = value("email")
                    $0.blocked = blocked
                    $0.blockReason = value("block_reason")
                    $0.paymentTerms = value("payment_terms")
                    $0.invoiceChannel = value("invoice_channel").lowercased()
                }))
            }

            let total = records.count - 1
            var created = 0, updated = 0, unchanged = 0, done = failures.count, replayedBatches = 0
            var replayed = false
            let progressInPlace = isatty(STDERR_FILENO) == 1
            func progress(final: Bool = false) {
                let text = "imported \(done)/\(total) lines (created \(created), updated \(updated), unchanged \(unchanged), failed \(failures.count))"
                if progressInPlace {
                    FileHandle.standardError.write(Data(("\r" + text + (final ? "\n" : "")).utf8))
                } else {
                    printError(text)
                }
            }

            try await global.withSession { session in
                let tenant = try session.requireTenant()
                var batchIndex = 0
                var start = 0
                while start < rows.count {
                    let batch = Array(rows[start..<min(start + batchSize, rows.count)])
                    // Same file, tenant, batch size and index → same key: a re-run replays, never re-applies.
                    let key = "csv-import:\(tenant):\(digest):\(batchSize):\(batchIndex)"
                    let response: Otc_Customers_V1_ImportCustomersResponse
                    do {
                        (response, replayed) = try await session.invoke(
                            CustomerMethods.importCustomers,
                            Otc_Customers_V1_ImportCustomersRequest.with { $0.customers = batch.map(\.customer) },
                            as: Otc_Customers_V1_ImportCustomersResponse.self, tenant: tenant,
                            idempotencyKey: key, timeout: .seconds(120))
                    } catch {
                        if progressInPlace { FileHandle.standardError.write(Data("\n".utf8)) }
                        printError("batch \(batchIndex + 1) (CSV lines \(batch.first!.line)-\(batch.last!.line)) failed; " +
                                   "re-run the same command to continue: finished batches are replayed, not applied twice")
                        throw error
                    }
                    if replayed { replayedBatches += 1 }
                    created += Int(response.created)
                    updated += Int(response.updated)
                    unchanged += Int(response.unchanged)
                    for result in response.results where result.outcome == "error" {
                        let position = Int(result.line) - 1
                        let line = batch.indices.contains(position) ? batch[position].line : 0
                        failures.append((line, result.number, result.error))
                    }
                    done += batch.count
                    progress()
                    start += batchSize
                    batchIndex += 1
                }
            }
            if rows.isEmpty { progress() }
            if progressInPlace { FileHandle.standardError.write(Data("\n".utf8)) }

            if global.json {
                try printJSONObject([
                    "file": file, "sha256": digest, "lines": total, "created": created, "updated": updated,
                    "unchanged": unchanged, "failed": failures.count, "replayed_batches": replayedBatches,
                    "failures": failures.sorted { $0.line < $1.line }.map { ["line": $0.line, "number": $0.number, "error": $0.reason] },
                ])
            } else {
                print("\(file): \(total) lines: created \(created), updated \(updated), unchanged \(unchanged), failed \(failures.count)")
                if replayedBatches > 0 {
                    print("\(replayedBatches) batch(es) had been imported before and were replayed, not applied again")
                }
                if !failures.isEmpty {
                    var table = Table("line>", "number", "error")
                    for f in failures.sorted(by: { $0.line < $1.line }) { table.add("\(f.line)", f.number, f.reason) }
                    table.print()
                }
            }
            if !failures.isEmpty { throw ExitCode.failure }
        }

        static func parseBool(_ text: String) -> Bool? {
            switch text.lowercased() {
            case "", "false", "no", "0", "n", "f": false
            case "true", "yes", "1", "y", "t": true
            default: nil
            }
        }
    }
}

func printCustomer(_ c: Otc_Customers_V1_Customer) {
    var details = Details()
    details.add("number", c.number)
    details.add("name", c.name)
    details.add("currency", c.currency)
    details.addIfPresent("country", c.country)
    details.addIfPresent("tax id", c.taxID)
    details.addIfPresent("email", c.email)
    details.addIfPresent("payment terms", c.paymentTerms)
    details.addIfPresent("invoice channel", c.invoiceChannel)
    details.add("blocked", c.blocked ? "yes" + (c.blockReason.isEmpty ? "" : " (\(c.blockReason))") : "no")
    details.add("version", "\(c.version)")
    details.add("created", c.createdAt)
    details.add("updated", c.updatedAt)
    details.print()
}
