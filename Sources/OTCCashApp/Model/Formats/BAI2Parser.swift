import Foundation
import OTCCore

/// BAI2 (BAI Cash Management Balance Reporting Specification, version 2), the US banks'
/// previous-day and intraday report: one statement per account (03 … 49), one receipt per
/// transaction detail (16) whose type code is a credit (100–399) or a debit (400–699).
///
/// Amounts have no decimal point; their implied decimals are the currency's (two for USD and
/// EUR, none for JPY), so the digits are the amount in minor units. The account (49), group (98)
/// and file (99) trailers are verified against the records read, and a mismatch is reported
/// without dropping the receipts. Reversals are not coded uniformly across banks: a receipt is
/// a reversal when its text says "REVERSAL".
public enum BAI2Parser {
    public static func parse(_ text: String) -> ParsedBankFile {
        var reader = Reader()
        for record in logicalRecords(text) { reader.read(record) }
        reader.finish()
        return ParsedBankFile(format: .bai2, statements: reader.statements, errors: reader.errors)
    }

    static let recordCodes: Set<String> = ["01", "02", "03", "16", "49", "88", "98", "99"]

    /// A record with its 88 continuations: `segments` holds the text after "NN," of each.
    struct Record {
        let code: String
        let line: Int
        var segments: [Substring]
        /// Physical records, as the trailers count them (continuations included).
        var count: Int { segments.count }
    }

    /// Splits the file into records and attaches each 88 to the record it continues.
    static func logicalRecords(_ text: String) -> [Record] {
        var records: [Record] = []
        for (number, line) in LineFormat.numberedLines(text) {
            for piece in pieces(of: line) {
                let code = LineFormat.trimmed(piece.prefix { $0 != "," && $0 != "/" })
                let content = piece.firstIndex(of: ",").map { piece[piece.index(after: $0)...] } ?? ""
                if code == "88", !records.isEmpty {
                    records[records.count - 1].segments.append(content)
                } else {
                    records.append(Record(code: code, line: number, segments: [content]))
                }
            }
        }
        return records
    }

    /// The records on one physical line. Several may share a line; a "/" ends one only when a
    /// record code and a comma follow it, because a 16 record's text may itself contain "/".
    static func pieces(of line: Substring) -> [Substring] {
        var pieces: [Substring] = []
        var start = line.startIndex
        var searchFrom = line.startIndex
        while let slash = line[searchFrom...].firstIndex(of: "/") {
            let next = line[line.index(after: slash)...].drop { $0 == " " }
            if startsRecord(next) {
                pieces.append(line[start...slash])
                start = next.startIndex
            }
            searchFrom = line.index(after: slash)
        }
        pieces.append(line[start...])
        return pieces.map { $0.trimmingCharacters(in: .whitespaces)[...] }.filter { !$0.isEmpty }
    }

    private static func startsRecord(_ text: Substring) -> Bool {
        let head = text.prefix(3)
        return head.count == 3 && head.last == "," && recordCodes.contains(String(head.prefix(2)))
    }

    /// An amount in minor units: digits only, with a sign where the field may be negative
    /// (balances and control totals).
    static func amount(_ text: String, signed: Bool) -> Int64? {
        var digits = Substring(text)
        var negative = false
        if signed, let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let value = Int64(digits) else { return nil }
        return negative ? -value : value
    }

    struct Problem: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// Reads the availability fields that follow an amount; their number depends on the funds
    /// type. Returns the value date of funds type V.
    static func skipFundsType(_ code: String, _ fields: inout FieldCursor) throws(Problem) -> BusinessDate? {
        switch code.uppercased() {
        case "", "0", "1", "2", "Z":
            return nil
        case "S":  // immediate, one-day and two-or-more-day amounts
            for _ in 0..<3 { _ = fields.next() }
            return nil
        case "V":  // value date and time
            let dateText = fields.next() ?? ""
            _ = fields.next()
            guard let date = LineFormat.date(yymmdd: dateText) else { throw Problem("value date '\(dateText)' is not a YYMMDD date") }
            return date
        case "D":  // n pairs of (days, amount)
            let countText = fields.next() ?? ""
            guard let count = Int(countText), count >= 0 else { throw Problem("distributed availability count '\(countText)' is not a number") }
            for _ in 0..<(2 * count) { _ = fields.next() }
            return nil
        default:
            throw Problem("unknown funds type '\(code)'")
        }
    }
}

