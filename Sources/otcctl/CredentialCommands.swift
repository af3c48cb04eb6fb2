import ArgumentParser
import Foundation
import OTCClient
import OTCProto
import SwiftProtobuf

/// ERP API keys. `--tenant` is the global option: it names the tenant the key is for.
struct CredentialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credential",
        abstract: "Issue, revoke and list ERP API keys (platform admin).",
        subcommands: [Issue.self, Revoke.self, List.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue an ERP API key for --tenant SLUG.")
        @Option(help: "A name for the key, e.g. the ERP connector.") var name: String?
        @Option(name: .customLong("scope"), help: "Scope (repeatable; default: all ERP scopes).") var scopes: [String] = []
        @Option(name: .customLong("cert-fingerprint"), help: "SHA-256 (hex) of a client certificate that may stand in for the key.")
        var certFingerprint: String?
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard global.tenant?.isEmpty == false else { throw ValidationError("--tenant SLUG is required") }
        }

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Admin_V1_IssueCredentialRequest.with {
                    $0.tenant = global.tenant ?? ""
                    $0.name = name ?? ""
                    $0.scopes = scopes
                    $0.certificateFingerprint = certFingerprint?.lowercased().replacingOccurrences(of: ":", with: "") ?? ""
                }
                let issued = try await session.write(AdminMethods.issueCredential, request,
                                                     as: Otc_Admin_V1_IssuedCredential.self, tenant: nil)
                if session.json {
                    try JSONOutput.print(issued)
                    printError("note: the API key is shown once and never again")
                    return
                }
                printCredential(issued.credential)
                print("")
                print("API key — SHOWN ONCE, store it now (the server keeps only an HMAC):")
                print("  \(issued.apiKey)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an ERP API key; it stops working at once.")
        @Argument(help: "Credential id.") var id: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let credential = try await session.write(AdminMethods.revokeCredential, Otc_Admin_V1_RevokeCredentialRequest.with { $0.id = id },
                                                         as: Otc_Admin_V1_Credential.self, tenant: nil)
                if session.json { return try JSONOutput.print(credential) }
                print("credential \(credential.id) of \(credential.tenant) is \(credential.status)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List ERP API keys (all tenants, or --tenant SLUG).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let response = try await session.read(AdminMethods.listCredentials,
                                                      Otc_Admin_V1_ListCredentialsRequest.with { $0.tenant = global.tenant ?? "" },
                                                      as: Otc_Admin_V1_ListCredentialsResponse.self, tenant: nil)
                if session.json { return try JSONOutput.print(response) }
                var table = Table("id", "tenant", "name", "scopes", "status", "created", "last used")
                for c in response.credentials {
                    table.add(c.id, c.tenant, c.name, c.scopes.joined(separator: ","), c.status,
                              shortTime(c.createdAt), c.lastUsedAt.isEmpty ? "never" : shortTime(c.lastUsedAt))
                }
                table.print()
            }
        }
    }
}

func printCredential(_ c: Otc_Admin_V1_Credential) {
    var details = Details()
    details.add("id", c.id)
    details.add("tenant", c.tenant)
    details.addIfPresent("name", c.name)
    details.add("scopes", c.scopes.joined(separator: " "))
    details.add("status", c.status)
    details.addIfPresent("cert fingerprint", c.certificateFingerprint)
    details.add("created", c.createdAt)
    details.addIfPresent("revoked", c.revokedAt)
    details.print()
}
