import Foundation
import OTCClient
import OTCProto
import OTCServer
import SwiftProtobuf
import Testing

@Suite("Concurrency")
struct ConcurrencyTests {
    @Test func manyCallsInFlightOnOneConnectionAreMatchedByCallID() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let conn = try await server.connect(.operatorToken(try await Self.token(server, admin)))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<500 {
                    group.addTask {
                        var request = Otc_System_V1_PingRequest()
                        request.payload = Data("call-\(i)".utf8)
                        let response: Otc_System_V1_PingResponse = try await conn.call(Method.ping, request: request)
                        #expect(response.payload == request.payload)
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func manyConnectionsAtOnceEachCreateOrders() async throws {
        try await withServer(configure: { $0.admission.tenantCallsInFlight = 64 }) { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("conc", admin: admin)
            let setup = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await setup.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<40 {
                    group.addTask {
                        let conn = try await server.connect(.apiKey(key))
                        for i in 0..<5 {
                            let order: Otc_Orders_V1_Order = try await conn.callWithRetry(
                                Method.createOrder, tenant: tenant, request: Fixtures.order("SO-\(c)-\(i)", customer: "C-1"))
                            #expect(order.status == .released)
                        }
                        await conn.close()
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await server.count("orders", tenant: tenant) == 200)
        }
    }

    @Test func oneTenantsFloodDoesNotStarveAnother() async throws {
        try await withServer(configure: { $0.admission.tenantCallsInFlight = 4 }) { server in
            let admin = try await server.admin()
            let (noisy, noisyKey) = try await server.onboard("noisy", admin: admin)
            let (quiet, quietKey) = try await server.onboard("quiet", admin: admin)
            let flood = try await server.connect(.apiKey(noisyKey))
            let calm = try await server.connect(.apiKey(quietKey))
            let _: Otc_Customers_V1_Customer = try await calm.call(Method.upsertCustomer, tenant: quiet, request: Fixtures.customer("C-1"))
            let outcomes = await withTaskGroup(of: String.self) { group in
                for i in 0..<60 {
                    group.addTask {
                        do {
                            let _: Otc_Customers_V1_Customer = try await flood.call(Method.upsertCustomer, tenant: noisy, request: Fixtures.customer("N-\(i)"))
                            return "ok"
                        } catch let error as RPCStatusError {
                            return error.code.name
                        } catch { return "other" }
                    }
                }
                var all: [String] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.contains("RESOURCE_EXHAUSTED"))
            #expect(Set(outcomes).isSubset(of: ["ok", "RESOURCE_EXHAUSTED"]))
            // The quiet tenant is served normally.
            let order: Otc_Orders_V1_Order = try await calm.call(Method.createOrder, tenant: quiet, request: Fixtures.order("SO-1", customer: "C-1"))
            #expect(order.status == .released)
        }
    }

    static func token(_ server: TestServer, _ admin: OTCConnection) async throws -> String {
        let created: Otc_Admin_V1_CreatedOperator = try await admin.call(
            Method.admin + "CreateOperator",
            request: Otc_Admin_V1_CreateOperatorRequest.with { $0.login = "op-" + UUID().uuidString.prefix(8).lowercased() })
        return created.token
    }
}
