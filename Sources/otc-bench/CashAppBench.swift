import ArgumentParser
import Foundation
import OTCClient
import OTCProto
import SwiftProtobuf

/// Cash application at scale (issue 5, item 8): scripts/bench seeds a tenant with
/// scripts/bench-sql/seed_cashapp.sql, exports its open items, and then
///   * `cashapp-file` writes a deterministic MT940 file of receipts paying those items, which
///     `otcctl bank import` sends in parts;
///   * `cashapp-match` calls RunMatching until no unmatched receipt is left;
/// and loads the same rows with COPY beside each stage as the baseline.

/// SplitMix64: a small deterministic generator, so the same items and seed give the same file.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<bound.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func between(_ low: Int64, _ high: Int64) -> Int64 { low + Int64(next() % UInt64(high - low + 1)) }
}

/// ISO 7064 mod 97-10 over letters (A = 10 … Z = 35) and digits, as IBANs and ISO 11649 RF
/// references use it.
func mod97(_ text: String) -> Int {
    var remainder = 0
    for character in text.uppercased() {
        let value = character.isNumber ? Int(String(character))! : Int(character.asciiValue! - 55)
        for digit in String(value) { remainder = (remainder * 10 + Int(String(digit))!) % 97 }
    }
    return remainder
}

/// "RF" + check digits + reference (ISO 11649).
func creditorReference(_ reference: String) -> String {
    let check = 98 - mod97(reference + "RF00")
    return "RF" + (check < 10 ? "0" : "") + String(check) + reference
}

/// A German IBAN for a bank code and account number.
func germanIBAN(bank: String, account: UInt64) -> String {
    let accountText = String(account % 10_000_000_000)
    let bban = bank + String(repeating: "0", count: 10 - accountText.count) + accountText
    let check = 98 - mod97(bban + "DE00")
    return "DE" + (check < 10 ? "0" : "") + String(check) + bban
}

