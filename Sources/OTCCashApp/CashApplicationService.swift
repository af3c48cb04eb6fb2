public import OTCCore
public import OTCStore
public import OTCReceivables
import OTCProto
import Foundation
import SwiftProtobuf

/// `otc.cashapp.v1.CashApplicationService`: bank files in, receipts out (matching follows).
public struct CashApplicationService: RPCService {
    let store: TenantStore
    let receipts = ReceiptStore()
    let remittances = RemittanceStore()
    let application: CashApplication

    /// `observers` hear of every receipt applied (credit re-checks held orders, paid orders close).
    public init(store: TenantStore, observers: [any SettlementObserver] = []) {
        self.store = store
        self.application = CashApplication(observers: observers)
    }

    static let prefix = "/otc.cashapp.v1.CashApplicationService/"

    public func registerMethods(with table: inout MethodTable) {
        table.register(Self.prefix + "ImportBankFile", access: .tenant(scope: .paymentsWrite, role: .analyst), mutating: true, importFile)
        table.register(Self.prefix + "ListReceipts", access: .tenant(scope: .receivablesRead, role: .viewer), mutating: false, list)
        table.register(Self.prefix + "ApplyReceipt", access: .tenant(scope: .paymentsWrite, role: .analyst, erpAllowed: false), mutating: true,
                       applyReceipt)
        table.register(Self.prefix + "RunMatching", access: .tenant(scope: .paymentsWrite, role: .analyst, erpAllowed: false), mutating: true,
                       runMatching)
        table.register(Self.prefix + "ReverseApplication", access: .tenant(scope: .paymentsWrite, role: .analyst, erpAllowed: false),
                       mutating: true, reverseApplication)
        table.register(Self.prefix + "ListProposals", access: .tenant(scope: .receivablesRead, role: .viewer), mutating: false, listProposals)
        table.register(Self.prefix + "ListUnapplied", access: .tenant(scope: .receivablesRead, role: .viewer), mutating: false, listUnapplied)
        table.register(Self.prefix + "ImportRemittanceAdvices", access: .tenant(scope: .paymentsWrite, role: .analyst), mutating: true,
                       importAdvices)
        table.register(Self.prefix + "ListRemittanceAdvices", access: .tenant(scope: .receivablesRead, role: .viewer), mutating: false,
                       listAdvices)
    }

