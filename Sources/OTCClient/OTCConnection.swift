public import OTCProto
public import SwiftProtobuf
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import OTCWire
import Synchronization

/// One authenticated otc/1 connection. Calls are multiplexed: any number of tasks may call
/// concurrently; replies are matched by call id.
public final class OTCConnection: Sendable {
    let channel: any Channel
    let pending: PendingCalls
    public let welcome: Otc_Wire_V1_Welcome
    private let nextID = Atomic<UInt64>(1)

    init(channel: any Channel, pending: PendingCalls, welcome: Otc_Wire_V1_Welcome) {
        self.channel = channel
        self.pending = pending
        self.welcome = welcome
    }

    /// Connects, sends Hello and waits for Welcome (or the server's refusal as an `RPCStatusError`).
    public static func connect(_ options: ClientOptions) async throws -> OTCConnection {
        let sslContext = try makeSSLContext(options)
        let pending = PendingCalls()
        let serverName = options.host.first?.isNumber == true || options.host.contains(":") ? nil : options.host
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.milliseconds(options.connectTimeout.wholeMilliseconds))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(Self.tlsHandler(sslContext, serverName: serverName, trust: options.trust))
                    try sync.addHandler(ByteToMessageHandler(FrameDecoder<Otc_Wire_V1_ServerFrame>(maxFrameBytes: options.maxFrameBytes)))
                    try sync.addHandler(MessageToByteHandler(FrameEncoder<Otc_Wire_V1_ClientFrame>()))
                    try sync.addHandler(ReplyDispatcher(pending: pending))
                }
            }
            .connect(host: options.host, port: options.port).get()
        var hello = Otc_Wire_V1_Hello()
        hello.protocolVersion = WireProtocol.version
        hello.clientName = options.clientName
        switch options.credential {
        case .apiKey(let key): hello.apiKey = key
        case .operatorToken(let token): hello.operatorToken = token
        case .clientCertificate: break
        }
        var frame = Otc_Wire_V1_ClientFrame()
        frame.hello = hello
        let welcome = try await pending.awaitWelcome {
            channel.writeAndFlush(frame, promise: nil)
        }
        return OTCConnection(channel: channel, pending: pending, welcome: welcome)
    }

    /// Sends one call and waits for its reply. Non-OK statuses throw `RPCStatusError`.
    public func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String, tenant: String? = nil, request: Request, as: Response.Type = Response.self,
        timeout: Duration? = nil, idempotencyKey: String? = nil, metadata: [String: String] = [:]
    ) async throws -> Response {
        let reply = try await rawCall(method, tenant: tenant, payload: try request.serializedBytes(), timeout: timeout,
                                      idempotencyKey: idempotencyKey, metadata: metadata)
        return try Response(serializedBytes: Array(reply.payload))
    }

    /// Like `call`, retrying UNAVAILABLE/ABORTED/RESOURCE_EXHAUSTED with the same idempotency key
    /// (one is generated when none is given), so a retried write happens at most once.
    public func callWithRetry<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String, tenant: String? = nil, request: Request, as: Response.Type = Response.self,
        timeout: Duration? = nil, idempotencyKey: String? = nil, attempts: Int = 4
    ) async throws -> Response {
        let reply = try await rawCallWithRetry(method, tenant: tenant, payload: try request.serializedBytes(), timeout: timeout,
                                               idempotencyKey: idempotencyKey ?? UUID().uuidString.lowercased(), attempts: attempts)
        return try Response(serializedBytes: Array(reply.payload))
    }

    /// `rawCall` with the retries of `callWithRetry`; a nil key (reads) stays nil. Returns the
    /// whole Reply, so callers see the `replayed` flag.
    public func rawCallWithRetry(_ method: String, tenant: String?, payload: [UInt8], timeout: Duration?,
                                 idempotencyKey: String?, attempts: Int = 4) async throws -> Otc_Wire_V1_Reply {
        var delay = Duration.milliseconds(50)
        for attempt in 1...max(1, attempts) {
            do {
                return try await rawCall(method, tenant: tenant, payload: payload, timeout: timeout, idempotencyKey: idempotencyKey)
            } catch let error as RPCStatusError where error.code.isRetryable && attempt < attempts && channel.isActive {
                // The server's hint is a floor; backoff with jitter keeps a crowd of retries from arriving together.
                let hinted = error.details["retry_after_ms"].flatMap(Int64.init).map { Duration.milliseconds($0) } ?? .zero
                try await Task.sleep(for: max(hinted, delay) + delay * Double.random(in: 0..<0.5))
                delay = min(delay * 2, .seconds(1))
            }
        }
        throw RPCStatusError(code: .unavailable, message: "retries exhausted")
    }

    /// The whole Reply (payload, status already checked, `replayed` flag).
    public func rawCall(_ method: String, tenant: String?, payload: [UInt8], timeout: Duration?,
                        idempotencyKey: String?, metadata: [String: String] = [:]) async throws -> Otc_Wire_V1_Reply {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        var call = Otc_Wire_V1_Call()
        call.callID = id
        call.method = method
        call.tenant = tenant ?? ""
        call.payload = Data(payload)
        call.timeoutMs = timeout.map { UInt32(clamping: $0.wholeMilliseconds) } ?? 0
        call.idempotencyKey = idempotencyKey ?? ""
        call.metadata = metadata
        var frame = Otc_Wire_V1_ClientFrame()
        frame.call = call
        let channel = self.channel
        let reply = try await withTaskCancellationHandler {
            try await pending.awaitReply(id) { channel.writeAndFlush(frame, promise: nil) }
        } onCancel: {
            var cancel = Otc_Wire_V1_ClientFrame()
            cancel.cancel = .with { $0.callID = id }
            channel.writeAndFlush(cancel, promise: nil)
        }
        guard reply.status.code == .ok else {
            throw RPCStatusError(code: .init(rawValue: reply.status.code.rawValue), message: reply.status.message,
                                 details: reply.status.details)
        }
        return reply
    }

    /// Round trip of a Ping frame.
    public func ping() async throws -> Duration {
        let start = ContinuousClock.now
        let nonce = UInt64.random(in: 1...UInt64.max)
        var frame = Otc_Wire_V1_ClientFrame()
        frame.ping = .with { $0.nonce = nonce }
        let channel = self.channel
        try await pending.awaitPong(nonce) { channel.writeAndFlush(frame, promise: nil) }
        return ContinuousClock.now - start
    }

    /// The GoAway the server sent, if any.
    public var goAway: Otc_Wire_V1_GoAway? { pending.receivedGoAway }

    public var isActive: Bool { channel.isActive }

    public func close() async {
        try? await channel.close()
    }

    static func makeSSLContext(_ options: ClientOptions) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.applicationProtocols = [WireProtocol.alpn]
        switch options.trust {
        case .system: break
        // NIOSSL calls a custom verification callback only when verification is on; the
        // callback then decides alone (exact certificate match), so no CA or hostname is needed.
        case .pinned: tls.certificateVerification = .noHostnameVerification
        case .insecure: tls.certificateVerification = .none
        }
        if let certPath = options.clientCertificatePath, let keyPath = options.clientKeyPath {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certPath).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        }
        return try NIOSSLContext(configuration: tls)
    }

    static func tlsHandler(_ context: NIOSSLContext, serverName: String?, trust: ServerTrust) throws -> NIOSSLClientHandler {
        guard case .pinned(let path) = trust else {
            return try NIOSSLClientHandler(context: context, serverHostname: serverName)
        }
        // Pinning: the server must present exactly the certificate in the file.
        let expected = try NIOSSLCertificate.fromPEMFile(path).map { try $0.toDERBytes() }
        return try NIOSSLClientHandler(context: context, serverHostname: serverName, customVerificationCallback: { chain, promise in
            let leaf = chain.first.flatMap { try? $0.toDERBytes() }
            promise.succeed(leaf.map { expected.contains($0) } == true ? .certificateVerified : .failed)
        })
    }
}

extension Duration {
    var wholeMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