extension BAI2Parser {
    /// The fields of a record across its continuations. A field ends at ",", at "/" or at the end
    /// of a segment; what is left after the fixed fields of a 16 record is its text.
    struct FieldCursor {
        private let segments: [Substring]
        private var index = 0
        /// Unread text of the current segment; nil once a "/" or the segment's end was reached.
        private var rest: Substring?

        init(_ segments: [Substring]) {
            self.segments = segments
            rest = segments.first
        }

        /// The next field, trimmed ("" for an empty field); nil when the record has no more.
        mutating func next() -> String? {
            while rest == nil {
                index += 1
                guard index < segments.count else { return nil }
                rest = segments[index]
            }
            guard let text = rest else { return nil }
            guard let end = text.firstIndex(where: { $0 == "," || $0 == "/" }) else {
                rest = nil
                return LineFormat.trimmed(text)
            }
            rest = text[end] == "," ? text[text.index(after: end)...] : nil
            return LineFormat.trimmed(text[..<end])
        }

        /// Everything not yet read, as text: commas and "/" inside it are kept, a closing "/" (and an
        /// empty last field before it) is not, and continuations are joined with a space.
        mutating func remainingText() -> String {
            var parts: [Substring] = rest.map { [$0] } ?? []
            if index + 1 < segments.count { parts += segments[(index + 1)...] }
            rest = nil
            index = segments.count
            return parts.map { part -> String in
                var text = LineFormat.trimmed(part)
                if text.hasSuffix("/") { text.removeLast() }
                if text.hasSuffix(",") { text.removeLast() }
                return LineFormat.trimmed(text)
            }.filter { !$0.isEmpty }.joined(separator: " ")
        }
    }
}

extension BAI2Parser {
    /// Control figures of one envelope (account, group or file), counted as the file is read.
    struct Tally {
        var records: Int
        /// Sum of the amounts; nil once an amount could not be read (the total is then unknown).
        var total: Int64? = 0
        /// Accounts in a group, groups in a file.
        var children = 0

        mutating func add(_ amount: Int64?) {
            if let amount, let total { self.total = total + amount } else { total = nil }
        }
    }

    struct FileState {
        var tally: Tally
        var sender = ""
        var fileID = ""
    }

    struct GroupState {
        var tally: Tally
        var asOfText = ""
        var asOf: BusinessDate?
        var currency: Currency?
    }

    struct AccountState {
        var tally: Tally
        var statement: BankStatement
    }

    /// Walks the records in order, keeping the open file, group and account.
    struct Reader {
        var statements: [BankStatement] = []
        var errors: [BankFileError] = []
        private var file: FileState?
        private var group: GroupState?
        private var account: AccountState?

        mutating func read(_ record: Record) {
            file?.tally.records += record.count
            group?.tally.records += record.count
            account?.tally.records += record.count
            switch record.code {
            case "01": openFile(record)
            case "02": openGroup(record)
            case "03": openAccount(record)
            case "16": readDetail(record)
            case "49": closeAccount(record)
            case "98": closeGroup(record)
            case "99": closeFile(record)
            case "88": error(record.line, "an 88 continuation with no record before it")
            default: error(record.line, "unknown record code '\(record.code)'")
            }
        }

        /// Closes what the file left open, saying which trailers are missing.
        mutating func finish() {
            if let open = account { error(nil, "the file ends before the 49 trailer of account \(open.statement.account)") }
            if group != nil { error(nil, "the file ends before a 98 group trailer") }
            if file != nil { error(nil, "the file ends before the 99 file trailer") }
            endFile()
        }

        private mutating func error(_ line: Int?, _ message: String) {
            errors.append(line.map { LineFormat.error(line: $0, message) } ?? BankFileError(location: "end of file", message: message))
        }

        // MARK: Headers

        private mutating func openFile(_ record: Record) {
            if file != nil { error(record.line, "a new 01 file header before the 99 trailer of the previous file") }
            endFile()
            var fields = FieldCursor(record.segments)
            var state = FileState(tally: Tally(records: record.count))
            state.sender = fields.next() ?? ""
            _ = fields.next()  // receiver
            _ = fields.next()  // creation date
            _ = fields.next()  // creation time
            state.fileID = fields.next() ?? ""
            file = state
        }

