import Foundation
import Logging
import OTCServer
import OTCStore
import OTCWire

/// otcd's settings, layered: command-line flag, then environment variable (OTC_*), then the JSON
/// config file, then the documented default. docs/OPERATIONS.md lists every key.
struct Settings {
    var listen = "127.0.0.1:7443"
    var metricsListen = "127.0.0.1:9464"
    var databaseURL: String?
    var tlsCert: String?
    var tlsKey: String?
    var clientCertificates = false
    var pepperFile: String?
    var logLevel = Logger.Level.info
    var logFormat = "text"
    var dbPoolSize = 32
    var maxConnections = 10_000
    var maxCallsInFlight = 100
    var maxFrameBytes = 4 * 1024 * 1024
    var tenantCallsInFlight = 16
    var tenantCallsPerSecond = 5000
    var serviceCallsInFlight = 256
    var idleTimeoutSeconds = 300
    var helloTimeoutSeconds = 10
    var serverName = "otcd"

    /// Keys of the JSON config file, each also readable from OTC_<KEY uppercased>.
    static let keys = [
        "listen", "metrics_listen", "database_url", "tls_cert", "tls_key", "client_certificates", "pepper_file",
        "log_level", "log_format", "db_pool_size", "max_connections", "max_calls_in_flight", "max_frame_bytes",
        "tenant_calls_in_flight", "tenant_calls_per_second", "service_calls_in_flight", "idle_timeout_seconds",
        "hello_timeout_seconds", "server_name",
    ]

    mutating func apply(_ values: [String: String]) throws {
        for (key, value) in values {
            switch key {
            case "listen": listen = value
            case "metrics_listen": metricsListen = value
            case "database_url": databaseURL = value
            case "tls_cert": tlsCert = value
            case "tls_key": tlsKey = value
            case "client_certificates": clientCertificates = ["1", "true", "yes"].contains(value.lowercased())
            case "pepper_file": pepperFile = value
            case "log_level":
                guard let level = Logger.Level(rawValue: value) else {
                    throw SettingsError("log_level '\(value)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                logLevel = level
            case "log_format":
                guard ["text", "json"].contains(value) else { throw SettingsError("log_format '\(value)' is not text or json") }
                logFormat = value
            case "server_name": serverName = value
            default:
                guard Self.keys.contains(key) else { throw SettingsError("unknown setting '\(key)'; known: \(Self.keys.joined(separator: ", "))") }
                let zeroAllowed = key == "tenant_calls_per_second"  // 0 = no rate limit
                guard let number = Int(value), number > 0 || (zeroAllowed && number == 0) else {
                    throw SettingsError("setting \(key) must be a positive whole number, got '\(value)'")
                }
                if key == "max_frame_bytes", !(65_536...67_108_864).contains(number) {
                    throw SettingsError("max_frame_bytes must be between 65536 (64 KiB) and 67108864 (64 MiB), got \(number)")
                }
                switch key {
                case "db_pool_size": dbPoolSize = number
                case "max_connections": maxConnections = number
                case "max_calls_in_flight": maxCallsInFlight = number
                case "max_frame_bytes": maxFrameBytes = number
                case "tenant_calls_in_flight": tenantCallsInFlight = number
                case "tenant_calls_per_second": tenantCallsPerSecond = number
                case "service_calls_in_flight": serviceCallsInFlight = number
                case "idle_timeout_seconds": idleTimeoutSeconds = number
                case "hello_timeout_seconds": helloTimeoutSeconds = number
                default: break
                }
            }
        }
    }

    static func fromFile(_ path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw SettingsError("cannot read config file \(path)") }
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SettingsError("config file \(path) must hold one JSON object")
        }
        return object.mapValues { "\($0)" }
    }

    static func fromEnvironment() -> [String: String] {
        let env = ProcessInfo.processInfo.environment
        var values: [String: String] = [:]
        for key in keys { if let value = env["OTC_" + key.uppercased()] { values[key] = value } }
        return values
    }

    func serverConfiguration() throws -> ServerConfiguration {
        guard let tlsCert, let tlsKey else {
            throw SettingsError("TLS needs a certificate and key: --tls-cert/--tls-key or OTC_TLS_CERT/OTC_TLS_KEY (otcd dev-cert makes a development pair)")
        }
        var config = ServerConfiguration(certificatePath: tlsCert, privateKeyPath: tlsKey)
        let (host, port) = try Self.endpoint(listen, name: "listen")
        config.host = host
        config.port = port
        config.clientCertificates = clientCertificates
        config.serverName = serverName
        config.limits.maxConnections = maxConnections
        config.limits.maxCallsInFlight = maxCallsInFlight
        config.limits.maxFrameBytes = maxFrameBytes
        config.limits.idleTimeout = .seconds(idleTimeoutSeconds)
        config.limits.helloTimeout = .seconds(helloTimeoutSeconds)
        config.admission.tenantCallsInFlight = tenantCallsInFlight
        config.admission.tenantCallsPerSecond = tenantCallsPerSecond
        config.admission.serviceCallsInFlight = serviceCallsInFlight
        return config
    }

    /// The pepper file (flag, env or config) wins; OTC_PEPPER holds the pepper itself for
    /// platforms that inject secrets as environment variables.
    func pepper() throws -> [UInt8] {
        if pepperFile == nil, let raw = ProcessInfo.processInfo.environment["OTC_PEPPER"] {
            guard raw.utf8.count >= 16 else { throw SettingsError("OTC_PEPPER must have at least 16 bytes") }
            return Array(raw.utf8)
        }
        guard let pepperFile else {
            throw SettingsError("no pepper: set --pepper-file or OTC_PEPPER (at least 16 bytes; keep it secret, it protects every API key)")
        }
        guard let data = FileManager.default.contents(atPath: pepperFile), data.count >= 16 else {
            throw SettingsError("pepper file \(pepperFile) is missing or shorter than 16 bytes")
        }
        return Array(data)
    }

    static func endpoint(_ text: String, name: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw SettingsError("\(name) '\(text)' is not host:port")
        }
        return (String(text[..<colon]), port)
    }
}

struct SettingsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
