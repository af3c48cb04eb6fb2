/// Protocol constants and the limits a server enforces (and announces in `Welcome`).
public enum WireProtocol {
    /// The TLS ALPN identifier of this protocol.
    public static let alpn = "otc/1"
    /// `Hello.protocol_version` this build speaks.
    public static let version: UInt32 = 1
    /// Default TCP port.
    public static let defaultPort = 7443
    /// flags (1 byte) + big-endian length (4 bytes).
    public static let headerBytes = 5
    /// Flags bit 0: the payload is compressed. Reserved: refused until a compression is negotiated.
    public static let compressedFlag: UInt8 = 0x01
}

/// Limits with their documented defaults (docs/PROTOCOL.md §Limits).
public struct WireLimits: Sendable, Equatable {
    /// Largest frame payload accepted; a larger length prefix is refused before any buffering.
    public var maxFrameBytes: Int = 4 * 1024 * 1024
    /// Calls one connection may have in flight; more → RESOURCE_EXHAUSTED for the extra call.
    public var maxCallsInFlight: Int = 100
    /// The Hello frame must arrive this soon after the TLS handshake.
    public var helloTimeout: Duration = .seconds(10)
    /// A connection with no inbound frame for this long gets GoAway and is closed.
    public var idleTimeout: Duration = .seconds(300)
    /// A frame that started arriving must complete within this time.
    public var partialFrameTimeout: Duration = .seconds(30)
    /// Connections one server accepts at once; more are refused with GoAway.
    public var maxConnections: Int = 10_000

    public init() {}
}

extension Duration {
    /// Whole milliseconds, for the wire and for timers.
    public var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