        private mutating func openGroup(_ record: Record) {
            if group != nil { error(record.line, "a new 02 group header before the 98 trailer of the previous group") }
            endGroup()
            if file == nil { error(record.line, "a 02 group header before the 01 file header") }
            var fields = FieldCursor(record.segments)
            var state = GroupState(tally: Tally(records: record.count))
            for _ in 0..<3 { _ = fields.next() }  // ultimate receiver, originator, group status
            state.asOfText = fields.next() ?? ""
            state.asOf = LineFormat.date(yymmdd: state.asOfText)
            if state.asOf == nil { error(record.line, "as-of date '\(state.asOfText)' is not a YYMMDD date") }
            _ = fields.next()  // as-of time
            state.currency = currency(fields.next() ?? "", line: record.line)
            group = state
        }

        private mutating func openAccount(_ record: Record) {
            if let open = account {
                error(record.line, "a new 03 account before the 49 trailer of account \(open.statement.account)")
                endAccount()
            }
            if group == nil { error(record.line, "a 03 account outside a group (no 02 header before it)") }
            var fields = FieldCursor(record.segments)
            let number = fields.next() ?? ""
            let currency = currency(fields.next() ?? "", line: record.line) ?? group?.currency ?? Currency("USD")!
            let id = [file?.sender ?? "", file?.fileID ?? "", group?.asOfText ?? "", number].joined(separator: "/")
            var state = AccountState(tally: Tally(records: record.count),
                                     statement: BankStatement(id: id, account: number, currency: currency))
            readSummaries(&fields, into: &state, line: record.line)
            account = state
        }

        /// The 03 record's (type code, amount, item count, funds type) groups: balances and
        /// summaries. Every amount counts toward the control total; 010 and 015 are the opening
        /// and closing ledger balances.
        private mutating func readSummaries(_ fields: inout FieldCursor, into state: inout AccountState, line: Int) {
            while let typeCode = fields.next() {
                let amountText = fields.next() ?? ""
                _ = fields.next()  // item count
                let funds = fields.next() ?? ""
                do { _ = try BAI2Parser.skipFundsType(funds, &fields) } catch { self.error(line, error.message) }
                guard !amountText.isEmpty else { continue }
                guard let amount = BAI2Parser.amount(amountText, signed: true) else {
                    self.error(line, "amount '\(amountText)' of type code \(typeCode) is not a number")
                    state.tally.add(nil)
                    continue
                }
                state.tally.add(amount)
                if typeCode == "010" { state.statement.openingBalance = amount }
                if typeCode == "015" { state.statement.closingBalance = amount }
            }
        }

        private mutating func currency(_ code: String, line: Int) -> Currency? {
            guard !code.isEmpty else { return nil }
            guard let currency = Currency(code.uppercased()) else {
                error(line, "currency '\(code)' is not an ISO 4217 code")
                return nil
            }
            return currency
        }

        // MARK: Transactions

        private mutating func readDetail(_ record: Record) {
            guard var state = account else {
                error(record.line, "a 16 transaction detail outside an account (no 03 before it)")
                return
            }
            defer { account = state }
            var fields = FieldCursor(record.segments)
            let typeCode = fields.next() ?? ""
            let amountText = fields.next() ?? ""
            let amount = amountText.isEmpty ? 0 : BAI2Parser.amount(amountText, signed: false)
            state.tally.add(amount)
            guard let amount else {
                error(record.line, "amount '\(amountText)' is not a number of minor units")
                return
            }
            do {
                if let receipt = try receipt(typeCode: typeCode, amount: amount, fields: &fields, record: record, state: state) {
                    state.statement.receipts.append(receipt)
                }
            } catch {
                self.error(record.line, error.message)
            }
        }

