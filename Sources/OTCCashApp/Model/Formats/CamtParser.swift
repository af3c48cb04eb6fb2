public import Foundation
import OTCCore
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads ISO 20022 bank-to-customer messages: camt.053 account statements and camt.054
/// debit/credit notifications, versions 02 to 13 (02, 04 and 08 are tested; the shapes that
/// changed between versions — `BIC`/`BICFI`, `Sts`/`Sts/Cd`, `Dbtr/Nm`/`Dbtr/Pty/Nm`, where the
/// charges total sits — are all accepted).
///
/// The XML is streamed through `XMLParser`; only a statement's header and the current entry are
/// held, so a large file does not grow memory beyond its receipts. What it makes of the contents:
/// - An entry (`Ntry`) is one receipt with the entry amount; a batch (several `TxDtls`, each with
///   its own amount) is one receipt per transaction, referenced "<entry>/1", "<entry>/2", …:
///   the entry total is never split.
/// - Entries with status PDNG (pending) are left out, without an error: the bank has not booked
///   them and will report the booked entry later. BOOK and INFO entries are returned.
/// - A bad amount or currency skips its entry (or batch transaction) with an error at the
///   element's path, e.g. "Stmt[2]/Ntry[5]/Amt"; the rest of the file imports.
/// - `TxsSummry` figures, and opening balance + booked entries = closing balance, are verified
///   when the statement carries them; a mismatch is an error and the entries are still returned.
/// - Malformed XML is an error at the parser's line and column; statements and entries complete
///   before it are returned (a statement cut short comes with its complete entries, unverified).
public enum CamtParser {
    public static func parse(_ data: Data) -> ParsedBankFile {
        let builder = CamtTreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        // On Linux `parse()` returns true for a truncated or empty file: trust the delegate too.
        let completed = parser.parse() && builder.failure == nil && builder.reader.sawDocument
        var reader = builder.reader
        if !completed {
            reader.fail(at: builder.failure, openStatement: builder.stack.count > 2 ? builder.stack[2] : nil)
        }
        return reader.result
    }
}

// MARK: - Document and statements

/// Turns the element stream into statements: checks the message type at the root, reads each
/// entry when it closes, and each statement's header and control totals when the statement closes.
struct CamtReader {
    private(set) var result = ParsedBankFile(format: .camt053)
    private(set) var sawDocument = false
    /// "Stmt" in camt.053, "Ntfctn" in camt.054.
    private var statementElement = ""
    private var formatFromNamespace: BankFileFormat?
    private var statement: CamtStatementDraft?

    /// Called as an element opens; false refuses the document (reported) and stops the parser.
    mutating func open(_ node: CamtNode, depth: Int, namespace: String) -> Bool {
        switch depth {
        case 0: return openDocument(node, namespace: namespace)
        case 1: return openMessage(node)
        case 2 where node.name == statementElement:
            statement = CamtStatementDraft()
            return true
        default: return true
        }
    }

    /// Called as an element closes; true lets it join its parent, false means it was consumed.
    mutating func close(_ node: CamtNode, depth: Int) -> Bool {
        if depth == 3, node.name == "Ntry", statement != nil {
            read(entry: node)
            return false
        }
        if depth == 2, node.name == statementElement {
            finish(statement: node, verify: true)
            return false
        }
        return true
    }

    /// The XML broke off: say where, and keep the statement in progress with its complete entries.
    mutating func fail(at failure: (line: Int, column: Int, code: Int)?, openStatement: CamtNode?) {
        if let failure {
            let reason = Self.describe(parserError: failure.code)
            result.errors.append(BankFileError(location: "line \(failure.line), column \(failure.column)",
                                               message: "malformed XML (\(reason)); nothing after this point is imported"))
        } else if result.errors.isEmpty {
            result.errors.append(BankFileError(location: "Document", message: "no XML document found"))
        }
        if let openStatement, statement != nil { finish(statement: openStatement, verify: false) }
    }

