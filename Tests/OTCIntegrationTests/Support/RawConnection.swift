import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import OTCProto
import OTCWire
import SwiftProtobuf
import Synchronization

/// A TLS connection that writes raw bytes and collects decoded server frames: for tests that
/// break the protocol on purpose (garbage, oversized frames, no Hello).
final class RawConnection: Sendable {
    let channel: any Channel
    let inbox: Inbox

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    static func connect(port: Int) async throws -> RawConnection {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        tls.applicationProtocols = [WireProtocol.alpn]
        let context = try NIOSSLContext(configuration: tls)
        let inbox = Inbox()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(FrameDecoder<Otc_Wire_V1_ServerFrame>(maxFrameBytes: 16 << 20)))
                    try channel.pipeline.syncOperations.addHandler(Collector(inbox: inbox))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, inbox: inbox)
    }

    func send(bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    func send(_ frame: Otc_Wire_V1_ClientFrame) async throws {
        var buffer = ByteBuffer()
        buffer.writeOTCFrame(payload: try frame.serializedBytes())
        try await channel.writeAndFlush(buffer).get()
    }

    func hello(apiKey: String) async throws {
        var frame = Otc_Wire_V1_ClientFrame()
        frame.hello.protocolVersion = 1
        frame.hello.apiKey = apiKey
        try await send(frame)
    }

    /// Every frame until the server closes the connection; `closed` is false when `timeout` passed first.
    func collectUntilClosed(timeout: Duration = .seconds(10)) async -> (frames: [Otc_Wire_V1_ServerFrame], closed: Bool) {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            let (frames, closed) = inbox.snapshot
            if closed { return (frames, true) }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return (inbox.snapshot.frames, false)
    }

    /// Waits for the first frame matching `predicate`.
    func waitFor(timeout: Duration = .seconds(10), _ predicate: (Otc_Wire_V1_ServerFrame) -> Bool) async -> Otc_Wire_V1_ServerFrame? {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if let frame = inbox.snapshot.frames.first(where: predicate) { return frame }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    func close() async { try? await channel.close() }
}

final class Inbox: Sendable {
    private let state = Mutex<([Otc_Wire_V1_ServerFrame], Bool)>(([], false))
    func append(_ frame: Otc_Wire_V1_ServerFrame) { state.withLock { $0.0.append(frame) } }
    func close() { state.withLock { $0.1 = true } }
    var snapshot: (frames: [Otc_Wire_V1_ServerFrame], closed: Bool) { state.withLock { ($0.0, $0.1) } }
}

private final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = Otc_Wire_V1_ServerFrame
    let inbox: Inbox

    init(inbox: Inbox) {
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inbox.append(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.close()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        inbox.close()
        context.close(promise: nil)
    }
}
