import Foundation
import OTCCore

/// Remittance advices as CSV, as payers upload them or export them from their payables system.
///
/// The first row is a header naming the columns; names are compared without case and
/// surrounding spaces, in any order, and columns with other names are ignored:
///
/// | column             | content                                                   |
/// |--------------------|-----------------------------------------------------------|
/// | `advice_ref`       | the payer's advice number (required)                      |
/// | `customer`         | our customer number, if the payer knows it                |
/// | `payer_name`       | the payer's name                                          |
/// | `payment_ref`      | how the bank shows the payment (end-to-end id, reference) |
/// | `payment_date`     | YYYY-MM-DD                                                |
/// | `currency`         | ISO 4217 code (required)                                  |
/// | `payment_amount`   | the payment's total, decimal (optional)                   |
/// | `document`         | the invoice or other document the line pays (required)    |
/// | `paid`             | what the payment pays of the document, decimal (required) |
/// | `deduction`        | what the payer withholds from the document, decimal       |
/// | `deduction_reason` | why                                                       |
///
/// Each data row is one line of an advice. Rows with the same `advice_ref` are lines of one
/// advice, whether adjacent or not; advices come out in the order their reference first appears.
/// The advice-level columns (`customer`, `payer_name`, `payment_ref`, `payment_date`, `currency`,
/// `payment_amount`) may be repeated on every row or given once; a row that contradicts an
/// earlier row of its advice is reported and not read.
///
/// Fields are separated by `,` or `;`, whichever the header row uses more of. Fields may be in
/// double quotes (RFC 4180): `""` inside quotes is one quote, and a quoted field may hold the
/// separator or a line break. Amounts are written with a `.` decimal point and at most the
/// currency's decimals (`1250.00`, `-3`); in a `;`-separated file a `,` decimal comma is also
/// read (`1250,00`). An amount with both marks reads the last one as the decimal mark and the
/// other as grouping (`1,250.00`, `1.250,00`); a lone `,` in a `,`-separated file is refused as
/// ambiguous. `paid` must not be negative; a deduction is read as its magnitude, with or without
/// a minus sign.
///
/// A row that cannot be read is reported as "line N" (where the row starts) with what is wrong,
/// and the other rows are kept. A header without a required column is one error at its line and
/// no advices.
public enum RemittanceCSVParser {
    public static func parse(_ text: String) -> ParsedRemittanceFile {
        var result = ParsedRemittanceFile()
        let delimiter = delimiter(ofHeaderIn: text)
        let (rows, readError) = CSVStatementParser.Rows.read(text, delimiter: delimiter)
        guard let header = rows.first else {
            let message = readError?.message ?? "the file is empty: expected a header row naming the columns \(Column.allNames)"
            result.errors.append(LineFormat.error(line: readError?.line ?? 1, message))
            return result
        }
        let columns: Columns
        do { columns = try Columns(header: header) } catch {
            result.errors.append(LineFormat.error(line: header.line, error.message))
            return result
        }
        var builder = Builder(columns: columns, decimalComma: delimiter == ";")
        for row in rows.dropFirst() where !row.fields.allSatisfy({ LineFormat.trimmed($0).isEmpty }) {
            do { try builder.add(row) } catch { result.errors.append(LineFormat.error(line: row.line, error.message)) }
        }
        if let readError { result.errors.append(LineFormat.error(line: readError.line, readError.message)) }
        result.advices = builder.advices
        return result
    }

    typealias Row = CSVStatementParser.Rows.Row
    typealias Problem = CSVStatementParser.Problem

    /// `;` when the header line (up to its first line break outside quotes) has more semicolons
    /// than commas, else `,`.
    static func delimiter(ofHeaderIn text: String) -> Unicode.Scalar {
        var commas = 0, semicolons = 0, inQuotes = false
        for c in text.unicodeScalars {
            if c == "\"" { inQuotes.toggle() }
            guard !inQuotes else { continue }
            if c == "\n" || c == "\r" { break }
            if c == "," { commas += 1 } else if c == ";" { semicolons += 1 }
        }
        return semicolons > commas ? ";" : ","
    }
}

