public import Logging
public import PostgresNIO
import Foundation

/// Where the database is and how `otcd` logs in. Built from `--database-url` / `OTC_DATABASE_URL`.
public struct DatabaseConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// Pooled connections; a per-tenant in-flight limit below this keeps one client from taking them all.
    public var maxConnections: Int

    public init(host: String = "127.0.0.1", port: Int = 5432, username: String, password: String? = nil,
                database: String, maxConnections: Int = 32) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.maxConnections = maxConnections
    }

    /// Parses `postgres://user[:password]@host[:port]/database`.
    public init(url: String, maxConnections: Int = 32) throws {
        guard let components = URLComponents(string: url),
              components.scheme == "postgres" || components.scheme == "postgresql",
              let user = components.user, let host = components.host
        else {
            throw OTCStoreError.configuration("database URL '\(url)' is not of the form postgres://user[:password]@host[:port]/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw OTCStoreError.configuration("database URL '\(url)' names no database") }
        self.init(host: host, port: components.port ?? 5432, username: user, password: components.password,
                  database: database, maxConnections: maxConnections)
    }

    /// A client for this database; it serves queries only while its `run()` is running.
    public func makeClient(logger: Logger) -> PostgresClient {
        var config = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: .disable)
        config.options.maximumConnections = maxConnections
        config.options.minimumConnections = 0
        return PostgresClient(configuration: config, backgroundLogger: logger)
    }
}

public enum OTCStoreError: Error, CustomStringConvertible {
    case configuration(String)
    public var description: String {
        switch self { case .configuration(let m): m }
    }
}
