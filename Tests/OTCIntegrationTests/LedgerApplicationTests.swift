import Foundation
import OTCClient
import OTCCore
import OTCProto
import OTCReceivables
import OTCStore
import SwiftProtobuf
import Testing

/// The subledger's Swift API as cash application and collections will use it, inside a tenant
/// transaction: cash, discount and money on account settle an invoice; applications reverse;
/// what would break the ledger is refused; the check stays clean throughout.
@Suite("AR subledger applications")
struct LedgerApplicationTests {
    static func context(_ tenant: String) -> CallContext {
        CallContext(requestID: UUID().uuidString, method: "test/ledger", principal: .operatorAccount(
                        login: "ledger-test", grants: [:], platformAdmin: true),
                    tenant: TenantSlug(tenant), deadline: .now + .seconds(30), logger: TestEnvironment.logger)
    }

    @Test func cashDiscountAndOnAccountSettleAnInvoiceAndReverse() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("apply", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-2"))
            let invoice: Otc_Billing_V1_Document = try await erp.call(
                Method.createInvoice, tenant: tenant, request: Fixtures.invoice("A", customer: "C-1", lines: [(1, 10_000, "STD")]))
            #expect(invoice.grossTotal == 12_000)
            let store = TenantStore(client: server.client)
            let ledger = Ledger()
            let eur = Currency("EUR")!
            let today = BusinessDate(utc: Date())

            let (cash, onAccount) = try await store.transaction(Self.context(tenant)) { tx in
                let item = try #require(try await ledger.item(documentID: UUID(uuidString: invoice.id)!, in: tx))
                let cash = try await ledger.apply(7_000, to: item.id, from: .account(.cash), on: today, reason: "bank 1", in: tx)
                try await ledger.apply(240, to: item.id, from: .account(.discount), on: today, reason: "2 % skonto", in: tx)
                // Money received without a reference waits on account, then settles the rest.
                let payment = try await ledger.post(
                    OpenItemDraft(kind: .paymentOnAccount, customerNumber: "C-1", currency: eur, amount: -6_000, documentID: UUID(),
                                  documentNumber: "RCPT-1", issueDate: today, dueDate: nil),
                    counter: [PostingLine(.cash, 6_000)], description: "receipt RCPT-1", in: tx)
                let onAccount = try await ledger.apply(4_760, to: item.id, from: .item(payment.id), on: today, reason: "from account", in: tx)
                let items = try await ledger.items(ids: [item.id, payment.id], lock: false, in: tx)
                #expect(items[item.id]?.openAmount == 0)
                #expect(items[payment.id]?.openAmount == -1_240)
                return (cash, onAccount)
            }
            try await expectLedgerClean(erp, tenant: tenant)

            // Reversing the cash reopens the invoice; a second reversal is refused.
            try await store.transaction(Self.context(tenant)) { tx in
                try await ledger.reverse(applicationID: cash.id, on: today, reason: "payment returned by the bank", in: tx)
                let item = try #require(try await ledger.item(documentID: UUID(uuidString: invoice.id)!, in: tx))
                #expect(item.openAmount == 7_000)
            }
            await #expect(throws: LedgerError.alreadyReversed("application \(cash.id)")) {
                try await store.transaction(Self.context(tenant)) { tx in
                    try await ledger.reverse(applicationID: cash.id, on: today, reason: "again", in: tx)
                }
            }
            _ = try await store.transaction(Self.context(tenant)) { tx in
                try await ledger.reverse(applicationID: onAccount.id, on: today, reason: "wrong invoice", in: tx)
            }
            let balances: Otc_Receivables_V1_GetBalancesResponse = try await erp.call(
                Method.balances, tenant: tenant, request: Otc_Receivables_V1_GetBalancesRequest.with { $0.customerNumber = "C-1" })
            // 12 000 − 240 discount still owed as 11 760 on the invoice, and 6 000 on account.
            #expect(balances.balances.first?.openAmount == Int64(5_760))
            try await expectLedgerClean(erp, tenant: tenant)

