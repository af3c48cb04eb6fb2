public import NIOCore
public import SwiftProtobuf

/// Decodes `flags | length | payload` frames into protobuf messages.
///
/// Unlike swift-nio-extras' `LengthFieldBasedFrameDecoder`, it refuses a length above the limit as
/// soon as the 5-byte header is readable, before buffering any payload, and it fails a frame that
/// stays incomplete for longer than the partial-frame timeout.
public struct FrameDecoder<Message: SwiftProtobuf.Message & Sendable>: ByteToMessageDecoder {
    public typealias InboundOut = Message

    private let maxFrameBytes: Int
    private let partialFrameTimeout: TimeAmount?
    private var partialTimer: Scheduled<Void>?
    private var expectedLength: Int?

    public init(maxFrameBytes: Int, partialFrameTimeout: Duration? = nil) {
        self.maxFrameBytes = maxFrameBytes
        self.partialFrameTimeout = partialFrameTimeout.map { .milliseconds($0.wholeMilliseconds) }
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let (flags, length) = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self).flatMap({ flags in
            buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self).map { (flags, Int($0)) }
        }) else {
            armPartialTimer(context: context, buffer: buffer)
            return .needMoreData
        }
        if flags & WireProtocol.compressedFlag != 0 { throw WireError.compressionNotNegotiated }
        if flags != 0 { throw WireError.reservedFlags(flags) }
        guard length <= maxFrameBytes else { throw WireError.frameTooLarge(length: length, limit: maxFrameBytes) }
        expectedLength = length
        guard buffer.readableBytes >= WireProtocol.headerBytes + length else {
            armPartialTimer(context: context, buffer: buffer)
            return .needMoreData
        }
        buffer.moveReaderIndex(forwardBy: WireProtocol.headerBytes)
        let payload = buffer.readSlice(length: length)!
        disarmPartialTimer()
        do {
            let message = try Message(serializedBytes: Array(payload.readableBytesView))
            context.fireChannelRead(Self.wrapInboundOut(message))
        } catch {
            throw WireError.malformedFrame("\(error)")
        }
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        let state = try decode(context: context, buffer: &buffer)
        if state == .needMoreData, buffer.readableBytes > 0 {
            let error = WireError.truncatedFrame(
                received: buffer.readableBytes, expected: WireProtocol.headerBytes + (expectedLength ?? 0))
            disarmPartialTimer()
            throw error
        }
        return state
    }

    public mutating func decoderRemoved(context: ChannelHandlerContext) {
        disarmPartialTimer()
    }

    private mutating func armPartialTimer(context: ChannelHandlerContext, buffer: ByteBuffer) {
        guard let timeout = partialFrameTimeout, partialTimer == nil, buffer.readableBytes > 0 else { return }
        let received = buffer.readableBytes
        let expected = WireProtocol.headerBytes + (expectedLength ?? 0)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        partialTimer = context.eventLoop.scheduleTask(in: timeout) {
            bound.value.fireErrorCaught(WireError.partialFrameTimeout(received: received, expected: expected))
        }
    }

    private mutating func disarmPartialTimer() {
        partialTimer?.cancel()
        partialTimer = nil
        expectedLength = nil
    }
}

/// Encodes protobuf messages as `flags(0) | length | payload` frames.
public struct FrameEncoder<Message: SwiftProtobuf.Message & Sendable>: MessageToByteEncoder {
    public typealias OutboundIn = Message

    public init() {}

    public func encode(data: Message, out: inout ByteBuffer) throws {
        let bytes: [UInt8] = try data.serializedBytes()
        out.reserveCapacity(WireProtocol.headerBytes + bytes.count)
        out.writeInteger(UInt8(0))
        out.writeInteger(UInt32(bytes.count))
        out.writeBytes(bytes)
    }
}

extension ByteBuffer {
    /// Writes one frame around an already serialized payload (used by tests and raw clients).
    public mutating func writeOTCFrame(payload: [UInt8], flags: UInt8 = 0) {
        writeInteger(flags)
        writeInteger(UInt32(payload.count))
        writeBytes(payload)
    }
}
