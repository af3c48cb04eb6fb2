import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import Synchronization
import OTCClient
import OTCProto
import OTCServer
import OTCWire
import OTCApp
import Prometheus
import SwiftProtobuf
import Testing

@Suite("Connection limits and the metrics endpoint")
struct LimitsTests {
    /// The idle timeout is 2 s, not less: the admin connection that onboards the tenant must not
    /// idle out itself while a loaded CI machine runs every suite at once.
    @Test func idleConnectionGetsGoAwayAndIsClosed() async throws {
        try await withServer(configure: { $0.limits.idleTimeout = .seconds(2) }) { server in
            let admin = try await server.admin()
            let (_, key) = try await server.onboard("lim_idle", admin: admin)
            let raw = try await RawConnection.connect(port: server.port)
            try await raw.hello(apiKey: key)
            let (frames, closed) = await raw.collectUntilClosed(timeout: .seconds(8))
            #expect(closed)
            #expect(frames.last?.goaway.status.code == .unavailable)
            #expect(frames.last?.goaway.reason.contains("idle") == true)
        }
    }

    /// A client waiting for a slow reply sends nothing, yet is not idle: the call completes, and
    /// the idle GoAway comes only after it.
    @Test func aCallInFlightKeepsTheConnectionFromIdling() async throws {
        // 1 s idle timeout, a call three times as long: generous enough for a loaded CI machine.
        try await withServer(configure: { $0.limits.idleTimeout = .seconds(1) }, extraServices: [SlowService()]) { server in
            let admin = try await server.admin()
            let reply: Otc_System_V1_PingResponse = try await admin.call(
                SlowService.method, request: SlowService.request(milliseconds: 3_000), timeout: .seconds(10))
            #expect(String(decoding: reply.payload, as: UTF8.self).hasPrefix("3000"))
            // Still open right after: no GoAway was sent while the call ran.
            let _: Otc_System_V1_PingResponse = try await admin.call(Method.ping, request: Otc_System_V1_PingRequest())
            try await Task.sleep(for: .milliseconds(3_000))
            await expectStatus(.unavailable) {
                let _: Otc_System_V1_PingResponse = try await admin.call(Method.ping, request: Otc_System_V1_PingRequest())
            }
        }
    }

    @Test func frameThatNeverCompletesTimesOut() async throws {
        try await withServer(configure: { $0.limits.partialFrameTimeout = .milliseconds(300) }) { server in
            let admin = try await server.admin()
            let (_, key) = try await server.onboard("lim_part", admin: admin)
            let raw = try await RawConnection.connect(port: server.port)
            try await raw.hello(apiKey: key)
            #expect(await raw.waitFor { $0.welcome.connectionID != "" } != nil)
            try await raw.send(bytes: [0, 0, 0, 0, 10, 0x22])  // announces 10 bytes, sends 1
            let (frames, closed) = await raw.collectUntilClosed(timeout: .seconds(5))
            #expect(closed)
            #expect(frames.last?.goaway.status.code == .deadlineExceeded)
        }
    }

    @Test func connectionsAboveTheLimitAreRefusedWithAReason() async throws {
        try await withServer(configure: { $0.limits.maxConnections = 2 }) { server in
            let admin = try await server.admin()
            let second = try await server.connect(.operatorToken(try await ConcurrencyTests.token(server, admin)))
            let third = try await RawConnection.connect(port: server.port)
            let (frames, closed) = await third.collectUntilClosed(timeout: .seconds(5))
            #expect(closed)
            #expect(frames.first?.goaway.status.code == .resourceExhausted)
            // The ones inside the limit keep working, and a slot frees when one leaves.
            let _: Otc_System_V1_PingResponse = try await second.call(Method.ping, request: Otc_System_V1_PingRequest())
            await second.close()
            try await Task.sleep(for: .milliseconds(200))
            _ = try await server.connect(.operatorToken(try await ConcurrencyTests.token(server, admin)))
        }
    }

    @Test func metricsEndpointServesPrometheusTextAndHealth() async throws {
        let registry = PrometheusCollectorRegistry()
        try await withServer { server in
            let port = 20000 + Int.random(in: 0..<20000)
            let probe = MetricsHTTPServer(host: "127.0.0.1", port: port, registry: registry, logger: TestEnvironment.logger) {
                await server.platform.isHealthy()
            }
            registry.makeCounter(descriptor: MetricNameDescriptor(
                namespace: "otc", metricName: "test_probe", unitName: "total", helpText: "probe")).increment()
            let task = Task { try await probe.run() }
            defer { task.cancel() }
            var body = ""
            for _ in 0..<50 {
                if let text = try? await Self.get("http://127.0.0.1:\(port)/metrics") { body = text.body; break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(body.contains("otc_test_probe_total 1"))
            let health = try await Self.get("http://127.0.0.1:\(port)/health")
            #expect(health.status == 200)
            let missing = try await Self.get("http://127.0.0.1:\(port)/nope")
            #expect(missing.status == 404)
        }
    }

    /// A minimal HTTP/1.1 GET over a plain socket: send the request, read until the server closes.
    static func get(_ url: String) async throws -> (status: Int, body: String) {
        let parts = URL(string: url)!
        let collector = ResponseCollector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: parts.host!, port: parts.port!).get()
        let request = "GET \(parts.path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        try await channel.closeFuture.get()
        let text = collector.text
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }
}

final class ResponseCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let received = Mutex<String>("")
    var text: String { received.withLock { $0 } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received.withLock { $0 += String(buffer: buffer) }
    }
}
