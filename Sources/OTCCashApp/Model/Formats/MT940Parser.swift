import Foundation
import OTCCore

/// SWIFT MT940 customer statements: one statement per `:20:` block, one receipt per `:61:`
/// statement line, enriched by the `:86:` that directly follows it. Each statement is checked:
/// opening balance + credits − debits must equal the closing balance.
///
/// `:86:` is read as German structured narrative when it is one (`166?00…?20…?32…`): payer name,
/// payer account, end-to-end id (`EREF+`) and remittance text (`SVWZ+`, else all of `?20`–`?29`);
/// any other `:86:` is kept whole as remittance text.
public enum MT940Parser {
    public static func parse(_ text: String) -> ParsedBankFile {
        var builder = Builder()
        for field in fields(text) { builder.read(field) }
        builder.finish()
        return ParsedBankFile(format: .mt940, statements: builder.statements, errors: builder.errors)
    }

    /// One tagged field with its lines: the text after the tag, then its continuation lines.
    /// Tag "-" is the end-of-message marker.
    struct Field {
        let tag: String
        let line: Int
        var lines: [Substring]
    }

    /// The file's fields in order. A SWIFT envelope (`{1:…}{2:…}{4:` … `-}`) is tolerated.
    static func fields(_ text: String) -> [Field] {
        var fields: [Field] = []
        for (number, raw) in LineFormat.numberedLines(text) {
            var line = raw
            if line.hasPrefix("{") {
                guard let block = line.range(of: "{4:") else { continue }
                line = line[block.upperBound...]
            }
            let trimmed = LineFormat.trimmed(line)
            if trimmed.isEmpty { continue }
            if trimmed == "-" || trimmed.hasPrefix("-}") {
                fields.append(Field(tag: "-", line: number, lines: []))
            } else if let (tag, content) = tagged(line) {
                fields.append(Field(tag: tag, line: number, lines: [content]))
            } else if let last = fields.last, last.tag != "-" {
                fields[fields.count - 1].lines.append(line)
            }
        }
        return fields
    }

    /// ":NN:" or ":NNA:" at the start of a line, and the text after it.
    static func tagged(_ line: Substring) -> (String, Substring)? {
        guard line.first == ":" else { return nil }
        let afterColon = line.dropFirst()
        guard let close = afterColon.prefix(4).firstIndex(of: ":") else { return nil }
        let tag = afterColon[..<close]
        guard tag.count >= 2, tag.prefix(2).allSatisfy(\.isASCIIDigit), tag.count == 2 || tag.last!.isLetter else { return nil }
        return (String(tag), afterColon[afterColon.index(after: close)...])
    }

    struct Problem: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// A balance field (`:60F:`, `:62F:` …): D/C mark, YYMMDD date, currency, amount with a comma.
    static func balance(_ text: String) throws(Problem) -> (amount: Int64, currency: Currency) {
        let text = LineFormat.trimmed(text)
        guard text.count > 10, let mark = text.first, mark == "C" || mark == "D" else {
            throw Problem("balance '\(text)' does not start with C or D, a YYMMDD date and a currency")
        }
        let body = text.dropFirst()
        guard LineFormat.date(yymmdd: body.prefix(6)) != nil else { throw Problem("balance date '\(body.prefix(6))' is not a YYMMDD date") }
        let code = String(body.dropFirst(6).prefix(3))
        guard let currency = Currency(code) else { throw Problem("balance currency '\(code)' is not an ISO 4217 code") }
        let amountText = String(body.dropFirst(9))
        guard amountText.contains(","), let amount = BankAmount.minorUnits(amountText, currency: currency, decimalSeparator: ",") else {
            throw Problem("balance amount '\(amountText)' is not an amount with a decimal comma")
        }
        return (mark == "D" ? -amount : amount, currency)
    }
}

// MARK: - Statement lines (:61:)

extension MT940Parser {
    struct StatementLine {
        var valueDate: BusinessDate
        var entryDate: BusinessDate?
        var isCredit: Bool
        var isReversal: Bool
        var amount: Int64
        var customerReference: String
        var bankReference: String
        var supplementary: String
    }

