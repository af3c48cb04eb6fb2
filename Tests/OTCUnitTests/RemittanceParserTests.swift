import Foundation
@testable import OTCCashApp
import OTCCore
import Testing

/// Remittance advices from CSV (header-named columns, "," or ";", per-line errors) and from
/// ANSI X12 820 (delimiters from the ISA header, RMR lines with ADX deductions, envelope counts).
@Suite("Remittance parsers")
struct RemittanceParserTests {
    static let eur = Currency("EUR")!
    static let usd = Currency("USD")!
    static func day(_ month: Int, _ day: Int) -> BusinessDate { BusinessDate(year: 2026, month: month, day: day)! }

    // MARK: - CSV

    /// Two advices whose rows interleave (ADV-1 on lines 2 and 4, ADV-2 on lines 3 and 5). The
    /// second row of ADV-1 leaves the advice-level columns empty; its deduction has a quoted
    /// reason holding a comma, and the payer name a comma too.
    static let interleaved = """
        advice_ref,customer,payer_name,payment_ref,payment_date,currency,payment_amount,document,paid,deduction,deduction_reason
        ADV-1,C-100,"Acme, Inc.",E2E-1,2026-03-02,EUR,1480.00,INV-1001,1000.00,,
        ADV-2,C-200,Globex,E2E-2,2026-03-03,USD,,INV-2001,250.5,,
        ADV-1,,,,,EUR,,INV-1002,480,20.00,"damaged goods, claim 7"
        ADV-2,C-200,Globex,E2E-2,2026-03-03,USD,,INV-2002,99.99,,
        """

