import ArgumentParser
import Foundation
import Logging
import OTCCore
import OTCStore
import PostgresNIO

/// The only command that talks to PostgreSQL directly: before the first admin exists there is no
/// one who could authenticate over the wire.
struct BootstrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bootstrap",
        abstract: "Migrate the control plane and create the first platform admin (direct database access).")

    @Option(name: .customLong("database-url"), help: "postgres://user[:password]@host[:port]/database")
    var databaseURL: String
    @Option(name: .customLong("pepper-file"), help: "The server's pepper file (the same one otcd uses).")
    var pepperFile: String
    @Option(name: .customLong("admin-login"), help: "Login of the admin to create.") var adminLogin = "admin"
    @Option(name: .customLong("display-name"), help: "Display name of the admin.") var displayName: String?
    @Option(help: "otcd address; when given, a context with the new token is written and made current.")
    var server: String?
    @Option(name: .customLong("ca-file"), help: "Pinned server certificate for the written context.") var caFile: String?
    @Option(name: .customLong("context-name"), help: "Name of the written context (default: the admin login).")
    var contextName: String?
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if server == nil, caFile != nil || contextName != nil {
            throw ValidationError("--ca-file and --context-name only make sense with --server")
        }
    }

    func run() async throws {
        let database = try DatabaseConfiguration(url: databaseURL, maxConnections: 2)
        guard let pepperData = FileManager.default.contents(atPath: pepperFile) else {
            throw CLIError("cannot read pepper file \(pepperFile)")
        }
        // Byte for byte what otcd reads: a different pepper would make the token useless.
        let pepper = Array(pepperData)
        guard pepper.count >= 16 else { throw CLIError("pepper file \(pepperFile) is shorter than 16 bytes") }
        if let caFile, !FileManager.default.fileExists(atPath: caFile) {
            throw CLIError("CA file \(caFile) does not exist")
        }

        var logger = Logger(label: "otcctl.bootstrap", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .error
        // The pool retries silently for a minute before giving up with no reason; one plain
        // connection first fails fast with PostgreSQL's own words.
        do {
            let probe = try await PostgresConnection.connect(
                configuration: .init(host: database.host, port: database.port, username: database.username,
                                     password: database.password, database: database.database, tls: .disable),
                id: 1, logger: logger)
            try await probe.close()
        } catch {
            throw CLIError("cannot connect to PostgreSQL at \(database.host):\(database.port)/\(database.database): \(databaseReason(error))")
        }
        let client = database.makeClient(logger: logger)
        let login = adminLogin
        let name = displayName ?? adminLogin
        let (record, token) = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let control = ControlPlane(client: client, secrets: SecretKeeper(pepper: pepper), logger: logger)
            do {
                try await control.migrate()
                return try await control.bootstrapAdmin(login: login, displayName: name)
            } catch let error as OTCError {
                throw error
            } catch {
                throw CLIError("bootstrap against \(database.host):\(database.port)/\(database.database) failed: \(databaseReason(error))")
            }
        }

        print("platform admin \(record.login) created.")
        print("operator token (shown once; otcd keeps only an HMAC, store it now):")
        print("  \(token)")
        guard let server else { return }
        let path = global.configPath
        var config = try ConfigFile.load(path)
        let context = contextName ?? login
        config.contexts[context] = ContextEntry(
            server: server, tenant: global.tenant ?? "", credential: StoredCredential(kind: .operatorToken, secret: token),
            caFile: caFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? "", insecure: false)
        config.currentContext = context
        try config.save(path)
        print("context \(context) (server \(server)) written to \(path) and made current")
    }
}

/// PSQLError's description hides everything on purpose; dig out what an operator can act on.
func databaseReason(_ error: any Error) -> String {
    if let psql = error as? PSQLError {
        if let message = psql.serverInfo?[.message] { return message }
        if let underlying = psql.underlying { return String(describing: underlying) }
        return "\(psql.code)"
    }
    if let tx = error as? PostgresTransactionError {
        if let closure = tx.closureError { return databaseReason(closure) }
        if let begin = tx.beginError { return databaseReason(begin) }
        if let commit = tx.commitError { return databaseReason(commit) }
    }
    return String(describing: error)
}
