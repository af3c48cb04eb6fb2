import ArgumentParser
import Foundation
import OTCClient
import SwiftProtobuf
import OTCProto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The credential a context logs in with. Stored in clear text, hence the 0600 file.
struct StoredCredential: Codable, Equatable {
    enum Kind: String, Codable {
        case operatorToken = "operator_token"
        case apiKey = "api_key"
    }
    var kind: Kind
    var secret: String

    /// Enough of the secret to recognise it (`otcop_ab12cd34ef56_…`), never the secret part.
    var masked: String {
        let parts = secret.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return "…" }
        return "\(parts[0])_\(parts[1])_…"
    }
}

/// One server + credential + tenant, the unit a shift switches between.
struct ContextEntry: Codable, Equatable {
    var server: String
    var tenant: String
    var credential: StoredCredential
    /// Pinned server certificate (PEM); empty = the system trust store.
    var caFile: String
    var insecure: Bool

    enum CodingKeys: String, CodingKey {
        case server, tenant, credential
        case caFile = "ca_file"
        case insecure
    }

    init(server: String, tenant: String, credential: StoredCredential, caFile: String, insecure: Bool) {
        self.server = server
        self.tenant = tenant
        self.credential = credential
        self.caFile = caFile
        self.insecure = insecure
    }

    // Hand-edited files may leave out the optional keys.
    init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        server = try c.decode(String.self, forKey: .server)
        tenant = try c.decodeIfPresent(String.self, forKey: .tenant) ?? ""
        credential = try c.decode(StoredCredential.self, forKey: .credential)
        caFile = try c.decodeIfPresent(String.self, forKey: .caFile) ?? ""
        insecure = try c.decodeIfPresent(Bool.self, forKey: .insecure) ?? false
    }

    var trustDescription: String {
        insecure ? "insecure (no verification)" : (caFile.isEmpty ? "system trust store" : "pinned \(caFile)")
    }
}

struct ConfigFile: Codable {
    var currentContext: String
    var contexts: [String: ContextEntry]

    enum CodingKeys: String, CodingKey {
        case currentContext = "current_context"
        case contexts
    }

    init() {
        currentContext = ""
        contexts = [:]
    }

    init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        currentContext = try c.decodeIfPresent(String.self, forKey: .currentContext) ?? ""
        contexts = try c.decodeIfPresent([String: ContextEntry].self, forKey: .contexts) ?? [:]
    }

    static var defaultPath: String {
        if let path = ProcessInfo.processInfo.environment["OTCCTL_CONFIG"], !path.isEmpty { return path }
        // $HOME first: on Linux homeDirectoryForCurrentUser ignores it, which breaks sandboxes and tests.
        let home = ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".otcctl/config.json")
    }

    /// A missing file is an empty configuration: the first `context add` creates it.
    static func load(_ path: String) throws -> ConfigFile {
        guard FileManager.default.fileExists(atPath: path) else { return ConfigFile() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read config file \(path)")
        }
        do {
            return try JSONDecoder().decode(ConfigFile.self, from: data)
        } catch {
            throw CLIError("config file \(path) is not valid: \(error.localizedDescription)")
        }
    }

    /// Writes through a 0600 temporary file and a rename: the file holds credentials, so it is
    /// never readable by others, not even for a moment, and a crash never leaves half a file.
    func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let temporary = path + ".tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw CLIError("cannot write config file \(path): \(String(cString: strerror(errno)))") }
        _ = fchmod(fd, 0o600)
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        _ = fsync(fd)
        close(fd)
        guard written == data.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CLIError("cannot write config file \(path): \(String(cString: strerror(errno)))")
        }
    }
}

