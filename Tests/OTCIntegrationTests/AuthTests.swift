import Foundation
import OTCClient
import OTCProto
import OTCServer
import SwiftProtobuf
import Testing

@Suite("Authentication and authorization")
struct AuthTests {
    @Test func badKeyIsRefusedAtHello() async throws {
        try await withServer { server in
            await expectStatus(.unauthenticated) { try await server.connect(.apiKey("otc_nosuchkey_secret")) }
            await expectStatus(.unauthenticated) { try await server.connect(.apiKey("not-a-key")) }
            await expectStatus(.unauthenticated) { try await server.connect(.operatorToken("otcop_x_y")) }
            // A real key id with the wrong secret.
            let admin = try await server.admin()
            let (_, key) = try await server.onboard("auth_bad", admin: admin)
            let tampered = String(key.dropLast()) + (key.hasSuffix("A") ? "B" : "A")
            await expectStatus(.unauthenticated) { try await server.connect(.apiKey(tampered)) }
        }
    }

    @Test func revokedKeyIsRefusedAtHelloAndOnItsNextCall() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("auth_rev", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let list: Otc_Admin_V1_ListCredentialsResponse = try await admin.call(
                Method.admin + "ListCredentials", request: Otc_Admin_V1_ListCredentialsRequest.with { $0.tenant = tenant })
            let _: Otc_Admin_V1_Credential = try await admin.call(
                Method.admin + "RevokeCredential", request: Otc_Admin_V1_RevokeCredentialRequest.with { $0.id = list.credentials[0].id })
            await expectStatus(.unauthenticated) {
                let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            }
            await expectStatus(.unauthenticated) { try await server.connect(.apiKey(key)) }
        }
    }

    @Test func suspendedTenantCallsFailWithAClearStatus() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("auth_sus", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Admin_V1_Tenant = try await admin.call(Method.admin + "SuspendTenant", request: Otc_Admin_V1_SetTenantStatusRequest.with {
                $0.slug = tenant
                $0.reason = "contract ended"
            })
            let error = await expectStatus(.failedPrecondition) {
                let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            }
            #expect(error?.message.contains("suspended") == true)
            #expect(error?.message.contains("contract ended") == true)
            await expectStatus(.invalidArgument) {
                let _: Otc_Admin_V1_Tenant = try await admin.call(Method.admin + "SuspendTenant", request: Otc_Admin_V1_SetTenantStatusRequest.with { $0.slug = tenant })
            }
            let resumed: Otc_Admin_V1_Tenant = try await admin.call(Method.admin + "ResumeTenant", request: Otc_Admin_V1_SetTenantStatusRequest.with { $0.slug = tenant })
            #expect(resumed.status == "active")
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
        }
    }

    @Test func operatorNeedsAGrantAndEnoughRole() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, _) = try await server.onboard("auth_op", admin: admin)
            let login = "viewer-" + UUID().uuidString.prefix(6).lowercased()
            let created: Otc_Admin_V1_CreatedOperator = try await admin.call(
                Method.admin + "CreateOperator", request: Otc_Admin_V1_CreateOperatorRequest.with { $0.login = login })
            let op = try await server.connect(.operatorToken(created.token))
            #expect(op.welcome.principal.kind == .operator)
            #expect(op.welcome.tenants.isEmpty)
            let noGrant = await expectStatus(.permissionDenied) {
                let _: Otc_Customers_V1_ListCustomersResponse = try await op.call(Method.listCustomers, tenant: tenant, request: Otc_Customers_V1_ListCustomersRequest())
            }
            #expect(noGrant?.message.contains("no role") == true)
            // A tenant that does not exist looks the same to a non-admin: no probing for client names.
            let unknown = await expectStatus(.permissionDenied) {
                let _: Otc_Customers_V1_ListCustomersResponse = try await op.call(Method.listCustomers, tenant: "no_such_client", request: Otc_Customers_V1_ListCustomersRequest())
            }
            #expect(unknown?.message == noGrant?.message.replacingOccurrences(of: tenant, with: "no_such_client"))

            let _: Otc_Admin_V1_Operator = try await admin.call(Method.admin + "GrantRole", request: Otc_Admin_V1_GrantRoleRequest.with {
                $0.login = login; $0.tenant = tenant; $0.role = "viewer"
            })
            // The grant applies to the open connection on its next call (checked in the transaction).
            let _: Otc_Customers_V1_ListCustomersResponse = try await op.call(Method.listCustomers, tenant: tenant, request: Otc_Customers_V1_ListCustomersRequest())
            let tooLow = await expectStatus(.permissionDenied) {
                let _: Otc_Customers_V1_Customer = try await op.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            }
            #expect(tooLow?.message.contains("analyst") == true)
            // Operators are not platform admins.
            await expectStatus(.permissionDenied) {
                let _: Otc_Admin_V1_ListTenantsResponse = try await op.call(Method.admin + "ListTenants", request: Otc_Admin_V1_ListTenantsRequest())
            }
            let _: Otc_Admin_V1_Operator = try await admin.call(Method.admin + "RevokeRole", request: Otc_Admin_V1_RevokeRoleRequest.with {
                $0.login = login; $0.tenant = tenant
            })
            await expectStatus(.permissionDenied) {
                let _: Otc_Customers_V1_ListCustomersResponse = try await op.call(Method.listCustomers, tenant: tenant, request: Otc_Customers_V1_ListCustomersRequest())
            }
        }
    }

    @Test func unknownTenantAndBadSlugAreExplained() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            await expectStatus(.notFound) {
                let _: Otc_Customers_V1_ListCustomersResponse = try await admin.call(Method.listCustomers, tenant: "no_such_tenant", request: Otc_Customers_V1_ListCustomersRequest())
            }
            await expectStatus(.invalidArgument) {
                let _: Otc_Customers_V1_ListCustomersResponse = try await admin.call(Method.listCustomers, tenant: "Bad-Slug", request: Otc_Customers_V1_ListCustomersRequest())
            }
            await expectStatus(.invalidArgument) {
                let _: Otc_Customers_V1_ListCustomersResponse = try await admin.call(Method.listCustomers, request: Otc_Customers_V1_ListCustomersRequest())
            }
            await expectStatus(.alreadyExists) {
                let (slug, _) = try await server.onboard("dup", admin: admin)
                var again = Otc_Admin_V1_OnboardTenantRequest()
                again.slug = slug
                again.name = "again"
                again.baseCurrency = "EUR"
                let _: Otc_Admin_V1_OnboardTenantResponse = try await admin.call(Method.admin + "OnboardTenant", request: again)
            }
        }
    }
}
