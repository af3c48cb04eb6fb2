import OTCCore
import OTCStore
import OTCProto
import Foundation
import SwiftProtobuf

/// Remittance advices in (messages, CSV or EDI 820) and out.
extension CashApplicationService {
    @Sendable func importAdvices(_ request: Otc_Cashapp_V1_ImportRemittanceAdvicesRequest, _ context: CallContext) async throws
        -> Otc_Cashapp_V1_ImportRemittanceAdvicesResponse
    {
        var advices = try request.advices.enumerated().map { try Self.advice($0.element, position: $0.offset + 1) }
        var errors: [BankFileError] = []
        var source = "api"
        if !request.content.isEmpty {
            let parsed = try Self.readAdviceFile(request.content, format: request.format, name: request.fileName)
            advices += parsed.advices
            errors = parsed.errors
            source = request.fileName.isEmpty ? "file" : request.fileName
        }
        guard !advices.isEmpty else {
            if errors.isEmpty { throw OTCError.invalidArgument("no advices: send advices or a file (content)") }
            throw OTCError.invalidArgument(
                "nothing in \(request.fileName.isEmpty ? "the file" : request.fileName) could be read: \(errors.prefix(3).map(\.description).joined(separator: "; "))")
        }
        let references = advices.map(\.reference)
        if let twice = Dictionary(grouping: references, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw OTCError.invalidArgument("advice \(twice) appears twice in one request")
        }
        return try await store.idempotentTransaction(context) { tx in
            let new = try await remittances.insert(advices, source: source, in: tx)
            try await tx.audit(action: "cashapp.advices", entityType: "remittance_advice", entityID: references.first ?? "", details: [
                "source": source, "advices": "\(advices.count)", "new": "\(new)", "errors": "\(errors.count)",
            ])
            var response = Otc_Cashapp_V1_ImportRemittanceAdvicesResponse()
            response.advicesNew = Int32(new)
            response.advicesExisting = Int32(advices.count - new)
            response.errors = errors.map { error in .with { $0.location = error.location; $0.message = error.message } }
            return response
        }
    }

    @Sendable func listAdvices(_ request: Otc_Cashapp_V1_ListRemittanceAdvicesRequest, _ context: CallContext) async throws
        -> Otc_Cashapp_V1_ListRemittanceAdvicesResponse
    {
        guard ["", "open", "used"].contains(request.status) else { throw OTCError.invalidArgument("status is open or used (or empty for all)") }
        let paging = try Paging(pageSize: request.page.pageSize, pageToken: request.page.pageToken, kind: "advices")
        let after = try paging.afterNumber()
        return try await store.transaction(context) { tx in
            let page = try await remittances.list(status: request.status.isEmpty ? nil : request.status, afterSeq: after, limit: paging.limit, in: tx)
            var response = Otc_Cashapp_V1_ListRemittanceAdvicesResponse()
            response.advices = page.map { listed in
                var message = Self.message(listed.advice)
                message.status = listed.receiptID == nil ? "open" : "used"
                message.receiptID = listed.receiptID?.uuidString.lowercased() ?? ""
                return message
            }
            response.nextPageToken = paging.nextToken(lastKey: page.last.map { "\($0.seq)" }, returned: page.count, kind: "advices")
            return response
        }
    }

    /// CSV or EDI 820 (recognised by its ISA header when not named).
    static func readAdviceFile(_ content: Data, format: String, name: String) throws -> ParsedRemittanceFile {
        guard let text = String(data: content, encoding: .utf8) ?? String(data: content, encoding: .isoLatin1) else {
            throw OTCError.invalidArgument("\(name.isEmpty ? "the file" : name) is not text in UTF-8 or Latin-1")
        }
        let head = text.drop { $0 == "\u{FEFF}" || $0.isWhitespace }
        switch format.lowercased() {
        case "csv": return RemittanceCSVParser.parse(text)
        case "edi820", "820", "x12": return EDI820Parser.parse(text)
        case "": return head.hasPrefix("ISA") ? EDI820Parser.parse(text) : RemittanceCSVParser.parse(text)
        default: throw OTCError.invalidArgument("advice format '\(format)' is unknown: csv or edi820")
        }
    }

    static func advice(_ message: Otc_Cashapp_V1_RemittanceAdvice, position: Int) throws -> RemittanceAdvice {
        let reference = message.reference.trimmingCharacters(in: .whitespaces)
        guard !reference.isEmpty else { throw OTCError.invalidArgument("advice \(position) has no reference") }
        guard !message.lines.isEmpty else { throw OTCError.invalidArgument("advice \(reference) has no lines") }
        var currency: Currency?
        if message.hasAmount, !message.amount.currency.isEmpty {
            guard let code = Currency(message.amount.currency) else {
                throw OTCError.invalidArgument("advice \(reference): currency '\(message.amount.currency)' is not an ISO 4217 code")
            }
            currency = code
        }
        var date: BusinessDate?
        if message.hasPaymentDate {
            guard let day = BusinessDate(year: Int(message.paymentDate.year), month: Int(message.paymentDate.month), day: Int(message.paymentDate.day)) else {
                throw OTCError.invalidArgument("advice \(reference): payment_date is not a date")
            }
            date = day
        }
        let lines = try message.lines.enumerated().map { index, line in
            guard !line.documentNumber.isEmpty else { throw OTCError.invalidArgument("advice \(reference) line \(index + 1) names no document") }
            guard line.paid >= 0, line.deduction >= 0, line.paid + line.deduction > 0 else {
                throw OTCError.invalidArgument("advice \(reference) line \(index + 1): paid and deduction are 0 or more, and not both 0")
            }
            return RemittanceAdvice.Line(documentNumber: line.documentNumber, paid: line.paid, deduction: line.deduction,
                                         deductionReason: line.deductionReason)
        }
        return RemittanceAdvice(reference: reference, customerNumber: message.customerNumber, payerName: message.payerName,
                                paymentReference: message.paymentReference, paymentDate: date, amount: message.amount.units,
                                currency: currency, lines: lines)
    }

    static func message(_ advice: RemittanceAdvice) -> Otc_Cashapp_V1_RemittanceAdvice {
        .with {
            $0.reference = advice.reference
            $0.customerNumber = advice.customerNumber
            $0.payerName = advice.payerName
            $0.paymentReference = advice.paymentReference
            if let day = advice.paymentDate { $0.paymentDate = day.message }
            $0.amount = .with { m in m.units = advice.total; m.currency = advice.currency?.code ?? "" }
            $0.lines = advice.lines.map { line in
                .with {
                    $0.documentNumber = line.documentNumber
                    $0.paid = line.paid
                    $0.deduction = line.deduction
                    $0.deductionReason = line.deductionReason
                }
            }
        }
    }
}