    /// Namespace "urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN" (or camt.054), NN from 02 to 13.
    static func format(namespace: String) -> BankFileFormat? {
        let prefix = "urn:iso:std:iso:20022:tech:xsd:camt."
        guard namespace.hasPrefix(prefix) else { return nil }
        let parts = namespace.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1] == "001", parts[2].count == 2, let version = Int(parts[2]),
              (2...13).contains(version) else { return nil }
        switch parts[0] {
        case "053": return .camt053
        case "054": return .camt054
        default: return nil
        }
    }

    private mutating func openDocument(_ node: CamtNode, namespace: String) -> Bool {
        sawDocument = true
        guard node.name == "Document" else { return refuse("the root element is <\(node.name)>, not an ISO 20022 <Document>") }
        // Without a namespace the message root alone tells the type.
        guard !namespace.isEmpty else { return true }
        guard let format = Self.format(namespace: namespace) else {
            return refuse("unsupported namespace \(namespace): expected camt.053 or camt.054, version 02 to 13")
        }
        formatFromNamespace = format
        result.format = format
        return true
    }

    private mutating func openMessage(_ node: CamtNode) -> Bool {
        let format: BankFileFormat
        switch node.name {
        case "BkToCstmrStmt": format = .camt053
        case "BkToCstmrDbtCdtNtfctn": format = .camt054
        default: return refuse("<\(node.name)> is neither a bank-to-customer statement nor a notification")
        }
        if let formatFromNamespace, formatFromNamespace != format {
            return refuse("<\(node.name)> does not match the \(formatFromNamespace.rawValue) namespace")
        }
        result.format = format
        statementElement = format == .camt053 ? "Stmt" : "Ntfctn"
        return true
    }

    private mutating func refuse(_ message: String) -> Bool {
        result.errors.append(BankFileError(location: "Document", message: message))
        return false
    }

    private mutating func read(entry: CamtNode) {
        // Taken out, not copied, so appending receipts does not copy the array each time.
        guard var draft = statement else { return }
        statement = nil
        let status = (entry.value("Sts/Cd") ?? entry.value("Sts/Prtry") ?? entry.value("Sts"))?.uppercased()
        let isPending = status == "PDNG"
        draft.count(entryPending: isPending)
        let reference = entry.value("NtryRef") ?? entry.value("AcctSvcrRef") ?? "NTRY-\(draft.all.entries)"
        do throws(CamtIssue) {
            let amount = try CamtValue.amount(entry.child("Amt"), at: "\(entry.path)/Amt")
            let isCredit = try CamtValue.isCredit(entry)
            draft.record(amount, isCredit: isCredit, pending: isPending, booked: status == "BOOK" || status == nil)
            if !isPending {
                var entryReader = CamtEntryReader(entry: entry, reference: reference, amount: amount, isCredit: isCredit)
                draft.receipts += entryReader.receipts()
                result.errors += entryReader.errors
            }
        } catch {
            draft.unreadable += 1
            result.errors.append(error.fileError)
        }
        statement = draft
    }

    /// Builds the statement from its header (what is left of the node once entries were consumed).
    private mutating func finish(statement node: CamtNode, verify: Bool) {
        guard let draft = statement else { return }
        statement = nil
        var issues: [CamtIssue] = []
        let id = node.value("Id")
        if id == nil { issues.append(CamtIssue("\(node.path)/Id", "statement id missing")) }
        let account = node.value("Acct/Id/IBAN") ?? node.value("Acct/Id/Othr/Id")
        if account == nil { issues.append(CamtIssue("\(node.path)/Acct/Id", "account missing (neither IBAN nor Othr/Id)")) }
        var accountCurrency: Currency?
        if let code = node.value("Acct/Ccy") {
            accountCurrency = Currency(code)
            if accountCurrency == nil { issues.append(CamtIssue("\(node.path)/Acct/Ccy", "'\(code)' is not an ISO 4217 currency code")) }
        }
        let balances = Self.balances(of: node, issues: &issues)
        let currency = accountCurrency ?? balances.opening?.money.currency ?? balances.closing?.money.currency
            ?? draft.receipts.first?.currency
        if verify {
            issues += draft.verify(summary: node.child("TxsSummry"), currency: currency)
            issues += draft.verify(opening: balances.opening, closing: balances.closing, currency: currency)
        }
        result.errors += issues.map(\.fileError)
        result.statements.append(BankStatement(id: id ?? "", account: account ?? "", currency: currency,
                                               openingBalance: balances.opening?.money.units, closingBalance: balances.closing?.money.units,
                                               receipts: draft.receipts))
    }

    /// OPBD (or PRCD, the previous closing balance some banks send instead) and CLBD, signed.
    private static func balances(of node: CamtNode, issues: inout [CamtIssue]) -> (opening: CamtBalance?, closing: CamtBalance?) {
        var found: [String: CamtBalance] = [:]
        for balance in node.all("Bal") {
            guard let code = balance.value("Tp/CdOrPrtry/Cd")?.uppercased(), ["OPBD", "PRCD", "CLBD"].contains(code),
                  found[code] == nil else { continue }
            do throws(CamtIssue) {
                var money = try CamtValue.amount(balance.child("Amt"), at: "\(balance.path)/Amt")
                if try !CamtValue.isCredit(balance) { money.units = -money.units }
                found[code] = CamtBalance(money: money, path: balance.path)
            } catch {
                issues.append(error)
            }
        }
        return (found["OPBD"] ?? found["PRCD"], found["CLBD"])
    }

    /// The error codes are libxml2's, which the parser's NSError carries on every platform
    /// (`XMLParser.ErrorCode` raw values differ between Darwin and Linux, so they are not used).
    private static func describe(parserError code: Int) -> String {
        switch code {
        case 4: "no element where the document should start"
        case 5: "the document ends early, or has content after its end"
        case 76: "an end tag does not match the element it closes"
        case 77: "the document ends inside an element"
        default: "libxml2 error \(code)"
        }
    }
}

