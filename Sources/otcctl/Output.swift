import ArgumentParser
import Foundation
import OTCCore
import OTCProto
import SwiftProtobuf

/// Tables are for people at a shift desk; JSON is for scripts (`-o json | jq`).
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case table
    case json
}

/// A plain text table: columns padded to their widest cell, headers in caps, numbers right-aligned.
struct Table {
    struct Column {
        var title: String
        var rightAligned: Bool
    }
    var columns: [Column]
    var rows: [[String]] = []

    /// Titles ending in ">" are right-aligned (the marker is dropped): `Table("LINE>", "SKU")`.
    init(_ titles: String...) { self.init(titles: titles) }

    /// For columns known only at run time (aging buckets come from the tenant's rules).
    init(titles: [String]) {
        columns = titles.map { title in
            title.hasSuffix(">")
                ? Column(title: String(title.dropLast()).uppercased(), rightAligned: true)
                : Column(title: title.uppercased(), rightAligned: false)
        }
    }

    mutating func add(_ cells: String...) { rows.append(cells.map(Self.oneLine)) }
    mutating func add(row cells: [String]) { rows.append(cells.map(Self.oneLine)) }

    /// A line break inside a cell (CSV imports allow them) would tear the table apart.
    static func oneLine(_ text: String) -> String {
        guard text.contains(where: { $0.isNewline || $0 == "\t" }) else { return text }
        return String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }

    func render() -> String {
        var widths = columns.map { $0.title.count }
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count {
                widths[i] = max(widths[i], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, column) in columns.enumerated() {
                let cell = i < cells.count ? cells[i] : ""
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                let isLast = i == columns.count - 1
                parts.append(column.rightAligned ? pad + cell : (isLast ? cell : cell + pad))
            }
            var text = parts.joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text
        }
        return ([line(columns.map(\.title))] + rows.map(line)).joined(separator: "\n")
    }

    func print() {
        Swift.print(render())
    }
}

/// `KEY  value` lines for one record; keeps detail views aligned like the tables.
struct Details {
    var pairs: [(String, String)] = []
    mutating func add(_ key: String, _ value: String) { pairs.append((key.uppercased(), Table.oneLine(value))) }
    /// Adds the pair only when the value says something.
    mutating func addIfPresent(_ key: String, _ value: String) { if !value.isEmpty { add(key, value) } }

    func print() {
        let width = pairs.map(\.0.count).max() ?? 0
        for (key, value) in pairs {
            Swift.print(key + String(repeating: " ", count: width - key.count) + "  " + value)
        }
    }
}

enum Money {
    /// ISO 4217 minor-unit digits, from the same table the server uses.
    static func decimals(_ currency: String) -> Int {
        OTCCore.Currency(currency.uppercased())?.minorUnitDigits ?? 2
    }

    /// `1234.50 EUR` from minor units, with the server's own ISO 4217 exponents (OTCCore's Money:
    /// exact integer arithmetic, never a Double). An empty currency prints the number alone.
    static func format(units: Int64, currency: String) -> String {
        let text = OTCCore.Money.decimal(units, digits: decimals(currency))
        return currency.isEmpty ? text : "\(text) \(currency.uppercased())"
    }

    static func format(_ money: Otc_Common_V1_Money) -> String {
        format(units: money.units, currency: money.currency)
    }
}

enum JSONOutput {
    /// Prints a proto message in the proto3 JSON mapping, indented for reading.
    static func print(_ message: some SwiftProtobuf.Message) throws {
        Swift.print(prettyPrinted(try message.jsonString()))
    }

    /// Re-indents compact JSON without reparsing it, so field order and number text stay exactly
    /// as SwiftProtobuf wrote them.
    static func prettyPrinted(_ json: String) -> String {
        var out = ""
        var indent = 0
        var inString = false
        var escaped = false
        var chars = Array(json)
        chars.append(" ")
        var i = 0
        func newline() { out += "\n" + String(repeating: "  ", count: indent) }
        while i < chars.count - 1 {
            let c = chars[i]
            if inString {
                out.append(c)
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                i += 1
                continue
            }
            switch c {
            case "\"":
                inString = true
                out.append(c)
            case "{", "[":
                let close: Character = c == "{" ? "}" : "]"
                if chars[i + 1] == close {
                    out += String(c) + String(close)
                    i += 1
                } else {
                    out.append(c)
                    indent += 1
                    newline()
                }
            case "}", "]":
                indent -= 1
                newline()
                out.append(c)
            case ",":
                out.append(c)
                newline()
            case ":":
                out += ": "
            case " ", "\n", "\t", "\r":
                break
            default:
                out.append(c)
            }
            i += 1
        }
        return out
    }
}

/// Proto enum values shown the way people type them in `--status`.
enum OrderStatusName {
    static let all: [(String, Otc_Orders_V1_OrderStatus)] = [
        ("received", .received), ("validation_hold", .validationHold), ("credit_hold", .creditHold),
        ("released", .released), ("partially_shipped", .partiallyShipped), ("shipped", .shipped),
        ("invoiced", .invoiced), ("closed", .closed), ("cancelled", .cancelled),
    ]

    static func name(_ status: Otc_Orders_V1_OrderStatus) -> String {
        all.first { $0.1 == status }?.0 ?? "unspecified"
    }

    static func parse(_ text: String) -> Otc_Orders_V1_OrderStatus? {
        let normalized = text.lowercased().replacingOccurrences(of: "-", with: "_")
        return all.first { $0.0 == normalized }?.1
    }
}

func formatDate(_ date: Otc_Common_V1_Date) -> String {
    guard date.year != 0 else { return "" }
    func pad(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return "\(date.year)-\(pad(date.month))-\(pad(date.day))"
}

/// Shortens RFC 3339 timestamps for tables (`2025-03-01T10:15:30.123Z` → `2025-03-01 10:15:30`).
func shortTime(_ text: String) -> String {
    guard text.count >= 19 else { return text }
    return String(text.prefix(19)).replacingOccurrences(of: "T", with: " ")
}

func yesNo(_ value: Bool) -> String { value ? "yes" : "no" }

/// For stdout lines that must stay out of `-o json` output (notices go to stderr then).
func notice(_ line: String, json: Bool) {
    if json { printError(line) } else { print(line) }
}
