import Foundation
import OTCCashApp
import OTCCore
import Testing

/// camt.053/054 import: every field a receipt carries, across versions 02, 04 and 08, and the
/// broken files a bank or a transfer can produce (bad amounts, wrong totals, cut-off XML).
@Suite("camt.053/054 parser")
struct CamtParserTests {
    static let eur = Currency("EUR")!
    static let usd = Currency("USD")!
    static let chf = Currency("CHF")!

    static func parse(_ xml: String) -> ParsedBankFile { CamtParser.parse(Data(xml.utf8)) }

    static func day(_ text: String) -> BusinessDate { BusinessDate(text)! }

    // MARK: - Versions

    @Test func version02StatementReadsCreditTransferAndAccountFee() throws {
        let file = Self.parse(CamtFixtures.statement02)
        #expect(file.format == .camt053)
        #expect(file.errors == [])
        #expect(file.statements.count == 1)
        let statement = try #require(file.statements.first)
        #expect(statement.id == "STMT-2026-11-27-001")
        #expect(statement.account == "DE89370400440532013000")
        #expect(statement.currency == Self.eur)
        #expect(statement.openingBalance == 1_000_000)
        #expect(statement.closingBalance == 1_122_550)
        #expect(statement.receipts == [
            BankReceipt(reference: "2026112712345678", amount: 125_000, currency: Self.eur, isCredit: true, isReversal: false,
                        bookingDate: Self.day("2026-11-27"), valueDate: Self.day("2026-11-26"), payerName: "Globex SARL",
                        payerAccount: "FR7630006000011234567890189", endToEndID: "E2E-INV-2026-000123",
                        structuredReferences: ["RF18539007547034"], remittanceText: "INV-2026-000123 Order SO-77 & SO-78",
                        bankReference: "2026112712345678", charges: 0),
            BankReceipt(reference: "CHG-2026-11", amount: 2_450, currency: Self.eur, isCredit: false, isReversal: false,
                        bookingDate: Self.day("2026-11-27"), valueDate: Self.day("2026-11-27"),
                        remittanceText: "Account maintenance fee November 2026", bankReference: "NCHG+805"),
        ])
    }

    @Test func version04BatchBecomesOneReceiptPerTransactionAndReversalIsFlagged() throws {
        let file = Self.parse(CamtFixtures.statement04)
        #expect(file.errors == [])
        let statement = try #require(file.statements.first)
        #expect(statement.id == "STMT-NL-2026-331")
        #expect(statement.account == "NL91ABNA0417164300")
        #expect(statement.openingBalance == 500_000)
        #expect(statement.closingBalance == 615_049)
        // DtTm just after midnight in +01:00 is still that local day (the UTC day would be one earlier).
        let booked = Self.day("2026-11-27"), valued = Self.day("2026-11-28")
        #expect(statement.receipts == [
            BankReceipt(reference: "BATCH-7781/1", amount: 30_000, currency: Self.eur, bookingDate: booked, valueDate: valued,
                        payerName: "Initech BV", payerAccount: "NL02RABO0123456789", endToEndID: "E2E-A-100",
                        structuredReferences: ["RF18539007547034"], bankReference: "TX-7781-1"),
            BankReceipt(reference: "BATCH-7781/2", amount: 120_050, currency: Self.eur, bookingDate: booked, valueDate: valued,
                        payerName: "Umbrella Corp", payerAccount: "884422117", endToEndID: "",
                        structuredReferences: ["INV-2026-000200", "RF712348231"], bankReference: "BATCH-7781"),
            BankReceipt(reference: "BATCH-7781/3", amount: 9_999, currency: Self.eur, bookingDate: booked, valueDate: valued,
                        payerName: "Hooli GmbH", payerAccount: "DE44500105175407324931", endToEndID: "E2E-C-300",
                        remittanceText: "INV-2026-000201 less credit note CN-17", bankReference: "BATCH-7781"),
            BankReceipt(reference: "RVSL-0042", amount: 45_000, currency: Self.eur, isCredit: false, isReversal: true,
                        bookingDate: booked, valueDate: Self.day("2026-11-25"), payerName: "Initech BV",
                        payerAccount: "NL02RABO0123456789", endToEndID: "E2E-0042", remittanceText: "RETURN AC04 INV-2026-000042",
                        bankReference: "RV-99812"),
        ])
        // The batch is never split by its total: the transactions add up to the entry amount.
        #expect(statement.receipts.prefix(3).reduce(0) { $0 + $1.amount } == 160_049)
    }

    @Test func version08ReadsTwoStatementsLeavesPendingOutAndKeepsInfo() throws {
        let file = Self.parse(CamtFixtures.twoStatements08)
        #expect(file.errors == [])
        #expect(file.statements.map(\.id) == ["STMT-A-2026-11-27", "STMT-B-2026-11-27"])
        let a = file.statements[0], b = file.statements[1]
        #expect(a.account == "DE89370400440532013000")
        #expect(a.currency == Self.eur)
        #expect((a.openingBalance, a.closingBalance) == (100_000, 148_000))
        let day = Self.day("2026-11-27")
        #expect(a.receipts == [
            BankReceipt(reference: "A-1", amount: 50_000, currency: Self.eur, bookingDate: day, valueDate: day, payerName: "Globex SARL",
                        payerAccount: "FR7630006000011234567890189", endToEndID: "E2E-A1", remittanceText: "INV-2026-000300",
                        bankReference: "COBA-5500123"),
            BankReceipt(reference: "A-2", amount: 2_000, currency: Self.eur, isCredit: false, bookingDate: day, valueDate: day,
                        remittanceText: "Returned direct debit fee", bankReference: "FEE"),
        ])
        #expect(b.account == "ACC-778899")
        #expect(b.currency == Self.usd)
        #expect((b.openingBalance, b.closingBalance) == (200_000, 300_000))
        // Entry 2 is pending: left out, but it keeps its place in the numbering.
        #expect(b.receipts == [
            BankReceipt(reference: "NTRY-1", amount: 100_000, currency: Self.usd, bookingDate: day, valueDate: day, payerName: "Acme Inc.",
                        payerAccount: "026009593-1122", endToEndID: "PO-4711-PAY", structuredReferences: ["INV-2026-000301"]),
            BankReceipt(reference: "NTRY-3", amount: 500, currency: Self.usd, valueDate: Self.day("2026-11-28"),
                        remittanceText: "Interest adjustment advice"),
        ])
        #expect(file.receipts.count == 4)
    }

    @Test func summaryThatLeavesPendingEntriesOutAlsoMatches() {
        let xml = CamtFixtures.twoStatements08
            .replacingOnce("<TtlNtries><NbOfNtries>3</NbOfNtries><Sum>1080.00</Sum></TtlNtries>",
                           with: "<TtlNtries><NbOfNtries>2</NbOfNtries><Sum>1005.00</Sum></TtlNtries>")
            .replacingOnce("<TtlCdtNtries><NbOfNtries>3</NbOfNtries><Sum>1080.00</Sum></TtlCdtNtries>",
                           with: "<TtlCdtNtries><NbOfNtries>2</NbOfNtries><Sum>1005.00</Sum></TtlCdtNtries>")
        #expect(Self.parse(xml).errors == [])
    }

    @Test func wrongTotalsAndBalancesAreReportedAndEntriesStillReturned() {
        let file = Self.parse(CamtFixtures.twoStatements08WrongTotals)
        #expect(file.errors == [
            BankFileError(location: "Stmt[1]/TxsSummry/TtlNtries/NbOfNtries", message: "says 3 entries, the statement has 2"),
            BankFileError(location: "Stmt[1]/TxsSummry/TtlCdtNtries/Sum", message: "says 550.00 EUR, the entries add up to 500.00 EUR"),
            BankFileError(location: "Stmt[2]/Bal[2]", message: "closing balance 3100.00 USD differs from opening 2000.00 USD + booked "
                              + "credits 1000.00 USD − booked debits 0.00 USD = 3000.00 USD"),
        ])
        let good = Self.parse(CamtFixtures.twoStatements08)
        #expect(file.statements.map(\.receipts) == good.statements.map(\.receipts))
        #expect(file.statements[1].closingBalance == 310_000)
    }

    @Test func version08NotificationCarriesCharges() throws {
        let file = Self.parse(CamtFixtures.notification08)
        #expect(file.format == .camt054)
        #expect(file.errors == [])
        let notification = try #require(file.statements.first)
        #expect(notification.id == "NTF-2026-11-27-01")
        #expect(notification.account == "CH9300762011623852957")
        #expect(notification.currency == Self.chf)
        #expect(notification.openingBalance == nil && notification.closingBalance == nil)
        let day = Self.day("2026-11-27")
        #expect(notification.receipts == [
            BankReceipt(reference: "N-5521", amount: 98_000, currency: Self.chf, bookingDate: day, valueDate: day,
                        payerName: "Vandelay Industries AG", payerAccount: "12-345678-9", endToEndID: "",
                        structuredReferences: ["RF712348231"], bankReference: "TX-5521", charges: 250),
        ])
        // Without the total, the charge records add up to the same.
        let recordsOnly = CamtFixtures.notification08.replacingOnce("<TtlChrgsAndTaxAmt Ccy=\"CHF\">2.50</TtlChrgsAndTaxAmt>", with: "")
        #expect(Self.parse(recordsOnly).receipts.map(\.charges) == [250])
    }

    @Test func fileWithoutNamespaceIsRecognisedByItsRoot() {
        let xml = CamtFixtures.statement02.replacingOnce(" xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"", with: "")
        let file = Self.parse(xml)
        #expect(file.errors == [])
        #expect(file.format == .camt053)
        #expect(file.receipts.map(\.reference) == ["2026112712345678", "CHG-2026-11"])
    }

    // MARK: - Broken input

    @Test(arguments: [("12.345", "EUR"), ("abc", "EUR"), ("-5.00", "EUR"), ("1,50", "EUR"), ("", "EUR"),
                      ("10.00", "EURO"), ("10.00", "eur"), ("10", "")])
    func badAmountOrCurrencySkipsOnlyItsEntry(amount: String, currency: String) {
        let file = Self.parse(CamtFixtures.threeEntries(secondAmount: amount, secondCurrency: currency))
        #expect(file.errors.map(\.location) == ["Stmt[1]/Ntry[2]/Amt"])
        #expect(file.receipts.map(\.reference) == ["E-1", "E-3"])
        #expect(file.receipts.map(\.amount) == [10_000, 30_000])
    }

    @Test func badTransactionAmountSkipsOnlyThatTransactionOfTheBatch() {
        let file = Self.parse(CamtFixtures.batchWithBadTransaction)
        #expect(file.errors.map(\.location) == ["Stmt[1]/Ntry[1]/NtryDtls[1]/TxDtls[2]/Amt"])
        #expect(file.receipts.map(\.reference) == ["B-9/1", "B-9/3"])
        #expect(file.receipts.map(\.amount) == [1_000, 3_000])
        #expect(file.receipts.map(\.payerName) == ["First Payer", "Third Payer"])
        #expect(file.receipts.map(\.charges) == [35, 0])
    }

    @Test func batchWhoseTransactionsMissTheEntryTotalIsReported() {
        let file = Self.parse(CamtFixtures.batchWithBadTransaction.replacingOnce(">abc<", with: ">25.00<"))
        #expect(file.errors == [BankFileError(location: "Stmt[1]/Ntry[1]",
                                              message: "the 3 transactions add up to 65.00 EUR, the entry amount is 60.00 EUR")])
        #expect(file.receipts.map(\.amount) == [1_000, 2_500, 3_000])
    }

    @Test func batchWithATransactionWithoutAmountIsOneReceipt() {
        let file = Self.parse(CamtFixtures.batchWithBadTransaction.replacingOnce("<Amt Ccy=\"EUR\">abc</Amt>", with: ""))
        #expect(file.errors.map(\.location) == ["Stmt[1]/Ntry[1]/NtryDtls[1]/TxDtls[2]"])
        #expect(file.receipts.map(\.reference) == ["B-9"])
        #expect(file.receipts.map(\.amount) == [6_000])
        #expect(file.receipts.map(\.payerName) == [""])
        #expect(file.receipts.map(\.charges) == [35])
    }

    @Test func truncatedFileKeepsWhatWasCompleteAndSaysWhere() throws {
        let cut = try #require(CamtFixtures.twoStatements08.range(of: "<Sts><Cd>PDNG"))
        let xml = String(CamtFixtures.twoStatements08[..<cut.lowerBound])
        let file = Self.parse(xml)
        let error = try #require(file.errors.first)
        #expect(file.errors.count == 1)
        let lines = xml.split(separator: "\n", omittingEmptySubsequences: false).count
        #expect(error.location.hasPrefix("line \(lines), column "), "\(error)")
        #expect(error.message.hasPrefix("malformed XML"))
        #expect(file.statements.map(\.id) == ["STMT-A-2026-11-27", "STMT-B-2026-11-27"])
        #expect(file.statements[0].receipts.map(\.reference) == ["A-1", "A-2"])
        #expect(file.statements[1].receipts.map(\.reference) == ["NTRY-1"])
    }

    @Test func mismatchedTagIsReportedAtItsLine() throws {
        let broken = "<AddtlNtryInf>Account maintenance fee November 2026</AddtlNtryinf>"
        let xml = CamtFixtures.statement02.replacingOnce("<AddtlNtryInf>Account maintenance fee November 2026</AddtlNtryInf>", with: broken)
        let line = try #require(xml.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(broken) }) + 1
        let file = Self.parse(xml)
        #expect(file.errors.count == 1)
        #expect(file.errors.first?.location.hasPrefix("line \(line), column ") == true, "\(file.errors)")
        #expect(file.receipts.map(\.reference) == ["2026112712345678"])
    }

    static let unsupported = [
        "camt.052 report": CamtFixtures.accountReport052,
        "camt.053 version 99": CamtFixtures.statement02.replacingOnce("camt.053.001.02", with: "camt.053.001.99"),
        "pain.001 namespace": CamtFixtures.statement02.replacingOnce("camt.053.001.02", with: "pain.001.001.03"),
        "camt.054 namespace on a statement": CamtFixtures.statement02.replacingOnce("camt.053.001.02", with: "camt.054.001.02"),
        "UBL invoice": #"<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>1</ID></Invoice>"#,
    ]

    @Test(arguments: unsupported.keys.sorted())
    func unsupportedMessageIsOneErrorAndNoStatements(kind: String) throws {
        let file = Self.parse(try #require(Self.unsupported[kind]))
        #expect(file.errors.count == 1, "\(file.errors)")
        #expect(file.errors.first?.location == "Document")
        #expect(file.statements.isEmpty)
    }

    @Test func emptyOrNonXMLInputIsAnError() {
        for text in ["", "not xml at all"] {
            let file = Self.parse(text)
            #expect(file.errors.count == 1, "\(text): \(file.errors)")
            #expect(file.statements.isEmpty)
        }
    }
}
