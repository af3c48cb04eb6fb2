import Foundation
import OTCBilling
import OTCCore
import OTCReceivables
import Testing

@Suite("Billing math: tax, terms, dates, aging, postings")
struct BillingMathTests {
    let eur = Currency("EUR")!

    static func draft(_ price: Int64, qty: Int64 = 1, code: String = "STD", net: Int64? = nil, tax: Int64? = nil) -> LineDraft {
        LineDraft(sku: "S", description: "D", quantity: qty, unitOfMeasure: "EA", unitPrice: price, taxCode: code,
                  netOverride: net, taxOverride: tax)
    }

    // MARK: TaxCalculation

    @Test func taxRoundsHalfAwayFromZero() throws {
        let cases: [(value: Int64, bp: Int, tax: Int64)] = [
            (0, 2000, 0), (25, 2000, 5), (1, 5000, 1), (-1, 5000, -1), (3, 5000, 2), (-3, 5000, -2),
            (149, 100, 1), (150, 100, 2), (151, 100, 2), (-149, 100, -1), (-150, 100, -2), (-151, 100, -2),
            (2, 2500, 1), (-2, 2500, -1), (1, 4999, 0), (-1, 4999, 0), (999, 2000, 200), (333, 700, 23), (1, 0, 0),
            (12_345, 1_000, 1_235), (-12_345, 1_000, -1_235), (12_344, 1_000, 1_234),
        ]
        for c in cases {
            #expect(try TaxCalculation.tax(on: c.value, basisPoints: c.bp) == c.tax, "\(c.value) × \(c.bp) bp")
        }
    }

