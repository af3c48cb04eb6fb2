import Foundation

/// One CSV record and the file line it starts on, so failures can point at the line in the file
/// (quoted fields may span lines, so record index and line number differ).
struct CSVRecord {
    let line: Int
    let fields: [String]
}

/// RFC 4180 CSV: comma separated, fields optionally in double quotes, `""` inside quotes is one
/// quote, quoted fields may contain commas and line breaks; CRLF or LF line ends; a UTF-8 BOM is ignored.
enum CSV {
    struct ParseError: Error, CustomStringConvertible {
        let line: Int
        let message: String
        var description: String { "CSV line \(line): \(message)" }
    }

    static func parse(_ text: String) throws -> [CSVRecord] {
        var records: [CSVRecord] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var inQuotes = false
        var fieldWasQuoted = false
        var line = 1
        var recordLine = 1
        var quoteLine = 1
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }

        func endField() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
            fieldWasQuoted = false
        }
        func endRecord() {
            endField()
            // A blank line is not a record.
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(CSVRecord(line: recordLine, fields: fields)) }
            fields = []
        }

        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < scalars.count, scalars[i + 1] == "\"" {
                        field.append("\"")
                        i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                }
            } else {
                switch c {
                case "\"" where field.isEmpty && !fieldWasQuoted:
                    inQuotes = true
                    fieldWasQuoted = true
                    quoteLine = line
                case ",":
                    endField()
                case "\r", "\n":
                    if c == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
                    endRecord()
                    line += 1
                    recordLine = line
                default:
                    field.append(c)
                }
            }
            i += 1
        }
        if inQuotes { throw ParseError(line: quoteLine, message: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }
}
