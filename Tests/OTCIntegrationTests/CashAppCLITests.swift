import Foundation
import OTCCashApp
import OTCClient
import OTCCore
import OTCProto
import OTCStore
import SwiftProtobuf
import Testing

/// Issue 5's done-when with the real otcctl: a camt.053 with single and batch entries imported
/// twice (nothing new the second time), most receipts applied automatically with their evidence
/// shown, a short payment becoming a deduction dispute accepted into a credit memo, an
/// overpayment on account, the exception queue, a reversal, unapplied cash and a clean ledger.
@Suite("otcctl cash application")
struct CashAppCLITests {
    static func camt(_ entries: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
          <BkToCstmrStmt>
            <GrpHdr><MsgId>DONE-WHEN-1</MsgId><CreDtTm>2026-11-30T06:00:00+01:00</CreDtTm></GrpHdr>
            <Stmt>
              <Id>STMT-DW-2026-334</Id>
              <CreDtTm>2026-11-30T06:00:00+01:00</CreDtTm>
              <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
        \(entries)
            </Stmt>
          </BkToCstmrStmt>
        </Document>
        """
    }

    static func transaction(_ amount: String, payer: String, account: String, e2e: String, text: String = "", rf: String = "") -> String {
        """
                  <TxDtls>
                    <Refs><EndToEndId>\(e2e)</EndToEndId></Refs>
                    <Amt Ccy="EUR">\(amount)</Amt>
                    <CdtDbtInd>CRDT</CdtDbtInd>
                    <RltdPties>
                      <Dbtr><Pty><Nm>\(payer)</Nm></Pty></Dbtr>
                      <DbtrAcct><Id><IBAN>\(account)</IBAN></Id></DbtrAcct>
                    </RltdPties>
                    <RmtInf>\(text.isEmpty ? "" : "<Ustrd>\(text)</Ustrd>")\(rf.isEmpty ? "" : "<Strd><CdtrRefInf><Ref>\(rf)</Ref></CdtrRefInf></Strd>")</RmtInf>
                  </TxDtls>
        """
    }

    static func entry(_ reference: String, total: String, _ transactions: [String]) -> String {
        """
              <Ntry>
                <NtryRef>\(reference)</NtryRef>
                <Amt Ccy="EUR">\(total)</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Sts><Cd>BOOK</Cd></Sts>
                <BookgDt><Dt>2026-11-29</Dt></BookgDt>
                <ValDt><Dt>2026-11-29</Dt></ValDt>
                <AcctSvcrRef>\(reference)</AcctSvcrRef>
                <NtryDtls>\(transactions.count > 1 ? "<Btch><NbOfTxs>\(transactions.count)</NbOfTxs></Btch>" : "")
        \(transactions.joined(separator: "\n"))
                </NtryDtls>
              </Ntry>
        """
    }

    @Test func aCamtFileIsImportedTwiceMatchedWithEvidenceAndItsDeductionAccepted() async throws {
        try await withServer { server in
            let dir = NSTemporaryDirectory() + "otcctl-cash-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let config = dir + "/config.json"
            let desk = try await CollectionsTests.desk(server, "clicash", customers: ["C-1", "C-2"])
            // A clear reference with a shortfall (a deduction, 70 %) posts too in this client's rules.
            _ = try await publishRules(#"{"cash_application": {"auto_apply_confidence": 70}}"#, tenant: desk.tenant, on: desk.lead)
            let (_, token) = try await server.control.bootstrapAdmin(login: "cash-" + UUID().uuidString.prefix(6).lowercased(), displayName: "Admin")
            let added = try await CLITests.otcctl(["context", "add", "admin", "--server", "127.0.0.1:\(server.port)", "--token", token,
                                                   "--ca-file", TestEnvironment.certificate.cert, "--use"], config: config)
            #expect(added.status == 0, "\(added.stderr)")
            func run(_ args: String...) async throws -> CLITests.Run { try await CLITests.otcctl(args + ["--tenant", desk.tenant], config: config) }
            let a = try await CollectionsTests.invoice(desk, "DW-A", customer: "C-1", issuedDaysAgo: 20, net: 100_000)  // 1 200.00
            let b = try await CollectionsTests.invoice(desk, "DW-B", customer: "C-1", issuedDaysAgo: 15, net: 50_000)   //   600.00
            let c = try await CollectionsTests.invoice(desk, "DW-C", customer: "C-2", issuedDaysAgo: 10, net: 30_000)   //   360.00
            let d = try await CollectionsTests.invoice(desk, "DW-D", customer: "C-2", issuedDaysAgo: 10, net: 20_000)   //   240.00
            let rf = try #require(CreditorReference.make(d.number.filter { $0.isLetter || $0.isNumber }))
            let file = Self.camt([
                Self.entry("NTRY-1", total: "1200.00", [Self.transaction("1200.00", payer: "Alpha GmbH", account: "DE02120300000000202051", e2e: "E-1",
                                                                          text: "Invoice \(a.number)")]),
                Self.entry("NTRY-2", total: "500.00", [Self.transaction("500.00", payer: "Alpha GmbH", account: "DE02120300000000202051", e2e: "E-2",
                                                                         text: "\(b.number) less 100.00 damaged goods")]),
                Self.entry("NTRY-3", total: "727.00", [
                    Self.transaction("400.00", payer: "Beta Ltd", account: "GB33BUKB20201555555555", e2e: "E-3", text: "pay \(c.number)"),
                    Self.transaction("240.00", payer: "Beta Ltd", account: "GB33BUKB20201555555555", e2e: "E-4", rf: rf),
                    Self.transaction("87.00", payer: "Nobody We Know", account: "FR7630006000011234567890189", e2e: "E-5", text: "thanks"),
                ]),
            ].joined(separator: "\n"))
            try file.write(toFile: dir + "/camt053.xml", atomically: true, encoding: .utf8)

            let imported = try await run("bank", "import", dir + "/camt053.xml", "-o", "json")
            #expect(imported.status == 0, "\(imported.stderr)")
            let first = try Otc_Cashapp_V1_ImportBankFileResponse(jsonString: imported.stdout, options: CLITests.lenient)
            #expect(first.receiptsNew == 5 && first.format == "camt.053" && first.errors.isEmpty, "\(imported.stdout)")
            let again = try await run("bank", "import", dir + "/camt053.xml")
            #expect(again.status == 0 && again.stdout.contains("imported before"), "\(again.stdout)")
            #expect(try await server.count("receipts", tenant: desk.tenant) == 5)

            let matched = try await run("match", "run")
            #expect(matched.status == 0 && matched.stdout.contains("5 receipt(s): 4 applied, 1 exception(s)"), "\(matched.stdout)\(matched.stderr)")
            #expect(matched.stdout.contains("text names \(a.number)") && matched.stdout.contains("structured reference \(rf)"), "\(matched.stdout)")
            #expect(matched.stdout.contains("deduction 10000 DSP-") && matched.stdout.contains("on_account 4000"), "\(matched.stdout)")

            // The deduction dispute is accepted into a credit memo; B is settled.
            let disputes = try await run("dispute", "list", "-o", "json")
            let list = try Otc_Disputes_V1_ListDisputesResponse(jsonString: disputes.stdout, options: CLITests.lenient)
            let deduction = try #require(list.disputes.first { $0.source == "deduction" })
            let accepted = try await run("dispute", "resolve", deduction.number, "--accept", "--note", "damage confirmed")
            #expect(accepted.status == 0 && accepted.stdout.contains("CN-"), "\(accepted.stdout)\(accepted.stderr)")
            let document: Otc_Billing_V1_Document = try await desk.erp.call(
                Method.getDocument, tenant: desk.tenant, request: Otc_Billing_V1_GetDocumentRequest.with { $0.number = b.number })
            #expect(document.openAmount == 0)

            // The unknown payer waits in the exception queue and in unapplied cash.
            let queue = try await run("match", "proposals")
            #expect(queue.status == 0 && queue.stdout.contains("Nobody We Know"), "\(queue.stdout)\(queue.stderr)")
            let unapplied = try await run("unapplied")
            #expect(unapplied.stdout.contains("87.00") && unapplied.stdout.contains("C-2") && unapplied.stdout.contains("40.00"), "\(unapplied.stdout)")

            // A wrong application is reversed and applied again to the right customer.
            let receipts = try await run("receipts", "list", "--status", "applied", "-o", "json")
            let applied = try Otc_Cashapp_V1_ListReceiptsResponse(jsonString: receipts.stdout, options: CLITests.lenient)
            let toD = try #require(applied.receipts.first { $0.amount.units == 24_000 })
            let reversed = try await run("match", "reverse", toD.id, "--reason", "paid by mistake for another client")
            #expect(reversed.status == 0 && reversed.stdout.contains("exception"), "\(reversed.stdout)\(reversed.stderr)")
            let reapplied = try await run("match", "apply", toD.id, "--customer", "C-2", "--apply", "\(d.number):240.00")
            #expect(reapplied.status == 0, "\(reapplied.stderr)")

            let ledger = try await run("ledger", "check")
            #expect(ledger.status == 0 && ledger.stdout.contains("yes"), "\(ledger.stdout)\(ledger.stderr)")
        }
    }
}
