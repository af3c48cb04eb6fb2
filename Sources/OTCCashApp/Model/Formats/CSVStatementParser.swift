import Foundation
import OTCCore

/// How one bank's CSV export is read, stored per tenant. Columns are named by their header text
/// (compared without case and surrounding spaces) or, without a header row, by their 1-based
/// position ("3").
public struct CSVMapping: Codable, Sendable, Equatable {
    /// Booking date (required).
    public var dateColumn: String
    public var valueDateColumn: String?
    /// A signed amount: negative (leading or trailing "-") is money out.
    public var amountColumn: String?
    /// Used instead of `amountColumn` when the bank writes credits and debits in two columns.
    public var creditColumn: String?
    public var debitColumn: String?
    public var currencyColumn: String?
    /// The currency of every line when the file has no currency column.
    public var fixedCurrency: String?
    public var payerNameColumn: String?
    public var payerAccountColumn: String?
    /// Reference / remittance text; several columns are joined with a space.
    public var textColumns: [String]
    public var endToEndIDColumn: String?
    public var bankReferenceColumn: String?
    /// When the export covers several accounts: one statement per account.
    public var accountColumn: String?
    public var delimiter: String
    public var decimalSeparator: String
    /// Built from yyyy, yy, MM, M, dd, d and literal characters: "yyyy-MM-dd", "dd.MM.yyyy".
    public var dateFormat: String
    public var hasHeaderRow: Bool
    /// Lines before the header (or the data) that are not part of the table, such as account
    /// details some banks print first.
    public var skipRows: Int

    public init(dateColumn: String, valueDateColumn: String? = nil, amountColumn: String? = nil, creditColumn: String? = nil,
                debitColumn: String? = nil, currencyColumn: String? = nil, fixedCurrency: String? = nil, payerNameColumn: String? = nil,
                payerAccountColumn: String? = nil, textColumns: [String] = [], endToEndIDColumn: String? = nil,
                bankReferenceColumn: String? = nil, accountColumn: String? = nil, delimiter: String = ",", decimalSeparator: String = ".",
                dateFormat: String = "yyyy-MM-dd", hasHeaderRow: Bool = true, skipRows: Int = 0) {
        self.dateColumn = dateColumn
        self.valueDateColumn = valueDateColumn
        self.amountColumn = amountColumn
        self.creditColumn = creditColumn
        self.debitColumn = debitColumn
        self.currencyColumn = currencyColumn
        self.fixedCurrency = fixedCurrency
        self.payerNameColumn = payerNameColumn
        self.payerAccountColumn = payerAccountColumn
        self.textColumns = textColumns
        self.endToEndIDColumn = endToEndIDColumn
        self.bankReferenceColumn = bankReferenceColumn
        self.accountColumn = accountColumn
        self.delimiter = delimiter
        self.decimalSeparator = decimalSeparator
        self.dateFormat = dateFormat
        self.hasHeaderRow = hasHeaderRow
        self.skipRows = skipRows
    }

    /// Stored mappings may leave out everything but the date column: the rest takes the defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            dateColumn: try c.decode(String.self, forKey: .dateColumn),
            valueDateColumn: try c.decodeIfPresent(String.self, forKey: .valueDateColumn),
            amountColumn: try c.decodeIfPresent(String.self, forKey: .amountColumn),
            creditColumn: try c.decodeIfPresent(String.self, forKey: .creditColumn),
            debitColumn: try c.decodeIfPresent(String.self, forKey: .debitColumn),
            currencyColumn: try c.decodeIfPresent(String.self, forKey: .currencyColumn),
            fixedCurrency: try c.decodeIfPresent(String.self, forKey: .fixedCurrency),
            payerNameColumn: try c.decodeIfPresent(String.self, forKey: .payerNameColumn),
            payerAccountColumn: try c.decodeIfPresent(String.self, forKey: .payerAccountColumn),
            textColumns: try c.decodeIfPresent([String].self, forKey: .textColumns) ?? [],
            endToEndIDColumn: try c.decodeIfPresent(String.self, forKey: .endToEndIDColumn),
            bankReferenceColumn: try c.decodeIfPresent(String.self, forKey: .bankReferenceColumn),
            accountColumn: try c.decodeIfPresent(String.self, forKey: .accountColumn),
            delimiter: try c.decodeIfPresent(String.self, forKey: .delimiter) ?? ",",
            decimalSeparator: try c.decodeIfPresent(String.self, forKey: .decimalSeparator) ?? ".",
            dateFormat: try c.decodeIfPresent(String.self, forKey: .dateFormat) ?? "yyyy-MM-dd",
            hasHeaderRow: try c.decodeIfPresent(Bool.self, forKey: .hasHeaderRow) ?? true,
            skipRows: try c.decodeIfPresent(Int.self, forKey: .skipRows) ?? 0)
    }
}

