/// An operator's role on one tenant, from least to most powerful.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case viewer, analyst, teamLead = "team_lead", admin

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .analyst: 1
        case .teamLead: 2
        case .admin: 3
        }
    }
    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    public static func parse(_ raw: String) throws -> Role {
        guard let role = Role(rawValue: raw) else {
            throw OTCError.invalidArgument("role '\(raw)' is unknown: use viewer, analyst, team_lead or admin")
        }
        return role
    }
}

/// Permission an ERP credential carries, e.g. `orders:write`.
public struct Scope: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    public static let ordersRead: Scope = "orders:read"
    public static let ordersWrite: Scope = "orders:write"
    public static let customersRead: Scope = "customers:read"
    public static let customersWrite: Scope = "customers:write"
    public static let billingRead: Scope = "billing:read"
    public static let billingWrite: Scope = "billing:write"
    public static let receivablesRead: Scope = "receivables:read"
    /// Credit profiles and exposure; aging, dunning notices, promises (reads only: credit and
    /// collections decisions are made by operators).
    public static let creditRead: Scope = "credit:read"
    public static let collectionsRead: Scope = "collections:read"
    /// Disputes the ERP raises for its customers, and reads.
    public static let disputesRead: Scope = "disputes:read"
    public static let disputesWrite: Scope = "disputes:write"
    /// Payments the ERP has matched itself (LedgerService/RecordPayment).
    public static let paymentsWrite: Scope = "payments:write"

    /// Every scope an ERP credential can hold; issuing with no scopes grants these.
    public static let allERP: [Scope] = [.ordersRead, .ordersWrite, .customersRead, .customersWrite, .billingRead, .billingWrite,
                                         .receivablesRead, .creditRead, .collectionsRead, .paymentsWrite,
                                         .disputesRead, .disputesWrite]

    /// `:write` implies `:read` of the same resource.
    public func isSatisfied(by granted: Set<Scope>) -> Bool {
        if granted.contains(self) { return true }
        if rawValue.hasSuffix(":read") {
            let write = Scope(String(rawValue.dropLast(5)) + ":write")
            return granted.contains(write)
        }
        return false
    }
}

/// Who is calling, established by the Hello frame.
public enum Principal: Sendable, Hashable, CustomStringConvertible {
    /// A client ERP's API key (or registered client certificate), bound to one tenant.
    case erp(credentialID: String, tenant: TenantSlug, scopes: Set<Scope>)
    /// A delivery-center person with roles on several tenants.
    case operatorAccount(login: String, grants: [TenantSlug: Role], platformAdmin: Bool)

    /// Stable id written into audit records: `erp:<credential>` or `op:<login>`.
    public var auditID: String {
        switch self {
        case .erp(let id, _, _): "erp:\(id)"
        case .operatorAccount(let login, _, _): "op:\(login)"
        }
    }

    public var isPlatformAdmin: Bool {
        if case .operatorAccount(_, _, true) = self { return true }
        return false
    }

    public var description: String { auditID }
}