// MARK: - Columns

extension RemittanceCSVParser {
    enum Column: String, CaseIterable {
        case adviceRef = "advice_ref", customer, payerName = "payer_name", paymentRef = "payment_ref", paymentDate = "payment_date"
        case currency, paymentAmount = "payment_amount", document, paid, deduction, deductionReason = "deduction_reason"

        static let required: [Column] = [.adviceRef, .currency, .document, .paid]
        static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
    }

    /// The header's columns as positions in a row.
    struct Columns {
        private let positions: [Column: Int]

        init(header: Row) throws(Problem) {
            var positions: [Column: Int] = [:]
            for (index, name) in header.fields.enumerated() {
                guard let column = Column(rawValue: LineFormat.trimmed(name).lowercased()) else { continue }
                guard positions[column] == nil else { throw Problem("the header names column '\(column.rawValue)' twice") }
                positions[column] = index
            }
            let missing = Column.required.filter { positions[$0] == nil }.map(\.rawValue)
            guard missing.isEmpty else {
                throw Problem("the header has no \(missing.joined(separator: ", ")) column\(missing.count == 1 ? "" : "s"); "
                    + "required columns are \(Column.required.map(\.rawValue).joined(separator: ", "))")
            }
            self.positions = positions
        }

        /// The trimmed field; "" when the header has no such column or the row is short.
        func value(_ column: Column, in row: Row) -> String {
            positions[column].map { LineFormat.trimmed(row.field($0)) } ?? ""
        }
    }
}

// MARK: - Rows into advices

extension RemittanceCSVParser {
    struct Builder {
        let columns: Columns
        let decimalComma: Bool
        private var order: [String] = []
        private var seen: Set<String> = []
        private var byReference: [String: RemittanceAdvice] = [:]

        init(columns: Columns, decimalComma: Bool) {
            self.columns = columns
            self.decimalComma = decimalComma
        }

        /// Advices with at least one line read, in order of their reference's first row.
        var advices: [RemittanceAdvice] { order.compactMap { byReference[$0] } }

        /// Reads one row into its advice; throws what is wrong with the row (it is then not read).
        mutating func add(_ row: Row) throws(Problem) {
            let reference = columns.value(.adviceRef, in: row)
            guard !reference.isEmpty else { throw Problem("advice_ref is empty: every line names the advice it belongs to") }
            if seen.insert(reference).inserted { order.append(reference) }
            let code = columns.value(.currency, in: row).uppercased()
            guard !code.isEmpty else { throw Problem("currency is empty: write the ISO 4217 code of the payment, such as EUR") }
            guard let currency = Currency(code) else { throw Problem("currency '\(code)' is not a three-letter ISO 4217 code such as EUR") }
            var header = try self.header(row, reference: reference, currency: currency)
            let line = try self.line(row, currency: currency)
            if let earlier = byReference[reference] {
                header = try Self.merge(header, into: earlier)
            }
            header.lines.append(line)
            byReference[reference] = header
        }

        /// The row's advice-level fields, as an advice without lines.
        private func header(_ row: Row, reference: String, currency: Currency) throws(Problem) -> RemittanceAdvice {
            var advice = RemittanceAdvice(reference: reference, customerNumber: columns.value(.customer, in: row),
                                          payerName: CSVStatementParser.oneLine(columns.value(.payerName, in: row)),
                                          paymentReference: columns.value(.paymentRef, in: row), currency: currency)
            let dateText = columns.value(.paymentDate, in: row)
            if !dateText.isEmpty {
                guard let date = BusinessDate(dateText) else { throw Problem("payment_date '\(dateText)' is not a YYYY-MM-DD date") }
                advice.paymentDate = date
            }
            let amountText = columns.value(.paymentAmount, in: row)
            if !amountText.isEmpty {
                let amount = try RemittanceCSVParser.amount(amountText, column: .paymentAmount, currency: currency, decimalComma: decimalComma)
                guard amount >= 0 else { throw Problem("payment_amount '\(amountText)' is negative: write the payment's total") }
                advice.amount = amount
            }
            return advice
        }

