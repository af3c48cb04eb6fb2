import Foundation
import OTCClient
import OTCProto
import SwiftProtobuf
import Testing

/// The real otcctl binary against a running server: what an admin and a shift analyst type.
@Suite("otcctl against a running server")
struct CLITests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs the otcctl built next to the test bundle with a private config file.
    static func otcctl(_ arguments: [String], config: String) async throws -> Run {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("otcctl")
        var environment = ProcessInfo.processInfo.environment
        environment["OTCCTL_CONFIG"] = config
        let (status, stdout, stderr) = try await runProcess(binary, arguments, environment: environment)
        return Run(status: status, stdout: stdout, stderr: stderr)
    }

    static var lenient: JSONDecodingOptions {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        return options
    }

    @Test func adminOnboardsTwoTenantsAndAnERPKeyWorksOnlyItsOwn() async throws {
        try await withServer { server in
            let dir = NSTemporaryDirectory() + "otcctl-test-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let config = dir + "/config.json"
            let pepper = dir + "/pepper"
            try Data(TestEnvironment.pepper).write(to: URL(fileURLWithPath: pepper))
            let endpoint = "127.0.0.1:\(server.port)"
            func run(_ args: String...) async throws -> Run { try await Self.otcctl(args, config: config) }

            let login = "cli-" + UUID().uuidString.prefix(6).lowercased()
            let boot = try await run("bootstrap", "--database-url", try TestEnvironment.databaseURL, "--pepper-file", pepper,
                               "--admin-login", login, "--server", endpoint, "--ca-file", TestEnvironment.certificate.cert,
                               "--context-name", "admin")
            #expect(boot.status == 0, "\(boot.stderr)")
            #expect(try await run("whoami").stdout.contains(login))

            var keys: [String: String] = [:]
            for prefix in ["cli_a", "cli_b"] {
                let slug = TestEnvironment.slug(prefix)
                let onboard = try await run("tenant", "onboard", slug, "--name", "CLI \(prefix)", "--currency", "EUR", "-o", "json")
                #expect(onboard.status == 0, "\(onboard.stderr)")
                let response = try Otc_Admin_V1_OnboardTenantResponse(jsonString: onboard.stdout, options: Self.lenient)
                keys[slug] = response.erpCredential.apiKey
                #expect(onboard.stderr.contains("shown once"))
            }
            let list = try await run("tenant", "list")
            #expect(list.status == 0)
            for slug in keys.keys { #expect(list.stdout.contains(slug)) }

            let (a, b) = (keys.keys.sorted()[0], keys.keys.sorted()[1])
            #expect(try await run("context", "add", "erp-a", "--server", endpoint, "--api-key", keys[a]!, "--ca-file",
                            TestEnvironment.certificate.cert, "--tenant", a, "--use").status == 0)
            #expect(try await run("customer", "upsert", "C-1", "--name", "Acme Retail", "--currency", "EUR").status == 0)
            let orderFile = dir + "/order.json"
            try #"{"orderRef":"SO-CLI-1","customerNumber":"C-1","currency":"EUR","lines":[{"lineNo":1,"sku":"A","quantity":"5","unitPrice":{"units":"1250","currency":"EUR"},"taxCode":"STD"}]}"#
                .write(toFile: orderFile, atomically: true, encoding: .utf8)
            let created = try await run("order", "create", orderFile, "-o", "json")
            #expect(created.status == 0, "\(created.stderr)")
            let order = try Otc_Orders_V1_Order(jsonString: created.stdout, options: Self.lenient)
            #expect(order.status == .released)
            let shipped = try await run("order", "ship", order.id, "--ref", "DN-1", "--line", "1:5")
            #expect(shipped.status == 0, "\(shipped.stderr)")
            let listed = try await run("order", "list")
            #expect(listed.stdout.contains("SO-CLI-1"))
            // Invoice on shipment (the default rule) bills the delivery at once.
            #expect(listed.stdout.contains("invoiced"))
            #expect(listed.stdout.contains("62.50 EUR"))

            // The same key naming the other tenant: refused, on stderr, with a non-zero exit.
            let denied = try await run("order", "list", "--tenant", b)
            #expect(denied.status != 0)
            #expect(denied.stderr.contains("PERMISSION_DENIED"))
            #expect(denied.stdout.isEmpty)

            // A CSV with one bad line imports the good ones and names the bad one.
            let csv = dir + "/customers.csv"
            try "number,name,currency,country,tax_id,email,blocked,payment_terms\nC-2,Globex,EUR,DE,,,false,NET30\nC-3,Bad,EURO,DE,,,false,NET30\nC-4,\"Initech, Inc.\",EUR,US,,,false,2/10NET30\n"
                .write(toFile: csv, atomically: true, encoding: .utf8)
            let imported = try await run("customer", "import", csv)
            #expect(imported.status != 0)
            #expect(imported.stderr.contains("C-3") || imported.stdout.contains("C-3"))
            let customers = try await run("customer", "list", "-o", "json")
            #expect(customers.stdout.contains("Initech, Inc."))
            #expect(!customers.stdout.contains("\"C-3\""))
            #expect(try await server.count("customers", tenant: a) == 3)
        }
    }
}
