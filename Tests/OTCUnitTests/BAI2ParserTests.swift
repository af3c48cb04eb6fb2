import Foundation
import OTCCashApp
import OTCCore
import Testing

/// BAI2: records and continuations, funds types, several records on a line, and the 49/98/99
/// control totals and record counts.
@Suite("BAI2 parser")
struct BAI2ParserTests {
    /// Two accounts. Account 1 (USD): 03 with opening 50,000.00 and closing 60,700.00; a 16 whose
    /// text (commas and "/") continues on an 88 without a "/" terminator; two 16 records on one
    /// line (funds types S and V); a debit. Account 2 (EUR): a reversal. The 49 of account 2 and
    /// the 98 share a line.
    /// Totals: account 1 = 5000000 + 6070000 + 1250000 + 300000 + 20000 + 500000 = 13140000 over
    /// 7 records (03, 16, 88, 16, 16, 16, 49); account 2 = 100000 + 75050 = 175050 over 3;
    /// group = 13315050, 2 accounts, 12 records; file = 13315050, 1 group, 14 records.
    static let file = """
        01,121000358,OTCPLATFORM,260302,0800,0302A,,,2/
        02,OTCPLATFORM,121000358,1,260301,2400,USD,2/
        03,4711000123,USD,010,5000000,,,015,6070000,,/
        16,175,1250000,0,BR-1001,CR-9001,ACH CREDIT ACME CORP, INV-1001/INV-1002
        88,PAID IN FULL, THANK YOU/
        16,115,300000,S,100000,150000,50000,BR-1002,,LOCKBOX DEPOSIT/16,195,20000,V,260303,1200,BR-1003,CR-9003,INCOMING WIRE GLOBEX
        16,475,500000,0,BR-1004,CHK-0042,CHECK PAID/
        49,13140000,7/
        03,4711000999,EUR,010,100000,,/
        16,399,75050,Z,BR-2001,,SEPA CREDIT REVERSAL RE 2026-0042/
        49,175050,3/98,13315050,2,12/
        99,13315050,1,14/
        """

    static let usd = Currency("USD")!
    static let eur = Currency("EUR")!
    static let asOf = BusinessDate(year: 2026, month: 3, day: 1)!

