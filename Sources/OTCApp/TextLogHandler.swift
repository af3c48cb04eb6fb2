public import Logging
import Foundation
import OTCCore

/// Human-readable log lines on stderr: `time level label: message key=value …`.
///
/// Replaces swift-log's StreamLogHandler, which re-renders all metadata each time a key is set;
/// the router sets request_id, method and tenant on every call, and that rendering showed up in
/// profiles. Here metadata is only rendered for lines that are actually written.
public struct TextLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        var line = "\(Timestamp.string(Date())) \(event.level) \(label): \(event.message)"
        for key in merged.keys.sorted() { line += " \(key)=\(merged[key]!)" }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
