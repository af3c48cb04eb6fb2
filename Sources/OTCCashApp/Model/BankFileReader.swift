public import Foundation

/// Reads a bank file in any supported format: recognises the format when not told (CSV must be
/// named, it has no signature) and hands the content to its parser.
public enum BankFileReader {
    public static func read(_ content: Data, format: BankFileFormat?, csvMapping: CSVMapping? = nil, name: String = "") -> ParsedBankFile {
        guard let format = format ?? recognise(content) else {
            return ParsedBankFile(format: .csv, errors: [BankFileError(
                location: name.isEmpty ? "file" : name,
                message: "format not recognised; say which it is (camt.053, camt.054, bai2, mt940 or csv with a column mapping)")])
        }
        switch format {
        case .camt053, .camt054:
            return CamtParser.parse(content)
        case .bai2, .mt940, .csv:
            guard let text = String(data: content, encoding: .utf8) ?? String(data: content, encoding: .isoLatin1) else {
                return ParsedBankFile(format: format, errors: [BankFileError(location: "file", message: "not text in UTF-8 or Latin-1")])
            }
            switch format {
            case .bai2: return BAI2Parser.parse(text)
            case .mt940: return MT940Parser.parse(text)
            default:
                guard let csvMapping else {
                    return ParsedBankFile(format: .csv, errors: [BankFileError(location: "file", message: "a CSV file needs the client's column mapping")])
                }
                return CSVStatementParser.parse(text, mapping: csvMapping, statementID: nil)
            }
        }
    }

    /// camt by its namespace, BAI2 by its 01 record, MT940 by its :20: tag.
    public static func recognise(_ content: Data) -> BankFileFormat? {
        let head = String(decoding: content.prefix(4096), as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\u{FEFF}").union(.whitespacesAndNewlines))
        if head.contains("camt.053") { return .camt053 }
        if head.contains("camt.054") { return .camt054 }
        if head.hasPrefix("01,") { return .bai2 }
        if head.contains(":20:") && head.contains(":25:") { return .mt940 }
        return nil
    }
}
