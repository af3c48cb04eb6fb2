public import Foundation
public import OTCCore

/// Rows of the control plane, as the admin service and the CLI see them.
public struct TenantRecord: Sendable {
    public var slug: TenantSlug
    public var name: String
    public var status: String
    public var statusReason: String
    public var baseCurrency: String
    public var timeZone: String
    public var schemaVersion: Int
    public var createdAt: Date
}

public struct CredentialRecord: Sendable {
    public var id: String
    public var tenant: String
    public var name: String
    public var scopes: [String]
    public var status: String
    public var certificateFingerprint: String?
    public var createdAt: Date
    public var revokedAt: Date?
    public var lastUsedAt: Date?
}

public struct OperatorRecord: Sendable {
    public var login: String
    public var displayName: String
    public var platformAdmin: Bool
    public var grants: [(tenant: String, role: String)]
    public var createdAt: Date
}
