import Foundation
import OTCCore

/// What the line-oriented bank formats (BAI2, MT940, CSV) share: numbered lines, the banks'
/// two-digit-year dates and errors that point at a line.
enum LineFormat {
    /// The file's lines with their 1-based numbers. LF, CRLF and CR all end a line (banks and
    /// the tools between them use all three) and a UTF-8 byte order mark is dropped.
    static func numberedLines(_ text: String) -> [(number: Int, text: Substring)] {
        let body = text.hasPrefix("\u{FEFF}") ? text.dropFirst() : Substring(text)
        // "\r\n" is one Character, so splitting on newline characters handles every convention.
        return body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .enumerated().map { (number: $0.offset + 1, text: $0.element) }
    }

    /// A YYMMDD date. Two-digit years 00–69 are 2000–2069 and 70–99 are 1970–1999: bank files
    /// report recent days, and the window keeps old archives readable.
    static func date(yymmdd text: some StringProtocol) -> BusinessDate? {
        guard text.count == 6, text.allSatisfy(\.isASCIIDigit), let value = Int(text) else { return nil }
        let yy = value / 10_000
        return BusinessDate(year: yy < 70 ? 2000 + yy : 1900 + yy, month: value / 100 % 100, day: value % 100)
    }

    static func error(line: Int, _ message: String) -> BankFileError {
        BankFileError(location: "line \(line)", message: message)
    }

    /// Surrounding spaces and tabs removed.
    static func trimmed(_ text: some StringProtocol) -> String {
        text.trimmingCharacters(in: .whitespaces)
    }
}