            // What would break the ledger is refused and leaves nothing behind.
            let postings = try await server.count("ar_postings", tenant: tenant)
            let other: Otc_Billing_V1_Document = try await erp.call(
                Method.createInvoice, tenant: tenant, request: Fixtures.invoice("B", customer: "C-2", lines: [(1, 1_000, "STD")]))
            await #expect(throws: LedgerError.self) {
                try await store.transaction(Self.context(tenant)) { tx in
                    let item = try #require(try await ledger.item(documentID: UUID(uuidString: invoice.id)!, in: tx))
                    try await ledger.apply(item.openAmount + 1, to: item.id, from: .account(.cash), on: today, reason: "too much", in: tx)
                }
            }
            await #expect(throws: LedgerError.self) {
                try await store.transaction(Self.context(tenant)) { tx in
                    let mine = try #require(try await ledger.item(documentID: UUID(uuidString: invoice.id)!, in: tx))
                    let theirs = try #require(try await ledger.item(documentID: UUID(uuidString: other.id)!, in: tx))
                    let payment = try await ledger.post(
                        OpenItemDraft(kind: .paymentOnAccount, customerNumber: "C-2", currency: eur, amount: -500, documentID: UUID(),
                                      documentNumber: "RCPT-2", issueDate: today, dueDate: nil),
                        counter: [PostingLine(.cash, 500)], description: "receipt RCPT-2", in: tx)
                    _ = theirs
                    // C-2's money cannot pay C-1's invoice.
                    try await ledger.apply(100, to: mine.id, from: .item(payment.id), on: today, reason: "wrong customer", in: tx)
                }
            }
            #expect(throws: LedgerError.self) {
                _ = try Posting(currency: eur, lines: [PostingLine(.cash, 100), PostingLine(.receivables, -99)], description: "off by one")
            }
            #expect(try await server.count("ar_postings", tenant: tenant) == postings + 1, "only invoice B posted")
            try await expectLedgerClean(erp, tenant: tenant)
        }
    }

    /// Cancellation needs an invoice settled by nothing but credit memos, and lines that still
    /// add up to what is open; each refusal says what to do instead.
    @Test func cancellationRefusalsSayWhatToDo() async throws {
        try await withServer { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("cxl", admin: admin)
            let erp = try await server.connect(.apiKey(key))
            let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            let paid: Otc_Billing_V1_Document = try await erp.call(
                Method.createInvoice, tenant: tenant, request: Fixtures.invoice("P", customer: "C-1", lines: [(1, 10_000, "STD")]))
            _ = try await TenantStore(client: server.client).transaction(Self.context(tenant)) { tx in
                let item = try #require(try await Ledger().item(documentID: UUID(uuidString: paid.id)!, in: tx))
                return try await Ledger().apply(1_000, to: item.id, from: .account(.cash), on: BusinessDate(utc: Date()), reason: "part", in: tx)
            }
            let settled = await expectStatus(.failedPrecondition) {
                let _: Otc_Billing_V1_Document = try await erp.call(Method.cancelInvoice, tenant: tenant, request: Otc_Billing_V1_CancelInvoiceRequest.with {
                    $0.invoiceNumber = paid.number
                    $0.reason = "wrong customer"
                })
            }
            #expect(settled?.details["reason"] == "PARTLY_SETTLED")

            let byAmount: Otc_Billing_V1_Document = try await erp.call(
                Method.createInvoice, tenant: tenant, request: Fixtures.invoice("A", customer: "C-1", lines: [(1, 10_000, "STD")]))
            let _: Otc_Billing_V1_Document = try await erp.call(Method.creditMemo, tenant: tenant, request: Otc_Billing_V1_CreateMemoRequest.with {
                $0.invoiceNumber = byAmount.number
                $0.reason = "rebate"
                $0.lines = [.with { $0.netAmount = 500; $0.taxCode = "STD" }]
            })
            let credited = await expectStatus(.failedPrecondition) {
                let _: Otc_Billing_V1_Document = try await erp.call(Method.cancelInvoice, tenant: tenant, request: Otc_Billing_V1_CancelInvoiceRequest.with {
                    $0.invoiceNumber = byAmount.number
                    $0.reason = "wrong customer"
                })
            }
            #expect(credited?.details["reason"] == "CREDITED_BY_AMOUNT")
            #expect(credited?.message.contains("114.00 EUR") == true)
            try await expectLedgerClean(erp, tenant: tenant)
        }
    }
}