/// Bank CSV exports read through a per-tenant `CSVMapping`: one receipt per data line, grouped
/// into one statement (or one per account when the mapping names an account column).
public enum CSVStatementParser {
    /// - Parameters:
    ///   - account: the account of the statement when the file has no account column.
    ///   - statementID: defaults to a hash of the file's content, so importing the same file
    ///     twice yields the same statement and receipt ids.
    public static func parse(_ text: String, mapping: CSVMapping, account: String = "", statementID: String? = nil) -> ParsedBankFile {
        var result = ParsedBankFile(format: .csv)
        let settings: Settings
        do { settings = try Settings(mapping) } catch {
            result.errors.append(BankFileError(location: "mapping", message: error.message))
            return result
        }
        let (rows, readError) = Rows.read(text, delimiter: settings.delimiter)
        var data = rows.dropFirst(mapping.skipRows)
        let header = mapping.hasHeaderRow ? data.popFirst() : nil
        let columns: Columns
        do { columns = try Columns(mapping, header: header) } catch {
            result.errors.append(LineFormat.error(line: header?.line ?? 1, error.message))
            return result
        }
        var builder = StatementBuilder(baseID: statementID ?? contentID(text), account: account)
        for row in data {
            do {
                let receipt = try receipt(row, columns: columns, settings: settings)
                builder.add(receipt, account: columns.value(\.account, in: row), line: row.line)
            } catch {
                result.errors.append(LineFormat.error(line: row.line, error.message))
            }
        }
        if let readError { result.errors.append(LineFormat.error(line: readError.line, readError.message)) }
        result.statements = builder.statements
        return result
    }