        private func line(_ row: Row, currency: Currency) throws(Problem) -> RemittanceAdvice.Line {
            let document = columns.value(.document, in: row)
            guard !document.isEmpty else { throw Problem("document is empty: name the invoice or other document this line pays") }
            let paidText = columns.value(.paid, in: row)
            guard !paidText.isEmpty else { throw Problem("paid is empty: write what the payment pays of \(document), 0 if nothing") }
            let paid = try RemittanceCSVParser.amount(paidText, column: .paid, currency: currency, decimalComma: decimalComma)
            guard paid >= 0 else {
                throw Problem("paid '\(paidText)' is negative: write what the payment pays of \(document), and what is withheld as a deduction")
            }
            let deductionText = columns.value(.deduction, in: row)
            let deduction = deductionText.isEmpty
                ? 0 : try RemittanceCSVParser.amount(deductionText, column: .deduction, currency: currency, decimalComma: decimalComma)
            return RemittanceAdvice.Line(documentNumber: document, paid: paid, deduction: abs(deduction),
                                         deductionReason: CSVStatementParser.oneLine(columns.value(.deductionReason, in: row)))
        }

        /// The earlier rows' advice with the advice-level fields this row adds; throws when the
        /// row contradicts them.
        private static func merge(_ row: RemittanceAdvice, into earlier: RemittanceAdvice) throws(Problem) -> RemittanceAdvice {
            var merged = earlier
            var conflicts: [String] = []
            func take<Value: Equatable>(_ field: WritableKeyPath<RemittanceAdvice, Value>, _ column: Column, unset: Value,
                                        _ show: (Value) -> String) {
                let new = row[keyPath: field], old = merged[keyPath: field]
                if new == unset || new == old { return }
                if old == unset {
                    merged[keyPath: field] = new
                } else {
                    conflicts.append("\(column.rawValue) '\(show(new))' differs from '\(show(old))'")
                }
            }
            take(\.customerNumber, .customer, unset: "") { $0 }
            take(\.payerName, .payerName, unset: "") { $0 }
            take(\.paymentReference, .paymentRef, unset: "") { $0 }
            take(\.paymentDate, .paymentDate, unset: nil) { $0.map(\.description) ?? "" }
            take(\.currency, .currency, unset: nil) { $0?.code ?? "" }
            let digits = (row.currency ?? earlier.currency)?.minorUnitDigits ?? 2
            take(\.amount, .paymentAmount, unset: 0) { Money.decimal($0, digits: digits) }
            guard conflicts.isEmpty else {
                throw Problem("\(conflicts.joined(separator: "; ")) on an earlier line of advice \(earlier.reference): "
                    + "the line is not read; correct it or give it its own advice_ref")
            }
            return merged
        }
    }
}

// MARK: - Amounts

extension RemittanceCSVParser {
    /// A decimal amount in minor units of `currency`; throws a message naming the column and what
    /// to write instead.
    static func amount(_ text: String, column: Column, currency: Currency, decimalComma: Bool) throws(Problem) -> Int64 {
        let name = column.rawValue
        let mark: Character
        switch (text.lastIndex(of: "."), text.lastIndex(of: ",")) {
        case let (dot?, comma?): mark = dot > comma ? "." : ","
        case (nil, .some):
            guard decimalComma else {
                throw Problem("\(name) '\(text)' could be read with ',' as the decimal mark or as a thousands separator: "
                    + "write it with a '.' decimal point and no grouping, such as 1250.00")
            }
            mark = ","
        default: mark = "."
        }
        if let value = BankAmount.minorUnits(text, currency: currency, decimalSeparator: mark) { return value }
        let parts = text.split(separator: mark, omittingEmptySubsequences: false)
        let digits = currency.minorUnitDigits
        if parts.count == 2, let fraction = parts.last, fraction.allSatisfy(\.isASCIIDigit), fraction.count > digits {
            throw Problem("\(name) '\(text)' has \(fraction.count) decimals but \(currency) has \(digits == 0 ? "none" : String(digits))")
        }
        throw Problem("\(name) '\(text)' is not an amount: write digits with a '.' decimal point, such as 1250.00")
    }
}
