import Foundation
import OTCClient
import OTCCore
import OTCProto
import PostgresNIO
import SwiftProtobuf
import Testing

/// Bank files into receipts: idempotent by file and by entry, raw file kept, bad lines reported
/// with the good ones imported.
@Suite("Bank file import")
struct BankImportTests {
    static let importMethod = "/otc.cashapp.v1.CashApplicationService/ImportBankFile"
    static let listMethod = "/otc.cashapp.v1.CashApplicationService/ListReceipts"

    static func mt940(_ lines: [String], number: String = "00042/001", closing: String) -> String {
        """
        :20:STARTUMS
        :25:DE89370400440532013000
        :28C:\(number)
        :60F:C261125EUR1000,00
        \(lines.joined(separator: "\n"))
        :62F:\(closing)
        -
        """
    }

    /// camt.053.001.04 with a batch entry of three transactions and a reversal: the parser's unit
    /// tests read the same file (`Tests/Fixtures`).
    static let camt053: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/camt.053.001.04-batch.xml")
        return try! String(contentsOf: url, encoding: .utf8)
    }()

    @Test func aCamtStatementWithABatchIsImportedOnce() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("bank_camt", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let request = Otc_Cashapp_V1_ImportBankFileRequest.with { $0.fileName = "camt.xml"; $0.content = Data(Self.camt053.utf8) }
            let first: Otc_Cashapp_V1_ImportBankFileResponse = try await erp.call(Self.importMethod, tenant: tenant, request: request)
            #expect(first.format == "camt.053" && first.receiptsNew == 4 && first.errors.isEmpty, "\(first.errors)")
            #expect(first.credited.map(\.units) == [160_049])
            let second: Otc_Cashapp_V1_ImportBankFileResponse = try await erp.call(Self.importMethod, tenant: tenant, request: request)
            #expect(second.duplicateFile && second.receiptsNew == 0)
            let listed: Otc_Cashapp_V1_ListReceiptsResponse = try await erp.call(Self.listMethod, tenant: tenant, request: Otc_Cashapp_V1_ListReceiptsRequest.with {
                $0.status = "unmatched"
            })
            #expect(listed.receipts.map(\.amount.units) == [30_000, 120_050, 9_999])
            #expect(listed.receipts.map(\.reference) == ["BATCH-7781/1", "BATCH-7781/2", "BATCH-7781/3"])
            #expect(listed.receipts[0].structuredReferences == ["RF18539007547034"])
            #expect(try await server.count("receipts", tenant: tenant, where: "is_reversal AND status = 'not_applicable'") == 1)
        }
    }

    @Test func aFileImportedTwiceCreatesNothingNewAndBadLinesAreReported() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("bank_imp", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            func upload(_ text: String, name: String = "stmt.sta") async throws -> Otc_Cashapp_V1_ImportBankFileResponse {
                try await erp.call(Self.importMethod, tenant: tenant, request: Otc_Cashapp_V1_ImportBankFileRequest.with {
                    $0.fileName = name; $0.content = Data(text.utf8)
                })
            }
            let entries = [
                ":61:2611260126C1250,00NTRFINV-2026-000042//BANKREF0001", ":86:166?00GUTSCHRIFT?20Rechnung INV-2026-000042?32ACME GMBH",
                ":61:2611270127D150,50NCHGNONREF//CHG-1", ":86:Kontofuehrung",
            ]
            let file = Self.mt940(entries, closing: "C261127EUR2099,50")
            let first = try await upload(file)
            #expect(first.format == "mt940" && first.statements == 1 && first.receiptsNew == 2 && first.errors.isEmpty)
            #expect(first.credited.map(\.units) == [125_000])
            let again = try await upload(file)
            #expect(again.duplicateFile && again.fileID == first.fileID && again.receiptsNew == 0)
            // Another file repeating one entry and bringing one more: only the new one is stored.
            let overlapping = Self.mt940(entries + [":61:2611280128C99,99NTRFNONREF//BANKREF0009", ":86:Zahlung 4712"],
                                         closing: "C261128EUR2199,49")
            let second = try await upload(overlapping, name: "stmt-2.sta")
            #expect(second.receiptsNew == 1 && second.receiptsExisting == 2 && !second.duplicateFile)
            let listed: Otc_Cashapp_V1_ListReceiptsResponse = try await erp.call(Self.listMethod, tenant: tenant, request: Otc_Cashapp_V1_ListReceiptsRequest())
            #expect(listed.receipts.count == 3)
            #expect(listed.receipts.map(\.status) == ["unmatched", "not_applicable", "unmatched"])
            #expect(listed.receipts.first?.payerName == "ACME GMBH")
            #expect(listed.receipts.first?.remittanceText.contains("INV-2026-000042") == true)
            #expect(try await server.count("bank_files", tenant: tenant, where: "length(content) > 100") == 2)

            // A bad line is reported where it is; the other entries still arrive.
            let broken = Self.mt940([":61:2611290129C12x,00NTRFNONREF//BANKREF0010", ":61:2611290129C10,00NTRFNONREF//BANKREF0011"],
                                    number: "00043/001", closing: "C261129EUR1010,00")
            let partial = try await upload(broken, name: "broken.sta")
            #expect(partial.receiptsNew == 1)
            #expect(partial.errors.first?.location == "line 5", "\(partial.errors)")
            // Nothing readable: refused, nothing stored.
            await expectStatus(.invalidArgument) { _ = try await upload("hello, bank", name: "notes.txt") }
            #expect(try await server.count("bank_files", tenant: tenant) == 3)
            // Bank files are kept as they came: the database refuses edits.
            await #expect(throws: (any Error).self) {
                try await server.asTenant(tenant) { conn in
                    try await conn.query("DELETE FROM bank_files", logger: TestEnvironment.logger)
                }
            }
        }
    }
}
