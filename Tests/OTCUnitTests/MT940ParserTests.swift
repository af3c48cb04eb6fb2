import Foundation
import OTCCashApp
import OTCCore
import Testing

/// MT940: statement lines with C, D, RC and RD marks, German structured `:86:`, statement-level
/// `:86:`, several statements per file and the balance check.
@Suite("MT940 parser")
struct MT940ParserTests {
    /// Statement 1: 12,500.00 + 1,250.00 − 150.50 − 300.00 (reversed credit) + 20.00 (reversed
    /// debit) = 13,319.50. Statement 2: 13,319.50 + 99.99 = 13,419.49.
    /// The structured :86: is wrapped mid-subfield; its ?21 is filled to 27 characters (cut
    /// mid-word) and continues in ?22.
    static let file = """
        :20:STARTUMS
        :25:DE89370400440532013000
        :28C:00042/001
        :60F:C260227EUR12500,00
        :61:2603020303CR1250,00NTRFINV-2026-000042-ACME-GMBH//BANKREF0001
        /OCMT/EUR1250,00/
        :86:166?00SEPA-GUTSCHRIFT?109310?20EREF+E2E-2026-0042?21SVWZ+Rech
        nung RE-2026-00004?222 und RE-2026-000043?30COBADEFFXXX?31DE021203000000
        00202051?32ACME GMBH?33NIEDERLASSUNG BERLIN
        :61:260303D150,50NCHGNONREF//CHG-0303
        :86:805?00ENTGELTABSCHLUSS?20Kontofuehrung Maerz
        :61:260304RC300,00NRTIRET-0042//BANKREF0003
        :86:Rueckbuchung Gutschrift vom 28.02., falsche IBAN, Globex SARL
        zweite Zeile
        :61:260304RD20,00NMSC//BANKREF0004
        :62F:C260304EUR13319,50
        :86:Kontoauszug 42 - Ende
        :64:C260304EUR13319,50
        -
        :20:STARTUMS
        :25:DE89370400440532013000
        :28C:00043/001
        :60F:C260304EUR13319,50
        :61:260305C99,99NTRFNONREF
        :86:Zahlung Rechnung 4712
        :62F:C260305EUR13419,49
        -
        """

    static let eur = Currency("EUR")!
    static func day(_ month: Int, _ day: Int, _ year: Int = 2026) -> BusinessDate { BusinessDate(year: year, month: month, day: day)! }

