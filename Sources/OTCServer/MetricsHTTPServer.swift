public import Logging
public import ServiceLifecycle
import NIOCore
import NIOHTTP1
import NIOPosix
public import Prometheus

/// Serves Prometheus text at `/metrics` and a readiness check at `/health` on a separate plain
/// HTTP port (swift-prometheus ships no server).
public final class MetricsHTTPServer: Service, Sendable {
    let host: String
    let port: Int
    let registry: PrometheusCollectorRegistry
    let health: @Sendable () async -> Bool
    let logger: Logger

    public init(host: String, port: Int, registry: PrometheusCollectorRegistry, logger: Logger,
                health: @escaping @Sendable () async -> Bool) {
        self.host = host
        self.port = port
        self.registry = registry
        self.health = health
        self.logger = logger
    }

    public func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        logger.info("metrics listener ready", metadata: ["host": "\(host)", "port": "\(server.channel.localAddress?.port ?? port)"])
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await connection in inbound.cancelOnGracefulShutdown() {
                    group.addTask { try? await self.serve(connection) }
                }
            }
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var path = ""
            for try await part in inbound {
                switch part {
                case .head(let head): path = head.uri
                case .body: break
                case .end:
                    let (status, body, type): (HTTPResponseStatus, String, String)
                    switch path.split(separator: "?").first.map(String.init) ?? path {
                    case "/metrics":
                        var bytes: [UInt8] = []
                        registry.emit(into: &bytes)
                        (status, body, type) = (.ok, String(decoding: bytes, as: UTF8.self), "text/plain; version=0.0.4")
                    case "/health":
                        let ok = await health()
                        (status, body, type) = ok ? (.ok, "ok\n", "text/plain") : (.serviceUnavailable, "database unreachable\n", "text/plain")
                    default:
                        (status, body, type) = (.notFound, "not found: try /metrics or /health\n", "text/plain")
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: type)
                    headers.add(name: "Content-Length", value: "\(body.utf8.count)")
                    // One response per connection: scrapers and health checks reconnect anyway,
                    // and an idle keep-alive connection would hold up graceful shutdown.
                    headers.add(name: "Connection", value: "close")
                    try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body))))
                    try await outbound.write(.end(nil))
                    return
                }
            }
        }
    }
}