    /// `:61:` = value date YYMMDD, [entry date MMDD], mark (C, D, RC, RD), [funds code], amount,
    /// transaction type (N/F/S + 3), customer reference [//bank reference], then an optional
    /// line of supplementary details. References longer than the standard's 16 characters are
    /// accepted: banks write them.
    static func statementLine(_ lines: [Substring], currency: Currency) throws(Problem) -> StatementLine {
        var rest = Substring(LineFormat.trimmed(lines[0]))
        guard let valueDate = LineFormat.date(yymmdd: rest.prefix(6)) else { throw Problem("value date '\(rest.prefix(6))' is not a YYMMDD date") }
        rest = rest.dropFirst(6)
        var entryDate: BusinessDate?
        if rest.prefix(4).count == 4, rest.prefix(4).allSatisfy(\.isASCIIDigit) {
            entryDate = entry(mmdd: rest.prefix(4), near: valueDate)
            if entryDate == nil { throw Problem("entry date '\(rest.prefix(4))' is not an MMDD date") }
            rest = rest.dropFirst(4)
        }
        let isReversal = rest.first == "R"
        if isReversal { rest = rest.dropFirst() }
        guard let mark = rest.first, mark == "C" || mark == "D" else {
            throw Problem("debit/credit mark '\(rest.prefix(2))' is not C, D, RC or RD")
        }
        rest = rest.dropFirst()
        if let fundsCode = rest.first, fundsCode.isLetter { rest = rest.dropFirst() }
        let amountText = rest.prefix { $0.isASCIIDigit || $0 == "," }
        rest = rest.dropFirst(amountText.count)
        guard amountText.contains(","), let amount = BankAmount.minorUnits(String(amountText), currency: currency, decimalSeparator: ","),
              amount > 0 else { throw Problem("amount '\(amountText)' is not a positive amount with a decimal comma") }
        guard let type = rest.first, "NFS".contains(type), rest.count >= 4 else {
            throw Problem("transaction type '\(rest.prefix(4))' is not N, F or S and three characters")
        }
        rest = rest.dropFirst(4)
        let references = rest.range(of: "//").map { (rest[..<$0.lowerBound], rest[$0.upperBound...]) } ?? (rest, "")
        let customerReference = LineFormat.trimmed(references.0)
        return StatementLine(
            valueDate: valueDate, entryDate: entryDate,
            // A reversed debit brings money back in; a reversed credit takes it out.
            isCredit: (mark == "C") != isReversal, isReversal: isReversal, amount: amount,
            customerReference: customerReference == "NONREF" ? "" : customerReference,
            bankReference: LineFormat.trimmed(references.1),
            supplementary: lines.count > 1 ? lines.dropFirst().map(LineFormat.trimmed).joined(separator: " ") : "")
    }

    /// The entry date's year is the value date's, or the one before or after when the two
    /// straddle a new year (value 31 Dec, booked 2 Jan).
    static func entry(mmdd text: Substring, near valueDate: BusinessDate) -> BusinessDate? {
        guard let value = Int(text) else { return nil }
        let candidates = [0, -1, 1].compactMap { BusinessDate(year: valueDate.year + $0, month: value / 100, day: value % 100) }
        return candidates.first { abs(valueDate.days(until: $0)) <= 183 } ?? candidates.first
    }
}

// MARK: - Information to account owner (:86:)

extension MT940Parser {
    struct Narrative {
        var payerName = ""
        var payerAccount = ""
        var endToEndID = ""
        var text = ""
    }

    static func narrative(_ lines: [Substring]) -> Narrative {
        // Structured narrative is cut into lines by width only: the lines join without a gap.
        let joined = lines.joined()
        let head = joined.prefix(4)
        guard head.count == 4, head.prefix(3).allSatisfy(\.isASCIIDigit), head.last == "?" else {
            return Narrative(text: joinWrapped(lines.map(String.init), width: 65))
        }
        return structured(subfields(joined))
    }

    /// `?NN` subfields after the three-digit transaction code; a "?" not followed by two digits
    /// is text.
    static func subfields(_ text: String) -> [(key: Int, value: String)] {
        var result: [(key: Int, value: String)] = []
        for part in text.split(separator: "?", omittingEmptySubsequences: false).dropFirst() {
            if part.count >= 2, part.prefix(2).allSatisfy(\.isASCIIDigit), let key = Int(part.prefix(2)) {
                result.append((key, String(part.dropFirst(2))))
            } else if !result.isEmpty {
                result[result.count - 1].value += "?" + part
            }
        }
        return result
    }