        /// The receipt of a 16 record, or nil for records that move no money (zero amounts and
        /// non-monetary codes such as 890).
        private func receipt(typeCode: String, amount: Int64, fields: inout FieldCursor, record: Record,
                             state: AccountState) throws(Problem) -> BankReceipt? {
            guard typeCode.count == 3, let code = Int(typeCode) else { throw Problem("type code '\(typeCode)' is not three digits") }
            let valueDate = try BAI2Parser.skipFundsType(fields.next() ?? "", &fields)
            let bankReference = fields.next() ?? ""
            let customerReference = fields.next() ?? ""
            let text = fields.remainingText()
            // Loan (700–799) and non-monetary (800–899) details move no money on this account.
            guard amount > 0, !(700...899).contains(code) else { return nil }
            guard (100...699).contains(code) else {
                throw Problem("type code \(typeCode) is neither a credit (100–399) nor a debit (400–699)")
            }
            return BankReceipt(
                reference: bankReference.isEmpty ? "16-\(record.line)" : bankReference, amount: amount,
                currency: state.statement.currency!, isCredit: code < 400, isReversal: text.uppercased().contains("REVERSAL"),
                bookingDate: group?.asOf, valueDate: valueDate, endToEndID: customerReference, remittanceText: text,
                bankReference: bankReference)
        }

        // MARK: Trailers

        private mutating func closeAccount(_ record: Record) {
            guard let state = account else {
                error(record.line, "a 49 account trailer with no open account")
                return
            }
            var fields = FieldCursor(record.segments)
            let what = "account \(state.statement.account)"
            verify(total: fields.next(), against: state.tally.total, what: "\(what) control total in the 49 record",
                   source: "the 03 and 16 amounts", line: record.line)
            verify(count: fields.next(), against: state.tally.records, what: "\(what) record count in the 49 record",
                   source: "records from 03 to 49", line: record.line)
            endAccount()
        }

        private mutating func closeGroup(_ record: Record) {
            guard group != nil else {
                error(record.line, "a 98 group trailer with no open group")
                return
            }
            if let open = account {
                error(record.line, "the 98 group trailer comes before the 49 trailer of account \(open.statement.account)")
                endAccount()
            }
            let tally = group!.tally
            var fields = FieldCursor(record.segments)
            verify(total: fields.next(), against: tally.total, what: "group control total in the 98 record",
                   source: "the accounts' totals", line: record.line)
            verify(count: fields.next(), against: tally.children, what: "number of accounts in the 98 record",
                   source: "accounts", line: record.line)
            verify(count: fields.next(), against: tally.records, what: "record count in the 98 record",
                   source: "records from 02 to 98", line: record.line)
            endGroup()
        }

        private mutating func closeFile(_ record: Record) {
            guard file != nil else {
                error(record.line, "a 99 file trailer with no 01 file header")
                return
            }
            if group != nil {
                error(record.line, "the 99 file trailer comes before a 98 group trailer")
                endGroup()
            }
            let tally = file!.tally
            var fields = FieldCursor(record.segments)
            verify(total: fields.next(), against: tally.total, what: "file control total in the 99 record",
                   source: "the groups' totals", line: record.line)
            verify(count: fields.next(), against: tally.children, what: "number of groups in the 99 record",
                   source: "groups", line: record.line)
            verify(count: fields.next(), against: tally.records, what: "record count in the 99 record",
                   source: "records from 01 to 99", line: record.line)
            file = nil
        }

        /// Compares a trailer's control total with the sum of what was read; skipped when an
        /// amount could not be read (that error is already reported).
        private mutating func verify(total text: String?, against actual: Int64?, what: String, source: String, line: Int) {
            let text = text ?? ""
            guard let claimed = BAI2Parser.amount(text, signed: true) else {
                error(line, "\(what) '\(text)' is not a number")
                return
            }
            if let actual, claimed != actual { error(line, "\(what) is \(claimed) but \(source) add up to \(actual)") }
        }

        private mutating func verify(count text: String?, against actual: Int, what: String, source: String, line: Int) {
            let text = text ?? ""
            guard let claimed = Int(text) else {
                error(line, "\(what) '\(text)' is not a number")
                return
            }
            if claimed != actual { error(line, "\(what) is \(claimed) but there are \(actual) \(source)") }
        }

        // MARK: Ending envelopes

        private mutating func endAccount() {
            guard let state = account else { return }
            statements.append(state.statement)
            group?.tally.children += 1
            group?.tally.add(state.tally.total)
            account = nil
        }

        private mutating func endGroup() {
            endAccount()
            guard let state = group else { return }
            file?.tally.children += 1
            file?.tally.add(state.tally.total)
            group = nil
        }

        private mutating func endFile() {
            endGroup()
            file = nil
        }
    }
}