struct CamtBalance {
    var money: Money
    var path: String
}

/// Running figures of the statement being read, to verify its control totals.
struct CamtStatementDraft {
    struct Tally {
        var count = 0
        var sum: Int64 = 0

        func excluding(_ other: Tally) -> Tally { Tally(count: count - other.count, sum: sum &- other.sum) }
    }

    struct Totals {
        var entries = 0
        var credits = Tally()
        var debits = Tally()

        func excluding(_ other: Totals) -> Totals {
            Totals(entries: entries - other.entries, credits: credits.excluding(other.credits), debits: debits.excluding(other.debits))
        }
    }

    /// Every entry, and the pending ones alone: banks differ on whether a summary counts them.
    private(set) var all = Totals()
    private var pending = Totals()
    /// Booked entries only (BOOK, or no status): what moves the booked balance.
    private var bookedCredits: Int64 = 0
    private var bookedDebits: Int64 = 0
    private var currencies: Set<Currency> = []
    /// Entries whose amount could not be read: their sums are unknown, so are the statement's.
    var unreadable = 0
    var receipts: [BankReceipt] = []

    mutating func count(entryPending: Bool) {
        all.entries += 1
        if entryPending { pending.entries += 1 }
    }

    // Sums wrap rather than trap: they are only compared, and a wrap on absurd amounts shows as a mismatch.
    mutating func record(_ amount: Money, isCredit: Bool, pending isPending: Bool, booked: Bool) {
        currencies.insert(amount.currency)
        Self.add(amount.units, isCredit: isCredit, to: &all)
        if isPending { Self.add(amount.units, isCredit: isCredit, to: &pending) }
        guard booked else { return }
        if isCredit { bookedCredits &+= amount.units } else { bookedDebits &+= amount.units }
    }