    struct Problem: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// A stable id for a file without one: FNV-1a of its bytes.
    static func contentID(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let hex = String(hash, radix: 16)
        return "csv-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// One data line as a receipt; throws what is wrong with the line.
    static func receipt(_ row: Rows.Row, columns: Columns, settings: Settings) throws(Problem) -> BankReceipt {
        let currency = try lineCurrency(row, columns: columns, settings: settings)
        let (amount, isCredit) = try signedAmount(row, columns: columns, currency: currency, separator: settings.decimalSeparator)
        let dateText = columns.value(\.date, in: row)
        guard let bookingDate = settings.dates.date(dateText) else { throw Problem("date '\(dateText)' does not match \(settings.dates.pattern)") }
        var valueDate: BusinessDate?
        let valueText = columns.value(\.valueDate, in: row)
        if !valueText.isEmpty {
            guard let date = settings.dates.date(valueText) else { throw Problem("value date '\(valueText)' does not match \(settings.dates.pattern)") }
            valueDate = date
        }
        let text = columns.text.map { oneLine(row.field($0)) }.filter { !$0.isEmpty }.joined(separator: " ")
        let bankReference = columns.value(\.bankReference, in: row)
        return BankReceipt(
            reference: bankReference, amount: amount, currency: currency, isCredit: isCredit, bookingDate: bookingDate, valueDate: valueDate,
            payerName: oneLine(columns.value(\.payerName, in: row)), payerAccount: columns.value(\.payerAccount, in: row),
            endToEndID: columns.value(\.endToEndID, in: row), remittanceText: text, bankReference: bankReference)
    }

    private static func lineCurrency(_ row: Rows.Row, columns: Columns, settings: Settings) throws(Problem) -> Currency {
        guard columns.currency != nil else { return settings.fixedCurrency! }
        let code = columns.value(\.currency, in: row).uppercased()
        if code.isEmpty, let fixed = settings.fixedCurrency { return fixed }
        guard let currency = Currency(code) else { throw Problem("currency '\(code)' is not an ISO 4217 code") }
        return currency
    }

    /// The amount and its direction, from the signed column or the credit/debit pair.
    private static func signedAmount(_ row: Rows.Row, columns: Columns, currency: Currency,
                                     separator: Character) throws(Problem) -> (Int64, isCredit: Bool) {
        func read(_ text: String) throws(Problem) -> Int64 {
            var text = text.replacingOccurrences(of: " ", with: "")
            if text.hasSuffix("-") { text = "-" + text.dropLast() }
            guard let value = BankAmount.minorUnits(text, currency: currency, decimalSeparator: separator) else {
                throw Problem("amount '\(text)' is not an amount in \(currency) with decimal separator '\(separator)'")
            }
            return value
        }
        if columns.amount != nil {
            let value = try read(columns.value(\.amount, in: row))
            guard value != 0 else { throw Problem("amount is zero") }
            return (abs(value), value > 0)
        }
        let creditText = columns.value(\.credit, in: row), debitText = columns.value(\.debit, in: row)
        let credit = creditText.isEmpty ? 0 : abs(try read(creditText))
        let debit = debitText.isEmpty ? 0 : abs(try read(debitText))
        guard (credit == 0) != (debit == 0) else {
            throw Problem(credit == 0 ? "neither the credit nor the debit column has an amount" : "both the credit and the debit column have an amount")
        }
        return credit != 0 ? (credit, true) : (debit, false)
    }

    /// Line breaks inside quoted fields become spaces: a remittance text or name is one line.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map(LineFormat.trimmed).filter { !$0.isEmpty }.joined(separator: " ")
    }
}

// MARK: - Mapping, resolved

extension CSVStatementParser {
    /// The mapping checked once, before any line is read.
    struct Settings {
        let delimiter: Unicode.Scalar
        let decimalSeparator: Character
        let dates: DatePattern
        let fixedCurrency: Currency?

        init(_ mapping: CSVMapping) throws(Problem) {
            guard mapping.delimiter.unicodeScalars.count == 1, let delimiter = mapping.delimiter.unicodeScalars.first,
                  delimiter != "\"", delimiter != "\n", delimiter != "\r" else {
                throw Problem("delimiter '\(mapping.delimiter)' must be one character other than a quote or a line break")
            }
            guard mapping.decimalSeparator == "." || mapping.decimalSeparator == "," else {
                throw Problem("decimal separator '\(mapping.decimalSeparator)' must be '.' or ','")
            }
            guard let dates = DatePattern(mapping.dateFormat) else {
                throw Problem("date format '\(mapping.dateFormat)' needs yyyy or yy, MM or M and dd or d")
            }
            guard mapping.amountColumn != nil || mapping.creditColumn != nil || mapping.debitColumn != nil else {
                throw Problem("the mapping names neither an amount column nor credit/debit columns")
            }
            if let code = mapping.fixedCurrency {
                guard let currency = Currency(code.uppercased()) else { throw Problem("fixed currency '\(code)' is not an ISO 4217 code") }
                fixedCurrency = currency
            } else {
                guard mapping.currencyColumn != nil else { throw Problem("the mapping names neither a currency column nor a fixed currency") }
                fixedCurrency = nil
            }
            self.delimiter = delimiter
            decimalSeparator = Character(mapping.decimalSeparator)
            self.dates = dates
        }
    }

    /// The mapping's columns as positions in a row.
    struct Columns {
        var date = 0
        var valueDate: Int?, amount: Int?, credit: Int?, debit: Int?, currency: Int?
        var payerName: Int?, payerAccount: Int?, endToEndID: Int?, bankReference: Int?, account: Int?
        var text: [Int] = []

