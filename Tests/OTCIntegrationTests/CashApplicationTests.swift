import Foundation
import OTCClient
import OTCCore
import OTCProto
import SwiftProtobuf
import Testing

/// Receipts matched and applied through the ledger: a payment naming its invoice, a short payment
/// that becomes a deduction dispute (accepted into a credit memo), an overpayment on account, an
/// unknown payer left as an exception; the ledger clean throughout.
@Suite("Cash application")
struct CashApplicationTests {
    static let prefix = "/otc.cashapp.v1.CashApplicationService/"

    @Test func receiptsAreMatchedAppliedOrLeftAsExceptions() async throws {
        try await withServer { server in
            let desk = try await CollectionsTests.desk(server, "cash_app", customers: ["C-1", "C-2"])
            // The deduction in this test is proposed at 70 %: post from 70 on.
            _ = try await publishRules(#"{"cash_application": {"auto_apply_confidence": 70}}"#, tenant: desk.tenant, on: desk.lead)
            let a = try await CollectionsTests.invoice(desk, "CA-1", customer: "C-1", issuedDaysAgo: 20, net: 100_000)  // 1 200.00
            let b = try await CollectionsTests.invoice(desk, "CA-2", customer: "C-1", issuedDaysAgo: 20, net: 50_000)   //   600.00
            let c = try await CollectionsTests.invoice(desk, "CA-3", customer: "C-2", issuedDaysAgo: 20, net: 30_000)   //   360.00
            let file = """
                :20:STMT
                :25:DE89370400440532013000
                :28C:00100/001
                :60F:C261125EUR1000,00
                :61:2611260126C1200,00NTRFNONREF//B1
                :86:166?00GUTSCHRIFT?20Rechnung \(a.number)?31DE02120300000000202051?32CUSTOMER C-1
                :61:2611260126C500,00NTRFNONREF//B2
                :86:166?00GUTSCHRIFT?20\(b.number) minus Mangel?32CUSTOMER C-1
                :61:2611260126C400,00NTRFNONREF//B3
                :86:166?00GUTSCHRIFT?20\(c.number)?32CUSTOMER C-2
                :61:2611260126C77,00NTRFNONREF//B4
                :86:166?00GUTSCHRIFT?20Danke?32NOBODY WE KNOW
                :62F:C261126EUR3177,00
                -
                """
            let imported: Otc_Cashapp_V1_ImportBankFileResponse = try await desk.erp.call(Self.prefix + "ImportBankFile", tenant: desk.tenant,
                request: Otc_Cashapp_V1_ImportBankFileRequest.with { $0.content = Data(file.utf8); $0.fileName = "mt940.sta" })
            #expect(imported.receiptsNew == 4 && imported.errors.isEmpty, "\(imported.errors)")
            await expectStatus(.permissionDenied) {
                let _: Otc_Cashapp_V1_RunMatchingResponse = try await desk.erp.call(Self.prefix + "RunMatching", tenant: desk.tenant,
                                                                                   request: Otc_Cashapp_V1_RunMatchingRequest())
            }
            let run: Otc_Cashapp_V1_RunMatchingResponse = try await desk.analyst.call(Self.prefix + "RunMatching", tenant: desk.tenant,
                                                                                     request: Otc_Cashapp_V1_RunMatchingRequest())
            #expect(run.receipts == 4 && run.applied == 3 && run.exceptions == 1)
            let byRef = Dictionary(uniqueKeysWithValues: run.proposals.map { ($0.receiptReference, $0) })
            let exact = try #require(byRef.values.first { $0.allocations.first?.documentNumber == a.number })
            #expect(exact.rule == "references_in_text" && exact.confidence == 95 && exact.evidence.first?.contains(a.number) == true)
            let short = try #require(byRef.values.first { $0.allocations.first?.documentNumber == b.number })
            #expect(short.differences.first?.kind == "deduction" && short.differences.first?.amount == 10_000)
            let disputeNumber = try #require(short.differences.first?.disputeNumber)
            #expect(disputeNumber.hasPrefix("DSP-"))
            let over = try #require(byRef.values.first { $0.allocations.first?.documentNumber == c.number })
            #expect(over.differences.first?.kind == "on_account" && over.differences.first?.amount == 4_000)
            #expect(run.proposals.filter { $0.status == "proposed" }.count == 1)
            #expect(try await server.count("tasks", tenant: desk.tenant, where: "kind = 'cash_exception' AND status = 'open'") == 1)
            #expect(try await server.count("payer_accounts", tenant: desk.tenant, where: "customer_number = 'C-1'") == 1)
            try await expectLedgerClean(desk.erp, tenant: desk.tenant)

            // The exception is applied by hand: all of it on account of C-1, once.
            let exception = try #require(run.proposals.first { $0.status == "proposed" })
            await expectStatus(.invalidArgument) {
                let _: Otc_Cashapp_V1_Receipt = try await desk.analyst.call(Self.prefix + "ApplyReceipt", tenant: desk.tenant, request: Otc_Cashapp_V1_ApplyReceiptRequest.with {
                    $0.receiptID = exception.receiptID; $0.customerNumber = "C-1"
                    $0.allocations = [.with { $0.documentNumber = b.number; $0.amount = 7_701 }]
                })
            }
            let manual: Otc_Cashapp_V1_Receipt = try await desk.analyst.call(Self.prefix + "ApplyReceipt", tenant: desk.tenant, request: Otc_Cashapp_V1_ApplyReceiptRequest.with {
                $0.receiptID = exception.receiptID; $0.customerNumber = "C-1"; $0.note = "customer called: prepayment"
            })
            #expect(manual.status == "applied")
            #expect(try await server.count("tasks", tenant: desk.tenant, where: "kind = 'cash_exception' AND status = 'open'") == 0)
            await expectStatus(.failedPrecondition) {
                let _: Otc_Cashapp_V1_Receipt = try await desk.analyst.call(Self.prefix + "ApplyReceipt", tenant: desk.tenant, request: Otc_Cashapp_V1_ApplyReceiptRequest.with {
                    $0.receiptID = exception.receiptID; $0.customerNumber = "C-1"
                })
            }

            // A second run finds nothing left to do.
            let again: Otc_Cashapp_V1_RunMatchingResponse = try await desk.analyst.call(Self.prefix + "RunMatching", tenant: desk.tenant,
                                                                                       request: Otc_Cashapp_V1_RunMatchingRequest())
            #expect(again.receipts == 0)

            // The deduction is accepted: a credit memo settles the rest of the invoice.
            let accepted: Otc_Disputes_V1_Dispute = try await desk.analyst.call(DisputeTests.prefix + "ResolveDispute", tenant: desk.tenant,
                request: Otc_Disputes_V1_ResolveDisputeRequest.with { $0.id = disputeNumber; $0.accepted = true; $0.note = "defect confirmed" })
            #expect(accepted.status == "resolved_accepted" && accepted.source == "deduction" && accepted.creditMemos.count == 1)
            for number in [a.number, b.number, c.number] {
                let document: Otc_Billing_V1_Document = try await desk.erp.call(
                    Method.getDocument, tenant: desk.tenant, request: Otc_Billing_V1_GetDocumentRequest.with { $0.number = number })
                #expect(document.openAmount == 0, "\(number)")
            }
            let balances: Otc_Receivables_V1_GetBalancesResponse = try await desk.erp.call(
                Method.balances, tenant: desk.tenant, request: Otc_Receivables_V1_GetBalancesRequest.with { $0.customerNumber = "C-2" })
            #expect(balances.balances.first?.openAmount == -4_000)
            try await expectLedgerClean(desk.erp, tenant: desk.tenant)
        }
    }

    /// Remittance advices (one over the API, one as CSV) lead the match, with the link as
    /// evidence and a deduction from the advice becoming a dispute; a reversal opens the items
    /// again, withdraws the dispute, frees the advice and puts the receipt in the exception
    /// queue and unapplied cash, from where an analyst applies it again.
    @Test func advicesLeadTheMatchAndAnApplicationCanBeReversed() async throws {
        try await withServer { server in
            let desk = try await CollectionsTests.desk(server, "cash_adv", customers: ["C-1", "C-2"])
            let a = try await CollectionsTests.invoice(desk, "ADV-A", customer: "C-1", issuedDaysAgo: 20, net: 100_000)  // 1 200.00
            let b = try await CollectionsTests.invoice(desk, "ADV-B", customer: "C-1", issuedDaysAgo: 20, net: 50_000)   //   600.00
            let c = try await CollectionsTests.invoice(desk, "ADV-C", customer: "C-2", issuedDaysAgo: 20, net: 30_000)   //   360.00
            let advice = Otc_Cashapp_V1_ImportRemittanceAdvicesRequest.with {
                $0.advices = [.with {
                    $0.reference = "ADV-1"; $0.customerNumber = "C-1"; $0.paymentReference = "E2E-777"
                    $0.amount = .with { $0.units = 170_000; $0.currency = "EUR" }
                    $0.lines = [.with { $0.documentNumber = a.number; $0.paid = 120_000 },
                                .with { $0.documentNumber = b.number; $0.paid = 50_000; $0.deduction = 10_000; $0.deductionReason = "damaged goods" }]
                }]
            }
            let first: Otc_Cashapp_V1_ImportRemittanceAdvicesResponse = try await desk.erp.call(Self.prefix + "ImportRemittanceAdvices", tenant: desk.tenant, request: advice)
            #expect(first.advicesNew == 1)
            let again: Otc_Cashapp_V1_ImportRemittanceAdvicesResponse = try await desk.erp.call(Self.prefix + "ImportRemittanceAdvices", tenant: desk.tenant, request: advice)
            #expect(again.advicesNew == 0 && again.advicesExisting == 1)
            await expectStatus(.invalidArgument) {
                let _: Otc_Cashapp_V1_ImportRemittanceAdvicesResponse = try await desk.erp.call(Self.prefix + "ImportRemittanceAdvices", tenant: desk.tenant,
                    request: Otc_Cashapp_V1_ImportRemittanceAdvicesRequest.with { $0.advices = [.with { $0.reference = "ADV-X" }] })
            }
            let csv = """
                advice_ref,customer,payment_ref,currency,document,paid
                ADV-2,C-2,PAY-Z-42,EUR,\(c.number),360.00
                ADV-3,C-2,PAY-Z-43,EUR,,10.00
                """
            let file: Otc_Cashapp_V1_ImportRemittanceAdvicesResponse = try await desk.erp.call(Self.prefix + "ImportRemittanceAdvices", tenant: desk.tenant,
                request: Otc_Cashapp_V1_ImportRemittanceAdvicesRequest.with { $0.content = Data(csv.utf8); $0.fileName = "advices.csv" })
            #expect(file.advicesNew == 1 && file.errors.first?.location == "line 3", "\(file)")

            let statement = """
                :20:STMT-ADV
                :25:DE89370400440532013000
                :28C:00101/001
                :60F:C261125EUR0,00
                :61:2611260126C1700,00NTRFNONREF//R1
                :86:166?00GUTSCHRIFT?20E2E-777?32SOMEBODY ELSE
                :61:2611260126C360,00NTRFNONREF//R2
                :86:166?00GUTSCHRIFT?20PAY-Z-42?32ANOTHER PAYER
                :62F:C261126EUR2060,00
                -
                """
            let _: Otc_Cashapp_V1_ImportBankFileResponse = try await desk.erp.call(Self.prefix + "ImportBankFile", tenant: desk.tenant,
                request: Otc_Cashapp_V1_ImportBankFileRequest.with { $0.content = Data(statement.utf8) })
            let run: Otc_Cashapp_V1_RunMatchingResponse = try await desk.analyst.call(Self.prefix + "RunMatching", tenant: desk.tenant,
                                                                                     request: Otc_Cashapp_V1_RunMatchingRequest())
            #expect(run.applied == 2, "\(run.proposals)")
            let big = try #require(run.proposals.first { $0.allocations.count == 2 })
            #expect(big.rule == "remittance_advice" && big.evidence.first?.contains("ADV-1") == true, "\(big.evidence)")
            #expect(big.differences.first?.kind == "deduction" && big.differences.first?.reason == "damaged goods")
            let disputeNumber = try #require(big.differences.first?.disputeNumber)
            let used: Otc_Cashapp_V1_ListRemittanceAdvicesResponse = try await desk.analyst.call(Self.prefix + "ListRemittanceAdvices", tenant: desk.tenant,
                request: Otc_Cashapp_V1_ListRemittanceAdvicesRequest.with { $0.status = "used" })
            #expect(Set(used.advices.map(\.reference)) == ["ADV-1", "ADV-2"])
            try await expectLedgerClean(desk.erp, tenant: desk.tenant)

            // Reversed: the reason is required, and only an analyst may.
            await expectStatus(.invalidArgument) {
                let _: Otc_Cashapp_V1_Receipt = try await desk.analyst.call(Self.prefix + "ReverseApplication", tenant: desk.tenant,
                    request: Otc_Cashapp_V1_ReverseApplicationRequest.with { $0.receiptID = big.receiptID })
            }
            await expectStatus(.permissionDenied) {
                let _: Otc_Cashapp_V1_Receipt = try await desk.erp.call(Self.prefix + "ReverseApplication", tenant: desk.tenant,
                    request: Otc_Cashapp_V1_ReverseApplicationRequest.with { $0.receiptID = big.receiptID; $0.reason = "wrong" })
            }
            let reversed: Otc_Cashapp_V1_Receipt = try await desk.analyst.call(Self.prefix + "ReverseApplication", tenant: desk.tenant,
                request: Otc_Cashapp_V1_ReverseApplicationRequest.with { $0.receiptID = big.receiptID; $0.reason = "bank says the payer was another client" })
            #expect(reversed.status == "exception")
            for (number, open) in [(a.number, Int64(120_000)), (b.number, 60_000)] {
                let document: Otc_Billing_V1_Document = try await desk.erp.call(
                    Method.getDocument, tenant: desk.tenant, request: Otc_Billing_V1_GetDocumentRequest.with { $0.number = number })
                #expect(document.openAmount == open, "\(number)")
            }
            let dispute: Otc_Disputes_V1_Dispute = try await desk.analyst.call(DisputeTests.prefix + "GetDispute", tenant: desk.tenant,
                request: Otc_Disputes_V1_GetDisputeRequest.with { $0.id = disputeNumber })
            #expect(dispute.status == "resolved_rejected")
            let open: Otc_Cashapp_V1_ListRemittanceAdvicesResponse = try await desk.analyst.call(Self.prefix + "ListRemittanceAdvices", tenant: desk.tenant,
                request: Otc_Cashapp_V1_ListRemittanceAdvicesRequest.with { $0.status = "open" })
            #expect(open.advices.map(\.reference) == ["ADV-1"])
            let balances: Otc_Receivables_V1_GetBalancesResponse = try await desk.erp.call(
                Method.balances, tenant: desk.tenant, request: Otc_Receivables_V1_GetBalancesRequest.with { $0.customerNumber = "C-1" })
            #expect(balances.balances.first?.openAmount == 180_000)
            try await expectLedgerClean(desk.erp, tenant: desk.tenant)
            await expectStatus(.failedPrecondition) {
                let _: Otc_Cashapp_V1_Receipt = try await desk.analyst.call(Self.prefix + "ReverseApplication", tenant: desk.tenant,
                    request: Otc_Cashapp_V1_ReverseApplicationRequest.with { $0.receiptID = big.receiptID; $0.reason = "twice" })
            }

            // It waits in the exception queue and in unapplied cash, with its task's SLA.
            let queue: Otc_Cashapp_V1_ListProposalsResponse = try await desk.analyst.call(Self.prefix + "ListProposals", tenant: desk.tenant,
                                                                                          request: Otc_Cashapp_V1_ListProposalsRequest())
            let entry = try #require(queue.exceptions.first { $0.receipt.id == big.receiptID })
            #expect(!entry.taskDueAt.isEmpty)
            let unapplied: Otc_Cashapp_V1_ListUnappliedResponse = try await desk.analyst.call(Self.prefix + "ListUnapplied", tenant: desk.tenant,
                                                                                              request: Otc_Cashapp_V1_ListUnappliedRequest())
            #expect(unapplied.receipts.map(\.receipt.id) == [big.receiptID] && unapplied.totals.first?.units == 170_000)
            #expect(unapplied.onAccount.isEmpty)

            // Applied again by hand: a new payment item, the rest on account.
            let manual: Otc_Cashapp_V1_Receipt = try await desk.analyst.call(Self.prefix + "ApplyReceipt", tenant: desk.tenant, request: Otc_Cashapp_V1_ApplyReceiptRequest.with {
                $0.receiptID = big.receiptID; $0.customerNumber = "C-1"
                $0.allocations = [.with { $0.documentNumber = a.number; $0.amount = 120_000 }]
            })
            #expect(manual.status == "applied")
            let after: Otc_Cashapp_V1_ListUnappliedResponse = try await desk.analyst.call(Self.prefix + "ListUnapplied", tenant: desk.tenant,
                                                                                          request: Otc_Cashapp_V1_ListUnappliedRequest())
            #expect(after.receipts.isEmpty && after.onAccount.first?.amount.units == 50_000)
            #expect(try await server.count("tasks", tenant: desk.tenant, where: "kind = 'cash_exception' AND status = 'open'") == 0)
            try await expectLedgerClean(desk.erp, tenant: desk.tenant)
        }
    }

    /// A receipt that cannot post (here: its deduction would dispute more than is open, because a
    /// dispute already covers the invoice) waits as an exception with the reason; the same run
    /// applies the next receipt, and the ledger stays clean.
    @Test func aReceiptThatCannotPostBecomesAnExceptionAndTheRunGoesOn() async throws {
        try await withServer { server in
            let desk = try await CollectionsTests.desk(server, "cash_fail", customers: ["C-1"])
            _ = try await publishRules(#"{"cash_application": {"auto_apply_confidence": 70}}"#, tenant: desk.tenant, on: desk.lead)
            let a = try await CollectionsTests.invoice(desk, "FAIL-A", customer: "C-1", issuedDaysAgo: 20, net: 100_000)  // 1 200.00
            let b = try await CollectionsTests.invoice(desk, "FAIL-B", customer: "C-1", issuedDaysAgo: 20, net: 50_000)   //   600.00
            let _: Otc_Disputes_V1_Dispute = try await desk.erp.call(DisputeTests.prefix + "OpenDispute", tenant: desk.tenant,
                request: Otc_Disputes_V1_OpenDisputeRequest.with {
                    $0.customerNumber = "C-1"; $0.reasonCode = "PRICE"; $0.description_p = "all of it"
                    $0.items = [.with { $0.documentNumber = a.number; $0.amount = 120_000 }]
                })
            let file = """
                :20:STMT-FAIL
                :25:DE89370400440532013000
                :28C:00102/001
                :60F:C261125EUR0,00
                :61:2611260126C500,00NTRFNONREF//F1
                :86:166?00GUTSCHRIFT?20\(a.number) minus Mangel
                :61:2611260126C600,00NTRFNONREF//F2
                :86:166?00GUTSCHRIFT?20\(b.number)
                :62F:C261126EUR1100,00
                -
                """
            let _: Otc_Cashapp_V1_ImportBankFileResponse = try await desk.erp.call(Self.prefix + "ImportBankFile", tenant: desk.tenant,
                request: Otc_Cashapp_V1_ImportBankFileRequest.with { $0.content = Data(file.utf8) })
            let run: Otc_Cashapp_V1_RunMatchingResponse = try await desk.analyst.call(Self.prefix + "RunMatching", tenant: desk.tenant,
                                                                                     request: Otc_Cashapp_V1_RunMatchingRequest())
            #expect(run.receipts == 2 && run.applied == 1 && run.exceptions == 1, "\(run.proposals)")
            let failed = try #require(run.proposals.first { $0.status == "proposed" })
            #expect(failed.evidence.last?.hasPrefix("could not post:") == true && failed.allocations.first?.documentNumber == a.number, "\(failed.evidence)")
            let queue: Otc_Cashapp_V1_ListProposalsResponse = try await desk.analyst.call(Self.prefix + "ListProposals", tenant: desk.tenant,
                request: Otc_Cashapp_V1_ListProposalsRequest.with { $0.receiptID = failed.receiptID })
            #expect(queue.exceptions.first?.suggestions.first?.evidence.last?.hasPrefix("could not post:") == true)
            let document: Otc_Billing_V1_Document = try await desk.erp.call(
                Method.getDocument, tenant: desk.tenant, request: Otc_Billing_V1_GetDocumentRequest.with { $0.number = a.number })
            #expect(document.openAmount == 120_000)
            try await expectLedgerClean(desk.erp, tenant: desk.tenant)
        }
    }
}