    @Test func csvGroupsInterleavedRowsByAdviceRefInOrderOfFirstAppearance() {
        let parsed = RemittanceCSVParser.parse(Self.interleaved)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        #expect(parsed.advices == [
            RemittanceAdvice(reference: "ADV-1", customerNumber: "C-100", payerName: "Acme, Inc.", paymentReference: "E2E-1",
                             paymentDate: Self.day(3, 2), amount: 148_000, currency: Self.eur, lines: [
                                 .init(documentNumber: "INV-1001", paid: 100_000),
                                 .init(documentNumber: "INV-1002", paid: 48_000, deduction: 2_000, deductionReason: "damaged goods, claim 7"),
                             ]),
            RemittanceAdvice(reference: "ADV-2", customerNumber: "C-200", payerName: "Globex", paymentReference: "E2E-2",
                             paymentDate: Self.day(3, 3), currency: Self.usd, lines: [
                                 .init(documentNumber: "INV-2001", paid: 25_050),
                                 .init(documentNumber: "INV-2002", paid: 9_999),
                             ]),
        ])
        // Without a payment_amount the advice's total is the sum of its lines.
        #expect(parsed.advices.last?.total == 35_049)
    }

    /// ";" between fields (the header has more of them than commas), columns in another order and
    /// case, an unknown column, quoted fields holding ";" and ",", decimal commas, CRLF.
    /// Lines 3–8 each have one thing wrong; lines 2 and 9 are good.
    static let semicolons = [
        "Document;PAID;Note;Advice_Ref;CURRENCY;Payer_Name;Payment_Date;Deduction;Deduction_Reason",
        "INV-1;1.250,00;\"free; text, really\";A-1;eur;\"Müller; Söhne, GmbH\";2026-03-04;;",
        "INV-2;12,3X;;A-1;EUR;;;;",
        "INV-3;10,005;;A-1;EUR;;;;",
        ";5,00;;A-1;EUR;;;;",
        "INV-4;-5,00;;A-1;EUR;;;;",
        "INV-5;5,00;;A-2;EURO;;;;",
        "INV-6;5,00;;A-2;EUR;;04.03.2026;;",
        "INV-7;7,50;;A-2;EUR;;;-2,50;\"short shipment; 3 cartons\"",
    ].joined(separator: "\r\n")

    @Test func csvWithSemicolonsReportsBadLinesByNumberAndKeepsTheOthers() throws {
        let parsed = RemittanceCSVParser.parse(Self.semicolons)
        #expect(parsed.errors.map(\.location) == ["line 3", "line 4", "line 5", "line 6", "line 7", "line 8"])
        let messages = parsed.errors.map(\.message)
        try #require(messages.count == 6)
        #expect(messages[0].contains("paid '12,3X' is not an amount"))
        #expect(messages[1].contains("'10,005' has 3 decimals but EUR has 2"))
        #expect(messages[2].contains("document is empty"))
        #expect(messages[3].contains("negative"))
        #expect(messages[4].contains("currency 'EURO'"))
        #expect(messages[5].contains("payment_date '04.03.2026' is not a YYYY-MM-DD date"))
        #expect(parsed.advices == [
            RemittanceAdvice(reference: "A-1", payerName: "Müller; Söhne, GmbH", paymentDate: Self.day(3, 4), currency: Self.eur,
                             lines: [.init(documentNumber: "INV-1", paid: 125_000)]),
            // A deduction is read as its magnitude.
            RemittanceAdvice(reference: "A-2", currency: Self.eur, lines: [
                .init(documentNumber: "INV-7", paid: 750, deduction: 250, deductionReason: "short shipment; 3 cartons"),
            ]),
        ])
    }

    @Test func csvLineContradictingItsAdviceIsReportedAndNotRead() {
        let text = """
            advice_ref,payer_name,currency,document,paid,payment_amount
            ADV-9,Acme,EUR,INV-1,10.00,30.00
            ADV-9,Acme,USD,INV-2,10.00,
            ADV-9,Initech,EUR,INV-3,10.00,31.00
            ADV-9,,EUR,INV-4,"1,000",
            ADV-9,Acme,EUR,INV-5,20.00,30.00
            """
        let parsed = RemittanceCSVParser.parse(text)
        #expect(parsed.errors.map(\.location) == ["line 3", "line 4", "line 5"])
        #expect(parsed.errors.first?.message.contains("currency 'USD' differs from 'EUR'") == true)
        #expect(parsed.errors.dropFirst().first?.message.contains("payer_name 'Initech' differs from 'Acme'; payment_amount '31.00' differs from '30.00'") == true)
        // A lone comma in a comma-separated file could be a decimal or a thousands mark.
        #expect(parsed.errors.last?.message.contains("'1,000'") == true)
        #expect(parsed.advices.map { $0.lines.map(\.documentNumber) } == [["INV-1", "INV-5"]])
        #expect(parsed.advices.first?.amount == 3_000)
    }

    @Test func csvWithoutARequiredColumnIsOneErrorAtTheHeaderAndNoAdvices() {
        let text = """
            advice_ref,currency,invoice,amount
            ADV-1,EUR,INV-1,10.00
            """
        let parsed = RemittanceCSVParser.parse(text)
        #expect(parsed.advices.isEmpty)
        #expect(parsed.errors.map(\.location) == ["line 1"])
        #expect(parsed.errors.first?.message.contains("no document, paid columns") == true)
        #expect(RemittanceCSVParser.parse("").errors.map(\.location) == ["line 1"])
    }

    // MARK: - EDI 820

    /// An ISA header with fixed-width fields and the given delimiters; `control` is ISA13.
    static func isa(element: String = "*", component: String = ">", terminator: String = "~", control: String) -> String {
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: width - text.count) }
        let fields = ["ISA", "00", pad("", 10), "00", pad("", 10), "ZZ", pad("PAYERID", 15), "ZZ", pad("OTCPLATFORM", 15),
                      "260302", "1200", "U", "00401", control, "0", "P", component]
        return fields.joined(separator: element) + terminator
    }

    /// One 820 with `*`, `>` and `~`: an ACH payment of 1,430.00 paying INV-1001 in full and
    /// INV-1002 (500.00) with 430.00 after a 20.00 discount and a 50.00 deduction for damaged goods.
    /// ST to SE is 11 segments.
    static let payment = isa(control: "000000905") + [
        "GS*RA*PAYERID*OTCPLATFORM*20260302*1200*905*X*004010",
        "ST*820*0001",
        "BPR*C*1430.00*C*ACH*CTX*01*021000021*DA*123456789*1234567890**01*031000053*DA*987654321*20260302",
        "TRN*1*EFT-778899*1234567890",
        "N1*PR*ACME CORP*91*C-100",
        "N1*PE*OTC SELLER INC*1*123456789",
        "ENT*1",
        "RMR*IV*INV-1001**1000.00*1000.00",
        "DTM*003*20260201",
        "RMR*IV*INV-1002**430.00*500.00*20.00",
        "ADX*-50.00*04",
        "SE*11*0001",
        "GE*1*905",
        "IEA*1*000000905",
    ].map { $0 + "~" }.joined()

    static let paymentAdvice = RemittanceAdvice(
        reference: "EFT-778899", customerNumber: "C-100", payerName: "ACME CORP", paymentReference: "EFT-778899",
        paymentDate: day(3, 2), amount: 143_000, currency: usd, lines: [
            .init(documentNumber: "INV-1001", paid: 100_000),
            .init(documentNumber: "INV-1002", paid: 43_000, deduction: 5_000, deductionReason: "ADX 04 Item Not Accepted - Damaged"),
        ])

    @Test func edi820ReadsRMRLinesWithAnADXDeductionIntoOneAdvice() {
        #expect(Self.isa(control: "000000905").count == 106)
        let parsed = EDI820Parser.parse(Self.payment)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        #expect(parsed.advices == [Self.paymentAdvice])
    }

    /// The same file with other delimiters declared in its ISA header, with and without line
    /// breaks after the terminators.
    @Test(arguments: [
        (element: "|", component: "^", terminator: "~", lineBreak: "\n"),
        (element: "|", component: ">", terminator: "^", lineBreak: "\r\n"),
        (element: "^", component: ":", terminator: "|", lineBreak: ""),
        (element: "*", component: ">", terminator: "\n", lineBreak: ""),
    ])
    func edi820ReadsTheDelimitersFromTheISAHeader(element: String, component: String, terminator: String, lineBreak: String) {
        let text = Self.payment.map { c -> String in
            switch c {
            case "*": element
            case ">": component
            case "~": terminator + lineBreak
            default: String(c)
            }
        }.joined()
        let parsed = EDI820Parser.parse(text)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        #expect(parsed.advices == [Self.paymentAdvice])
    }

    /// A byte order mark, `|` between elements and `^` ending segments (each followed by a line
    /// break), a payer name holding `*` and `~` (data under these delimiters), and CUR EUR.
    static let euroPayment = "\u{FEFF}" + isa(element: "|", component: ">", terminator: "^", control: "000000907") + "\n" + """
        GS|RA|EUPAYER|OTCPLATFORM|20260302|1200|907|X|004010^
        ST|820|0001^
        BPR|C|980.00|C|ACH|CCD|||||||||||20260304^
        TRN|1|SEPA-E2E-4711^
        CUR|PR|EUR^
        N1|PR|Müller*Söhne ~ GmbH|91|C-300^
        ENT|1^
        RMR|IV|RE-2026-0042||980.00|1000.00|20.00^
        SE|8|0001^
        GE|1|907^
        IEA|1|000000907^

        """

    @Test func edi820WithByteOrderMarkOtherDelimitersAndCurrencyEUR() {
        let parsed = EDI820Parser.parse(Self.euroPayment)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        #expect(parsed.advices == [
            RemittanceAdvice(reference: "SEPA-E2E-4711", customerNumber: "C-300", payerName: "Müller*Söhne ~ GmbH",
                             paymentReference: "SEPA-E2E-4711", paymentDate: Self.day(3, 4), amount: 98_000, currency: Self.eur,
                             lines: [.init(documentNumber: "RE-2026-0042", paid: 98_000)]),
        ])
    }

    /// Two 820 transaction sets in one group. The first names its advice with REF*TN and its SE01
    /// says 6 where ST to SE is 7 segments. The second has no trace number in TRN02 and a line
    /// referenced by purchase order. Segments are numbered from the ISA (1).
    static let twoTransactions = isa(control: "000000906") + [
        "GS*RA*PAYERID*OTCPLATFORM*20260305*0900*906*X*004010",  // 2
        "ST*820*0001",  // 3
        "BPR*I*200.00*C*NON************20260305",  // 4
        "TRN*1*CHK-5001",  // 5
        "REF*TN*RA-77",  // 6
        "N1*PR*GLOBEX*ZZ*C-200",  // 7
        "RMR*IV*INV-2001**200.00",  // 8
        "SE*6*0001",  // 9
        "ST*820*0002",  // 10
        "BPR*C*75.5*C*CHK************20260306",  // 11
        "TRN*1",  // 12
        "N1*PR*INITECH*92*BUYER-7",  // 13
        "RMR*IV*INV-3001**75.50",  // 14
        "RMR*PO*PO-9**10.00",  // 15
        "SE*7*0002",  // 16
        "GE*2*906",  // 17
        "IEA*1*000000906",  // 18
    ].map { $0 + "~\r\n" }.joined()

    @Test func edi820TwoTransactionsWithSECountMismatchReportedAndAdvicesKept() throws {
        let parsed = EDI820Parser.parse(Self.twoTransactions)
        #expect(parsed.errors.map(\.location) == ["segment 9 (SE)", "segment 12 (TRN)", "segment 15 (RMR)"])
        let messages = parsed.errors.map(\.message)
        try #require(messages.count == 3)
        #expect(messages[0].contains("SE01 says '6'") && messages[0].contains("has 7 segments"))
        #expect(messages[1].contains("no TRN02 trace number"))
        #expect(messages[2].contains("RMR01 qualifier 'PO'"))
        #expect(parsed.advices == [
            RemittanceAdvice(reference: "RA-77", customerNumber: "C-200", payerName: "GLOBEX", paymentReference: "CHK-5001",
                             paymentDate: Self.day(3, 5), amount: 20_000, currency: Self.usd,
                             lines: [.init(documentNumber: "INV-2001", paid: 20_000)]),
            // No trace number: the interchange and transaction control numbers name the advice;
            // the buyer-assigned id (N103 92) is not our customer number.
            RemittanceAdvice(reference: "000000906-0002", payerName: "INITECH", paymentDate: Self.day(3, 6), amount: 7_550,
                             currency: Self.usd, lines: [.init(documentNumber: "INV-3001", paid: 7_550)]),
        ])
    }

    @Test func edi820BadAmountsAndACutShortFileAreReportedWithTheirSegment() {
        let text = Self.isa(control: "000000908") + [
            "GS*RA*PAYERID*OTCPLATFORM*20260302*1200*908*X*004010",  // 2
            "ST*820*0001",  // 3
            "BPR*C*100.005*C*ACH",  // 4
            "TRN*1*EFT-1",  // 5
            "ADX*-5.00*01",  // 6: no RMR before it
            "RMR*IV*INV-1**1O0.00",  // 7
            "RMR*IV*INV-2**100.00",  // 8
            "ADX*-5.00*99",  // 9
            "ADX*abc*01",  // 10
        ].map { $0 + "~" }.joined()
        let parsed = EDI820Parser.parse(text)
        #expect(parsed.errors.map(\.location) == [
            "segment 6 (ADX)", "segment 3 (ST)", "segment 4 (BPR)", "segment 7 (RMR)", "segment 10 (ADX)", "segment 2 (GS)", "segment 1 (ISA)",
        ])
        #expect(parsed.errors[2].message.contains("'100.005' has 3 decimals but USD has 2"))
        #expect(parsed.advices == [
            RemittanceAdvice(reference: "EFT-1", paymentReference: "EFT-1", currency: Self.usd, lines: [
                .init(documentNumber: "INV-2", paid: 10_000, deduction: 500, deductionReason: "ADX 99"),
            ]),
        ])
        #expect(EDI820Parser.parse("advice_ref,currency\n").errors.map(\.location) == ["segment 1 (ISA)"])
    }
}
