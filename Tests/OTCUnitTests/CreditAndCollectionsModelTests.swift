import Foundation
import OTCCollections
import OTCCore
import OTCCredit
import Testing

/// The pure rules of credit and collections: every branch of the credit decision, the score,
/// dunning plans (levels, anchors, holds, minimums), worklist ranking, the provision matrix,
/// promise evaluation and the rules' own validation.
@Suite("Credit and collections rules")
struct CreditAndCollectionsModelTests {
    let eur = Currency("EUR")!
    let today = BusinessDate(year: 2026, month: 11, day: 30)!

    func profile(limit: Int64? = 100_000, riskClass: String = "", blocked: Bool = false) -> CreditProfile {
        CreditProfile(customerNumber: "C-1", currency: eur, limit: limit, riskClass: riskClass, blocked: blocked, blockReason: blocked ? "fraud" : "")
    }

    @Test func creditDecisionChecksBlockRiskClassOverdueCurrencyThresholdAndLimitInThatOrder() {
        let rules = TenantRules.Credit(autoApproveBelow: ["EUR": 5_000])
        let exposure = Exposure(openReceivables: 60_000, openOrders: 30_000, shippedNotInvoiced: 5_000, maxDaysOverdue: 10)
        func decide(_ p: CreditProfile?, _ e: Exposure = exposure, value: Int64 = 5_000, currency: String = "EUR",
                    rules: TenantRules.Credit = rules) -> CreditCheck.Outcome {
            CreditCheck.decide(profile: p, exposure: e, orderValue: value, orderCurrency: Currency(currency)!, rules: rules)
        }
        #expect(decide(profile(blocked: true), value: 1) == .hold(code: "BLOCKED", reason: "customer is blocked for credit: fraud"))
        #expect(decide(profile(riskClass: "D"), value: 1).isApproved == false)
        var late = exposure
        late.maxDaysOverdue = 31
        #expect(decide(profile(), late, value: 1) == .hold(code: "OVERDUE", reason: "an open item is 31 days past due (the rules allow 30)"))
        late.maxDaysOverdue = 30
        #expect(decide(profile(), late, value: 1).isApproved)
        #expect(decide(nil).isApproved)
        #expect(decide(profile(limit: nil), rules: TenantRules.Credit(unprofiledCustomers: .hold)) == .hold(
            code: "NO_LIMIT", reason: "customer has no credit limit; request one or release the order"))
        if case .hold(let code, _) = decide(profile(), value: 1, currency: "USD") { #expect(code == "CURRENCY") } else { Issue.record("USD order approved") }
        // 95 000 + 5 000 = the limit exactly: approved; one unit more is held.
        #expect(decide(profile(), value: 5_000, rules: TenantRules.Credit()).isApproved)
        #expect(decide(profile(), value: 5_001, rules: TenantRules.Credit()) == .hold(
            code: "OVER_LIMIT",
            reason: "over the credit limit: exposure 950.00 EUR + order 50.01 EUR = 1000.01 EUR > limit 1000.00 EUR"))
        // Below the auto-approve threshold the limit is not looked at; shipped-not-invoiced can be left out.
        #expect(decide(profile(limit: 0), value: 4_999).isApproved)
        var withoutShipped = exposure
        withoutShipped.countsShippedNotInvoiced = false
        #expect(decide(profile(), withoutShipped, value: 10_000, rules: TenantRules.Credit()).isApproved)
        #expect(decide(profile(blocked: true), rules: TenantRules.Credit(checkOrders: false)).isApproved)
    }

    @Test func reservationGrossMatchesInvoiceLineRounding() {
        #expect(Reservation.gross(quantity: 3, unitPrice: 999, rateBasisPoints: 2_000) == 2_997 + 599)
        #expect(Reservation.gross(quantity: 1, unitPrice: 999, rateBasisPoints: 2_000) == 999 + 200)
        #expect(Reservation.gross(quantity: 0, unitPrice: 999, rateBasisPoints: 2_000) == 0)
        #expect(Reservation.gross(quantity: Int64.max, unitPrice: 2, rateBasisPoints: 0) > 1_000_000_000)
    }

    @Test func scoreWeighsOnlyTheComponentsThatHaveData() {
        let rules = TenantRules.Credit()
        let inputs = CreditScore.Inputs(averageDaysLateHundredths: 1_500, paidItems: 2, exposure: 50_000, limit: 100_000,
                                        externalRating: 70, invoicedLast12Months: 1_200_000)
        let score = CreditScore(inputs, rules: rules, today: today)
        #expect(score.payment == 75 && score.utilisation == 50 && score.external == 70 && score.utilisationBasisPoints == 5_000)
        // (75×50 + 50×20 + 70×30 + 50) / 100 = 69 → B: 2 months of 1.2M / 12, review in 180 days.
        #expect(score.score == 69)
        #expect(score.riskClass == "B")
        #expect(score.recommendedLimit == 200_000)
        #expect(score.nextReview == today.adding(days: 180))
        let nothing = CreditScore(CreditScore.Inputs(averageDaysLateHundredths: 0, paidItems: 0, exposure: 0, limit: nil, externalRating: nil,
                                                     invoicedLast12Months: 0), rules: rules, today: today)
        #expect(nothing.score == 50 && nothing.riskClass == "C" && nothing.payment == nil)
        let awful = CreditScore(CreditScore.Inputs(averageDaysLateHundredths: 12_000, paidItems: 5, exposure: 300_000, limit: 100_000,
                                                   externalRating: nil, invoicedLast12Months: 600_000), rules: rules, today: today)
        #expect(awful.score == 0 && awful.riskClass == "D" && awful.recommendedLimit == 0 && awful.nextReview == today.adding(days: 30))
    }

    func candidate(_ n: Int, customer: String = "C-1", due: Int = -20, paid: Int? = nil, open: Int64 = 10_000, held: Int64 = 0,
                   sent: Int = 0, hold: Bool = false) -> DunningPlanner.Candidate {
        DunningPlanner.Candidate(
            itemID: UUID(), documentNumber: "INV-\(n)", customerNumber: customer, currency: "EUR", dueDate: today.adding(days: due),
            lastPayment: paid.map { today.adding(days: $0) }, openAmount: open, heldAmount: held, levelSent: sent, customerOnHold: hold)
    }

    @Test func dunningPlanGroupsByCustomerAndLevelAndSkipsWithAReason() {
        let rules = TenantRules.Collections(dunningMinimum: ["EUR": 1_000])
        let plan = DunningPlanner.plan([
            candidate(1, due: -20),                 // level 2 (15 days)
            candidate(2, due: -16),                 // level 2, same notice
            candidate(3, due: -40),                 // level 3
            candidate(4, due: -40, paid: -3),       // re-anchored 3 days ago: level 1
            candidate(5, due: 0),                   // not overdue
            candidate(6, due: -20, sent: 2),        // already sent at this level
            candidate(7, due: -20, held: 10_000),   // fully disputed
            candidate(8, due: -20, held: 4_000),    // partly disputed: 6 000 dunned
            candidate(9, customer: "C-2", due: -20, hold: true),
            candidate(10, customer: "C-3", due: -20, open: 500),  // a notice below the minimum
        ], asOf: today, rules: rules)
        #expect(plan.notices.map { "\($0.customerNumber)/\($0.level.level)/\($0.items.map(\.candidate.documentNumber))" } == [
            "C-1/2/[\"INV-1\", \"INV-2\", \"INV-8\"]", "C-1/3/[\"INV-3\"]", "C-1/1/[\"INV-4\"]",
        ])
        #expect(plan.notices[0].total == 26_000)
        #expect(plan.notices[2].items[0].daysOverdue == 3)
        #expect(plan.skipped == ["already_dunned": 1, "disputed": 1, "customer_hold": 1, "below_minimum": 1])
    }

    @Test func noticeTextFillsTheTemplate() {
        let text = DunningPlanner.text(template: "Dear {customer_name} ({customer_number}), on {as_of} level {level}:\n{items}\n{currency} {total}",
                                       customerName: "Acme", customerNumber: "C-1", asOf: today, level: 2, currency: eur,
                                       items: [("INV-1", today.adding(days: -20), 20, 12_345)])
        #expect(text == "Dear Acme (C-1), on 2026-11-30 level 2:\n  INV-1  due 2026-11-10  20 days overdue  EUR 123.45\nEUR 123.45\n")
    }

    @Test func worklistPutsUnhandledBrokenPromisesFirstAndRunningPromisesLast() {
        let rules = TenantRules.Collections()
        let ranked = WorklistRanking.rank([
            .init(customerNumber: "SMALL", currency: "EUR", overdue: 1_000, open: 1_000, maxDaysOverdue: 10),
            .init(customerNumber: "BIG", currency: "EUR", overdue: 100_000, open: 100_000, maxDaysOverdue: 10),
            .init(customerNumber: "OLD", currency: "EUR", overdue: 1_000, open: 1_000, maxDaysOverdue: 200, riskClass: "D"),
            .init(customerNumber: "BROKE", currency: "EUR", overdue: 10, open: 10, maxDaysOverdue: 1, brokenPromises: 1, brokenUnhandled: true),
            .init(customerNumber: "WAIT", currency: "EUR", overdue: 100_000, open: 100_000, maxDaysOverdue: 100, promiseRunning: true),
            .init(customerNumber: "USD", currency: "USD", overdue: 50, open: 50, maxDaysOverdue: 10),
        ], rules: rules)
        #expect(ranked.map(\.account.customerNumber) == ["BROKE", "BIG", "USD", "OLD", "SMALL", "WAIT"])
        // BIG: amount 100×40 + days 8×30 + risk 50×15 = 4 990 / 100 → 50. USD is the largest of its
        // currency, so it scores 50 too; the tie goes to the larger amount.
        #expect(ranked.first { $0.account.customerNumber == "BIG" }?.score == 50)
        #expect(ranked.first { $0.account.customerNumber == "USD" }?.score == 50)
        // OLD: amount 1×40 + days 100×30 + risk 100×15 = 4 540 → 45.
        #expect(ranked.first { $0.account.customerNumber == "OLD" }?.score == 45)
        #expect(ranked.first?.account.state == "broken_promise" && ranked.last?.account.state == "promised")
    }

    @Test func provisionAppliesTheMatrixPerBucketAndIgnoresCredits() {
        let lines = ProvisionMatrix.lines(currency: "EUR", labels: ["current", "1-30", ">120"], buckets: [50_000, 10_005, -300],
                                          rates: ["1-30": 150, ">120": 10_000])
        #expect(lines.map(\.provision) == [0, 150, 0])
        #expect(lines.map(\.rateBasisPoints) == [0, 150, 10_000])
    }

    @Test func promiseIsKeptWhenPaidAndBrokenOnlyAfterItsDateAndGrace() {
        let date = today
        #expect(PromiseToPay.evaluate(amount: 100, paid: 100, promisedDate: date, graceDays: 0, asOf: date.adding(days: -5)) == .kept)
        #expect(PromiseToPay.evaluate(amount: 100, paid: 99, promisedDate: date, graceDays: 0, asOf: date) == .open)
        #expect(PromiseToPay.evaluate(amount: 100, paid: 99, promisedDate: date, graceDays: 0, asOf: date.adding(days: 1)) == .broken)
        #expect(PromiseToPay.evaluate(amount: 100, paid: 0, promisedDate: date, graceDays: 2, asOf: date.adding(days: 2)) == .open)
    }

    @Test func approvalNeedsAnotherOperatorWhoseRoleCoversTheAmount() throws {
        let limits = ApprovalLimits(["analyst": ["EUR": 1_000], "admin": ["*": Int64.max]])
        func reason(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch let error as OTCError { return error.details["reason"] } catch { return "?" }
        }
        func authorize(_ approver: String, _ role: Role?, _ amount: Int64, _ currency: String = "EUR") -> String? {
            reason { try limits.authorize(requester: "op:maker", approver: approver, role: role, amount: amount,
                                          currency: Currency(currency)!, section: "s", what: "things") }
        }
        #expect(authorize("op:maker", .admin, 1) == "SAME_OPERATOR")
        #expect(authorize("erp:key", nil, 1) == "NOT_AN_OPERATOR")
        #expect(authorize("op:checker", .analyst, 1_000) == nil)
        #expect(authorize("op:checker", .analyst, 1_001) == "APPROVAL_LIMIT")
        #expect(authorize("op:checker", .analyst, 1, "USD") == "APPROVAL_LIMIT")
        #expect(authorize("op:checker", .teamLead, 1) == "APPROVAL_LIMIT")
        #expect(authorize("op:checker", .admin, 1_000_000_000, "JPY") == nil)
    }

    @Test func rulesDecodePartialSectionsAndRefuseNonsense() throws {
        let decoded = try JSONDecoder().decode(TenantRules.self, from: Data(#"""
            {"credit": {"max_days_overdue": null, "approval_limits": {"analyst": {"EUR": 100}}},
             "collections": {"dunning_minimum": {"EUR": 500}}}
            """#.utf8))
        #expect(decoded.credit.maxDaysOverdue == nil)
        #expect(decoded.credit.riskClasses == TenantRules.Credit.defaultRiskClasses)
        #expect(decoded.credit.approvalLimits.limit(role: .analyst, currency: "EUR") == 100)
        #expect(decoded.credit.approvalLimits.limit(role: .analyst, currency: "USD") == nil)
        #expect(decoded.credit.approvalLimits.limit(role: .teamLead, currency: "EUR") == nil)
        #expect(TenantRules().credit.approvalLimits.limit(role: .admin, currency: "JPY") == Int64.max)
        #expect(decoded.collections.dunningLevels.count == 3)
        #expect(decoded.collections.agingBuckets == [30, 60, 90, 120])
        try decoded.validate()
        var bad = TenantRules()
        bad.collections.dunningLevels = [.init(level: 1, days: 10, action: "a", template: ""), .init(level: 2, days: 5, action: "b", template: "")]
        #expect(throws: OTCError.self) { try bad.validate() }
        bad = TenantRules()
        bad.credit.riskClasses = [.init(name: "A", minScore: 50, reviewDays: 30, limitMonths: 1), .init(name: "B", minScore: 60, reviewDays: 30, limitMonths: 1)]
        #expect(throws: OTCError.self) { try bad.validate() }
        bad = TenantRules()
        bad.collections.writeOffLimits = ApprovalLimits(["clerk": ["EUR": 1]])
        #expect(throws: OTCError.self) { try bad.validate() }
        bad = TenantRules()
        bad.collections.provisionRates = [">120": 12_000]
        #expect(throws: OTCError.self) { try bad.validate() }
    }
}