    @Test func overflowIsAmountTooLarge() throws {
        #expect(throws: BillingError.amountTooLarge) { try TaxCalculation.tax(on: .max, basisPoints: 2000) }
        #expect(throws: BillingError.amountTooLarge) { try TaxCalculation.tax(on: .min, basisPoints: 2) }
        #expect(throws: BillingError.amountTooLarge) {
            try TaxCalculation.price([Self.draft(.max / 2 + 1, qty: 2)], taxCodes: ["STD": 2000], rounding: .line)
        }
        #expect(throws: BillingError.amountTooLarge) {
            try TaxCalculation.price([Self.draft(.max / 2000 + 1)], taxCodes: ["STD": 2000], rounding: .document)
        }
        // The largest net whose tax still fits.
        #expect(try TaxCalculation.tax(on: .max / 2000, basisPoints: 2000) == Int64.max / 2000 / 5)
    }

    @Test func unknownTaxCodeNamesLineAndKnownCodes() {
        #expect(throws: BillingError.unknownTaxCode("FOO", line: 2, known: ["RED", "STD"])) {
            try TaxCalculation.price([Self.draft(100), Self.draft(100, code: "FOO")], taxCodes: ["STD": 2000, "RED": 700], rounding: .line)
        }
        #expect(BillingError.unknownTaxCode("FOO", line: 2, known: ["RED", "STD"]).otcError.details["reason"] == "UNKNOWN_TAX_CODE")
    }

    @Test func lineAndDocumentRoundingDifferByACent() throws {
        // Three lines of 0.03 at 20 %: each line 0.006 → 0.01 (0.03 in all); the document 0.018 → 0.02.
        let drafts = Array(repeating: Self.draft(3), count: 3)
        let (lineLines, lineBreakdown) = try TaxCalculation.price(drafts, taxCodes: ["STD": 2000], rounding: .line)
        let (docLines, docBreakdown) = try TaxCalculation.price(drafts, taxCodes: ["STD": 2000], rounding: .document)
        #expect(lineLines.map(\.taxAmount) == [1, 1, 1])
        #expect(lineBreakdown.map(\.taxAmount) == [3])
        #expect(docBreakdown.map(\.taxAmount) == [2])
        #expect(docLines.map(\.taxAmount).reduce(0, +) == 2)
        #expect(docLines.allSatisfy { $0.taxAmount == 0 || $0.taxAmount == 1 })
        // Half-cent rounding up the other way: 0.025 per line at 20 % rounds up per line, not per document.
        let (_, a) = try TaxCalculation.price([Self.draft(12), Self.draft(12)], taxCodes: ["STD": 2000], rounding: .line)
        let (_, b) = try TaxCalculation.price([Self.draft(12), Self.draft(12)], taxCodes: ["STD": 2000], rounding: .document)
        #expect(a.map(\.taxAmount) == [4])  // 2.4 → 2, twice
        #expect(b.map(\.taxAmount) == [5])  // 4.8 → 5
    }

    @Test(arguments: [TenantRules.Billing.Rounding.line, .document])
    func linesAlwaysAddUpToTheBreakdown(rounding: TenantRules.Billing.Rounding) throws {
        let codes = ["STD": 2000, "RED": 700, "ODD": 1_234, "ZERO": 0, "EXEMPT": 0]
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int64) -> Int64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int64((seed >> 33) % UInt64(bound))
        }
        for round in 0..<200 {
            let count = Int(next(40)) + 1
            let drafts = (0..<count).map { _ in
                var d = Self.draft(next(50_000) - 5_000, qty: next(20) + 1, code: codes.keys.sorted()[Int(next(Int64(codes.count)))])
                if next(10) == 0 { d.netOverride = next(10_000) - 5_000 }
                return d
            }
            let (lines, breakdown) = try TaxCalculation.price(drafts, taxCodes: codes, rounding: rounding)
            #expect(lines.map(\.lineNo) == Array(1...count))
            #expect(breakdown.map(\.taxCode) == breakdown.map(\.taxCode).sorted(), "sorted by code")
            for subtotal in breakdown {
                let group = lines.filter { $0.taxCode == subtotal.taxCode && $0.taxRateBasisPoints == subtotal.rateBasisPoints }
                #expect(subtotal.taxableAmount == group.reduce(0) { $0 + $1.netAmount }, "round \(round)")
                #expect(subtotal.taxAmount == group.reduce(0) { $0 + $1.taxAmount }, "round \(round)")
                if rounding == .document {
                    #expect(subtotal.taxAmount == (try TaxCalculation.tax(on: subtotal.taxableAmount, basisPoints: subtotal.rateBasisPoints)))
                }
            }
            #expect(breakdown.reduce(0) { $0 + $1.taxableAmount } == lines.reduce(0) { $0 + $1.netAmount })
            #expect(breakdown.reduce(0) { $0 + $1.taxAmount } == lines.reduce(0) { $0 + $1.taxAmount })
            for line in lines {
                // Every line's tax is within one minor unit of its exact share.
                let exactTimes10k = line.netAmount * Int64(line.taxRateBasisPoints)
                #expect(abs(line.taxAmount * 10_000 - exactTimes10k) < 10_000, "round \(round) line \(line.lineNo)")
                if let net = drafts[line.lineNo - 1].netOverride { #expect(line.netAmount == net) }
            }
        }
    }

    @Test func documentRoundingKeepsFixedLineTaxes() throws {
        let drafts = [Self.draft(3), Self.draft(3), Self.draft(0, qty: 7, net: 1_000, tax: 199)]
        let (lines, breakdown) = try TaxCalculation.price(drafts, taxCodes: ["STD": 2000], rounding: .document)
        #expect(lines[2].taxAmount == 199)
        #expect(lines[2].netAmount == 1_000)
        #expect(lines[0].taxAmount + lines[1].taxAmount == 1)  // 0.06 × 20 % = 0.012 → 0.01
        #expect(breakdown.count == 1)
        #expect(breakdown.first?.taxableAmount == 1_006)
        #expect(breakdown.first?.taxAmount == 200)
    }

    // MARK: TermsSchedule

    @Test func discountTermsGiveDueAndDiscountDatesAndAmount() throws {
        let issue = BusinessDate(year: 2026, month: 11, day: 30)!
        let schedule = try TermsSchedule(terms: PaymentTerms("2/10NET30")!, issueDate: issue, grossAmount: 12_345)
        #expect(schedule.dueDate == BusinessDate("2026-12-30"))
        #expect(schedule.discountDate == BusinessDate("2026-12-10"))
        #expect(schedule.discountAmount == 247)  // 246.9 rounded half away from zero
        #expect(TermsSchedule.note(terms: "2/10NET30", schedule: schedule, currency: eur)
                == "2/10NET30: 2 % discount (2.47 EUR) if paid by 2026-12-10, net due 2026-12-30")

        let net = try TermsSchedule(terms: PaymentTerms("NET30")!, issueDate: issue, grossAmount: 12_345)
        #expect(net.dueDate == BusinessDate("2026-12-30"))
        #expect(net.discountDate == nil)
        #expect(net.discountAmount == 0)
        #expect(TermsSchedule.note(terms: "NET30", schedule: net, currency: eur) == "NET30: net due 2026-12-30")

        let immediate = try TermsSchedule(terms: PaymentTerms("NET0")!, issueDate: issue, grossAmount: 1)
        #expect(immediate.dueDate == issue)
        let halfCent = try TermsSchedule(terms: PaymentTerms("2/10NET30")!, issueDate: issue, grossAmount: 25)
        #expect(halfCent.discountAmount == 1)  // 0.5 → 1
        #expect(throws: BillingError.amountTooLarge) {
            try TermsSchedule(terms: PaymentTerms("2/10NET30")!, issueDate: issue, grossAmount: .max)
        }
    }

    // MARK: BusinessDate

    @Test func businessDatesParseOnlyRealDates() {
        let parsed = BusinessDate("2026-02-28")
        #expect(parsed?.components.year == 2026 && parsed?.components.month == 2 && parsed?.components.day == 28)
        #expect(BusinessDate("1970-01-01")?.dayNumber == 0)
        #expect(BusinessDate("2024-02-29") != nil, "leap year")
        #expect(BusinessDate("2000-02-29") != nil, "divisible by 400")
        for bad in ["2026-02-30", "2026-02-29", "2100-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00",
                    "2026-01-32", "1899-12-31", "2026-1-01", "26-01-01", "2026/01/01", "2026-01-01T00:00", "", "abcd-ef-gh", "2026--1-01"] {
            #expect(BusinessDate(bad) == nil, "\(bad)")
        }
        #expect(BusinessDate(year: 2026, month: 2, day: 30) == nil)
        #expect(BusinessDate(year: 10_000, month: 1, day: 1) == nil)
        #expect(BusinessDate(year: 9999, month: 12, day: 31)?.description == "9999-12-31")
    }

    @Test func addingDaysCrossesMonthsYearsAndLeapDays() {
        let d = { (s: String) in BusinessDate(s)! }
        #expect(d("2026-12-25").adding(days: 10) == d("2027-01-04"))
        #expect(d("2024-02-28").adding(days: 1) == d("2024-02-29"))
        #expect(d("2023-02-28").adding(days: 1) == d("2023-03-01"))
        #expect(d("2026-03-01").adding(days: -1) == d("2026-02-28"))
        #expect(d("2027-01-01").adding(days: -1) == d("2026-12-31"))
        #expect(d("2024-01-01").days(until: d("2025-01-01")) == 366)
        #expect(d("2025-01-01").days(until: d("2026-01-01")) == 365)
        #expect(d("2026-01-31").days(until: d("2026-01-01")) == -30)
        #expect(d("2026-11-30").adding(days: 30).description == "2026-12-30")
        #expect(BusinessDate(utc: Date(timeIntervalSince1970: -1)).description == "1969-12-31")
        #expect(BusinessDate(utc: Date(timeIntervalSince1970: 86_399)).description == "1970-01-01")
    }

    @Test func businessDatesRoundTrip() throws {
        var day = BusinessDate("1900-01-01")!
        let end = BusinessDate("2400-12-31")!
        var previous = day
        while day <= end {
            let text = day.description
            if BusinessDate(text) != day { Issue.record("\(text) does not round-trip") }
            if day != previous, day.components.day == previous.components.day { Issue.record("\(previous) → \(day) repeats a day") }
            previous = day
            day = day.adding(days: 1)
        }
        #expect(previous.description == "2400-12-31")
        let encoded = try JSONEncoder().encode([BusinessDate("2024-02-29")!])
        #expect(String(decoding: encoded, as: UTF8.self) == "[\"2024-02-29\"]")
        #expect(try JSONDecoder().decode([BusinessDate].self, from: encoded) == [BusinessDate("2024-02-29")!])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([BusinessDate].self, from: Data("[\"2026-02-30\"]".utf8)) }
    }

    // MARK: AgingBuckets

    @Test func agingBucketLabelsAndBoundaries() throws {
        let aging = try AgingBuckets(bounds: [30, 60, 90, 120])
        #expect(aging.labels == ["no_due_date", "current", "1-30", "31-60", "61-90", "91-120", ">120"])
        let asOf = BusinessDate("2026-06-30")!
        func label(_ daysLate: Int?) -> String {
            aging.labels[aging.bucket(due: daysLate.map { asOf.adding(days: -$0) }, asOf: asOf)]
        }
        #expect(label(nil) == "no_due_date")
        #expect(label(-10) == "current")
        #expect(label(0) == "current")
        #expect(label(1) == "1-30")
        #expect(label(30) == "1-30")
        #expect(label(31) == "31-60")
        #expect(label(60) == "31-60")
        #expect(label(61) == "61-90")
        #expect(label(120) == "91-120")
        #expect(label(121) == ">120")
        #expect(label(5_000) == ">120")

        let items: [(amount: Int64, due: BusinessDate?)] = [
            (1_000, nil), (2_000, asOf), (-500, asOf.adding(days: -1)), (300, asOf.adding(days: -31)), (700, asOf.adding(days: -121)),
        ]
        let totals = aging.age(items, asOf: asOf)
        #expect(totals == [1_000, 2_000, -500, 300, 0, 0, 700])
        #expect(totals.reduce(0, +) == items.reduce(0) { $0 + $1.amount })

        let single = try AgingBuckets(bounds: [30])
        #expect(single.labels == ["no_due_date", "current", "1-30", ">30"])
        #expect(single.bucket(due: asOf.adding(days: -31), asOf: asOf) == 3)
        for bad in [[], [0], [30, 30], [60, 30], [-1, 30]] {
            #expect(throws: OTCError.self, "\(bad)") { try AgingBuckets(bounds: bad) }
        }
    }

    // MARK: Posting

    @Test func postingsMustBalanceAndHaveLines() throws {
        let posting = try Posting(currency: eur, lines: [PostingLine(.receivables, 1_200), PostingLine(.revenue, -1_000),
                                                         PostingLine(.tax, -200), PostingLine(.discount, 0)],
                                  description: "invoice INV-1")
        #expect(posting.lines.count == 3, "zero lines are dropped")
        #expect(posting.lines.reduce(0) { $0 + $1.amount } == 0)
        #expect(throws: LedgerError.unbalanced("invoice INV-2", 1)) {
            try Posting(currency: eur, lines: [PostingLine(.receivables, 1_201), PostingLine(.revenue, -1_200)], description: "invoice INV-2")
        }
        #expect(throws: LedgerError.emptyPosting("nothing")) { try Posting(currency: eur, lines: [], description: "nothing") }
        #expect(throws: LedgerError.emptyPosting("zeros")) {
            try Posting(currency: eur, lines: [PostingLine(.cash, 0), PostingLine(.receivables, 0)], description: "zeros")
        }
        #expect(throws: LedgerError.self) {
            try Posting(currency: eur, lines: [PostingLine(.cash, .max), PostingLine(.receivables, .max), PostingLine(.revenue, .min)],
                        description: "overflow")
        }
        #expect(throws: LedgerError.unbalanced("one side", -5)) {
            try Posting(currency: eur, lines: [PostingLine(.cash, -5)], description: "one side")
        }
    }
}

@Suite("Tax calculation overflow")
struct TaxOverflowTests {
    /// Two zero-rated lines whose nets add up past Int64.max are refused, not summed into a crash.
    @Test func totalsBeyondInt64AreRefused() {
        let big = LineDraft(sku: "X", description: "huge", quantity: 1, unitOfMeasure: "EA", unitPrice: Int64.max / 2 + 1, taxCode: "ZERO")
        for rounding in [TenantRules.Billing.Rounding.line, .document] {
            #expect(throws: BillingError.amountTooLarge) {
                _ = try TaxCalculation.price([big, big], taxCodes: ["ZERO": 0], rounding: rounding)
            }
        }
    }
}
