import ArgumentParser
import Foundation
import Logging
import Metrics
import OTCApp
import OTCCollections
import OTCDisputes
import OTCServer
import OTCStore
import PostgresNIO
import Prometheus
import ServiceLifecycle
import UnixSignals

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server until SIGTERM or SIGINT (then GoAway, drain, exit).")

    @Option(help: "JSON config file; flags and OTC_* environment variables override it.") var config: String?
    @Option(help: "otc/1 TLS listener, host:port (default 127.0.0.1:7443).") var listen: String?
    @Option(help: "Plain-HTTP /metrics and /health listener (default 127.0.0.1:9464).") var metricsListen: String?
    @Option(help: "postgres://user[:password]@host[:port]/database") var databaseURL: String?
    @Option(help: "PEM certificate chain.") var tlsCert: String?
    @Option(help: "PEM private key.") var tlsKey: String?
    @Flag(help: "Request client certificates (mTLS); a registered fingerprint stands in for an API key.") var clientCertificates = false
    @Option(help: "File holding the secret pepper for API-key HMACs.") var pepperFile: String?
    @Option(help: "trace, debug, info, notice, warning, error (default info; debug logs every call).") var logLevel: String?
    @Option(help: "text or json (default text).") var logFormat: String?

    func run() async throws {
        var settings = Settings()
        if let config { try settings.apply(try Settings.fromFile(config)) }
        try settings.apply(Settings.fromEnvironment())
        var flags: [String: String] = [:]
        flags["listen"] = listen
        flags["metrics_listen"] = metricsListen
        flags["database_url"] = databaseURL
        flags["tls_cert"] = tlsCert
        flags["tls_key"] = tlsKey
        flags["pepper_file"] = pepperFile
        flags["log_level"] = logLevel
        flags["log_format"] = logFormat
        if clientCertificates { flags["client_certificates"] = "true" }
        try settings.apply(flags)

        let level = settings.logLevel
        let json = settings.logFormat == "json"
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label, format: json ? .json : .text)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "otcd")
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        guard let url = settings.databaseURL else {
            throw SettingsError("no database: set --database-url or OTC_DATABASE_URL (scripts/serve starts an embedded one)")
        }
        let database = try DatabaseConfiguration(url: url, maxConnections: settings.dbPoolSize)
        let client = database.makeClient(logger: logger)
        let platform = PlatformService(
            configuration: try settings.serverConfiguration(), client: client, pepper: try settings.pepper(), logger: logger)
        let (metricsHost, metricsPort) = try Settings.endpoint(settings.metricsListen, name: "metrics_listen")
        let metrics = MetricsHTTPServer(host: metricsHost, port: metricsPort, registry: registry, logger: logger,
                                        health: { await platform.isHealthy() })
        // Started in order, stopped in reverse: the pool stops last, after every call has drained.
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(service: client),
                .init(service: metrics),
                .init(service: IdempotencySweeper(client: client, logger: logger)),
                .init(service: TenantJobRunner(client: client, logger: logger, jobs: [Collections.promiseWatch, Disputes.slaEscalation])),
                .init(service: platform, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: logger)
        // Calls can run up to the 300 s maximum deadline, but a deploy should not wait that long:
        // after 30 s of draining, whatever is left is cancelled (and its transaction rolled back).
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(30)
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
    }
}

struct DevCert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-cert", abstract: "Write a self-signed development certificate (cert.pem, key.pem).")

    @Option(help: "Directory to write into.") var out: String

    func run() throws {
        let (cert, key) = try DevCertificates.write(to: out)
        print("wrote \(cert) and \(key)")
    }
}