        init(_ mapping: CSVMapping, header: Rows.Row?) throws(Problem) {
            let names = header?.fields.map { LineFormat.trimmed($0).lowercased() } ?? []
            func position(_ name: String?) throws(Problem) -> Int? {
                guard let name else { return nil }
                if let index = names.firstIndex(of: LineFormat.trimmed(name).lowercased()) { return index }
                if let number = Int(name), number >= 1 { return number - 1 }
                throw Problem(header == nil ? "column '\(name)' is not a column number (the file has no header row)"
                                            : "column '\(name)' is not in the header")
            }
            date = try position(mapping.dateColumn)!
            valueDate = try position(mapping.valueDateColumn)
            amount = try position(mapping.amountColumn)
            credit = try position(mapping.creditColumn)
            debit = try position(mapping.debitColumn)
            currency = try position(mapping.currencyColumn)
            payerName = try position(mapping.payerNameColumn)
            payerAccount = try position(mapping.payerAccountColumn)
            endToEndID = try position(mapping.endToEndIDColumn)
            bankReference = try position(mapping.bankReferenceColumn)
            account = try position(mapping.accountColumn)
            for name in mapping.textColumns { text.append(try position(name)!) }
        }

        /// The trimmed field of a mapped column; "" when the column is not mapped or the row is short.
        func value(_ column: KeyPath<Columns, Int?>, in row: Rows.Row) -> String {
            self[keyPath: column].map { LineFormat.trimmed(row.field($0)) } ?? ""
        }

        func value(_ column: KeyPath<Columns, Int>, in row: Rows.Row) -> String {
            LineFormat.trimmed(row.field(self[keyPath: column]))
        }
    }

    /// Receipts into statements, one per account in order of appearance. A receipt's reference
    /// is its bank reference, or "line-N" when there is none or it repeats.
    struct StatementBuilder {
        let baseID: String
        let account: String
        var statements: [BankStatement] = []
        private var used: [Set<String>] = []

        init(baseID: String, account: String) {
            self.baseID = baseID
            self.account = account
        }

        mutating func add(_ receipt: BankReceipt, account lineAccount: String, line: Int) {
            let account = lineAccount.isEmpty ? self.account : lineAccount
            let index = statements.firstIndex { $0.account == account } ?? {
                let id = account == self.account ? baseID : "\(baseID)/\(account)"
                statements.append(BankStatement(id: id, account: account, currency: receipt.currency))
                used.append([])
                return statements.count - 1
            }()
            var receipt = receipt
            if receipt.reference.isEmpty || used[index].contains(receipt.reference) { receipt.reference = "line-\(line)" }
            used[index].insert(receipt.reference)
            if statements[index].currency != receipt.currency { statements[index].currency = nil }
            statements[index].receipts.append(receipt)
        }
    }
}

// MARK: - Dates

extension CSVStatementParser {
    /// A date layout such as "dd.MM.yyyy". Two-letter day and month fields also accept one digit
    /// when a separator follows ("1.3.2026"), as spreadsheets write them.
    struct DatePattern {
        enum Token: Equatable { case year4, year2, month, day, literal(Character) }
        let pattern: String
        let tokens: [Token]

        init?(_ pattern: String) {
            var tokens: [Token] = []
            var rest = Substring(pattern)
            while let c = rest.first {
                let run = rest.prefix { $0 == c }
                switch (c, run.count) {
                case ("y", 4): tokens.append(.year4)
                case ("y", 2): tokens.append(.year2)
                case ("M", 1...2): tokens.append(.month)
                case ("d", 1...2): tokens.append(.day)
                case ("y", _), ("M", _), ("d", _): return nil
                default: tokens += run.map(Token.literal)
                }
                rest = rest.dropFirst(run.count)
            }
            let kinds = Set(tokens.compactMap { t -> Int? in
                switch t { case .year4, .year2: 0; case .month: 1; case .day: 2; case .literal: nil }
            })
            guard kinds == [0, 1, 2], tokens.count(where: { !Self.isLiteral($0) }) == 3 else { return nil }
            self.pattern = pattern
            self.tokens = tokens
        }

