import ArgumentParser

@main
struct OTCD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "otcd",
        abstract: "The OTC platform server: otc/1 over TLS, tenants in PostgreSQL.",
        subcommands: [Serve.self, DevCert.self],
        defaultSubcommand: Serve.self)
}
