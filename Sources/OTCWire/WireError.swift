public import OTCProto

/// A frame-level protocol violation. The connection cannot continue after one (the stream
/// position is lost or untrusted), so the server answers with GoAway carrying `status` and closes
/// once the calls already in flight have replied.
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    case frameTooLarge(length: Int, limit: Int)
    case compressionNotNegotiated
    case reservedFlags(UInt8)
    case malformedFrame(String)
    case partialFrameTimeout(received: Int, expected: Int)
    case truncatedFrame(received: Int, expected: Int)

    public var description: String {
        switch self {
        case .frameTooLarge(let length, let limit):
            "frame of \(length) bytes exceeds the limit of \(limit) bytes; split the request or use a bulk import"
        case .compressionNotNegotiated:
            "compressed frames (flags bit 0) are not negotiated on this connection; send uncompressed frames"
        case .reservedFlags(let flags):
            "frame flags 0x\(String(flags, radix: 16)) use reserved bits; only bit 0 is defined"
        case .malformedFrame(let reason):
            "frame payload is not a valid protobuf message: \(reason)"
        case .partialFrameTimeout(let received, let expected):
            "frame incomplete after the partial-frame timeout (\(received) of \(expected) bytes)"
        case .truncatedFrame(let received, let expected):
            "connection closed inside a frame (\(received) of \(expected) bytes)"
        }
    }

    /// The status sent in the GoAway that ends the connection.
    public var status: Otc_Wire_V1_Status {
        switch self {
        case .frameTooLarge: .init(code: .resourceExhausted, message: description)
        case .partialFrameTimeout: .init(code: .deadlineExceeded, message: description)
        default: .init(code: .invalidArgument, message: description)
        }
    }
}

extension Otc_Wire_V1_Status {
    public init(code: Otc_Wire_V1_StatusCode, message: String, details: [String: String] = [:]) {
        self.init()
        self.code = code
        self.message = message
        self.details = details
    }
}