    @Test func readsAccountsTransactionsAndVerifiesTotals() throws {
        let parsed = BAI2Parser.parse(Self.file)
        #expect(parsed.format == .bai2)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        try #require(parsed.statements.count == 2)

        let first = parsed.statements[0]
        #expect(first.id == "121000358/0302A/260301/4711000123")
        #expect(first.account == "4711000123")
        #expect(first.currency == Self.usd)
        #expect(first.openingBalance == 5_000_000)
        #expect(first.closingBalance == 6_070_000)
        #expect(first.receipts == [
            BankReceipt(reference: "BR-1001", amount: 1_250_000, currency: Self.usd, isCredit: true, bookingDate: Self.asOf,
                        endToEndID: "CR-9001", remittanceText: "ACH CREDIT ACME CORP, INV-1001/INV-1002 PAID IN FULL, THANK YOU",
                        bankReference: "BR-1001"),
            BankReceipt(reference: "BR-1002", amount: 300_000, currency: Self.usd, isCredit: true, bookingDate: Self.asOf,
                        remittanceText: "LOCKBOX DEPOSIT", bankReference: "BR-1002"),
            BankReceipt(reference: "BR-1003", amount: 20_000, currency: Self.usd, isCredit: true, bookingDate: Self.asOf,
                        valueDate: BusinessDate(year: 2026, month: 3, day: 3), endToEndID: "CR-9003",
                        remittanceText: "INCOMING WIRE GLOBEX", bankReference: "BR-1003"),
            BankReceipt(reference: "BR-1004", amount: 500_000, currency: Self.usd, isCredit: false, bookingDate: Self.asOf,
                        endToEndID: "CHK-0042", remittanceText: "CHECK PAID", bankReference: "BR-1004"),
        ])
        // The receipts move the opening balance to the closing one.
        let net = first.receipts.reduce(Int64(0)) { $0 + ($1.isCredit ? $1.amount : -$1.amount) }
        #expect(first.openingBalance! + net == first.closingBalance!)

        let second = parsed.statements[1]
        #expect(second.id == "121000358/0302A/260301/4711000999")
        #expect(second.currency == Self.eur)
        #expect(second.openingBalance == 100_000)
        #expect(second.closingBalance == nil)
        #expect(second.receipts == [
            BankReceipt(reference: "BR-2001", amount: 75_050, currency: Self.eur, isCredit: true, isReversal: true, bookingDate: Self.asOf,
                        remittanceText: "SEPA CREDIT REVERSAL RE 2026-0042", bankReference: "BR-2001"),
        ])
    }

    @Test func wrongControlTotalAndRecordCountAreReportedAndReceiptsKept() {
        let broken = Self.file
            .replacingOccurrences(of: "49,13140000,7/", with: "49,13150000,7/")
            .replacingOccurrences(of: "99,13315050,1,14/", with: "99,13315050,1,15/")
        let parsed = BAI2Parser.parse(broken)
        #expect(parsed.errors.map(\.location) == ["line 8", "line 12"])
        #expect(parsed.errors.first?.message.contains("13150000") == true)
        #expect(parsed.errors.first?.message.contains("13140000") == true)
        #expect(parsed.errors.last?.message.contains("record count in the 99 record is 15") == true)
        #expect(parsed.receipts.count == 5)
        #expect(parsed.receipts == BAI2Parser.parse(Self.file).receipts)
    }

    @Test func wrongAccountCountAndGroupTotalAreReported() {
        let broken = Self.file.replacingOccurrences(of: "98,13315050,2,12/", with: "98,13315051,3,12/")
        let parsed = BAI2Parser.parse(broken)
        #expect(parsed.errors.map(\.location) == ["line 11", "line 11"])
        #expect(parsed.errors[0].message.contains("group control total"))
        #expect(parsed.errors[1].message.contains("number of accounts in the 98 record is 3 but there are 2"))
        #expect(parsed.receipts.count == 5)
    }

    @Test func aNonNumericAmountIsAnErrorAtItsLineAndTheOthersAreImported() throws {
        let file = """
            01,SENDER,RECEIVER,260302,0800,7,,,2/
            02,RECEIVER,SENDER,1,260301,,EUR,2/
            03,DE001,,010,0,,/
            16,165,12A00,0,BR-1,,BAD AMOUNT/
            16,165,5000,0,,,NO BANK REFERENCE/
            16,165,7000,0,BR-3,,GOOD/
            49,12000,5/
            98,12000,1,7/
            99,12000,1,9/
            """
        let parsed = BAI2Parser.parse(file)
        // The account's total is unknown once an amount is unreadable, so only that line is reported.
        #expect(parsed.errors == [BankFileError(location: "line 4", message: "amount '12A00' is not a number of minor units")])
        let statement = try #require(parsed.statements.first)
        #expect(statement.id == "SENDER/7/260301/DE001")
        #expect(statement.currency == Self.eur)  // from the group header
        #expect(statement.receipts.map(\.reference) == ["16-5", "BR-3"])
        #expect(statement.receipts.map(\.amount) == [5000, 7000])
        #expect(statement.receipts.map(\.remittanceText) == ["NO BANK REFERENCE", "GOOD"])
    }

    /// The specification's own continuation example: the 16 ends with "/" after the funds type
    /// fields, the references and the text come on 88 records.
    @Test func continuationCarriesReferencesAndText() throws {
        let file = """
            01,122099999,123456789,040621,0200,1,55,,2/
            02,031001234,122099999,1,040620,2359,,2/
            03,0975312468,,010,500000,,/
            16,115,10000000,S,5000000,4000000,1000000/
            88,AX13612,B096132,AMALGAMATED CORP. LOCKBOX
            88,DEPOSIT-MISC. RECEIVABLES
            16,890,,,,,detail reports will be delayed until 11:00 AM.
            49,10500000,6/
            98,10500000,1,8/
            99,10500000,1,10/
            """
        let parsed = BAI2Parser.parse(file)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        // 890 is non-monetary: no receipt.
        let receipt = try #require(parsed.receipts.first)
        #expect(parsed.receipts.count == 1)
        #expect(receipt.currency == Self.usd)  // BAI2's default
        #expect(receipt.bookingDate == BusinessDate(year: 2004, month: 6, day: 20))
        #expect(receipt.amount == 10_000_000)
        #expect(receipt.bankReference == "AX13612")
        #expect(receipt.endToEndID == "B096132")
        #expect(receipt.remittanceText == "AMALGAMATED CORP. LOCKBOX DEPOSIT-MISC. RECEIVABLES")
    }

    @Test func distributedAvailabilityAndSignedBalances() throws {
        let file = """
            01,S,R,260302,0800,9,,,2/
            02,R,S,1,260301,,,2/
            03,ACC-1,JPY,010,-25000,,,015,-5000,,/
            16,208,20000,D,2,0,15000,1,5000,FX-1,,TREASURY TRANSFER/
            49,-10000,3/
            98,-10000,1,5/
            99,-10000,1,7/
            """
        let parsed = BAI2Parser.parse(file)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        let statement = try #require(parsed.statements.first)
        #expect(statement.currency == Currency("JPY"))
        #expect(statement.openingBalance == -25_000)
        #expect(statement.closingBalance == -5_000)
        #expect(statement.receipts.map(\.amount) == [20_000])  // JPY has no minor digits: the digits are yen
        #expect(statement.receipts.first?.remittanceText == "TREASURY TRANSFER")
    }

    @Test func structuralProblemsAreReported() {
        let file = """
            01,S,R,260302,0800,9,,,2/
            02,R,S,1,261301,,USD,2/
            16,165,100,0,X,,OUTSIDE/
            03,A,,010,0,,/
            16,950,100,0,X,,CUSTOM CODE/
            16,165,100,Q,X,,BAD FUNDS TYPE/
            77,UNKNOWN/
            49,200,5/
            98,200,1,8/
            """
        let parsed = BAI2Parser.parse(file)
        #expect(parsed.errors.map(\.location) == ["line 2", "line 3", "line 5", "line 6", "line 7", "end of file"])
        #expect(parsed.errors.last?.message.contains("99") == true)
        #expect(parsed.receipts.isEmpty)
    }
}
