public import Foundation

/// ISO 8601 timestamps with milliseconds in UTC, the one format the API and the CLI show.
public enum Timestamp {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public static func string(_ date: Date) -> String { style.format(date) }
    public static func string(_ date: Date?) -> String { date.map(string) ?? "" }
}
