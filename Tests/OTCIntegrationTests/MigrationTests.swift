import Foundation
import OTCApp
import OTCClient
import OTCCore
import OTCProto
import OTCStore
import PostgresNIO
import SwiftProtobuf
import Testing

@Suite("Tenant migrations")
struct MigrationTests {
    /// The platform schema plus one new step, as a later release would ship it.
    static func nextRelease(_ statement: String) -> TenantSchema {
        TenantSchema(modules: [Platform.tenantSchema.migrations,
                               [Migration(module: "probe", version: 1, name: "probe table", statements: [statement])]])
    }

    @Test func oneFailingTenantDoesNotStopTheOthersAndAReRunResumes() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            var slugs: [TenantSlug] = []
            for i in 0..<3 { slugs.append(TenantSlug(try await server.onboard("mig\(i)", admin: admin).slug)!) }
            let broken = slugs[1]
            // Sabotage one tenant: the new step's table already exists there.
            try await server.asTenant(broken.rawValue) { conn in
                try await conn.query("CREATE TABLE probe (x int)", logger: TestEnvironment.logger)
            }
            let schema = Self.nextRelease("CREATE TABLE probe (id bigserial PRIMARY KEY, note text)")
            let migrator = TenantMigrator(client: server.client, schema: schema, logger: TestEnvironment.logger)
            let first = await migrator.migrate(slugs, parallelism: 2)
            let target = schema.targetVersion
            #expect(first.count == 3)
            for outcome in first where outcome.tenant != broken {
                #expect(outcome.error == nil)
                #expect(outcome.toVersion == target)
            }
            let failed = try #require(first.first { $0.tenant == broken })
            #expect(failed.error?.contains("probe") == true)
            #expect(failed.toVersion == target - 1)

            // Fix the cause; the re-run applies only the missing step.
            try await server.asTenant(broken.rawValue) { conn in
                try await conn.query("DROP TABLE probe", logger: TestEnvironment.logger)
            }
            let second = await migrator.migrate(slugs)
            #expect(second.allSatisfy { $0.error == nil && $0.toVersion == target })
            #expect(second.first { $0.tenant == broken }?.fromVersion == target - 1)
            #expect(try await server.count("probe", tenant: broken.rawValue) == 0)
        }
    }

    @Test func anAppliedStepThatWasEditedIsRefused() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let slug = TenantSlug(try await server.onboard("mig_sum", admin: admin).slug)!
            let original = TenantMigrator(client: server.client, schema: Self.nextRelease("CREATE TABLE probe (id int)"), logger: TestEnvironment.logger)
            #expect(await original.migrate([slug]).first?.error == nil)
            let edited = TenantMigrator(client: server.client, schema: Self.nextRelease("CREATE TABLE probe (id bigint)"), logger: TestEnvironment.logger)
            let outcome = await edited.migrate([slug]).first
            #expect(outcome?.error?.contains("changed after it was applied") == true)
        }
    }

    @Test func migrateOverTheWireReportsEveryTenantAndRefusesUnknownOnes() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (slug, _) = try await server.onboard("mig_wire", admin: admin)
            var request = Otc_Admin_V1_MigrateTenantsRequest()
            request.tenants = [slug]
            let response: Otc_Admin_V1_MigrateTenantsResponse = try await admin.call(Method.admin + "MigrateTenants", request: request)
            #expect(response.results.map(\.tenant) == [slug])
            #expect(response.results[0].error.isEmpty)
            #expect(Int(response.results[0].toVersion) == Platform.tenantSchema.targetVersion)
            request.tenants = ["no_such_tenant"]
            await expectStatus(.notFound) {
                let _: Otc_Admin_V1_MigrateTenantsResponse = try await admin.call(Method.admin + "MigrateTenants", request: request)
            }
        }
    }
}
