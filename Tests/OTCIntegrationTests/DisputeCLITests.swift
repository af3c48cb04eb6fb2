import Foundation
import OTCClient
import OTCCore
import OTCProto
import OTCStore
import SwiftProtobuf
import Testing

/// otcctl dispute (open on an invoice, list, move, accept into a credit memo, root causes) and
/// otcctl bank import / receipts.
@Suite("otcctl dispute and bank import")
struct DisputeCLITests {
    @Test func analystOpensWorksAndAcceptsADispute() async throws {
        try await withServer { server in
            let dir = NSTemporaryDirectory() + "otcctl-dispute-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let config = dir + "/config.json"
            let desk = try await CollectionsTests.desk(server, "clidsp", customers: ["C-1"])
            let (_, token) = try await server.control.bootstrapAdmin(login: "dsp-" + UUID().uuidString.prefix(6).lowercased(), displayName: "Admin")
            let added = try await CLITests.otcctl(["context", "add", "admin", "--server", "127.0.0.1:\(server.port)", "--token", token,
                                                   "--ca-file", TestEnvironment.certificate.cert, "--use"], config: config)
            #expect(added.status == 0, "\(added.stderr)")
            func run(_ args: String...) async throws -> CLITests.Run { try await CLITests.otcctl(args + ["--tenant", desk.tenant], config: config) }
            let invoice = try await CollectionsTests.invoice(desk, "CLI-D1", customer: "C-1", issuedDaysAgo: 10, net: 10_000)

            let opened = try await run("dispute", "open", "C-1", "--reason", "price", "--item", "\(invoice.number):24.00",
                                       "--description", "agreed 10 % less", "--attachment", "dms://4711=contract.pdf", "-o", "json")
            #expect(opened.status == 0, "\(opened.stderr)")
            let dispute = try Otc_Disputes_V1_Dispute(jsonString: opened.stdout, options: CLITests.lenient)
            #expect(dispute.disputedAmount == 2_400 && dispute.ownerTeam == "pricing")
            let listed = try await run("dispute", "list", "--status", "open")
            #expect(listed.stdout.contains(dispute.number) && listed.stdout.contains("24.00"), "\(listed.stdout)")
            #expect(try await run("dispute", "status", dispute.number, "in_review", "--note", "asked sales").status == 0)
            let bad = try await run("dispute", "status", dispute.number, "closed")
            #expect(bad.status == 1 && bad.stderr.contains("FAILED_PRECONDITION"), "\(bad.stderr)")
            #expect(try await run("dispute", "resolve", dispute.number, "--accept").status == 2)
            let accepted = try await run("dispute", "resolve", dispute.number, "--accept", "--amount", "12.00", "--note", "half agreed")
            #expect(accepted.status == 0, "\(accepted.stderr)")
            #expect(accepted.stdout.contains("resolved_accepted") && accepted.stdout.contains("CN-"), "\(accepted.stdout)")
            let shown = try await run("dispute", "show", dispute.number)
            #expect(shown.stdout.contains("asked sales") && shown.stdout.contains("contract.pdf (dms://4711)"), "\(shown.stdout)")
            let causes = try await run("dispute", "causes")
            #expect(causes.stdout.contains("PRICE"), "\(causes.stdout)")

            // A bank file: imported once, listed; a second import says it was seen before.
            try BankImportTests.camt053.write(toFile: dir + "/camt.xml", atomically: true, encoding: .utf8)
            let imported = try await run("bank", "import", dir + "/camt.xml")
            #expect(imported.status == 0 && imported.stdout.contains("camt.053"), "\(imported.stdout)\(imported.stderr)")
            let again = try await run("bank", "import", dir + "/camt.xml")
            #expect(again.stdout.contains("imported before"), "\(again.stdout)")
            let receipts = try await run("receipts", "--status", "unmatched")
            #expect(receipts.stdout.contains("BATCH-7781/2") && receipts.stdout.contains("1200.50"), "\(receipts.stdout)")
            // Nobody in this tenant owes these: every receipt waits as an exception.
            let matched = try await run("match", "run")
            #expect(matched.status == 0 && matched.stdout.contains("0 applied, 3 exception(s)"), "\(matched.stdout)\(matched.stderr)")
            // An analyst knows who paid the 99.99: all of it on account of C-1.
            let list = try await run("receipts", "--status", "exception", "-o", "json")
            let exceptions = try Otc_Cashapp_V1_ListReceiptsResponse(jsonString: list.stdout, options: CLITests.lenient)
            let hooli = try #require(exceptions.receipts.first { $0.amount.units == 9_999 })
            let applied = try await run("receipts", "apply", hooli.id, "--customer", "C-1", "--note", "Hooli pays for C-1")
            #expect(applied.status == 0 && applied.stdout.contains("applied to C-1"), "\(applied.stdout)\(applied.stderr)")
        }
    }
}