    private static func add(_ units: Int64, isCredit: Bool, to totals: inout Totals) {
        if isCredit {
            totals.credits.count += 1
            totals.credits.sum &+= units
        } else {
            totals.debits.count += 1
            totals.debits.sum &+= units
        }
    }

    /// Sums mean something only when every entry was read and all are in the statement currency.
    private func sumsComparable(in currency: Currency?) -> Currency? {
        guard unreadable == 0, let currency, currencies.allSatisfy({ $0 == currency }) else { return nil }
        return currency
    }

    /// `TxsSummry` against the entries read. A figure passes if it matches with or without the pending entries.
    func verify(summary: CamtNode?, currency: Currency?) -> [CamtIssue] {
        guard let summary else { return [] }
        let variants = [all, all.excluding(pending)]
        var issues: [CamtIssue] = []
        func count(_ path: String, _ figure: (Totals) -> Int) {
            guard let text = summary.value(path) else { return }
            if !variants.contains(where: { Int(text) == figure($0) }) {
                issues.append(CamtIssue("\(summary.path)/\(path)", "says \(text) entries, the statement has \(figure(all))"))
            }
        }
        func sum(_ path: String, signedBy indicator: String? = nil, in currency: Currency, _ figure: (Totals) -> Int64) {
            guard let text = summary.value(path) else { return }
            guard var stated = CamtValue.units(text, in: currency) else {
                issues.append(CamtIssue("\(summary.path)/\(path)", "'\(text)' is not an amount in \(currency)"))
                return
            }
            if let indicator, summary.value(indicator) == "DBIT" { stated = -stated }
            if !variants.contains(where: { figure($0) == stated }) {
                let entries = Money(units: figure(all), currency: currency), says = Money(units: stated, currency: currency)
                issues.append(CamtIssue("\(summary.path)/\(path)", "says \(says), the entries add up to \(entries)"))
            }
        }
        count("TtlNtries/NbOfNtries") { $0.entries }
        guard let currency = sumsComparable(in: currency) else { return issues }
        count("TtlCdtNtries/NbOfNtries") { $0.credits.count }
        count("TtlDbtNtries/NbOfNtries") { $0.debits.count }
        sum("TtlNtries/Sum", in: currency) { $0.credits.sum &+ $0.debits.sum }
        sum("TtlCdtNtries/Sum", in: currency) { $0.credits.sum }
        sum("TtlDbtNtries/Sum", in: currency) { $0.debits.sum }
        // The net total: TtlNetNtry/Amt from version 04, TtlNetNtryAmt with a sibling indicator in 02.
        sum("TtlNtries/TtlNetNtry/Amt", signedBy: "TtlNtries/TtlNetNtry/CdtDbtInd", in: currency) { $0.credits.sum &- $0.debits.sum }
        sum("TtlNtries/TtlNetNtryAmt", signedBy: "TtlNtries/CdtDbtInd", in: currency) { $0.credits.sum &- $0.debits.sum }
        return issues
    }

    /// Opening balance + booked credits − booked debits must give the closing balance.
    func verify(opening: CamtBalance?, closing: CamtBalance?, currency: Currency?) -> [CamtIssue] {
        guard let opening, let closing, let currency = sumsComparable(in: currency),
              opening.money.currency == currency, closing.money.currency == currency else { return [] }
        let expected = opening.money.units &+ bookedCredits &- bookedDebits
        guard expected != closing.money.units else { return [] }
        let money = { (units: Int64) in Money(units: units, currency: currency) }
        return [CamtIssue(closing.path, "closing balance \(closing.money) differs from opening \(opening.money) + booked credits "
                              + "\(money(bookedCredits)) − booked debits \(money(bookedDebits)) = \(money(expected))")]
    }
}

// MARK: - Entries