struct CashAppFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cashapp-file",
        abstract: "Write a deterministic MT940 file of receipts paying a tenant's open items (for the cash-application bench).",
        discussion: """
            --items is a tab-separated export of the open invoices (scripts/bench writes it with psql \\copy): document number, \
            customer number, open amount (minor units), discount amount, last discount day (days since 1970-01-01, or empty), \
            customer name, a known payer account of the customer (or empty). Each item is paid at most once. The mix, per \
            1 000 receipts: 300 name the invoice number in the text, 120 carry its ISO 11649 RF reference, 250 come from a \
            known payer account with the exact amount and no document, 50 pay two invoices of one customer named in the text, \
            60 are short by up to 5.00 (bank charges), 30 short by 10-30 % (deductions), 40 pay more than the invoice, 30 take \
            the early-payment discount in time, 50 name only the payer (an account not yet known) with the exact amount, and \
            70 come from payers nobody knows. Prints a JSON summary.
            """)
    @Option(help: "The open items (tab-separated, see above).") var items: String
    @Option(help: "Receipts to write.") var receipts = 100_000
    @Option(help: "Where to write the MT940 file.") var out: String
    @Option(help: "Seed of the generator.") var seed: UInt64 = 5
    @Option(help: "Receipts per statement (:20: block).") var perStatement = 1_000
    @Option(help: "Booking and value date, YYYY-MM-DD (default: today, UTC).") var date: String?
    @Option(help: "Transaction reference of the statements (:20:); receipts are told apart by it, their statement number and position.")
    var statementRef = "CASHBENCH"

    struct Item {
        var number: String
        var customer: String
        var amount: Int64
        var discount: Int64
        var discountDay: Int?
        var name: String
        var account: String
    }

    enum Kind: String, CaseIterable {
        case invoiceText = "invoice_number_in_text", rfReference = "rf_reference", payerAmount = "payer_account_and_amount"
        case twoInvoices = "two_invoices_in_text", shortCharges = "short_within_charges", shortDeduction = "short_deduction"
        case overpayment, discount = "discount_in_time", nameOnly = "payer_name_only", unknown = "unknown_payer"

        /// Per 1 000 receipts.
        var weight: Int {
            switch self {
            case .invoiceText: 300
            case .rfReference: 120
            case .payerAmount: 250
            case .twoInvoices: 50
            case .shortCharges: 60
            case .shortDeduction: 30
            case .overpayment: 40
            case .discount: 30
            case .nameOnly: 50
            case .unknown: 70
            }
        }
    }

    struct Receipt {
        var amount: Int64
        var payerName: String
        var payerAccount: String
        var text: String
        var valueDay: Int
    }

    func validate() throws {
        guard receipts > 0, perStatement > 0 else { throw ValidationError("--receipts and --per-statement must be positive") }
    }

    func run() throws {
        let loaded = try Self.load(items)
        guard !loaded.isEmpty else { throw ValidationError("\(items) holds no open items") }
        let today = try date.map(Self.day(iso:)) ?? Int(Date().timeIntervalSince1970 / 86_400)
        var rng = SplitMix64(state: seed)
        var picker = Picker(loaded, rng: &rng)
        var counts: [Kind: Int] = [:]
        var generated: [Receipt] = []
        generated.reserveCapacity(receipts)
        let wheel = Kind.allCases.flatMap { Array(repeating: $0, count: $0.weight) }
        for index in 0..<receipts {
            let (kind, receipt) = make(wheel[rng.below(wheel.count)], index: index, today: today, picker: &picker, rng: &rng)
            counts[kind, default: 0] += 1
            generated.append(receipt)
        }
        let text = Self.mt940(generated, perStatement: perStatement, today: today, reference: statementRef)
        try Data(text.utf8).write(to: URL(fileURLWithPath: out))
        let summary: [String: Any] = [
            "receipts": generated.count, "bytes": text.utf8.count, "statements": (generated.count + perStatement - 1) / perStatement,
            "items_read": loaded.count, "items_paid": picker.usedCount, "total": generated.reduce(Int64(0)) { $0 + $1.amount },
            "mix": Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }), "seed": seed,
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
    }

    /// One receipt of `kind`; falls back to an invoice number in the text when the kind's items
    /// ran out, and to an unknown payer when every item is paid.
    func make(_ kind: Kind, index: Int, today: Int, picker: inout Picker, rng: inout SplitMix64) -> (Kind, Receipt) {
        func unknownPayer() -> Receipt {
            let first = ["Max", "Erika", "Jonas", "Lea", "Paul", "Mia", "Felix", "Emma", "Lukas", "Hanna"][rng.below(10)]
            let last = ["Mustermann", "Schmidt", "Weber", "Wagner", "Becker", "Hoffmann", "Koch", "Richter"][rng.below(8)]
            let text = ["Zahlung", "Ueberweisung", "Payment", "Vorauszahlung", "Rueckzahlung Kaution"][rng.below(5)]
            return Receipt(amount: rng.between(500, 250_000), payerName: "\(first) \(last)",
                           payerAccount: germanIBAN(bank: "10010010", account: rng.next()), text: text, valueDay: today)
        }
        /// The customer's own account when known (mostly), else one the tenant has not seen.
        func account(_ item: Item, known: Bool) -> String {
            if known, !item.account.isEmpty { return item.account }
            return germanIBAN(bank: "50010517", account: UInt64(abs(item.customer.hashValueStable)) &* 31 &+ 7)
        }
        func invoiceText(_ item: Item) -> String {
            switch rng.below(4) {
            case 0: item.number
            case 1: "Rechnung \(item.number)"
            case 2: "RE " + item.number.replacingOccurrences(of: "-", with: " ").lowercased() + " Danke"
            default: "Invoice \(item.number) Kd \(item.customer)"
            }
        }
        /// The payer of `item`: from its known account 7 times in 10 (or always, with `knownAccount`).
        func paying(_ item: Item, amount: Int64, text: String, knownAccount: Bool? = nil, valueDay: Int? = nil) -> Receipt {
            let known = knownAccount ?? (rng.below(10) < 7)
            return Receipt(amount: amount, payerName: item.name, payerAccount: account(item, known: known), text: text, valueDay: valueDay ?? today)
        }
        switch kind {
        case .unknown:
            return (kind, unknownPayer())
        case .payerAmount:
            guard let item = picker.next(.withAccount) else { return make(.invoiceText, index: index, today: today, picker: &picker, rng: &rng) }
            let text = ["Zahlung", "Sammelzahlung", "Payment", "Zahlung Kundennr \(item.customer)"][rng.below(4)]
            return (kind, paying(item, amount: item.amount, text: text, knownAccount: true))
        case .discount:
            guard let item = picker.next(.withDiscount), let last = item.discountDay else {
                return make(.invoiceText, index: index, today: today, picker: &picker, rng: &rng)
            }
            return (kind, paying(item, amount: item.amount - item.discount, text: "Rechnung \(item.number) abzgl. 2 % Skonto",
                                 valueDay: min(today, last)))
        case .twoInvoices:
            guard let first = picker.next(.any) else { return (.unknown, unknownPayer()) }
            guard let second = picker.sibling(of: first) else {
                return (.invoiceText, paying(first, amount: first.amount, text: invoiceText(first)))
            }
            return (kind, paying(first, amount: first.amount + second.amount, text: "\(first.number) \(second.number)"))
        default:
            guard let item = picker.next(.any) else { return (.unknown, unknownPayer()) }
            switch kind {
            case .rfReference:
                let rf = creditorReference(item.number.filter { $0.isLetter || $0.isNumber })
                let grouped = stride(from: 0, to: rf.count, by: 4).map { String(Array(rf)[$0..<min(rf.count, $0 + 4)]) }.joined(separator: " ")
                return (kind, paying(item, amount: item.amount, text: grouped))
            case .shortCharges where item.amount > 1_000:
                return (kind, paying(item, amount: item.amount - rng.between(50, 500), text: invoiceText(item)))
            case .shortDeduction:
                let short = max(600, item.amount * rng.between(10, 30) / 100)
                guard item.amount - short > 0 else { return (.invoiceText, paying(item, amount: item.amount, text: invoiceText(item))) }
                return (kind, paying(item, amount: item.amount - short, text: "\(invoiceText(item)) abzgl. Reklamation"))
            case .overpayment:
                return (kind, paying(item, amount: item.amount + rng.between(100, 5_000), text: invoiceText(item)))
            case .nameOnly:
                let name = rng.below(2) == 0 ? item.name.uppercased() : item.name
                return (kind, Receipt(amount: item.amount, payerName: name, payerAccount: account(item, known: false), text: "Zahlung",
                                      valueDay: today))
            default:
                return (.invoiceText, paying(item, amount: item.amount, text: invoiceText(item)))
            }
        }
    }

    /// Hands out each item once: in a shuffled order, or only items whose customer has a known
    /// account, or only discounted items; or another unpaid item of the same customer.
    struct Picker {
        enum Queue { case any, withAccount, withDiscount }
        let items: [Item]
        private var used: [Bool]
        private var queues: [Queue: [Int]] = [:]
        private var cursors: [Queue: Int] = [:]
        private var byCustomer: [String: [Int]] = [:]
        private(set) var usedCount = 0

        init(_ items: [Item], rng: inout SplitMix64) {
            self.items = items
            used = Array(repeating: false, count: items.count)
            var order = Array(items.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
            queues[.any] = order
            queues[.withAccount] = order.filter { !items[$0].account.isEmpty }
            queues[.withDiscount] = order.filter { items[$0].discount > 0 && items[$0].discountDay != nil }
            for index in order { byCustomer[items[index].customer, default: []].append(index) }
        }

        mutating func next(_ queue: Queue) -> Item? {
            let list = queues[queue]!
            var cursor = cursors[queue, default: 0]
            defer { cursors[queue] = cursor }
            while cursor < list.count {
                let index = list[cursor]
                cursor += 1
                if !used[index] { return take(index) }
            }
            return nil
        }

        mutating func sibling(of item: Item) -> Item? {
            guard let index = byCustomer[item.customer]?.first(where: { !used[$0] }) else { return nil }
            return take(index)
        }

        private mutating func take(_ index: Int) -> Item {
            used[index] = true
            usedCount += 1
            return items[index]
        }
    }

    static func load(_ path: String) throws -> [Item] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var items: [Item] = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 7, let amount = Int64(f[2]), let discount = Int64(f[3]) else {
                throw ValidationError("\(path) line \(number + 1): expected 7 tab-separated fields (number, customer, amount, discount, discount day, name, account)")
            }
            items.append(Item(number: f[0], customer: f[1], amount: amount, discount: discount, discountDay: Int(f[4]), name: f[5],
                              account: f[6] == "\\N" ? "" : f[6]))
        }
        return items
    }

    static func day(iso: String) throws -> Int {
        let parts = iso.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { throw ValidationError("--date takes YYYY-MM-DD (got \(iso))") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        guard let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) else {
            throw ValidationError("--date \(iso) is not a date")
        }
        return Int(date.timeIntervalSince1970 / 86_400)
    }

    /// YYMMDD and MMDD of a day number.
    static func dates(_ day: Int) -> (yymmdd: String, mmdd: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(day) * 86_400))
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return (two(parts.year! % 100) + two(parts.month!) + two(parts.day!), two(parts.month!) + two(parts.day!))
    }

    static func euros(_ cents: Int64) -> String { "\(cents / 100),\(cents % 100 < 10 ? "0" : "")\(cents % 100)" }

    /// Statements of `perStatement` credits each, balances carried from one to the next; each
    /// receipt a :61: line and a German structured :86: (EREF/SVWZ in ?20-?29, the payer's
    /// account in ?31, name in ?32/?33), wrapped at 65 characters.
    static func mt940(_ receipts: [Receipt], perStatement: Int, today: Int, reference: String) -> String {
        var text = ""
        text.reserveCapacity(receipts.count * 220)
        let (booked, _) = dates(today)
        var balance: Int64 = 0
        func chunks(_ value: String, _ width: Int) -> [String] {
            let characters = Array(value)
            return stride(from: 0, to: characters.count, by: width).map { String(characters[$0..<min(characters.count, $0 + width)]) }
        }
        for (statement, start) in stride(from: 0, to: receipts.count, by: perStatement).enumerated() {
            let number = String(statement + 1)
            text += ":20:\(reference)\n:25:DE89370400440532013000\n:28C:\(String(repeating: "0", count: max(0, 5 - number.count)))\(number)/001\n"
            text += ":60F:C\(booked)EUR\(euros(balance))\n"
            for (offset, receipt) in receipts[start..<min(receipts.count, start + perStatement)].enumerated() {
                let sequence = start + offset + 1
                let (value, entry) = dates(receipt.valueDay)
                let e2e = "E2E-CB-\(sequence)"
                text += ":61:\(value)\(entry)C\(euros(receipt.amount))NTRF\(e2e)//BK\(sequence)\n"
                var narrative = "166?00SEPA-GUTSCHRIFT"
                for (i, piece) in chunks("EREF+\(e2e) SVWZ+\(receipt.text)", 27).prefix(10).enumerated() { narrative += "?2\(i)" + piece }
                narrative += "?31" + receipt.payerAccount
                for (i, piece) in chunks(receipt.payerName, 27).prefix(2).enumerated() { narrative += "?3\(i + 2)" + piece }
                text += ":86:" + chunks(narrative, 65).joined(separator: "\n") + "\n"
                balance += receipt.amount
            }
            text += ":62F:C\(booked)EUR\(euros(balance))\n-\n"
        }
        return text
    }
}