struct ContextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "context",
        abstract: "Manage contexts (server, credential, tenant), like kubectl.",
        subcommands: [Add.self, Use.self, List.self, Show.self, Delete.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add (or replace) a context.",
            discussion: "The tenant comes from the global --tenant option. Exactly one credential option is required.")

        @Argument(help: "Name of the context.") var name: String
        @Option(help: "otcd address, HOST:PORT.") var server: String
        @Option(help: "Operator token (otcop_…).") var token: String?
        @Option(name: .customLong("api-key"), help: "ERP API key (otc_…).") var apiKey: String?
        @Option(name: .customLong("token-file"), help: "File holding the operator token.") var tokenFile: String?
        @Option(name: .customLong("api-key-file"), help: "File holding the ERP API key.") var apiKeyFile: String?
        @Option(name: .customLong("ca-file"), help: "Pin the server to this PEM certificate.") var caFile: String?
        @Flag(help: "Do not verify the server certificate (throwaway local setups only).") var insecure = false
        @Flag(name: .customLong("use"), help: "Make it the current context.") var makeCurrent = false
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            let given = [token, apiKey, tokenFile, apiKeyFile].compactMap { $0 }
            guard given.count == 1 else {
                throw ValidationError("give exactly one of --token, --api-key, --token-file, --api-key-file")
            }
            guard !name.isEmpty else { throw ValidationError("the context name must not be empty") }
        }

        func run() throws {
            let credential: StoredCredential
            if let token {
                credential = StoredCredential(kind: .operatorToken, secret: token)
            } else if let apiKey {
                credential = StoredCredential(kind: .apiKey, secret: apiKey)
            } else if let tokenFile {
                credential = StoredCredential(kind: .operatorToken, secret: try readSecretFile(tokenFile))
            } else {
                credential = StoredCredential(kind: .apiKey, secret: try readSecretFile(apiKeyFile!))
            }
            if let caFile {
                guard FileManager.default.fileExists(atPath: caFile) else { throw CLIError("CA file \(caFile) does not exist") }
            }
            let path = global.configPath
            var config = try ConfigFile.load(path)
            let replaced = config.contexts[name] != nil
            config.contexts[name] = ContextEntry(
                server: server, tenant: global.tenant ?? "", credential: credential,
                caFile: caFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? "", insecure: insecure)
            if makeCurrent || config.currentContext.isEmpty || config.contexts[config.currentContext] == nil {
                config.currentContext = name
            }
            try config.save(path)
            let current = config.currentContext == name ? " (current)" : ""
            print("context \(name) \(replaced ? "replaced" : "added")\(current) in \(path)")
        }
    }

    struct Use: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Switch to a context, or switch the current context to another tenant.",
            discussion: """
                When NAME is not a context but a tenant the current context's credential may act for,
                the current context keeps its server and credential and switches its tenant.
                """)

        @Argument(help: "A context name, or a tenant slug.") var name: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let path = global.configPath
            var config = try ConfigFile.load(path)
            if config.contexts[name] != nil {
                config.currentContext = name
                try config.save(path)
                let tenant = config.contexts[name]!.tenant
                print("switched to context \(name)" + (tenant.isEmpty ? "" : " (tenant \(tenant))"))
                return
            }
            let currentName = global.context ?? config.currentContext
            guard var current = config.contexts[currentName] else {
                throw CLIError("no context named \(name), and no current context to switch to tenant \(name); see 'otcctl context list'")
            }
            // Ask the server: only a tenant this credential may act for is worth switching to.
            let session = try await Session.open(contextName: currentName, context: current, tenantOverride: nil, output: global.output)
            do {
                try await Self.checkTenant(name, session: session)
                await session.close()
            } catch {
                await session.close()
                throw error
            }
            current.tenant = name
            config.contexts[currentName] = current
            config.currentContext = currentName
            try config.save(path)
            print("context \(currentName) now acts for tenant \(name) (server \(current.server))")
        }

        static func checkTenant(_ name: String, session: Session) async throws {
            let welcome = session.connection.welcome
            if welcome.tenants.contains(name) { return }
            guard welcome.principal.kind == .platformAdmin else {
                let may = welcome.tenants.isEmpty ? "none" : welcome.tenants.joined(separator: ", ")
                throw CLIError("no context named \(name), and \(welcome.principal.id) may not act for a tenant \(name) (tenants: \(may))")
            }
            do {
                _ = try await session.read(AdminMethods.getTenant, Otc_Admin_V1_GetTenantRequest.with { $0.slug = name },
                                           as: Otc_Admin_V1_Tenant.self, tenant: nil)
            } catch let error as RPCStatusError where error.code == .notFound {
                throw CLIError("no context or tenant named \(name)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List contexts.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let config = try ConfigFile.load(global.configPath)
            let names = config.contexts.keys.sorted()
            if global.output == .json {
                var entries: [[String: Any]] = []
                for name in names {
                    var entry = contextJSON(config.contexts[name]!)
                    entry["name"] = name
                    entry["current"] = name == config.currentContext
                    entries.append(entry)
                }
                try printJSONObject(["current_context": config.currentContext, "contexts": entries])
                return
            }
            var table = Table("current", "name", "server", "tenant", "credential kind")
            for name in names {
                let context = config.contexts[name]!
                table.add(name == config.currentContext ? "*" : "", name, context.server, context.tenant,
                          context.credential.kind.rawValue)
            }
            table.print()
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the current context (or --context NAME).")
        @Argument(help: "Context to show (default: --context or the current one).") var name: String?
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let (contextName, context) = try global.resolveContext(name)
            let config = try ConfigFile.load(global.configPath)
            if global.output == .json {
                var entry = contextJSON(context)
                entry["name"] = contextName
                entry["current"] = contextName == config.currentContext
                try printJSONObject(entry)
                return
            }
            var details = Details()
            details.add("name", contextName + (contextName == config.currentContext ? " (current)" : ""))
            details.add("server", context.server)
            details.add("tenant", context.tenant.isEmpty ? "(none)" : context.tenant)
            details.add("credential", "\(context.credential.kind.rawValue) \(context.credential.masked)")
            details.add("trust", context.trustDescription)
            details.add("config", global.configPath)
            details.print()
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a context.")
        @Argument(help: "Context to delete.") var name: String
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let path = global.configPath
            var config = try ConfigFile.load(path)
            guard config.contexts.removeValue(forKey: name) != nil else { throw CLIError("no context named \(name)") }
            if config.currentContext == name { config.currentContext = "" }
            try config.save(path)
            print("context \(name) deleted" + (config.currentContext.isEmpty ? "; no current context now" : ""))
        }
    }
}

/// A context for `-o json`, with the secret masked: JSON output ends up in logs and tickets.
func contextJSON(_ context: ContextEntry) -> [String: Any] {
    [
        "server": context.server, "tenant": context.tenant, "ca_file": context.caFile, "insecure": context.insecure,
        "credential": ["kind": context.credential.kind.rawValue, "secret": context.credential.masked],
    ]
}

func printJSONObject(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

/// Secrets in files usually end with a newline; the newline is not part of the secret.
func readSecretFile(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
    let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard !secret.isEmpty else { throw CLIError("\(path) is empty") }
    return secret
}
