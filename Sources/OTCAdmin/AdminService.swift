public import OTCCore
public import OTCStore
import OTCProto
import Foundation
import Logging
import SwiftProtobuf

/// The control plane over the wire: onboarding, suspension, credentials, operators, grants and
/// migrations. Platform admins only; none of these methods act for a tenant.
public struct AdminService: RPCService {
    let control: ControlPlane
    let migrator: TenantMigrator

    public init(control: ControlPlane, migrator: TenantMigrator) {
        self.control = control
        self.migrator = migrator
    }

    static let prefix = "/otc.admin.v1.AdminService/"

    public func registerMethods(with table: inout MethodTable) {
        table.register(Self.prefix + "OnboardTenant", access: .platformAdmin, mutating: true, onboard)
        table.register(Self.prefix + "ListTenants", access: .platformAdmin, mutating: false, listTenants)
        table.register(Self.prefix + "GetTenant", access: .platformAdmin, mutating: false, getTenant)
        table.register(Self.prefix + "SuspendTenant", access: .platformAdmin, mutating: true, suspendTenant)
        table.register(Self.prefix + "ResumeTenant", access: .platformAdmin, mutating: true, resumeTenant)
        table.register(Self.prefix + "IssueCredential", access: .platformAdmin, mutating: true, issueCredential)
        table.register(Self.prefix + "RevokeCredential", access: .platformAdmin, mutating: true, revokeCredential)
        table.register(Self.prefix + "ListCredentials", access: .platformAdmin, mutating: false, listCredentials)
        table.register(Self.prefix + "CreateOperator", access: .platformAdmin, mutating: true, createOperator)
        table.register(Self.prefix + "ListOperators", access: .platformAdmin, mutating: false, listOperators)
        table.register(Self.prefix + "GrantRole", access: .platformAdmin, mutating: true, grantRole)
        table.register(Self.prefix + "RevokeRole", access: .platformAdmin, mutating: true, revokeRole)
        table.register(Self.prefix + "MigrateTenants", access: .platformAdmin, mutating: true, migrateTenants)
    }

    @Sendable func listTenants(_: Otc_Admin_V1_ListTenantsRequest, _: CallContext) async throws -> Otc_Admin_V1_ListTenantsResponse {
        var response = Otc_Admin_V1_ListTenantsResponse()
        response.tenants = try await control.tenants().map(Self.tenantMessage)
        return response
    }

    @Sendable func getTenant(_ request: Otc_Admin_V1_GetTenantRequest, _: CallContext) async throws -> Otc_Admin_V1_Tenant {
        Self.tenantMessage(try await control.tenant(TenantSlug.parse(request.slug)))
    }

    @Sendable func suspendTenant(_ request: Otc_Admin_V1_SetTenantStatusRequest, _ context: CallContext) async throws -> Otc_Admin_V1_Tenant {
        guard !request.reason.isEmpty else {
            throw OTCError.invalidArgument("say why the client is suspended (reason); it is shown to their ERP")
        }
        return Self.tenantMessage(try await control.setTenantStatus(
            TenantSlug.parse(request.slug), to: "suspended", reason: request.reason, context: context))
    }

    @Sendable func resumeTenant(_ request: Otc_Admin_V1_SetTenantStatusRequest, _ context: CallContext) async throws -> Otc_Admin_V1_Tenant {
        Self.tenantMessage(try await control.setTenantStatus(
            TenantSlug.parse(request.slug), to: "active", reason: request.reason, context: context))
    }

    @Sendable func issueCredential(_ request: Otc_Admin_V1_IssueCredentialRequest, _ context: CallContext) async throws
        -> Otc_Admin_V1_IssuedCredential
    {
        let (record, key) = try await control.issueCredential(
            tenant: TenantSlug.parse(request.tenant), name: request.name, scopes: request.scopes.map { Scope($0) },
            certificateFingerprint: request.certificateFingerprint, context: context)
        var response = Otc_Admin_V1_IssuedCredential()
        response.credential = Self.credentialMessage(record)
        response.apiKey = key
        return response
    }

    @Sendable func revokeCredential(_ request: Otc_Admin_V1_RevokeCredentialRequest, _ context: CallContext) async throws
        -> Otc_Admin_V1_Credential
    {
        Self.credentialMessage(try await control.revokeCredential(id: request.id, context: context))
    }

    @Sendable func listCredentials(_ request: Otc_Admin_V1_ListCredentialsRequest, _: CallContext) async throws
        -> Otc_Admin_V1_ListCredentialsResponse
    {
        let tenant = request.tenant.isEmpty ? nil : try TenantSlug.parse(request.tenant)
        var response = Otc_Admin_V1_ListCredentialsResponse()
        response.credentials = try await control.credentials(tenant: tenant).map(Self.credentialMessage)
        return response
    }

    @Sendable func createOperator(_ request: Otc_Admin_V1_CreateOperatorRequest, _ context: CallContext) async throws
        -> Otc_Admin_V1_CreatedOperator
    {
        let (record, token) = try await control.createOperator(
            login: request.login, displayName: request.displayName, platformAdmin: request.platformAdmin, context: context)
        var response = Otc_Admin_V1_CreatedOperator()
        response.operator = Self.operatorMessage(record)
        response.token = token
        return response
    }

    @Sendable func listOperators(_: Otc_Admin_V1_ListOperatorsRequest, _: CallContext) async throws -> Otc_Admin_V1_ListOperatorsResponse {
        var response = Otc_Admin_V1_ListOperatorsResponse()
        response.operators = try await control.operators().map(Self.operatorMessage)
        return response
    }