    /// German subfields: ?00 booking text, ?20–?29 and ?60–?63 remittance, ?31 payer account,
    /// ?32/?33 payer name.
    static func structured(_ subfields: [(key: Int, value: String)]) -> Narrative {
        func values(_ keys: Set<Int>) -> [String] { subfields.filter { keys.contains($0.key) }.map(\.value) }
        var narrative = Narrative()
        narrative.payerName = joinWrapped(values([32, 33]), width: 27)
        narrative.payerAccount = LineFormat.trimmed(values([31]).joined())
        let remittance = joinWrapped(values(Set(20...29).union(60...63)), width: 27)
        let sepa = sepaSections(remittance)
        let endToEnd = sepa["EREF"] ?? ""
        narrative.endToEndID = endToEnd == "NOTPROVIDED" ? "" : endToEnd
        narrative.text = sepa["SVWZ"] ?? remittance
        if narrative.text.isEmpty { narrative.text = LineFormat.trimmed(values([0]).joined()) }
        return narrative
    }

    static let sepaKeywords = ["EREF", "KREF", "MREF", "CRED", "DEBT", "SVWZ", "ABWA", "ABWE", "COAM", "OAMT"]

    /// SEPA remittance is tagged "EREF+…", "SVWZ+…": the text of each keyword up to the next.
    static func sepaSections(_ text: String) -> [String: String] {
        let starts = sepaKeywords.flatMap { keyword in
            text.ranges(of: keyword + "+").map { (keyword: keyword, range: $0) }
        }.sorted { $0.range.lowerBound < $1.range.lowerBound }
        var sections: [String: String] = [:]
        for (index, start) in starts.enumerated() {
            let end = index + 1 < starts.count ? starts[index + 1].range.lowerBound : text.endIndex
            sections[start.keyword] = LineFormat.trimmed(text[start.range.upperBound..<end])
        }
        return sections
    }

    /// Joins text the bank wrapped: a part filled to `width` was cut mid-word and continues
    /// directly; a shorter one ended at a word, so a space follows it.
    static func joinWrapped(_ parts: [String], width: Int) -> String {
        var text = ""
        var previousFull = false
        for part in parts {
            let piece = LineFormat.trimmed(part)
            if piece.isEmpty { continue }
            if !text.isEmpty, !previousFull { text += " " }
            text += piece
            previousFull = part.count >= width && part.last != " "
        }
        return text
    }
}

// MARK: - Assembling statements

extension MT940Parser {
    struct StatementState {
        var line: Int
        var reference: String
        var number = ""
        var statement = BankStatement(id: "", account: "")
        /// Position of each receipt's :61: among the statement's lines (failed lines count too).
        var ordinals: [Int] = []
        var lineCount = 0
        /// False once a line or balance could not be read: the balance check is then skipped.
        var complete = true
        var closingLine: Int?
    }

    struct Builder {
        var statements: [BankStatement] = []
        var errors: [BankFileError] = []
        private var current: StatementState?
        private var lastTag = ""

        mutating func read(_ field: Field) {
            defer { lastTag = field.tag }
            switch field.tag {
            case "20":
                finishStatement()
                current = StatementState(line: field.line, reference: LineFormat.trimmed(field.lines.joined()))
                return
            case "-":
                finishStatement()
                return
            default:
                break
            }
            guard current != nil else {
                error(field.line, ":\(field.tag): outside a statement (no :20: before it)")
                return
            }
            let content = field.lines.map(LineFormat.trimmed).joined()
            switch field.tag {
            case "25": current!.statement.account = content
            case "28C", "28": current!.number = content
            case "60F", "60M": readOpening(content, line: field.line)
            case "61": readStatementLine(field)
            case "86": if lastTag == "61" { readNarrative(field) }  // otherwise it describes the statement
            case "62F", "62M": readClosing(content, line: field.line)
            default: break  // :21:, :64:, :65:, :13D:, :90C:/:90D: carry nothing a receipt needs
            }
        }

