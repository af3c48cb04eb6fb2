import Foundation
import NIOCore
import NIOEmbedded
import NIOTestUtils
import OTCProto
import OTCWire
import SwiftProtobuf
import Testing

@Suite("Frame codec")
struct FrameCodecTests {
    static func frame(_ message: Otc_Wire_V1_ClientFrame) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeOTCFrame(payload: try message.serializedBytes())
        return buffer
    }

    static let ping = Otc_Wire_V1_ClientFrame.with { $0.ping.nonce = 42 }
    static let call = Otc_Wire_V1_ClientFrame.with {
        $0.call.callID = 7
        $0.call.method = "/otc.orders.v1.OrderService/CreateOrder"
        $0.call.tenant = "acme"
        $0.call.payload = Data(repeating: 0xAB, count: 3000)
    }

    @Test func decodesFragmentedAndCoalescedFramesAsTheVerifierDemands() throws {
        let cases: [(ByteBuffer, [Otc_Wire_V1_ClientFrame])] = [
            (try Self.frame(Self.ping), [Self.ping]),
            (try Self.frame(Self.call), [Self.call]),
        ]
        // The verifier feeds every input byte by byte, in chunks and all at once.
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: cases) {
            FrameDecoder<Otc_Wire_V1_ClientFrame>(maxFrameBytes: 1 << 20)
        }
    }

    @Test func decodesTwoFramesInOneRead() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder<Otc_Wire_V1_ClientFrame>(maxFrameBytes: 1 << 20)))
        var both = try Self.frame(Self.ping)
        var second = try Self.frame(Self.call)
        both.writeBuffer(&second)
        try channel.writeInbound(both)
        #expect(try channel.readInbound(as: Otc_Wire_V1_ClientFrame.self) == Self.ping)
        #expect(try channel.readInbound(as: Otc_Wire_V1_ClientFrame.self) == Self.call)
        #expect(try channel.finish().isClean)
    }

    @Test func rejectsFrameAboveLimitBeforeBuffering() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder<Otc_Wire_V1_ClientFrame>(maxFrameBytes: 1024)))
        var header = ByteBuffer()
        header.writeInteger(UInt8(0))
        header.writeInteger(UInt32(1025))
        // Only the 5-byte header arrived: the decoder must refuse now, not wait for 1025 bytes.
        #expect(throws: WireError.frameTooLarge(length: 1025, limit: 1024)) { try channel.writeInbound(header) }
        _ = try? channel.finish()
    }

    @Test func acceptsFrameExactlyAtTheLimit() throws {
        let payload = try Self.call.serializedBytes() as [UInt8]
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder<Otc_Wire_V1_ClientFrame>(maxFrameBytes: payload.count)))
        try channel.writeInbound(try Self.frame(Self.call))
        #expect(try channel.readInbound(as: Otc_Wire_V1_ClientFrame.self) == Self.call)
        _ = try channel.finish()
    }

    @Test func rejectsCompressedAndReservedFlags() throws {
        for (flags, expected) in [(UInt8(1), WireError.compressionNotNegotiated), (UInt8(0x80), WireError.reservedFlags(0x80))] {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder<Otc_Wire_V1_ClientFrame>(maxFrameBytes: 1024)))
            var buffer = ByteBuffer()
            buffer.writeOTCFrame(payload: [0x22, 0x02, 0x08, 0x01], flags: flags)
            #expect(throws: expected) { try channel.writeInbound(buffer) }
            _ = try? channel.finish()
        }
    }

    @Test func rejectsGarbagePayload() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder<Otc_Wire_V1_ClientFrame>(maxFrameBytes: 1024)))
        var buffer = ByteBuffer()
        buffer.writeOTCFrame(payload: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        #expect(throws: WireError.self) { try channel.writeInbound(buffer) }
        _ = try? channel.finish()
    }

    @Test func reportsATruncatedFrameAtEndOfStream() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder<Otc_Wire_V1_ClientFrame>(maxFrameBytes: 1024)))
        var buffer = try Self.frame(Self.ping)
        buffer.moveWriterIndex(to: buffer.writerIndex - 1)
        try channel.writeInbound(buffer)
        #expect(try channel.readInbound(as: Otc_Wire_V1_ClientFrame.self) == nil)
        #expect(throws: WireError.truncatedFrame(received: 8, expected: 9)) { _ = try channel.finish() }
    }

    @Test func failsAFrameThatStaysIncompleteTooLong() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(
            handler: ByteToMessageHandler(FrameDecoder<Otc_Wire_V1_ClientFrame>(maxFrameBytes: 1024, partialFrameTimeout: .seconds(30))),
            loop: loop)
        try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0]))
        loop.advanceTime(by: .seconds(29))
        try channel.throwIfErrorCaught()
        loop.advanceTime(by: .seconds(2))
        #expect(throws: WireError.partialFrameTimeout(received: 3, expected: 5)) { try channel.throwIfErrorCaught() }
        _ = try? channel.finish()
    }

    @Test func encoderWritesFlagsLengthAndPayload() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(FrameEncoder<Otc_Wire_V1_ClientFrame>()))
        try channel.writeOutbound(Otc_Wire_V1_ClientFrame.with { $0.ping.nonce = 1 })
        let bytes = try channel.readOutbound(as: ByteBuffer.self).map { Array($0.readableBytesView) }
        // The worked example of docs/PROTOCOL.md.
        #expect(bytes == [0x00, 0x00, 0x00, 0x00, 0x04, 0x22, 0x02, 0x08, 0x01])
        _ = try channel.finish()
    }
}