extension String {
    /// FNV-1a of the UTF-8 bytes: the same in every process (Swift's hashValue is seeded per run).
    var hashValueStable: Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return Int64(bitPattern: hash >> 1)
    }
}

/// RunMatching, `--max-receipts` at a time, until a call finds no unmatched receipt; one JSON
/// object with the calls, receipts, applied and exceptions, per rule and difference.
struct CashAppMatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cashapp-match",
        abstract: "CashApplicationService/RunMatching repeatedly until no unmatched receipts are left (one call at a time).")
    @Option(help: "otcd address host:port.") var server = "127.0.0.1:7443"
    @Option(help: "PEM certificate of the server to pin (dev certificates).") var caFile: String?
    @Option(help: "Operator token with the analyst role on the tenant (the platform-admin token will do).") var token: String
    @Option(help: "Tenant slug.") var tenant: String
    @Option(help: "max_receipts of each call (the server takes at most 5 000).") var maxReceipts = 5_000
    @Option(help: "Deadline of each call in seconds (the server allows at most 300).") var timeout = 300
    @Option(help: "Stop after this many seconds even if receipts are left (0: never).") var maxSeconds = 0
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() async throws {
        let (host, port) = ClientOptions.endpoint(server)
        let options = ClientOptions(host: host, port: port, credential: .operatorToken(token),
                                    trust: caFile.map { .pinned(certificatePath: $0) } ?? .insecure, clientName: "otc-bench")
        var calls: [[String: Any]] = []
        var receipts = 0, applied = 0, exceptions = 0
        var appliedByRule: [String: Int] = [:], exceptionsByRule: [String: Int] = [:], differences: [String: Int] = [:]
        var stopped = false
        let began = ContinuousClock.now
        func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }
        while true {
            // A connection per call: one call may take minutes, longer than the server's idle timeout.
            let connection = try await OTCConnection.connect(options)
            let start = ContinuousClock.now
            let reply: Otc_Cashapp_V1_RunMatchingResponse = try await connection.call(
                "/otc.cashapp.v1.CashApplicationService/RunMatching", tenant: tenant,
                request: Otc_Cashapp_V1_RunMatchingRequest.with { $0.maxReceipts = UInt32(maxReceipts) },
                timeout: .seconds(timeout), idempotencyKey: UUID().uuidString.lowercased())
            let took = seconds(ContinuousClock.now - start)
            await connection.close()
            guard reply.receipts > 0 else { break }
            receipts += Int(reply.receipts)
            applied += Int(reply.applied)
            exceptions += Int(reply.exceptions)
            for proposal in reply.proposals {
                let rule = proposal.rule.isEmpty ? "none" : proposal.rule
                if proposal.status == "applied" {
                    appliedByRule[rule, default: 0] += 1
                    for difference in proposal.differences { differences[difference.kind, default: 0] += 1 }
                } else {
                    exceptionsByRule[rule, default: 0] += 1
                }
            }
            calls.append(["receipts": Int(reply.receipts), "applied": Int(reply.applied), "exceptions": Int(reply.exceptions), "seconds": took])
            FileHandle.standardError.write(Data(String(
                format: "call %d: %d receipts in %.1f s (%d applied, %d exceptions), %d so far\n",
                calls.count, reply.receipts, took, reply.applied, reply.exceptions, receipts).utf8))
            if maxSeconds > 0, seconds(ContinuousClock.now - began) > Double(maxSeconds) {
                stopped = true
                break
            }
        }
        let total = seconds(ContinuousClock.now - began)
        let summary: [String: Any] = [
            "tenant": tenant, "calls": calls.count, "receipts": receipts, "applied": applied, "exceptions": exceptions,
            "seconds": total, "receipts_per_s": total > 0 ? Double(receipts) / total : 0, "stopped_early": stopped,
            "applied_by_rule": appliedByRule, "exceptions_by_rule": exceptionsByRule, "applied_differences": differences,
            "slowest_call_s": calls.map { $0["seconds"] as! Double }.max() ?? 0, "max_receipts": maxReceipts, "per_call": calls,
        ]
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(String(format: "%d receipts in %d calls, %.1f s (%.0f receipts/s): %d applied, %d exceptions%@",
                         receipts, calls.count, total, total > 0 ? Double(receipts) / total : 0, applied, exceptions,
                         stopped ? " (stopped early: receipts left)" : ""))
            print("applied by rule: \(appliedByRule.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
            print("exceptions by best rule: \(exceptionsByRule.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        }
    }
}
