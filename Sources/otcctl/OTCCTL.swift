import ArgumentParser
import Foundation
import OTCClient
import OTCCore

/// The admin and shift-team CLI. Errors are reported here, in one place, so every command prints
/// `error: CODE: message` and exits 1 instead of dumping Swift error values.
@main
struct OTCCTL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "otcctl",
        abstract: "Administer and operate the OTC platform over otc/1.",
        discussion: """
            Contexts (server, credential, tenant) live in ~/.otcctl/config.json, like kubectl:
              otcctl context add acme --server otc.example.com:7443 --tenant acme --token-file ~/.otc-token
              otcctl context use acme
            """,
        subcommands: [
            ContextCommand.self, BootstrapCommand.self, PingCommand.self, WhoAmICommand.self,
            TenantCommand.self, CredentialCommand.self, OperatorCommand.self,
            CustomerCommand.self, OrderCommand.self,
            InvoiceCommand.self, MemoCommand.self, BillingCommand.self, StatementCommand.self, LedgerCommand.self, PaymentCommand.self, DisputeCommand.self, BankCommand.self, ReceiptsCommand.self, MatchCommand.self, UnappliedCommand.self, RemittanceCommand.self,
            RulesCommand.self,
            CreditCommand.self, AgingCommand.self, DunningCommand.self, WorklistCommand.self, ActivityCommand.self,
            PromiseCommand.self, ProvisionCommand.self, WriteOffCommand.self,
        ])

    static func main() async {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exitForArgumentParser(error)
        }
        do {
            var command = command
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch where isArgumentParserError(error) {
            exitForArgumentParser(error)
        } catch {
            reportError(error)
            exit(withError: ExitCode.failure)
        }
    }

    /// --help, usage errors, ExitCode: ArgumentParser prints them; usage errors exit 2 (not its
    /// EX_USAGE 64) so scripts can tell "wrong invocation" (2) from "the server said no" (1).
    static func exitForArgumentParser(_ error: any Error) -> Never {
        if exitCode(for: error) == .validationFailure {
            printError(fullMessage(for: error))
            Foundation.exit(2)
        }
        exit(withError: error)
    }
}

private func isArgumentParserError(_ error: any Error) -> Bool {
    error is ExitCode || error is CleanExit || error is ValidationError
        || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
}

/// A failure the CLI itself detects (bad file, missing context); printed as `error: <message>`.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { self.description = message }
}

/// Prints any error as people should see it: `error: CODE: message` plus details, never a dump.
func reportError(_ error: any Error) {
    switch error {
    case let status as RPCStatusError:
        printError("error: \(status.code.name): \(status.message)")
        for (key, value) in status.details.sorted(by: { $0.key < $1.key }) {
            printError("  \(key)=\(value)")
        }
    case let otc as OTCError:
        printError("error: \(otc.code): \(otc.message)")
        for (key, value) in otc.details.sorted(by: { $0.key < $1.key }) {
            printError("  \(key)=\(value)")
        }
    case let cli as CLIError:
        printError("error: \(cli.description)")
    default:
        printError("error: \(error)")
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
