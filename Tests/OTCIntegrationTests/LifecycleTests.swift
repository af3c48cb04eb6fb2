import Foundation
import OTCClient
import OTCProto
import OTCServer
import SwiftProtobuf
import Testing

@Suite("Deadlines, cancellation and graceful shutdown")
struct LifecycleTests {
    @Test func deadlineExceededCancelsTheWork() async throws {
        let slow = SlowService()
        try await withServer(extraServices: [slow]) { server in
            slow.pool.client = server.client
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("life_dl", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let started = ContinuousClock.now
            await expectStatus(.deadlineExceeded) {
                let _: Otc_System_V1_PingResponse = try await erp.call(
                    SlowService.method, tenant: tenant, request: SlowService.request(milliseconds: 5000, marker: "late"),
                    timeout: .milliseconds(300))
            }
            #expect(ContinuousClock.now - started < .seconds(3))
            // The transaction was rolled back: the audit record written before the sleep is gone.
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await server.count("audit_log", tenant: tenant, where: "entity_id = 'late'") == 0)
            // A call with enough time commits.
            let _: Otc_System_V1_PingResponse = try await erp.call(
                SlowService.method, tenant: tenant, request: SlowService.request(milliseconds: 10, marker: "ontime"), timeout: .seconds(5))
            #expect(try await server.count("audit_log", tenant: tenant, where: "entity_id = 'ontime'") == 1)
        }
    }

    @Test func cancelStopsTheCall() async throws {
        try await withServer(extraServices: [SlowService()]) { server in
            let admin = try await server.admin()
            let started = ContinuousClock.now
            let task = Task {
                let _: Otc_System_V1_PingResponse = try await admin.call(SlowService.method, request: SlowService.request(milliseconds: 10_000))
            }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            let result = await task.result
            #expect(ContinuousClock.now - started < .seconds(5))
            if case .failure(let error as RPCStatusError) = result {
                #expect(error.code == .cancelled)
            } else {
                Issue.record("expected CANCELLED, got \(result)")
            }
            let _: Otc_System_V1_PingResponse = try await admin.call(Method.ping, request: Otc_System_V1_PingRequest())
        }
    }

    @Test func gracefulShutdownSendsGoAwayAndCompletesInFlightCalls() async throws {
        let slow = SlowService()
        let server = try await TestServer.start(extraServices: [slow])
        slow.pool.client = server.client
        let admin = try await server.admin()
        let (tenant, key) = try await server.onboard("life_gs", admin: admin)
        let erp = try await server.connect(.apiKey(key))
        let inFlight = Task {
            let _: Otc_System_V1_PingResponse = try await erp.call(
                SlowService.method, tenant: tenant, request: SlowService.request(milliseconds: 1500, marker: "drained"), timeout: .seconds(10))
        }
        try await Task.sleep(for: .milliseconds(300))
        let stopped = Task { await server.stop() }
        try await inFlight.value
        await stopped.value
        #expect(erp.goAway?.status.code == .unavailable)
        // The call finished and committed before the pool closed.
        let check = try await TestServer.start()
        #expect(try await check.count("audit_log", tenant: tenant, where: "entity_id = 'drained'") == 1)
        await check.stop()
        // The old server no longer accepts connections.
        await #expect(throws: (any Error).self) { try await server.connect(.apiKey(key)) }
    }
}