/// Reads one entry into receipts: the entry itself, or one receipt per transaction of a batch.
struct CamtEntryReader {
    let entry: CamtNode
    let reference: String
    let amount: Money
    let isCredit: Bool
    private(set) var errors: [BankFileError] = []

    init(entry: CamtNode, reference: String, amount: Money, isCredit: Bool) {
        self.entry = entry
        self.reference = reference
        self.amount = amount
        self.isCredit = isCredit
    }

    mutating func receipts() -> [BankReceipt] {
        let transactions = entry.all("NtryDtls").flatMap { $0.all("TxDtls") }
        let base = baseReceipt()
        do throws(CamtIssue) {
            guard transactions.count > 1 else { return [try single(base, transaction: transactions.first)] }
            let priced = transactions.compactMap { transaction in Self.ownAmount(of: transaction).map { (transaction, $0) } }
            guard priced.count == transactions.count else {
                let unpriced = transactions.first { Self.ownAmount(of: $0) == nil }
                report(CamtIssue(unpriced?.path ?? entry.path,
                                 "a transaction of the batch has no amount of its own: the entry is imported as one receipt"))
                return [try merged(base, transactions: transactions)]
            }
            return batch(base, priced)
        } catch {
            report(error)
            return []
        }
    }

    /// `Amt` from version 04; `AmtDtls/TxAmt/Amt` in 02 (and alongside later).
    private static func ownAmount(of transaction: CamtNode) -> CamtNode? {
        transaction.child("Amt") ?? transaction.node("AmtDtls/TxAmt/Amt")
    }

    /// What every receipt of the entry shares: amount and direction, reversal, dates, the bank's references.
    private mutating func baseReceipt() -> BankReceipt {
        BankReceipt(reference: reference, amount: amount.units, currency: amount.currency, isCredit: isCredit,
                    isReversal: CamtValue.flag(entry.value("RvslInd")), bookingDate: date("BookgDt"), valueDate: date("ValDt"),
                    remittanceText: entry.value("AddtlNtryInf") ?? "",
                    bankReference: entry.value("AcctSvcrRef") ?? entry.value("BkTxCd/Prtry/Cd") ?? "")
    }

    /// The entry as one receipt, with the details of its only transaction if it has one.
    private mutating func single(_ base: BankReceipt, transaction: CamtNode?) throws(CamtIssue) -> BankReceipt {
        var receipt = base
        if let transaction {
            receipt = details(of: transaction, over: base)
            if let own = try charges(of: transaction) {
                receipt.charges = own
                return receipt
            }
        }
        receipt.charges = try charges(of: entry) ?? 0
        return receipt
    }

    /// One receipt per transaction, each with its own amount and charges (charges given only on
    /// the entry are not spread over its transactions). A transaction that cannot be read is
    /// reported and left out; the others keep their numbers.
    private mutating func batch(_ base: BankReceipt, _ transactions: [(CamtNode, CamtNode)]) -> [BankReceipt] {
        var receipts: [BankReceipt] = []
        var net: Int64 = 0
        // Whether the transactions can be summed against the entry: all read, all in its currency.
        var comparable = true
        for (offset, (transaction, amountNode)) in transactions.enumerated() {
            do throws(CamtIssue) {
                let money = try CamtValue.amount(amountNode, at: amountNode.path)
                let credit = transaction.child("CdtDbtInd") == nil ? isCredit : try CamtValue.isCredit(transaction)
                var receipt = details(of: transaction, over: base)
                receipt.reference = "\(reference)/\(offset + 1)"
                receipt.amount = money.units
                receipt.currency = money.currency
                receipt.isCredit = credit
                receipt.charges = try charges(of: transaction) ?? 0
                receipts.append(receipt)
                if money.currency == amount.currency { net &+= credit ? money.units : -money.units } else { comparable = false }
            } catch {
                report(error)
                comparable = false
            }
        }
        let entryNet = isCredit ? amount.units : -amount.units
        if comparable, net != entryNet {
            let sum = Money(units: net, currency: amount.currency), total = Money(units: entryNet, currency: amount.currency)
            report(CamtIssue(entry.path, "the \(transactions.count) transactions add up to \(sum), the entry amount is \(total)"))
        }
        return receipts
    }

