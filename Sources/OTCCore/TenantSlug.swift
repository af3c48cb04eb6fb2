/// A validated tenant slug: `^[a-z][a-z0-9_]{1,30}$`.
///
/// Slugs are the only input from which SQL identifiers (schema and role names) are ever built,
/// so the check here is what keeps identifier injection impossible.
public struct TenantSlug: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let rawValue: String

    public init?(_ raw: String) {
        let bytes = Array(raw.utf8)
        guard (2...31).contains(bytes.count), (97...122).contains(bytes[0]) else { return nil }
        for byte in bytes.dropFirst() {
            let ok = (97...122).contains(byte) || (48...57).contains(byte) || byte == 95
            guard ok else { return nil }
        }
        self.rawValue = raw
    }

    /// Parses or throws INVALID_ARGUMENT with the rule spelled out.
    public static func parse(_ raw: String) throws -> TenantSlug {
        guard let slug = TenantSlug(raw) else {
            throw OTCError.invalidArgument(
                "tenant slug '\(raw)' is invalid: use 2-31 characters, a lower-case letter first, then lower-case letters, digits or '_'"
            )
        }
        return slug
    }

    /// PostgreSQL schema that holds the tenant's data.
    public var schemaName: String { "tenant_\(rawValue)" }
    /// NOLOGIN role that alone holds rights on the schema.
    public var roleName: String { "otc_t_\(rawValue)" }

    public var description: String { rawValue }
    public static func < (lhs: TenantSlug, rhs: TenantSlug) -> Bool { lhs.rawValue < rhs.rawValue }
}