    @Sendable func grantRole(_ request: Otc_Admin_V1_GrantRoleRequest, _ context: CallContext) async throws -> Otc_Admin_V1_Operator {
        Self.operatorMessage(try await control.grant(
            login: request.login, tenant: TenantSlug.parse(request.tenant), role: Role.parse(request.role), context: context))
    }

    @Sendable func revokeRole(_ request: Otc_Admin_V1_RevokeRoleRequest, _ context: CallContext) async throws -> Otc_Admin_V1_Operator {
        Self.operatorMessage(try await control.revoke(login: request.login, tenant: TenantSlug.parse(request.tenant), context: context))
    }

    @Sendable func migrateTenants(_ request: Otc_Admin_V1_MigrateTenantsRequest, _ context: CallContext) async throws
        -> Otc_Admin_V1_MigrateTenantsResponse
    {
        var tenants = try await control.tenants().map(\.slug)
        if !request.tenants.isEmpty {
            let known = Set(tenants)
            tenants = try request.tenants.map(TenantSlug.parse)
            if let unknown = tenants.first(where: { !known.contains($0) }) {
                throw OTCError.notFound("client '\(unknown)' does not exist; nothing was migrated")
            }
        }
        let outcomes = await migrator.migrate(tenants, parallelism: Int(request.parallelism == 0 ? 4 : request.parallelism))
        try await control.audit(context, action: "tenants.migrate", subject: "\(tenants.count) tenants",
                                details: ["failed": "\(outcomes.filter { $0.error != nil }.count)"])
        var response = Otc_Admin_V1_MigrateTenantsResponse()
        response.results = outcomes.map { outcome in
            var result = Otc_Admin_V1_TenantMigrationResult()
            result.tenant = outcome.tenant.rawValue
            result.fromVersion = Int32(outcome.fromVersion)
            result.toVersion = Int32(outcome.toVersion)
            result.error = outcome.error ?? ""
            return result
        }
        return response
    }

    /// Registers the tenant, creates its role and schema, migrates it, writes default rules, issues
    /// the first ERP key, then activates it. Every step is idempotent, so a failed onboarding is
    /// resumed by calling OnboardTenant again with the same slug.
    @Sendable func onboard(_ request: Otc_Admin_V1_OnboardTenantRequest, _ context: CallContext) async throws
        -> Otc_Admin_V1_OnboardTenantResponse
    {
        let slug = try TenantSlug.parse(request.slug)
        guard let currency = Currency(request.baseCurrency) else {
            throw OTCError.invalidArgument("base currency '\(request.baseCurrency)' is not an ISO 4217 code such as EUR")
        }
        let registered = try await control.registerTenant(
            slug, name: request.name, baseCurrency: currency,
            timeZone: request.timeZone.isEmpty ? "UTC" : request.timeZone, context: context)
        if registered.resumed {
            // Keys issued by an onboarding that failed later were never shown to anyone.
            for stale in try await control.credentials(tenant: slug) where stale.status == "active" {
                _ = try await control.revokeCredential(id: stale.id, context: context)
            }
        }
        let (from, to) = try await migrator.migrate(slug)
        try await control.seedRules(slug, rules: .defaults, by: context.principal)
        let (credential, key) = try await control.issueCredential(
            tenant: slug, name: "\(slug)-erp", scopes: request.erpScopes.map { Scope($0) }, certificateFingerprint: nil,
            context: context)
        let tenant = try await control.completeOnboarding(slug, context: context)
        context.logger.info("tenant onboarded", metadata: ["tenant": "\(slug)", "schema": "\(from)→\(to)"])
        return .with {
            $0.tenant = Self.tenantMessage(tenant)
            $0.erpCredential = .with {
                $0.credential = Self.credentialMessage(credential)
                $0.apiKey = key
            }
        }
    }

    static func tenantMessage(_ record: TenantRecord) -> Otc_Admin_V1_Tenant {
        .with {
            $0.slug = record.slug.rawValue
            $0.name = record.name
            $0.status = record.status
            $0.statusReason = record.statusReason
            $0.baseCurrency = record.baseCurrency
            $0.timeZone = record.timeZone
            $0.schemaName = record.slug.schemaName
            $0.schemaVersion = Int32(record.schemaVersion)
            $0.createdAt = Timestamp.string(record.createdAt)
        }
    }

    static func credentialMessage(_ record: CredentialRecord) -> Otc_Admin_V1_Credential {
        .with {
            $0.id = record.id
            $0.tenant = record.tenant
            $0.name = record.name
            $0.scopes = record.scopes
            $0.status = record.status
            $0.createdAt = Timestamp.string(record.createdAt)
            $0.revokedAt = Timestamp.string(record.revokedAt)
            $0.lastUsedAt = Timestamp.string(record.lastUsedAt)
            $0.certificateFingerprint = record.certificateFingerprint ?? ""
        }
    }

    static func operatorMessage(_ record: OperatorRecord) -> Otc_Admin_V1_Operator {
        .with {
            $0.login = record.login
            $0.displayName = record.displayName
            $0.platformAdmin = record.platformAdmin
            $0.createdAt = Timestamp.string(record.createdAt)
            $0.grants = record.grants.map { grant in .with { $0.tenant = grant.tenant; $0.role = grant.role } }
        }
    }
}
