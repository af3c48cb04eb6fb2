import Foundation
import OTCClient
import OTCCore
import OTCStore
import PostgresNIO
import OTCProto
import OTCServer
import SwiftProtobuf
import Testing

@Suite("Idempotency")
struct IdempotencyTests {
    @Test func retryReturnsTheFirstResultAndCreatesNothing() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("idem", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            let payload: [UInt8] = try Fixtures.order("SO-1", customer: "C-1").serializedBytes()
            let first = try await erp.rawCall(Method.createOrder, tenant: tenant, payload: payload, timeout: nil, idempotencyKey: "key-1")
            let second = try await erp.rawCall(Method.createOrder, tenant: tenant, payload: payload, timeout: nil, idempotencyKey: "key-1")
            #expect(!first.replayed)
            #expect(second.replayed)
            #expect(first.payload == second.payload)
            #expect(try await server.count("orders", tenant: tenant) == 1)

            // Same key, different body.
            let other: [UInt8] = try Fixtures.order("SO-2", customer: "C-1").serializedBytes()
            await expectStatus(.invalidArgument) {
                try await erp.rawCall(Method.createOrder, tenant: tenant, payload: other, timeout: nil, idempotencyKey: "key-1")
            }
            // No key, same order_ref: still idempotent by the ERP's order number.
            let byRef = try await erp.rawCall(Method.createOrder, tenant: tenant, payload: payload, timeout: nil, idempotencyKey: nil)
            #expect(byRef.replayed)
            // Same order_ref with other content is a conflict, not a silent replay.
            let changed: [UInt8] = try Fixtures.order("SO-1", customer: "C-1", lines: [(9, 9, "STD")]).serializedBytes()
            await expectStatus(.alreadyExists) {
                try await erp.rawCall(Method.createOrder, tenant: tenant, payload: changed, timeout: nil, idempotencyKey: nil)
            }
            #expect(try await server.count("orders", tenant: tenant) == 1)
        }
    }

    @Test func twentyConcurrentRetriesCreateExactlyOneOrder() async throws {
        // All 20 must reach the handler at once: lift the per-tenant limit above them.
        try await withServer(configure: { $0.admission.tenantCallsInFlight = 64 }) { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("idem_c", admin: admin)
            let setup = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await setup.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            var connections: [OTCConnection] = []
            for _ in 0..<4 { connections.append(try await server.connect(.apiKey(key))) }
            let payload: [UInt8] = try Fixtures.order("SO-RACE", customer: "C-1").serializedBytes()
            let replies = try await withThrowingTaskGroup(of: Otc_Wire_V1_Reply.self) { group in
                for i in 0..<20 {
                    let conn = connections[i % connections.count]
                    group.addTask {
                        try await conn.rawCall(Method.createOrder, tenant: tenant, payload: payload, timeout: .seconds(20), idempotencyKey: "race-key")
                    }
                }
                var all: [Otc_Wire_V1_Reply] = []
                for try await reply in group { all.append(reply) }
                return all
            }
            #expect(replies.count == 20)
            #expect(replies.filter { !$0.replayed }.count == 1)
            let ids = Set(try replies.map { try Otc_Orders_V1_Order(serializedBytes: Array($0.payload)).id })
            #expect(ids.count == 1)
            #expect(try await server.count("orders", tenant: tenant) == 1)
            #expect(try await server.count("audit_log", tenant: tenant, where: "action = 'order.create'") == 1)
        }
    }
}

@Suite("Idempotency key retention")
struct IdempotencyRetentionTests {
    @Test func sweeperForgetsOnlyKeysOlderThanTheRetention() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("sweep", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"), idempotencyKey: "old")
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-2"), idempotencyKey: "new")
            // Age one key past the retention, as the tenant role would see it.
            try await server.asTenant(tenant) { conn in
                try await conn.query("UPDATE idempotency_keys SET created_at = now() - interval '8 days' WHERE key = 'old'",
                                     logger: TestEnvironment.logger)
            }
            let sweeper = IdempotencySweeper(client: server.client, logger: TestEnvironment.logger)
            #expect(try await sweeper.sweepOnce() >= 1)
            #expect(try await server.count("idempotency_keys", tenant: tenant, where: "key = 'old'") == 0)
            #expect(try await server.count("idempotency_keys", tenant: tenant, where: "key = 'new'") == 1)
        }
    }
}
