public import Logging
public import ServiceLifecycle
import Metrics
import NIOCore
import NIOPosix
import NIOSSL
public import OTCCore
import OTCProto
import OTCStore
import OTCWire
import Synchronization

/// The otc/1 listener as a `Service`: binds, accepts TLS connections (each a child task that
/// catches its own errors), and on graceful shutdown stops accepting while every connection sends
/// GoAway and drains its calls.
public final class OTCServer: Service, Sendable {
    let configuration: ServerConfiguration
    let router: Router
    let authenticator: Authenticator
    let logger: Logger
    private let bound = Mutex<(port: Int?, waiters: [CheckedContinuation<Int, any Error>])>((nil, []))
    private let openConnections = Atomic<Int>(0)
    private let serving = Atomic<Bool>(false)

    /// True between binding the port and the start of a graceful shutdown: what a load balancer's
    /// health check should see, so it neither routes to a starting nor to a draining instance.
    public var isServing: Bool { serving.load(ordering: .relaxed) }

    public init(configuration: ServerConfiguration, table: MethodTable, authenticator: Authenticator, logger: Logger) {
        self.configuration = configuration
        self.router = Router(table: table, configuration: configuration)
        self.authenticator = authenticator
        self.logger = logger
    }

    /// The port the listener bound (useful with port 0); waits until it is bound.
    public func boundPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let port = bound.withLock { state -> Int? in
                if let port = state.port { return port }
                state.waiters.append(continuation)
                return nil
            }
            if let port { continuation.resume(returning: port) }
        }
    }

    private func reportBound(_ result: Result<Int, any Error>) {
        let waiters = bound.withLock { state -> [CheckedContinuation<Int, any Error>] in
            if case .success(let port) = result { state.port = port }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    public func run() async throws {
        let sslContext = try TLSSetup.serverContext(configuration)
        let limits = configuration.limits
        let mtls = configuration.clientCertificates
        let serverChannel: NIOAsyncChannel<NIOAsyncChannel<Otc_Wire_V1_ClientFrame, Otc_Wire_V1_ServerFrame>, Never>
        do {
            serverChannel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls = mtls
                        ? NIOSSLServerHandler(context: sslContext, customVerificationCallback: { _, promise in
                            // Any certificate is acceptable to TLS; a registered fingerprint decides at Hello.
                            promise.succeed(.certificateVerified)
                        })
                        : NIOSSLServerHandler(context: sslContext)
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(tls)
                    try sync.addHandler(IdleStateHandler(readTimeout: .milliseconds(limits.idleTimeout.wholeMilliseconds)))
                    try sync.addHandler(ByteToMessageHandler(FrameDecoder<Otc_Wire_V1_ClientFrame>(
                        maxFrameBytes: limits.maxFrameBytes, partialFrameTimeout: limits.partialFrameTimeout)))
                    try sync.addHandler(MessageToByteHandler(FrameEncoder<Otc_Wire_V1_ServerFrame>()))
                    try sync.addHandler(IdleTimeoutHandler(period: .milliseconds(limits.idleTimeout.wholeMilliseconds)))
                    return try NIOAsyncChannel<Otc_Wire_V1_ClientFrame, Otc_Wire_V1_ServerFrame>(
                        wrappingChannelSynchronously: channel)
                }
            }
        } catch {
            reportBound(.failure(error))
            throw error
        }
        let port = serverChannel.channel.localAddress?.port ?? configuration.port
        reportBound(.success(port))
        serving.store(true, ordering: .relaxed)
        logger.info("otc/1 listener ready", metadata: ["host": "\(configuration.host)", "port": "\(port)", "mtls": "\(mtls)"])

        let gauge = Gauge(label: "otc_open_connections")
        try await withThrowingDiscardingTaskGroup { group in
            try await serverChannel.executeThenClose { inbound in
                for try await connection in inbound.cancelOnGracefulShutdown() {
                    let open = openConnections.wrappingAdd(1, ordering: .relaxed).newValue
                    gauge.record(open)
                    group.addTask {
                        defer { gauge.record(self.openConnections.wrappingSubtract(1, ordering: .relaxed).newValue) }
                        if open > limits.maxConnections {
                            await Self.refuse(connection, limit: limits.maxConnections)
                            return
                        }
                        await Connection(channel: connection, router: self.router, authenticator: self.authenticator,
                                         configuration: self.configuration, logger: self.logger).run()
                    }
                }
            }
            serving.store(false, ordering: .relaxed)
            logger.info("listener closed; draining connections")
        }
        logger.info("all connections drained")
    }

    private static func refuse(_ channel: NIOAsyncChannel<Otc_Wire_V1_ClientFrame, Otc_Wire_V1_ServerFrame>, limit: Int) async {
        // writeAndFlush's promise completes only once the frame is on the socket, which NIOSSL
        // delays until the handshake is done; closing earlier would drop the GoAway.
        let frame = Connection.goAway(lastCallID: 0, status: .init(
            code: .resourceExhausted, message: "the server is at its limit of \(limit) connections; retry another instance"))
        try? await channel.executeThenClose { _, _ in
            try await channel.channel.writeAndFlush(frame).get()
        }
    }
}
