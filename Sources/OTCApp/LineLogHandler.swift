public import Logging
import Foundation
import OTCCore

/// One log line per event on stderr, as text (`time level label: message key=value …`) or as a
/// JSON object (time, level, message, logger and every metadata key) for a log shipper.
///
/// Used instead of swift-log's StreamLogHandler, which re-renders all metadata each time a key is
/// set; the router sets request_id, method and tenant on every call, and that rendering showed up
/// in profiles. Here metadata is only rendered for lines that are actually written.
public struct LineLogHandler: LogHandler {
    public enum Format: Sendable { case text, json }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let format: Format

    public init(label: String, format: Format) {
        self.label = label
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        let time = Timestamp.string(Date())
        var line: String
        switch format {
        case .text:
            line = "\(time) \(event.level) \(label): \(event.message)"
            for key in merged.keys.sorted() { line += " \(key)=\(merged[key]!)" }
        case .json:
            var fields = ["time": time, "level": "\(event.level)", "message": "\(event.message)", "logger": label]
            for (key, value) in merged { fields[key] = "\(value)" }
            line = JSONText.object(fields)
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
