import OTCCore
import OTCStore
import Foundation
import PostgresNIO

/// The SQL of bank files sent in parts (`bank_file_parts`). A file above the frame limit travels
/// as parts 0…n of one upload id; every part but the last is kept here, and the last one reads
/// them back in order, imports the whole file and deletes them, all in one transaction.
///
/// Parts of uploads that never finish are dropped when a new upload starts (its part 0) and they
/// are more than 24 hours old.
struct BankUploads: Sendable {
    /// The largest file an upload may assemble.
    static let maxFileBytes = 256 * 1024 * 1024
    /// Parts are numbered 0…maxParts - 1.
    static let maxParts = 10_000
    /// Parts older than this belong to an abandoned upload.
    static let abandonedAfter = "24 hours"

    /// An upload id is chosen by the client: 1–100 letters, digits, '.', '_', ':' or '-'.
    static func validate(uploadID: String, part: Int) throws {
        guard uploadID.count <= 100, uploadID.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-_:".unicodeScalars.contains($0)) })
        else {
            throw OTCError.invalidArgument(
                "upload_id '\(uploadID.prefix(120))' must be 1-100 letters, digits, '.', '_', ':' or '-' (a fresh UUID will do)")
        }
        guard part < maxParts else {
            throw OTCError.invalidArgument("part \(part) of upload \(uploadID): an upload has at most \(maxParts) parts (0…\(maxParts - 1)); send larger parts")
        }
    }

    static func mebibytes(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

    /// Keeps a part that is not the last and returns how many parts of the upload the server holds
    /// now. The same part again with the same content changes nothing; with other content it is
    /// refused, as is a part that would take the upload above `maxFileBytes`.
    func store(uploadID: String, part: Int, content: Data, in tx: TenantTransaction) async throws -> Int {
        if part == 0 {
            try await tx.query("DELETE FROM bank_file_parts WHERE created_at < now() - \(Self.abandonedAfter)::interval")
        }
        let principal = tx.context.principal.auditID
        let summary = try await tx.query(
            """
            SELECT count(*)::int, coalesce(sum(octet_length(content)), 0)::bigint, bool_or(principal <> \(principal)), bool_or(part = \(part))
            FROM bank_file_parts WHERE upload_id = \(uploadID)
            """)
        var held = 0, bytes: Int64 = 0, foreign = false, exists = false
        for try await (count, size, other, present) in summary.decode((Int, Int64, Bool?, Bool?).self) {
            (held, bytes, foreign, exists) = (count, size, other ?? false, present ?? false)
        }
        guard !foreign else {
            throw OTCError.failedPrecondition("upload \(uploadID) was started by another client or operator; choose a fresh upload id")
        }
        if exists {
            var same = false
            for try await equal in try await tx.query(
                "SELECT content = \(ByteBuffer(bytes: Array(content))) FROM bank_file_parts WHERE upload_id = \(uploadID) AND part = \(part)")
                .decode(Bool.self) { same = equal }
            guard same else {
                throw OTCError.invalidArgument(
                    "part \(part) of upload \(uploadID) was received before with different content; parts cannot change: send the file again under a fresh upload id")
            }
            return held
        }
        guard Int(bytes) + content.count <= Self.maxFileBytes else {
            throw OTCError.invalidArgument(
                "upload \(uploadID) would hold \(Self.mebibytes(Int(bytes) + content.count)) with part \(part); a bank file may have at most \(Self.mebibytes(Self.maxFileBytes)): split it by statement and import the pieces as separate files")
        }
        try await tx.query(
            """
            INSERT INTO bank_file_parts (upload_id, part, content, principal)
            VALUES (\(uploadID), \(part), \(ByteBuffer(bytes: Array(content))), \(principal))
            """)
        return held + 1
    }

    /// Parts 0…last - 1 of an upload joined in order, locked until the transaction ends (a second
    /// call finishing the same upload waits and then finds them gone). Refused when one is missing,
    /// when parts beyond the last were sent, or when the file with the last part (`lastBytes`)
    /// would be larger than `maxFileBytes`.
    func assemble(uploadID: String, last: Int, lastBytes: Int, in tx: TenantTransaction) async throws -> Data {
        let principal = tx.context.principal.auditID
        var held: [Int] = []
        var bytes = lastBytes
        var foreign = false
        for try await (part, size, owner) in try await tx.query(
            "SELECT part, octet_length(content), principal FROM bank_file_parts WHERE upload_id = \(uploadID) ORDER BY part FOR UPDATE")
            .decode((Int, Int, String).self)
        {
            held.append(part)
            bytes += size
            if owner != principal { foreign = true }
        }
        guard !foreign else {
            throw OTCError.failedPrecondition("upload \(uploadID) was started by another client or operator; choose a fresh upload id")
        }
        let beyond = held.filter { $0 >= last }
        guard beyond.isEmpty else {
            throw OTCError.failedPrecondition(
                "upload \(uploadID) holds part(s) \(Self.list(beyond)) but part \(last) says it is the last (more_parts = false); parts count from 0 and only the last leaves more_parts unset: send the file again under a fresh upload id")
        }
        let present = Set(held)
        let missing = (0..<last).filter { !present.contains($0) }
        guard missing.isEmpty else {
            if held.isEmpty {
                throw OTCError.failedPrecondition(
                    "the server holds no parts of upload \(uploadID), but part \(last) is the last: part(s) \(Self.list(missing)) were never received, were imported already, or were dropped after \(Self.abandonedAfter); send the whole file again",
                    details: ["missing_parts": Self.list(missing)])
            }
            throw OTCError.failedPrecondition(
                "upload \(uploadID) is missing part(s) \(Self.list(missing)) of 0…\(last - 1); send \(missing.count == 1 ? "it" : "them") (with more_parts), then the last part \(last) again",
                details: ["missing_parts": Self.list(missing)])
        }
        guard bytes <= Self.maxFileBytes else {
            throw OTCError.invalidArgument(
                "upload \(uploadID) adds up to \(Self.mebibytes(bytes)); a bank file may have at most \(Self.mebibytes(Self.maxFileBytes)): split it by statement and import the pieces as separate files")
        }
        var content = Data(capacity: bytes)
        guard last > 0 else { return content }
        for try await buffer in try await tx.query(
            "SELECT content FROM bank_file_parts WHERE upload_id = \(uploadID) ORDER BY part").decode(ByteBuffer.self)
        {
            content.append(contentsOf: buffer.readableBytesView)
        }
        return content
    }

    /// Drops an upload's parts once its file is imported (same transaction as the import).
    func delete(uploadID: String, in tx: TenantTransaction) async throws {
        try await tx.query("DELETE FROM bank_file_parts WHERE upload_id = \(uploadID)")
    }

    /// "2, 5, 7" (at most 20, then "… (n in all)").
    static func list(_ parts: [Int]) -> String {
        parts.prefix(20).map(String.init).joined(separator: ", ") + (parts.count > 20 ? "… (\(parts.count) in all)" : "")
    }
}
