import Foundation
import NIOCore
import OTCClient
import OTCProto
import OTCServer
import OTCWire
import SwiftProtobuf
import Testing

/// Bad input over a real TLS connection: each gets a clear status, and the server keeps serving.
@Suite("Wire protocol over TLS")
struct ProtocolTests {
    @Test func callBeforeHelloIsUnauthenticated() async throws {
        try await withServer { server in
            let raw = try await RawConnection.connect(port: server.port)
            var frame = Otc_Wire_V1_ClientFrame()
            frame.call.callID = 1
            frame.call.method = Method.ping
            try await raw.send(frame)
            let (frames, closed) = await raw.collectUntilClosed()
            #expect(closed)
            #expect(frames.first?.goaway.status.code == .unauthenticated)
        }
    }

    @Test func silentClientIsClosedAfterTheHelloTimeout() async throws {
        try await withServer(configure: { $0.limits.helloTimeout = .milliseconds(300) }) { server in
            let raw = try await RawConnection.connect(port: server.port)
            let (frames, closed) = await raw.collectUntilClosed(timeout: .seconds(5))
            #expect(closed)
            #expect(frames.first?.goaway.status.code == .unauthenticated)
            #expect(frames.first?.goaway.reason.contains("Hello") == true)
        }
    }

    @Test func oversizedFrameIsRefusedBeforeBufferingAndOthersKeepWorking() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (_, key) = try await server.onboard("proto_big", admin: admin)
            let bystander = try await server.connect(.apiKey(key))
            let raw = try await RawConnection.connect(port: server.port)
            try await raw.hello(apiKey: key)
            #expect(await raw.waitFor { $0.welcome.connectionID != "" } != nil)
            // Announce 64 MiB and send only the header: the server must answer without waiting for the body.
            var header = ByteBuffer()
            header.writeInteger(UInt8(0))
            header.writeInteger(UInt32(64 << 20))
            try await raw.send(bytes: Array(header.readableBytesView))
            let (frames, closed) = await raw.collectUntilClosed(timeout: .seconds(5))
            #expect(closed)
            let goAway = frames.last?.goaway
            #expect(goAway?.status.code == .resourceExhausted)
            #expect(goAway?.reason.contains("67108864") == true)
            let _: Otc_System_V1_PingResponse = try await bystander.call(Method.ping, request: Otc_System_V1_PingRequest())
        }
    }

    @Test func garbageAndUnknownFramesEndTheConnectionWithAReason() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (_, key) = try await server.onboard("proto_bad", admin: admin)
            // Garbage protobuf inside a well-formed frame.
            let garbage = try await RawConnection.connect(port: server.port)
            try await garbage.hello(apiKey: key)
            var bytes = ByteBuffer()
            bytes.writeOTCFrame(payload: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
            try await garbage.send(bytes: Array(bytes.readableBytesView))
            let (g, gClosed) = await garbage.collectUntilClosed()
            #expect(gClosed)
            #expect(g.last?.goaway.status.code == .invalidArgument)

            // Compressed flag (not negotiated).
            let compressed = try await RawConnection.connect(port: server.port)
            try await compressed.hello(apiKey: key)
            var c = ByteBuffer()
            c.writeOTCFrame(payload: try Otc_Wire_V1_ClientFrame.with { $0.ping.nonce = 1 }.serializedBytes(), flags: 1)
            try await compressed.send(bytes: Array(c.readableBytesView))
            let (cf, _) = await compressed.collectUntilClosed()
            #expect(cf.last?.goaway.status.code == .invalidArgument)
            #expect(cf.last?.goaway.reason.contains("compressed") == true)

            // A frame kind this server does not know (empty oneof).
            let unknown = try await RawConnection.connect(port: server.port)
            try await unknown.hello(apiKey: key)
            var u = ByteBuffer()
            u.writeOTCFrame(payload: [0x2A, 0x00]) // field 5, empty bytes: no known kind
            try await unknown.send(bytes: Array(u.readableBytesView))
            let (uf, _) = await unknown.collectUntilClosed()
            #expect(uf.last?.goaway.status.code == .invalidArgument)
            #expect(uf.last?.goaway.reason.contains("unknown frame kind") == true)
        }
    }

    @Test func perCallErrorsFailOnlyTheCall() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("proto_call", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let unknown = await expectStatus(.unimplemented) {
                try await erp.rawCall("/otc.nothing.v1.Nope/Do", tenant: tenant, payload: [], timeout: nil, idempotencyKey: nil)
            }
            #expect(unknown?.message.contains("/otc.nothing.v1.Nope/Do") == true)
            await expectStatus(.invalidArgument) {
                try await erp.rawCall(Method.createOrder, tenant: tenant, payload: [0xFF, 0x01], timeout: nil, idempotencyKey: nil)
            }
            await expectStatus(.invalidArgument) {
                try await erp.rawCall(Method.ping, tenant: nil, payload: [], timeout: .seconds(3600), idempotencyKey: nil)
            }
            // The connection is still fine.
            #expect(try await erp.ping() < .seconds(5))
            let _: Otc_System_V1_PingResponse = try await erp.call(Method.ping, request: Otc_System_V1_PingRequest())
        }
    }

    @Test func duplicateCallIDAndTooManyCallsInFlightAreRefused() async throws {
        try await withServer(configure: { $0.limits.maxCallsInFlight = 2 }, extraServices: [SlowService()]) { server in
            let admin = try await server.admin()
            let (_, key) = try await server.onboard("proto_dup", admin: admin)
            let raw = try await RawConnection.connect(port: server.port)
            try await raw.hello(apiKey: key)
            #expect(await raw.waitFor { $0.welcome.limits.maxCallsInFlight == 2 } != nil)
            // Slow calls with ids 7, 7, 8, 9 sent back to back; 3 s each, so 7 and 8 are surely still
            // running when 9 arrives, even on a loaded CI machine (300 ms was not always enough).
            for id in [7, 7, 8, 9] as [UInt64] {
                var frame = Otc_Wire_V1_ClientFrame()
                frame.call.callID = id
                frame.call.method = SlowService.method
                frame.call.payload = try SlowService.request(milliseconds: 3_000).serializedBytes()
                try await raw.send(frame)
            }
            var replies: [Otc_Wire_V1_Reply] = []
            let end = ContinuousClock.now + .seconds(15)
            while replies.count < 4, ContinuousClock.now < end {
                try await Task.sleep(for: .milliseconds(20))
                replies = raw.inbox.snapshot.frames.compactMap { frame in
                    if case .reply(let reply) = frame.kind { reply } else { nil }
                }
            }
            #expect(replies.contains { $0.callID == 7 && $0.status.code == .invalidArgument })
            #expect(replies.contains { $0.callID == 9 && $0.status.code == .resourceExhausted })
            #expect(replies.filter { $0.status.code == .ok }.map(\.callID).sorted() == [7, 8])
        }
    }
}