        mutating func finish() { finishStatement() }

        private mutating func error(_ line: Int, _ message: String) {
            errors.append(LineFormat.error(line: line, message))
        }

        private mutating func readOpening(_ content: String, line: Int) {
            do {
                let (amount, currency) = try MT940Parser.balance(content)
                current!.statement.openingBalance = amount
                current!.statement.currency = currency
            } catch {
                self.error(line, "opening balance: \(error.message)")
                current!.complete = false
            }
        }

        private mutating func readClosing(_ content: String, line: Int) {
            current!.closingLine = line
            do {
                let (amount, currency) = try MT940Parser.balance(content)
                current!.statement.closingBalance = amount
                if let opening = current!.statement.currency, opening != currency {
                    error(line, "closing balance in \(currency) but the opening balance is in \(opening)")
                    current!.complete = false
                }
            } catch {
                self.error(line, "closing balance: \(error.message)")
                current!.complete = false
            }
        }

        private mutating func readStatementLine(_ field: Field) {
            current!.lineCount += 1
            guard let currency = current!.statement.currency else {
                error(field.line, "a :61: statement line before the opening balance (:60F:), so its currency is unknown")
                current!.complete = false
                return
            }
            do {
                let line = try MT940Parser.statementLine(field.lines, currency: currency)
                current!.statement.receipts.append(BankReceipt(
                    reference: "", amount: line.amount, currency: currency, isCredit: line.isCredit, isReversal: line.isReversal,
                    bookingDate: line.entryDate ?? line.valueDate, valueDate: line.valueDate, endToEndID: line.customerReference,
                    remittanceText: line.supplementary, bankReference: line.bankReference))
                current!.ordinals.append(current!.lineCount)
            } catch {
                self.error(field.line, error.message)
                current!.complete = false
            }
        }

        /// Enriches the receipt of the :61: just read; its supplementary details stay as the
        /// text when the narrative has none.
        private mutating func readNarrative(_ field: Field) {
            guard current!.ordinals.last == current!.lineCount, !current!.statement.receipts.isEmpty else { return }
            let narrative = MT940Parser.narrative(field.lines)
            let index = current!.statement.receipts.count - 1
            var receipt = current!.statement.receipts[index]
            receipt.payerName = narrative.payerName
            receipt.payerAccount = narrative.payerAccount
            if !narrative.endToEndID.isEmpty, narrative.endToEndID != receipt.endToEndID {
                // The SEPA end-to-end id wins; the :61: customer reference is kept as a reference.
                if !receipt.endToEndID.isEmpty { receipt.structuredReferences.append(receipt.endToEndID) }
                receipt.endToEndID = narrative.endToEndID
            }
            if !narrative.text.isEmpty { receipt.remittanceText = narrative.text }
            current!.statement.receipts[index] = receipt
        }

        private mutating func finishStatement() {
            guard var state = current else { return }
            current = nil
            state.statement.id = state.number.isEmpty ? state.reference : "\(state.reference)/\(state.number)"
            for (index, ordinal) in state.ordinals.enumerated() { state.statement.receipts[index].reference = "\(state.statement.id)/\(ordinal)" }
            if state.statement.account.isEmpty { error(state.line, "statement \(state.statement.id) has no account (:25:)") }
            verifyBalance(state)
            statements.append(state.statement)
        }

        /// Opening + credits − debits must give the closing balance.
        private mutating func verifyBalance(_ state: StatementState) {
            let statement = state.statement
            guard let opening = statement.openingBalance else {
                if state.complete { error(state.line, "statement \(statement.id) has no opening balance (:60F:)") }
                return
            }
            guard let closing = statement.closingBalance else {
                if state.complete { error(state.line, "statement \(statement.id) has no closing balance (:62F:)") }
                return
            }
            guard state.complete else { return }
            let computed = statement.receipts.reduce(opening) { $0 + ($1.isCredit ? $1.amount : -$1.amount) }
            if computed != closing {
                error(state.closingLine ?? state.line,
                      "statement \(statement.id): opening \(opening) + credits − debits = \(computed) (minor units), but the closing balance is \(closing)")
            }
        }
    }
}