        func date(_ text: String) -> BusinessDate? {
            var rest = Substring(text)
            var year = 0, month = 0, day = 0
            for (index, token) in tokens.enumerated() {
                let separated = index + 1 == tokens.count || Self.isLiteral(tokens[index + 1])
                switch token {
                case .literal(let c):
                    guard rest.first == c else { return nil }
                    rest = rest.dropFirst()
                    continue
                case .year4: guard let v = Self.digits(&rest, min: 4, max: 4) else { return nil }; year = v
                case .year2: guard let v = Self.digits(&rest, min: 2, max: 2) else { return nil }; year = v < 70 ? 2000 + v : 1900 + v
                case .month: guard let v = Self.digits(&rest, min: separated ? 1 : 2, max: 2) else { return nil }; month = v
                case .day: guard let v = Self.digits(&rest, min: separated ? 1 : 2, max: 2) else { return nil }; day = v
                }
            }
            guard rest.isEmpty else { return nil }
            return BusinessDate(year: year, month: month, day: day)
        }

        private static func isLiteral(_ token: Token) -> Bool {
            if case .literal = token { return true }
            return false
        }

        private static func digits(_ rest: inout Substring, min: Int, max: Int) -> Int? {
            let run = rest.prefix(max).prefix { $0.isASCIIDigit }
            guard run.count >= min, let value = Int(run) else { return nil }
            rest = rest.dropFirst(run.count)
            return value
        }
    }
}

// MARK: - RFC 4180 reading

extension CSVStatementParser {
    /// RFC 4180 records with a chosen delimiter: fields optionally in double quotes, `""` inside
    /// quotes is one quote, quoted fields may hold delimiters and line breaks. Each row keeps the
    /// line it starts on, so errors point into the file.
    enum Rows {
        struct Row {
            let line: Int
            let fields: [String]
            func field(_ index: Int) -> String { index < fields.count ? fields[index] : "" }
        }

        struct ReadError {
            let line: Int
            let message: String
        }

        /// The rows, and the error that stopped reading (an unclosed quote) if any: the rows before
        /// it are still returned.
        static func read(_ text: String, delimiter: Unicode.Scalar) -> ([Row], ReadError?) {
            var reader = Reader(delimiter: delimiter)
            var scalars = Array(text.unicodeScalars)
            if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
            var i = 0
            while i < scalars.count {
                let c = scalars[i]
                let next = i + 1 < scalars.count ? scalars[i + 1] : nil
                if reader.consume(c, next: next) { i += 1 }  // the pair "" or CRLF was taken together
                i += 1
            }
            if reader.inQuotes { return (reader.rows, ReadError(line: reader.quoteLine, message: "a quoted field is never closed")) }
            reader.endRecord()
            return (reader.rows, nil)
        }

        private struct Reader {
            let delimiter: Unicode.Scalar
            var rows: [Row] = []
            var fields: [String] = []
            var field = String.UnicodeScalarView()
            var inQuotes = false
            var fieldWasQuoted = false
            var line = 1
            var rowLine = 1
            var quoteLine = 1

            init(delimiter: Unicode.Scalar) { self.delimiter = delimiter }

            /// Takes one character; true when it also used `next`.
            mutating func consume(_ c: Unicode.Scalar, next: Unicode.Scalar?) -> Bool {
                if inQuotes {
                    if c == "\"" {
                        if next == "\"" { field.append("\""); return true }
                        inQuotes = false
                    } else {
                        if c == "\n" || (c == "\r" && next != "\n") { line += 1 }
                        field.append(c)
                    }
                    return false
                }
                switch c {
                case "\"" where field.isEmpty && !fieldWasQuoted:
                    inQuotes = true
                    fieldWasQuoted = true
                    quoteLine = line
                case delimiter:
                    endField()
                case "\r", "\n":
                    endRecord()
                    line += 1
                    rowLine = line
                    return c == "\r" && next == "\n"
                default:
                    field.append(c)
                }
                return false
            }

            mutating func endField() {
                fields.append(String(field))
                field = String.UnicodeScalarView()
                fieldWasQuoted = false
            }

            /// Ends the row; a blank line is not a row.
            mutating func endRecord() {
                let empty = fields.isEmpty && field.isEmpty && !fieldWasQuoted
                endField()
                if !empty { rows.append(Row(line: rowLine, fields: fields)) }
                fields = []
            }
        }
    }
}
