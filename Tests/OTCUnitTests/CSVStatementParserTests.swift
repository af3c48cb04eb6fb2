import Foundation
import OTCCashApp
import OTCCore
import Testing

/// Bank CSV exports through a per-tenant column mapping: RFC 4180 quoting, decimal commas,
/// date layouts, credit/debit columns and per-line errors.
@Suite("CSV statement parser")
struct CSVStatementParserTests {
    static let eur = Currency("EUR")!
    static func day(_ month: Int, _ day: Int) -> BusinessDate { BusinessDate(year: 2026, month: month, day: day)! }

    /// A German online-banking export: ";" between fields, decimal comma with "." grouping,
    /// dd.MM.yyyy. Quoted fields hold a ";", doubled quotes and a line break (the record on
    /// line 3 ends on line 4); line 5 has a bad amount; line 6 repeats a bank reference and
    /// writes its date without leading zeros.
    static let export = """
        Buchungstag;Valuta;Auftraggeber;IBAN;Verwendungszweck;Betrag;Waehrung;Kundenreferenz;Buchungsreferenz
        02.03.2026;02.03.2026;ACME GmbH;DE02120300000000202051;"RE-2026-000042; RE-2026-000043";1.250,00;EUR;E2E-0042;BR-1
        03.03.2026;04.03.2026;"Globex ""Paris"" SARL";FR7630006000011234567890189;"Teilzahlung
        RE-2026-000044";-99,50;EUR;;BR-2
        04.03.2026;;Initech;DE44500105175407324931;Zahlung;12,3X;EUR;;BR-3
        5.3.2026;;Umbrella Corp;;Gutschrift;0,01;EUR;;BR-1
        """

    static let germanMapping = CSVMapping(
        dateColumn: "Buchungstag", valueDateColumn: "Valuta", amountColumn: "Betrag", currencyColumn: "Waehrung",
        payerNameColumn: "Auftraggeber", payerAccountColumn: "IBAN", textColumns: ["Verwendungszweck"],
        endToEndIDColumn: "Kundenreferenz", bankReferenceColumn: "Buchungsreferenz", delimiter: ";", decimalSeparator: ",",
        dateFormat: "dd.MM.yyyy")

