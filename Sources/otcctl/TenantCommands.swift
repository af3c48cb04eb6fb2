import ArgumentParser
import Foundation
import OTCClient
import OTCProto
import SwiftProtobuf

/// Tenants are the platform's clients; these are platform-admin methods, so no Call.tenant is sent.
struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Onboard, inspect, suspend, resume and migrate tenants (platform admin).",
        subcommands: [Onboard.self, List.self, Show.self, Suspend.self, Resume.self, Migrate.self])

    struct Onboard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Onboard a tenant and issue its first ERP API key.")
        @Argument(help: "Tenant slug, ^[a-z][a-z0-9_]{1,30}$.") var slug: String
        @Option(help: "The client's name.") var name: String
        @Option(help: "Base currency, ISO 4217 (e.g. EUR).") var currency: String
        @Option(name: .customLong("time-zone"), help: "IANA time zone (default: UTC).") var timeZone: String?
        @Option(name: .customLong("scope"), help: "Scope of the first ERP key (repeatable; default: all ERP scopes).")
        var scopes: [String] = []
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Admin_V1_OnboardTenantRequest.with {
                    $0.slug = slug
                    $0.name = name
                    $0.baseCurrency = currency.uppercased()
                    $0.timeZone = timeZone ?? ""
                    $0.erpScopes = scopes
                }
                let response = try await session.write(AdminMethods.onboardTenant, request,
                                                       as: Otc_Admin_V1_OnboardTenantResponse.self, tenant: nil)
                if session.json {
                    try JSONOutput.print(response)
                    printError("note: the ERP API key in erpCredential.apiKey is shown once and never again")
                    return
                }
                printTenant(response.tenant)
                print("")
                let credential = response.erpCredential.credential
                print("ERP credential \(credential.id) (scopes: \(credential.scopes.joined(separator: " ")))")
                print("ERP API key for \(response.tenant.slug) — SHOWN ONCE, store it now (the server keeps only an HMAC):")
                print("  \(response.erpCredential.apiKey)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let response = try await session.read(AdminMethods.listTenants, Otc_Admin_V1_ListTenantsRequest(),
                                                      as: Otc_Admin_V1_ListTenantsResponse.self, tenant: nil)
                if session.json { return try JSONOutput.print(response) }
                var table = Table("slug", "name", "status", "currency", "time zone", "schema>", "created")
                for t in response.tenants {
                    table.add(t.slug, t.name, t.status + (t.statusReason.isEmpty || t.status == "active" ? "" : " (\(t.statusReason))"),
                              t.baseCurrency, t.timeZone, "v\(t.schemaVersion)", shortTime(t.createdAt))
                }
                table.print()
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one tenant.")
        @Argument(help: "Tenant slug.") var slug: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let tenant = try await session.read(AdminMethods.getTenant, Otc_Admin_V1_GetTenantRequest.with { $0.slug = slug },
                                                    as: Otc_Admin_V1_Tenant.self, tenant: nil)
                if session.json { return try JSONOutput.print(tenant) }
                printTenant(tenant)
            }
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suspend a tenant: its calls are refused until resumed.")
        @Argument(help: "Tenant slug.") var slug: String
        @Option(help: "Why (kept in the audit log).") var reason: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await setStatus(AdminMethods.suspendTenant, slug: slug, reason: reason, global: global)
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a suspended tenant.")
        @Argument(help: "Tenant slug.") var slug: String
        @Option(help: "Why (kept in the audit log).") var reason: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await setStatus(AdminMethods.resumeTenant, slug: slug, reason: reason ?? "", global: global)
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bring tenant schemas to the current version.")
        @Argument(help: "Tenants to migrate (default: all).") var slugs: [String] = []
        @Option(help: "Tenants migrating at once (default: server's, 4).") var parallelism: UInt32 = 0
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let response = try await global.withSession { session in
                try await session.invoke(
                    AdminMethods.migrateTenants,
                    Otc_Admin_V1_MigrateTenantsRequest.with { $0.tenants = slugs; $0.parallelism = parallelism },
                    as: Otc_Admin_V1_MigrateTenantsResponse.self, tenant: nil,
                    idempotencyKey: UUID().uuidString.lowercased(), timeout: .seconds(300)).response
            }
            let failed = response.results.filter { !$0.error.isEmpty }
            if global.json {
                try JSONOutput.print(response)
            } else {
                var table = Table("tenant", "from>", "to>", "result")
                for r in response.results {
                    table.add(r.tenant, "v\(r.fromVersion)", "v\(r.toVersion)",
                              r.error.isEmpty ? (r.fromVersion == r.toVersion ? "up to date" : "migrated") : "FAILED: \(r.error)")
                }
                table.print()
                print("\(response.results.count) tenant(s), \(failed.count) failed")
            }
            if !failed.isEmpty { throw ExitCode.failure }
        }
    }
}

private func setStatus(_ method: String, slug: String, reason: String, global: GlobalOptions) async throws {
    try await global.withSession { session in
        let tenant = try await session.write(method, Otc_Admin_V1_SetTenantStatusRequest.with { $0.slug = slug; $0.reason = reason },
                                             as: Otc_Admin_V1_Tenant.self, tenant: nil)
        if session.json { return try JSONOutput.print(tenant) }
        print("tenant \(tenant.slug) is \(tenant.status)" + (tenant.statusReason.isEmpty ? "" : " (\(tenant.statusReason))"))
    }
}

func printTenant(_ t: Otc_Admin_V1_Tenant) {
    var details = Details()
    details.add("slug", t.slug)
    details.add("name", t.name)
    details.add("status", t.status)
    details.addIfPresent("status reason", t.statusReason)
    details.add("currency", t.baseCurrency)
    details.add("time zone", t.timeZone)
    details.add("schema", "\(t.schemaName) v\(t.schemaVersion)")
    details.add("created", t.createdAt)
    details.print()
}