    /// A batch that cannot be split: the entry amount, with what its transactions have in common.
    private mutating func merged(_ base: BankReceipt, transactions: [CamtNode]) throws(CamtIssue) -> BankReceipt {
        let parts = transactions.map { details(of: $0, over: base) }
        var receipt = base
        receipt.payerName = Self.shared(parts.map(\.payerName))
        receipt.payerAccount = Self.shared(parts.map(\.payerAccount))
        receipt.endToEndID = Self.shared(parts.map(\.endToEndID))
        receipt.bankReference = Self.shared(parts.map(\.bankReference))
        receipt.structuredReferences = Self.unique(parts.flatMap(\.structuredReferences))
        receipt.remittanceText = Self.unique(parts.map(\.remittanceText).filter { !$0.isEmpty }).joined(separator: " ")
        if let own = try charges(of: entry) {
            receipt.charges = own
        } else {
            for transaction in transactions {
                receipt.charges = try CamtValue.add(receipt.charges, try charges(of: transaction) ?? 0, at: transaction.path)
            }
        }
        return receipt
    }

    /// The transaction's payer, references and remittance information over the entry's.
    private func details(of transaction: CamtNode, over base: BankReceipt) -> BankReceipt {
        var receipt = base
        let parties = transaction.child("RltdPties")
        receipt.payerName = parties?.value("Dbtr/Pty/Nm") ?? parties?.value("Dbtr/Nm") ?? ""
        receipt.payerAccount = parties?.value("DbtrAcct/Id/IBAN") ?? parties?.value("DbtrAcct/Id/Othr/Id") ?? ""
        if let id = transaction.value("Refs/EndToEndId"), id.uppercased() != "NOTPROVIDED" { receipt.endToEndID = id }
        let remittance = transaction.all("RmtInf")
        receipt.structuredReferences = remittance.flatMap { $0.all("Strd") }.flatMap(Self.references(in:))
        let text = remittance.flatMap { $0.all("Ustrd") }.compactMap(\.value).joined(separator: " ")
        receipt.remittanceText = text.isEmpty ? transaction.value("AddtlTxInf") ?? base.remittanceText : text
        receipt.bankReference = transaction.value("Refs/AcctSvcrRef") ?? entry.value("AcctSvcrRef")
            ?? transaction.value("BkTxCd/Prtry/Cd") ?? base.bankReference
        return receipt
    }

    /// Invoice numbers (`RfrdDocInf/Nb`) and the creditor reference (`CdtrRefInf/Ref`, e.g. ISO 11649 RF…) of one `Strd`.
    private static func references(in structured: CamtNode) -> [String] {
        structured.all("RfrdDocInf").compactMap { $0.value("Nb") } + [structured.value("CdtrRefInf/Ref")].compactMap { $0 }
    }

    /// Charges on an entry or a transaction, nil when it has none. `TtlChrgsAndTaxAmt` is the total
    /// where given (version 02 repeats it in every `Chrgs`); otherwise the records (`Rcrd/Amt`, or
    /// `Amt` in 02) add up. Charges in another currency than the movement are reported and left at 0.
    private mutating func charges(of node: CamtNode) throws(CamtIssue) -> Int64? {
        let blocks = node.all("Chrgs")
        guard !blocks.isEmpty else { return nil }
        let amounts = blocks.lazy.compactMap { $0.child("TtlChrgsAndTaxAmt") }.first.map { [$0] }
            ?? blocks.flatMap { block in block.all("Rcrd").compactMap { $0.child("Amt") } + block.all("Amt") }
        var total: Int64 = 0
        for element in amounts {
            let money = try CamtValue.amount(element, at: element.path)
            guard money.currency == amount.currency else {
                report(CamtIssue(element.path, "charges in \(money.currency) on a movement in \(amount.currency) are not imported"))
                return 0
            }
            total = try CamtValue.add(total, money.units, at: element.path)
        }
        return total
    }