    @Test func readsQuotedFieldsDecimalCommasAndReportsTheBadLine() throws {
        let parsed = CSVStatementParser.parse(Self.export, mapping: Self.germanMapping, account: "DE89370400440532013000",
                                              statementID: "export-2026-03")
        #expect(parsed.format == .csv)
        #expect(parsed.errors.map(\.location) == ["line 5"])
        #expect(parsed.errors.first?.message.contains("12,3X") == true)
        let statement = try #require(parsed.statements.first)
        #expect(parsed.statements.count == 1)
        #expect(statement.id == "export-2026-03")
        #expect(statement.account == "DE89370400440532013000")
        #expect(statement.currency == Self.eur)
        #expect(statement.openingBalance == nil && statement.closingBalance == nil)
        #expect(statement.receipts == [
            BankReceipt(reference: "BR-1", amount: 125_000, currency: Self.eur, isCredit: true, bookingDate: Self.day(3, 2),
                        valueDate: Self.day(3, 2), payerName: "ACME GmbH", payerAccount: "DE02120300000000202051", endToEndID: "E2E-0042",
                        remittanceText: "RE-2026-000042; RE-2026-000043", bankReference: "BR-1"),
            BankReceipt(reference: "BR-2", amount: 9_950, currency: Self.eur, isCredit: false, bookingDate: Self.day(3, 3),
                        valueDate: Self.day(3, 4), payerName: "Globex \"Paris\" SARL", payerAccount: "FR7630006000011234567890189",
                        remittanceText: "Teilzahlung RE-2026-000044", bankReference: "BR-2"),
            // The repeated bank reference would not be unique: the line number stands in.
            BankReceipt(reference: "line-6", amount: 1, currency: Self.eur, isCredit: true, bookingDate: Self.day(3, 5),
                        payerName: "Umbrella Corp", remittanceText: "Gutschrift", bankReference: "BR-1"),
        ])
    }

    @Test func creditAndDebitColumnsWithoutHeaderFixedCurrencyAndAccounts() throws {
        let text = "2026-03-02,ACC-1,Acme Inc,\"Invoice 1001, 1002\",1500.00,\r\n"
            + "2026-03-03,ACC-2,Bank,Fee,,12.50\r\n"
            + "2026-03-04,ACC-1,Initech,Invoice 1003,\"1,000.10\",\r\n"
            + "2026-03-05,ACC-1,Both,Invoice 1004,1.00,2.00\r\n"
        let mapping = CSVMapping(dateColumn: "1", creditColumn: "5", debitColumn: "6", fixedCurrency: "USD", payerNameColumn: "3",
                                 textColumns: ["4"], accountColumn: "2", hasHeaderRow: false)
        let parsed = CSVStatementParser.parse(text, mapping: mapping)
        #expect(parsed.errors.map(\.location) == ["line 4"])
        try #require(parsed.statements.count == 2)
        let usd = Currency("USD")!
        let (first, second) = (parsed.statements[0], parsed.statements[1])
        #expect(first.account == "ACC-1")
        #expect(first.id.hasPrefix("csv-") && first.id.hasSuffix("/ACC-1"))
        #expect(first.receipts.map(\.amount) == [150_000, 100_010])
        #expect(first.receipts.map(\.isCredit) == [true, true])
        #expect(first.receipts.map(\.reference) == ["line-1", "line-3"])
        #expect(first.receipts.first?.remittanceText == "Invoice 1001, 1002")
        #expect(first.receipts.first?.currency == usd)
        #expect(second.account == "ACC-2")
        #expect(second.receipts.map(\.amount) == [1_250])
        #expect(second.receipts.map(\.isCredit) == [false])
        // The default id is a hash of the content: the same file gets the same ids.
        #expect(CSVStatementParser.parse(text, mapping: mapping).statements.map(\.id) == parsed.statements.map(\.id))
        #expect(CSVStatementParser.parse(text + "\r\n", mapping: mapping).statements.first?.id != first.id)
    }

    @Test func mappingProblemsStopTheImportWithAClearError() {
        let missingColumn = CSVStatementParser.parse(Self.export, mapping: {
            var mapping = Self.germanMapping
            mapping.payerNameColumn = "Name"
            return mapping
        }())
        #expect(missingColumn.errors == [BankFileError(location: "line 1", message: "column 'Name' is not in the header")])
        #expect(missingColumn.statements.isEmpty)

        var noCurrency = Self.germanMapping
        noCurrency.currencyColumn = nil
        #expect(CSVStatementParser.parse(Self.export, mapping: noCurrency).errors.map(\.location) == ["mapping"])
        var badFormat = Self.germanMapping
        badFormat.dateFormat = "dd.MM"
        #expect(CSVStatementParser.parse(Self.export, mapping: badFormat).errors.map(\.location) == ["mapping"])
    }

    @Test func anUnclosedQuoteIsReportedAndEarlierLinesKept() {
        let text = """
            Date,Amount,Text
            2026-03-02,10.00,ok
            2026-03-03,20.00,"never closed
            2026-03-04,30.00,swallowed
            """
        let mapping = CSVMapping(dateColumn: "date", amountColumn: "AMOUNT", fixedCurrency: "EUR", textColumns: ["Text"])
        let parsed = CSVStatementParser.parse(text, mapping: mapping)
        #expect(parsed.errors == [BankFileError(location: "line 3", message: "a quoted field is never closed")])
        #expect(parsed.receipts.map(\.amount) == [1_000])
    }

    @Test func aStoredMappingDecodesWithDefaults() throws {
        let json = #"{"dateColumn": "Date", "amountColumn": "Amount", "fixedCurrency": "EUR"}"#
        let mapping = try JSONDecoder().decode(CSVMapping.self, from: Data(json.utf8))
        #expect(mapping == CSVMapping(dateColumn: "Date", amountColumn: "Amount", fixedCurrency: "EUR"))
        #expect(mapping.delimiter == "," && mapping.decimalSeparator == "." && mapping.dateFormat == "yyyy-MM-dd" && mapping.hasHeaderRow)
        let roundTrip = try JSONDecoder().decode(CSVMapping.self, from: JSONEncoder().encode(Self.germanMapping))
        #expect(roundTrip == Self.germanMapping)
    }

    @Test func dateLayoutsSkippedRowsAndTrailingMinus() throws {
        let text = """
            Kontonummer: 123
            Zeitraum: Maerz
            Datum|Betrag
            20260302|1.234,56-
            """
        let mapping = CSVMapping(dateColumn: "Datum", amountColumn: "Betrag", fixedCurrency: "EUR", delimiter: "|",
                                 decimalSeparator: ",", dateFormat: "yyyyMMdd", skipRows: 2)
        let parsed = CSVStatementParser.parse(text, mapping: mapping, account: "123")
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        let receipt = try #require(parsed.receipts.first)
        #expect(receipt.bookingDate == Self.day(3, 2))
        #expect(receipt.amount == 123_456)
        #expect(!receipt.isCredit)
        #expect(receipt.reference == "line-4")
    }
}
