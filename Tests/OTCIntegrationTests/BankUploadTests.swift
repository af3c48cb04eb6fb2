import Foundation
import OTCClient
import OTCCore
import OTCProto
import OTCStore
import PostgresNIO
import SwiftProtobuf
import Testing

/// Bank files above the frame limit, sent in parts of one upload: the parts are kept until the
/// last arrives, which imports the whole file exactly like one call (idempotent by content) and
/// drops the parts; a missing part is named; otcctl splits large files by itself.
@Suite("Bank files in parts")
struct BankUploadTests {
    static let importMethod = BankImportTests.importMethod

    /// An MT940 file of `receipts` credits in statements of 500 entries, each with a payer, an
    /// account and an invoice number in the narrative, balances that add up.
    static func mt940(receipts: Int, tag: String) -> String {
        func euros(_ cents: Int64) -> String { "\(cents / 100),\(cents % 100 < 10 ? "0" : "")\(cents % 100)" }
        func padded(_ n: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(n).count)) + String(n) }
        var text = ""
        var done = 0, statement = 0
        while done < receipts {
            statement += 1
            let count = min(500, receipts - done)
            var lines = ""
            var credits: Int64 = 0
            for i in 1...count {
                let k = done + i
                let cents = 1_000 + Int64((k * 7_919) % 499_000)
                credits += cents
                lines += ":61:2611260126C\(euros(cents))NTRF\(tag)-\(padded(k, 6))//BANK\(padded(k, 8))\n"
                lines += ":86:166?00GUTSCHRIFT?20INV-2026-\(padded(k % 50_000, 6))?21Kunde \(padded(k % 2_000, 5))"
                    + "?31DE\(padded(k % 2_000, 20))?32Customer \(k % 2_000) GmbH\n"
            }
            text += ":20:\(tag)\n:25:DE89370400440532013000\n:28C:\(padded(statement, 5))/001\n:60F:C261125EUR1000,00\n"
            text += lines + ":62F:C261126EUR\(euros(100_000 + credits))\n-\n"
            done += count
        }
        return text
    }

    /// The file's bytes in parts of `size`.
    static func split(_ data: Data, size: Int) -> [Data] {
        stride(from: 0, to: data.count, by: size).map { data.subdata(in: $0..<min(data.count, $0 + size)) }
    }

    static func part(_ content: Data, upload: String, _ part: Int, more: Bool, name: String = "large.sta") -> Otc_Cashapp_V1_ImportBankFileRequest {
        .with {
            $0.fileName = name
            $0.content = content
            $0.uploadID = upload
            $0.part = UInt32(part)
            $0.moreParts = more
        }
    }

    /// Sends every part (the last without more_parts) and returns the last reply; checks that the
    /// server counts the parts it holds.
    static func upload(_ parts: [Data], id: String, tenant: String, through connection: OTCConnection) async throws
        -> Otc_Cashapp_V1_ImportBankFileResponse
    {
        for (index, content) in parts.enumerated().dropLast() {
            let reply: Otc_Cashapp_V1_ImportBankFileResponse = try await connection.call(
                importMethod, tenant: tenant, request: part(content, upload: id, index, more: true),
                idempotencyKey: "\(id):\(index)")
            #expect(reply.partsReceived == index + 1 && reply.fileID.isEmpty)
        }
        return try await connection.call(importMethod, tenant: tenant, request: part(parts.last!, upload: id, parts.count - 1, more: false),
                                         timeout: .seconds(120), idempotencyKey: "\(id):\(parts.count - 1)")
    }

    @Test func aFileInPartsArrivesOnceAndAgainStoresNothing() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("bank_parts", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let data = Data(Self.mt940(receipts: 1_500, tag: "PARTS").utf8)
            let parts = Self.split(data, size: 48 * 1024)
            #expect(parts.count >= 5)

            // A part sent twice is kept once; the same part with other content is refused.
            let upload = UUID().uuidString.lowercased()
            for index in 0..<2 {
                let reply: Otc_Cashapp_V1_ImportBankFileResponse = try await erp.call(
                    Self.importMethod, tenant: tenant, request: Self.part(parts[index], upload: upload, index, more: true))
                #expect(reply.partsReceived == index + 1)
            }
            let again: Otc_Cashapp_V1_ImportBankFileResponse = try await erp.call(
                Self.importMethod, tenant: tenant, request: Self.part(parts[1], upload: upload, 1, more: true))
            #expect(again.partsReceived == 2)
            let changed = await expectStatus(.invalidArgument) {
                let _: Otc_Cashapp_V1_ImportBankFileResponse = try await erp.call(
                    Self.importMethod, tenant: tenant, request: Self.part(parts[2], upload: upload, 1, more: true))
            }
            #expect(changed?.message.contains("part 1 of upload \(upload) was received before with different content") == true,
                    "\(changed?.message ?? "")")
            #expect(try await server.count("bank_file_parts", tenant: tenant) == 2)
            for index in 2..<(parts.count - 1) {
                let reply: Otc_Cashapp_V1_ImportBankFileResponse = try await erp.call(
                    Self.importMethod, tenant: tenant, request: Self.part(parts[index], upload: upload, index, more: true))
                #expect(reply.partsReceived == index + 1)
            }
            #expect(try await server.count("receipts", tenant: tenant) == 0)
            let first: Otc_Cashapp_V1_ImportBankFileResponse = try await erp.call(
                Self.importMethod, tenant: tenant, request: Self.part(parts.last!, upload: upload, parts.count - 1, more: false),
                timeout: .seconds(120))
            let firstErrors = first.errors.prefix(3).map { "\($0.location): \($0.message)" }
            #expect(first.format == "mt940")
            #expect(first.statements == 3)
            #expect(first.errors.isEmpty, "\(firstErrors)")
            #expect(first.receiptsNew == 1_500 && first.receiptsExisting == 0 && !first.duplicateFile)
            let credited: Int64 = (1...1_500).reduce(0) { $0 + 1_000 + Int64(($1 * 7_919) % 499_000) }
            #expect(first.credited.map(\.units) == [credited])
            #expect(try await server.count("receipts", tenant: tenant) == 1_500)
            #expect(try await server.count("receipts", tenant: tenant, where: "status = 'unmatched' AND file_id = '\(first.fileID)'") == 1_500)
            // The file is kept whole, byte for byte, and the parts are gone with the import.
            #expect(try await server.count("bank_files", tenant: tenant, where: "octet_length(content) = \(data.count)") == 1)
            #expect(try await server.count("bank_file_parts", tenant: tenant) == 0)
            #expect(try await server.count("audit_log", tenant: tenant,
                                           where: "action = 'cashapp.import' AND details->>'upload_id' = '\(upload)' AND details->>'parts' = '\(parts.count)'") == 1)

            // The same file again, in other parts under another upload: nothing new.
            let second = try await Self.upload(Self.split(data, size: 200 * 1024), id: UUID().uuidString.lowercased(), tenant: tenant, through: erp)
            #expect(second.duplicateFile && second.fileID == first.fileID && second.receiptsNew == 0 && second.receiptsExisting == 1_500)
            #expect(try await server.count("receipts", tenant: tenant) == 1_500)
            #expect(try await server.count("bank_files", tenant: tenant) == 1)
            #expect(try await server.count("bank_file_parts", tenant: tenant) == 0)
        }
    }

    @Test func aMissingPartIsRefusedAndNamed() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("bank_gap", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let parts = Self.split(Data(Self.mt940(receipts: 1_000, tag: "GAP").utf8), size: 32 * 1024)
            #expect(parts.count >= 5)
            let upload = "gap-" + UUID().uuidString.lowercased()
            for index in 0..<(parts.count - 1) where index != 2 {
                let _: Otc_Cashapp_V1_ImportBankFileResponse = try await erp.call(
                    Self.importMethod, tenant: tenant, request: Self.part(parts[index], upload: upload, index, more: true))
            }
            let last = Self.part(parts.last!, upload: upload, parts.count - 1, more: false)
            let refused = await expectStatus(.failedPrecondition) {
                let _: Otc_Cashapp_V1_ImportBankFileResponse = try await erp.call(Self.importMethod, tenant: tenant, request: last)
            }
            #expect(refused?.message == "upload \(upload) is missing part(s) 2 of 0…\(parts.count - 2); send it (with more_parts), then the last part \(parts.count - 1) again",
                    "\(refused?.message ?? "")")
            #expect(try await server.count("receipts", tenant: tenant) == 0)
            #expect(try await server.count("bank_file_parts", tenant: tenant) == parts.count - 2)

            // Nobody else adds to this upload, not even an operator of the tenant.
            let foreign = await expectStatus(.failedPrecondition) {
                let _: Otc_Cashapp_V1_ImportBankFileResponse = try await admin.call(
                    Self.importMethod, tenant: tenant, request: Self.part(parts[2], upload: upload, 2, more: true))
            }
            #expect(foreign?.message.contains("was started by another client or operator") == true, "\(foreign?.message ?? "")")

            // Sending the missing part and then the last one again completes the upload.
            let _: Otc_Cashapp_V1_ImportBankFileResponse = try await erp.call(
                Self.importMethod, tenant: tenant, request: Self.part(parts[2], upload: upload, 2, more: true))
            let done: Otc_Cashapp_V1_ImportBankFileResponse = try await erp.call(Self.importMethod, tenant: tenant, request: last,
                                                                                 timeout: .seconds(120))
            #expect(done.receiptsNew == 1_000 && done.errors.isEmpty)
            #expect(try await server.count("bank_file_parts", tenant: tenant) == 0)

            // A last part whose upload the server does not hold (already imported): named as such.
            let gone = await expectStatus(.failedPrecondition) {
                let _: Otc_Cashapp_V1_ImportBankFileResponse = try await erp.call(Self.importMethod, tenant: tenant, request: last)
            }
            #expect(gone?.message.contains("holds no parts of upload \(upload)") == true, "\(gone?.message ?? "")")
            // Parts without an upload id make no sense.
            await expectStatus(.invalidArgument) {
                let _: Otc_Cashapp_V1_ImportBankFileResponse = try await erp.call(Self.importMethod, tenant: tenant, request: Self.part(parts[0], upload: "", 0, more: true))
            }
            await expectStatus(.invalidArgument) {
                let _: Otc_Cashapp_V1_ImportBankFileResponse = try await erp.call(Self.importMethod, tenant: tenant, request: Self.part(parts[0], upload: "a b", 0, more: true))
            }
        }
    }

    @Test func otcctlSendsALargeFileInPartsWithProgress() async throws {
        try await withServer { server in
            let dir = NSTemporaryDirectory() + "otcctl-upload-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let config = dir + "/config.json"
            let admin = try await server.admin()
            let (tenant, _) = try await server.onboard("bank_cli_parts", admin: admin)
            let (_, token) = try await server.control.bootstrapAdmin(login: "upl-" + UUID().uuidString.prefix(6).lowercased(), displayName: "Admin")
            let added = try await CLITests.otcctl(["context", "add", "admin", "--server", "127.0.0.1:\(server.port)", "--token", token,
                                                   "--ca-file", TestEnvironment.certificate.cert, "--tenant", tenant, "--use"], config: config)
            #expect(added.status == 0, "\(added.stderr)")
            // A small file in small parts (the hidden --part-bytes): the same path as 3 MiB parts of
            // a large file, without parsing tens of thousands of receipts in a debug build.
            let data = Data(Self.mt940(receipts: 2_000, tag: "CLI").utf8)
            let partBytes = 128 * 1024
            try #require(data.count > 2 * partBytes && data.count <= 3 * partBytes, "\(data.count) bytes")
            try data.write(to: URL(fileURLWithPath: dir + "/large.sta"))
            func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }

            let imported = try await CLITests.otcctl(["bank", "import", dir + "/large.sta", "--part-bytes", "\(partBytes)"], config: config)
            #expect(imported.status == 0, "\(imported.stdout)\(imported.stderr)")
            let progress = imported.stderr.split(separator: "\n").map(String.init)
            #expect(progress == ["uploading part 1/3 (\(mib(partBytes)) of \(mib(data.count)) MiB)…",
                                 "uploading part 2/3 (\(mib(2 * partBytes)) of \(mib(data.count)) MiB)…",
                                 "uploading part 3/3 (\(mib(data.count)) of \(mib(data.count)) MiB)…", "importing…"],
                    "\(imported.stderr)")
            #expect(imported.stdout.contains("mt940") && imported.stdout.contains("2000"), "\(imported.stdout)")
            #expect(try await server.count("receipts", tenant: tenant) == 2_000)
            #expect(try await server.count("bank_file_parts", tenant: tenant) == 0)

            let again = try await CLITests.otcctl(["bank", "import", dir + "/large.sta", "--part-bytes", "\(partBytes)"], config: config)
            #expect(again.status == 0 && again.stdout.contains("imported before"), "\(again.stdout)\(again.stderr)")
            #expect(try await server.count("receipts", tenant: tenant) == 2_000)
        }
    }
}