    @Sendable func importFile(_ request: Otc_Cashapp_V1_ImportBankFileRequest, _ context: CallContext) async throws
        -> Otc_Cashapp_V1_ImportBankFileResponse
    {
        // A large file comes in parts of one upload (see BankUploads): all but the last are kept,
        // the last assembles them and imports the whole file like a single call.
        let uploadID = request.uploadID, part = Int(request.part)
        if uploadID.isEmpty {
            guard !request.moreParts, part == 0 else {
                throw OTCError.invalidArgument("part and more_parts need an upload_id: the id every part of one file names")
            }
            guard !request.content.isEmpty else { throw OTCError.invalidArgument("the file is empty") }
        } else {
            try BankUploads.validate(uploadID: uploadID, part: part)
            guard !request.content.isEmpty || (!request.moreParts && part > 0) else {
                throw OTCError.invalidArgument("part \(part) of upload \(uploadID) is empty")
            }
        }
        var format: BankFileFormat?
        if !request.format.isEmpty {
            guard let named = BankFileFormat(rawValue: request.format.lowercased()) else {
                throw OTCError.invalidArgument("format '\(request.format)' is unknown: \(BankFileFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            format = named
        }
        var mapping: CSVMapping?
        if !request.csvMappingJson.isEmpty {
            do {
                mapping = try JSONDecoder().decode(CSVMapping.self, from: Data(request.csvMappingJson.utf8))
            } catch {
                throw OTCError.invalidArgument("csv_mapping_json is not a column mapping: \(error)")
            }
        }
        if request.moreParts {
            return try await store.idempotentTransaction(context) { tx in
                var response = Otc_Cashapp_V1_ImportBankFileResponse()
                response.partsReceived = UInt32(try await BankUploads().store(uploadID: uploadID, part: part, content: request.content, in: tx))
                return response
            }
        }
        func parse(_ content: Data) throws -> ParsedBankFile {
            let parsed = BankFileReader.read(content, format: format, csvMapping: mapping, name: request.fileName)
            guard !parsed.statements.isEmpty || parsed.errors.isEmpty else {
                throw OTCError.invalidArgument(
                    "nothing in \(request.fileName.isEmpty ? "the file" : request.fileName) could be read: \(parsed.errors.prefix(3).map(\.description).joined(separator: "; "))",
                    details: Dictionary(uniqueKeysWithValues: parsed.errors.prefix(20).enumerated().map { ("\($0.offset + 1):\($0.element.location)", $0.element.message) }))
            }
            return parsed
        }
        /// The import proper, the same for one call and for an assembled upload (`parts` > 0).
        func importWhole(_ content: Data, _ parsed: ParsedBankFile, parts: Int, in tx: TenantTransaction) async throws
            -> Otc_Cashapp_V1_ImportBankFileResponse
        {
            let digest = ReceiptStore.digest(content)
            var response = Otc_Cashapp_V1_ImportBankFileResponse()
            response.format = parsed.format.rawValue
            response.errors = parsed.errors.map { error in .with { $0.location = error.location; $0.message = error.message } }
            // A reply must fit in one frame: an assembled file's errors are listed up to a bound
            // (bank_files.errors keeps them all).
            if parts > 0, response.errors.count > 1_000 {
                let more = response.errors.count - 1_000
                response.errors = Array(response.errors.prefix(1_000)) + [.with {
                    $0.location = "file"; $0.message = "\(more) more errors not listed (all are kept with the imported file)"
                }]
            }
            if let (id, _, statements, new, existing) = try await receipts.file(sha256: digest, in: tx) {
                response.fileID = id.uuidString.lowercased()
                response.duplicateFile = true
                response.statements = Int32(statements)
                response.receiptsExisting = Int32(new + existing)
                return response
            }
            let (fileID, fresh) = try await receipts.insert(content: content, sha256: digest, name: request.fileName, parsed: parsed,
                                                            errors: parsed.errors, in: tx)
            response.fileID = fileID.uuidString.lowercased()
            response.statements = Int32(parsed.statements.count)
            response.receiptsNew = Int32(fresh.count)
            response.receiptsExisting = Int32(parsed.receipts.count - fresh.count)
            var credited: [String: Int64] = [:]
            for receipt in fresh where receipt.isCredit && !receipt.isReversal { credited[receipt.currency.code, default: 0] += receipt.amount }
            response.credited = credited.sorted { $0.key < $1.key }.map { code, units in .with { $0.currency = code; $0.units = units } }
            var details = [
                "file": request.fileName, "format": parsed.format.rawValue, "statements": "\(parsed.statements.count)",
                "receipts_new": "\(fresh.count)", "receipts_existing": "\(response.receiptsExisting)", "errors": "\(parsed.errors.count)",
            ]
            if parts > 0 { details["upload_id"] = uploadID; details["parts"] = "\(parts)"; details["bytes"] = "\(content.count)" }
            try await tx.audit(action: "cashapp.import", entityType: "bank_file", entityID: response.fileID, details: details)
            return response
        }
        guard !uploadID.isEmpty else {
            let parsed = try parse(request.content)
            return try await store.idempotentTransaction(context) { tx in try await importWhole(request.content, parsed, parts: 0, in: tx) }
        }
        // The last part: parts 0…part - 1 from the table, this one after them; the parts go with the import.
        return try await store.idempotentTransaction(context) { tx in
            var content = try await BankUploads().assemble(uploadID: uploadID, last: part, lastBytes: request.content.count, in: tx)
            content.append(request.content)
            let response = try await importWhole(content, try parse(content), parts: part + 1, in: tx)
            try await BankUploads().delete(uploadID: uploadID, in: tx)
            return response
        }
    }

    @Sendable func list(_ request: Otc_Cashapp_V1_ListReceiptsRequest, _ context: CallContext) async throws -> Otc_Cashapp_V1_ListReceiptsResponse {
        let paging = try Paging(pageSize: request.page.pageSize, pageToken: request.page.pageToken, kind: "receipts")
        let after = try paging.afterNumber()
        let fileID = request.fileID.isEmpty ? nil : try UUID.parse(request.fileID, what: "bank file")
        return try await store.transaction(context) { tx in
            let page = try await receipts.list(statuses: request.status.isEmpty ? nil : [request.status], fileID: fileID, afterSeq: after,
                                               limit: paging.limit, in: tx)
            var response = Otc_Cashapp_V1_ListReceiptsResponse()
            response.receipts = page.map { Self.message($0.0) }
            response.nextPageToken = paging.nextToken(lastKey: page.last.map { "\($0.1)" }, returned: page.count, kind: "receipts")
            return response
        }
    }

    @Sendable func runMatching(_ request: Otc_Cashapp_V1_RunMatchingRequest, _ context: CallContext) async throws
        -> Otc_Cashapp_V1_RunMatchingResponse
    {
        let limit = request.maxReceipts == 0 ? 500 : Int(min(request.maxReceipts, 5_000))
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let outcomes = try await application.run(limit: limit, rules: rules, in: tx)
            var response = Otc_Cashapp_V1_RunMatchingResponse()
            response.receipts = Int32(outcomes.count)
            response.applied = Int32(outcomes.filter(\.applied).count)
            response.exceptions = Int32(outcomes.count) - response.applied
            response.proposals = outcomes.map { outcome in
                .with {
                    $0.receiptID = outcome.record.id.uuidString.lowercased()
                    $0.receiptReference = outcome.record.receipt.reference
                    $0.status = outcome.applied ? "applied" : "proposed"
                    guard let proposal = outcome.proposal else { return }
                    $0.customerNumber = proposal.customerNumber ?? ""
                    $0.rule = proposal.rule
                    $0.evidence = proposal.evidence
                    $0.confidence = Int32(proposal.confidence)
                    $0.allocations = proposal.allocations.map { a in .with { $0.documentNumber = a.documentNumber; $0.amount = a.amount } }
                    var disputes = outcome.disputes.makeIterator()
                    $0.differences = proposal.differences.map { difference in
                        let described = CashApplication.describe(difference)
                        return .with {
                            $0.kind = described["kind"] ?? ""
                            $0.amount = Int64(described["amount"] ?? "") ?? 0
                            $0.reason = described["reason"] ?? ""
                            if $0.kind == "deduction", outcome.applied { $0.disputeNumber = disputes.next() ?? "" }
                        }
                    }
                }
            }
            return response
        }
    }

    @Sendable func applyReceipt(_ request: Otc_Cashapp_V1_ApplyReceiptRequest, _ context: CallContext) async throws -> Otc_Cashapp_V1_Receipt {
        let id = try UUID.parse(request.receiptID, what: "receipt")
        guard !request.customerNumber.isEmpty else { throw OTCError.invalidArgument("say which customer paid (customer_number)") }
        return try await store.idempotentTransaction(context) { tx in
            guard try await CustomerStore().find(request.customerNumber, in: tx) != nil else {
                throw OTCError.notFound("customer \(request.customerNumber) does not exist")
            }
            let record = try await application.applyManually(
                receiptID: id, customer: request.customerNumber, allocations: request.allocations.map { ($0.documentNumber, $0.amount) },
                note: request.note, rules: try await tx.currentRules(), in: tx)
            return Self.message(record)
        }
    }

    static func message(_ record: ReceiptRecord) -> Otc_Cashapp_V1_Receipt {
        let r = record.receipt
        return .with {
            $0.id = record.id.uuidString.lowercased()
            $0.statementID = record.statementID
            $0.reference = r.reference
            $0.account = record.account
            $0.amount = .with { m in m.units = r.amount; m.currency = r.currency.code }
            $0.isCredit = r.isCredit
            $0.isReversal = r.isReversal
            if let d = r.bookingDate { $0.bookingDate = d.message }
            if let d = r.valueDate { $0.valueDate = d.message }
            $0.payerName = r.payerName
            $0.payerAccount = r.payerAccount
            $0.endToEndID = r.endToEndID
            $0.structuredReferences = r.structuredReferences
            $0.remittanceText = r.remittanceText
            $0.bankReference = r.bankReference
            $0.charges = r.charges
            $0.status = record.status
            $0.fileID = record.fileID.uuidString.lowercased()
        }
    }
}