    @Test func readsStatementsLinesAndStructuredNarrative() throws {
        let parsed = MT940Parser.parse(Self.file)
        #expect(parsed.format == .mt940)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        try #require(parsed.statements.count == 2)

        let first = parsed.statements[0]
        #expect(first.id == "STARTUMS/00042/001")
        #expect(first.account == "DE89370400440532013000")
        #expect(first.currency == Self.eur)
        #expect(first.openingBalance == 1_250_000)
        #expect(first.closingBalance == 1_331_950)
        #expect(first.receipts == [
            BankReceipt(reference: "STARTUMS/00042/001/1", amount: 125_000, currency: Self.eur, isCredit: true,
                        bookingDate: Self.day(3, 3), valueDate: Self.day(3, 2), payerName: "ACME GMBH NIEDERLASSUNG BERLIN",
                        payerAccount: "DE02120300000000202051", endToEndID: "E2E-2026-0042",
                        structuredReferences: ["INV-2026-000042-ACME-GMBH"],
                        remittanceText: "Rechnung RE-2026-000042 und RE-2026-000043", bankReference: "BANKREF0001"),
            BankReceipt(reference: "STARTUMS/00042/001/2", amount: 15_050, currency: Self.eur, isCredit: false,
                        bookingDate: Self.day(3, 3), valueDate: Self.day(3, 3), remittanceText: "Kontofuehrung Maerz",
                        bankReference: "CHG-0303"),
            BankReceipt(reference: "STARTUMS/00042/001/3", amount: 30_000, currency: Self.eur, isCredit: false, isReversal: true,
                        bookingDate: Self.day(3, 4), valueDate: Self.day(3, 4), endToEndID: "RET-0042",
                        remittanceText: "Rueckbuchung Gutschrift vom 28.02., falsche IBAN, Globex SARL zweite Zeile",
                        bankReference: "BANKREF0003"),
            // A reversed debit is money in; the :86: after :62F: is the statement's, not this line's.
            BankReceipt(reference: "STARTUMS/00042/001/4", amount: 2_000, currency: Self.eur, isCredit: true, isReversal: true,
                        bookingDate: Self.day(3, 4), valueDate: Self.day(3, 4), bankReference: "BANKREF0004"),
        ])

        let second = parsed.statements[1]
        #expect(second.id == "STARTUMS/00043/001")
        #expect(second.openingBalance == 1_331_950)
        #expect(second.closingBalance == 1_341_949)
        #expect(second.receipts.map(\.reference) == ["STARTUMS/00043/001/1"])
        #expect(second.receipts.first?.amount == 9_999)
        #expect(second.receipts.first?.endToEndID == "")
        #expect(second.receipts.first?.remittanceText == "Zahlung Rechnung 4712")
    }

    @Test func aBalanceThatDoesNotAddUpIsAnErrorAndTheLinesAreKept() {
        let broken = Self.file.replacingOccurrences(of: ":62F:C260305EUR13419,49", with: ":62F:C260305EUR13419,50")
        let parsed = MT940Parser.parse(broken)
        #expect(parsed.errors.count == 1)
        #expect(parsed.errors.first?.location == "line 26")
        #expect(parsed.errors.first?.message.contains("1341949") == true)
        #expect(parsed.errors.first?.message.contains("1341950") == true)
        #expect(parsed.receipts.count == 5)
        #expect(parsed.statements[1].closingBalance == 1_341_950)
    }

    @Test func aBadLineIsAnErrorAtItsLineAndTheOthersAreImported() {
        let file = """
            :20:REF1
            :25:NL91ABNA0417164300
            :28C:1/1
            :60F:D260301EUR100,00
            :61:260302C1O,00NTRFNONREF
            :86:bad amount
            :61:260302C50,00NTRFNONREF
            :62F:C260302EUR60,00
            """
        let parsed = MT940Parser.parse(file)
        // The balance cannot be checked with a line missing: only the line is reported.
        #expect(parsed.errors.map(\.location) == ["line 5"])
        #expect(parsed.statements.first?.openingBalance == -10_000)
        #expect(parsed.receipts.map(\.reference) == ["REF1/1/1/2"])
        #expect(parsed.receipts.first?.amount == 5_000)
    }

    @Test func entryDateAcrossNewYearAndSwiftEnvelope() throws {
        let file = """
            {1:F01BANKDEFFAXXX0000000000}{2:O9401200260101BANKDEFFAXXX00000000002601011200N}{4:
            :20:YEAREND
            :25:DE89370400440532013000
            :28C:1
            :60M:C251231EUR0,
            :61:2512310102C7,NTRFNONREF//X
            :62M:C260102EUR7,00
            -}
            """
        let parsed = MT940Parser.parse(file)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        let receipt = try #require(parsed.receipts.first)
        #expect(receipt.valueDate == Self.day(12, 31, 2025))
        #expect(receipt.bookingDate == Self.day(1, 2, 2026))
        #expect(receipt.amount == 700)
        #expect(parsed.statements.first?.id == "YEAREND/1")
    }

    @Test func missingBalancesAndOrphanFieldsAreReported() {
        let file = """
            :25:ORPHAN
            :20:NOBAL
            :25:DE89370400440532013000
            :61:260302C5,00NTRFNONREF
            """
        let parsed = MT940Parser.parse(file)
        #expect(parsed.errors.map(\.location) == ["line 1", "line 4"])
        #expect(parsed.statements.count == 1)
    }
}