    /// A date of the entry; one that cannot be read is reported and left empty (the entry still imports).
    private mutating func date(_ name: String) -> BusinessDate? {
        do throws(CamtIssue) {
            return try CamtValue.date(entry.child(name))
        } catch {
            report(error)
            return nil
        }
    }

    private mutating func report(_ issue: CamtIssue) { errors.append(issue.fileError) }

    private static func shared(_ values: [String]) -> String { Set(values).count == 1 ? values[0] : "" }

    private static func unique(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }
}

// MARK: - Values

/// A problem with one element; becomes a `BankFileError`.
struct CamtIssue: Error {
    let location: String
    let message: String

    init(_ location: String, _ message: String) {
        self.location = location
        self.message = message
    }

    var fileError: BankFileError { BankFileError(location: location, message: message) }
}

enum CamtValue {
    /// An `Amt`-like element: an unsigned decimal, its currency in the `Ccy` attribute.
    static func amount(_ node: CamtNode?, at path: String) throws(CamtIssue) -> Money {
        guard let node, let text = node.value else { throw CamtIssue(path, "amount missing") }
        guard let code = node.attributes["Ccy"], let currency = Currency(code) else {
            throw CamtIssue(path, "currency \(node.attributes["Ccy"].map { "'\($0)'" } ?? "(no Ccy)") is not an ISO 4217 code")
        }
        guard let units = units(text, in: currency) else {
            throw CamtIssue(path, "'\(text)' is not an amount in \(currency) (unsigned, at most \(currency.minorUnitDigits) decimals)")
        }
        return Money(units: units, currency: currency)
    }

    /// An xs:decimal without sign or grouping, in minor units. Strict, because `BankAmount` would
    /// take "1,50" for one hundred and fifty.
    static func units(_ text: String, in currency: Currency) -> Int64? {
        guard text.allSatisfy({ $0.isASCIIDigit || $0 == "." }) else { return nil }
        return BankAmount.minorUnits(text, currency: currency)
    }

    /// `CdtDbtInd` of an entry, transaction or balance: CRDT is money in.
    static func isCredit(_ node: CamtNode) throws(CamtIssue) -> Bool {
        switch node.value("CdtDbtInd") {
        case "CRDT": return true
        case "DBIT": return false
        case let other?: throw CamtIssue("\(node.path)/CdtDbtInd", "'\(other)' is neither CRDT nor DBIT")
        case nil: throw CamtIssue("\(node.path)/CdtDbtInd", "credit/debit indicator missing")
        }
    }

    /// A `Dt`/`DtTm` choice: the calendar date as written, whatever the time zone says.
    static func date(_ node: CamtNode?) throws(CamtIssue) -> BusinessDate? {
        guard let node else { return nil }
        guard let element = node.child("Dt") ?? node.child("DtTm"), let text = element.value else {
            throw CamtIssue(node.path, "neither Dt nor DtTm given")
        }
        let rest = text.dropFirst(10)
        guard rest.isEmpty || ["T", "Z", "+", "-"].contains(rest.first), let date = BusinessDate(text.prefix(10)) else {
            throw CamtIssue(element.path, "'\(text)' is not a date")
        }
        return date
    }

    /// xs:boolean.
    static func flag(_ text: String?) -> Bool { text == "true" || text == "1" }

    static func add(_ a: Int64, _ b: Int64, at path: String) throws(CamtIssue) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        if overflow { throw CamtIssue(path, "amounts too large to add up") }
        return sum
    }
}
