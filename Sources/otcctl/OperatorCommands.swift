import ArgumentParser
import Foundation
import OTCClient
import OTCProto
import SwiftProtobuf

/// Delivery-center people and their per-tenant roles. `--tenant` is the global option.
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Create operators and grant or revoke their roles on tenants (platform admin).",
        subcommands: [Create.self, List.self, Grant.self, Revoke.self])

    static let roles = ["viewer", "analyst", "team_lead", "admin"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an operator and print their token once.")
        @Argument(help: "Login, e.g. jane.doe.") var login: String
        @Option(name: .customLong("display-name"), help: "Display name.") var displayName: String?
        @Flag(name: .customLong("platform-admin"), help: "Make the operator a platform admin.") var platformAdmin = false
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let request = Otc_Admin_V1_CreateOperatorRequest.with {
                    $0.login = login
                    $0.displayName = displayName ?? ""
                    $0.platformAdmin = platformAdmin
                }
                let created = try await session.write(AdminMethods.createOperator, request,
                                                      as: Otc_Admin_V1_CreatedOperator.self, tenant: nil)
                if session.json {
                    try JSONOutput.print(created)
                    printError("note: the operator token is shown once and never again")
                    return
                }
                print("operator \(created.operator.login) (\(created.operator.displayName))"
                      + (created.operator.platformAdmin ? " created as platform admin" : " created"))
                print("operator token — SHOWN ONCE, hand it over securely (the server keeps only an HMAC):")
                print("  \(created.token)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List operators and their grants.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let response = try await session.read(AdminMethods.listOperators, Otc_Admin_V1_ListOperatorsRequest(),
                                                      as: Otc_Admin_V1_ListOperatorsResponse.self, tenant: nil)
                if session.json { return try JSONOutput.print(response) }
                var table = Table("login", "display name", "platform admin", "grants", "created")
                for op in response.operators {
                    table.add(op.login, op.displayName, yesNo(op.platformAdmin),
                              op.grants.map { "\($0.tenant)=\($0.role)" }.joined(separator: ","), shortTime(op.createdAt))
                }
                table.print()
            }
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give an operator a role on --tenant SLUG (replaces an earlier role).")
        @Argument(help: "Operator login.") var login: String
        @Option(help: "viewer, analyst, team_lead or admin.") var role: String
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard global.tenant?.isEmpty == false else { throw ValidationError("--tenant SLUG is required") }
            guard OperatorCommand.roles.contains(role) else {
                throw ValidationError("--role must be one of \(OperatorCommand.roles.joined(separator: ", "))")
            }
        }

        func run() async throws {
            try await global.withSession { session in
                let op = try await session.write(
                    AdminMethods.grantRole,
                    Otc_Admin_V1_GrantRoleRequest.with { $0.login = login; $0.tenant = global.tenant ?? ""; $0.role = role },
                    as: Otc_Admin_V1_Operator.self, tenant: nil)
                if session.json { return try JSONOutput.print(op) }
                print("\(op.login) now has: " + grantsText(op))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take an operator's role on --tenant SLUG away.")
        @Argument(help: "Operator login.") var login: String
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard global.tenant?.isEmpty == false else { throw ValidationError("--tenant SLUG is required") }
        }

        func run() async throws {
            try await global.withSession { session in
                let op = try await session.write(
                    AdminMethods.revokeRole,
                    Otc_Admin_V1_RevokeRoleRequest.with { $0.login = login; $0.tenant = global.tenant ?? "" },
                    as: Otc_Admin_V1_Operator.self, tenant: nil)
                if session.json { return try JSONOutput.print(op) }
                print("\(op.login) now has: " + grantsText(op))
            }
        }
    }
}

private func grantsText(_ op: Otc_Admin_V1_Operator) -> String {
    op.grants.isEmpty ? "no grants" : op.grants.map { "\($0.role) on \($0.tenant)" }.joined(separator: ", ")
}
