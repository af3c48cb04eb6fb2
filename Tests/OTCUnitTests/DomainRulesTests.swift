import Foundation
import OTCCore
import OTCOrders
@testable import OTCReceivables
import Testing

@Suite("Money, slugs and paging")
struct CoreTypesTests {
    @Test func moneyPrintsMinorUnitsWithoutRounding() throws {
        let eur = Currency("EUR")!
        #expect(Money(units: 123450, currency: eur).description == "1234.50 EUR")
        #expect(Money(units: -5, currency: eur).description == "-0.05 EUR")
        #expect(Money(units: 1500, currency: Currency("JPY")!).description == "1500 JPY")
        #expect(Money(units: 1234, currency: Currency("KWD")!).description == "1.234 KWD")
    }

    @Test func moneyRefusesMixedCurrenciesAndOverflow() {
        let eur = Money(units: 1, currency: Currency("EUR")!)
        let usd = Money(units: 1, currency: Currency("USD")!)
        #expect(throws: MoneyError.currencyMismatch(Currency("EUR")!, Currency("USD")!)) { try eur.adding(usd) }
        #expect(throws: MoneyError.overflow) { try Money(units: .max, currency: eur.currency).multiplied(by: 2) }
    }

    @Test func currencyCodesAreThreeUpperCaseLetters() {
        #expect(Currency("EUR") != nil)
        for bad in ["eur", "EURO", "E1R", ""] { #expect(Currency(bad) == nil) }
    }

    @Test func tenantSlugsFollowTheRuleThatKeepsIdentifiersSafe() {
        for good in ["acme", "a1", "globex_de", String(repeating: "a", count: 31)] { #expect(TenantSlug(good) != nil) }
        for bad in ["a", "1acme", "Acme", "ac-me", "acme;drop", "tenant\"x", String(repeating: "a", count: 32), ""] {
            #expect(TenantSlug(bad) == nil, "\(bad) must be refused")
        }
        #expect(TenantSlug("acme")!.schemaName == "tenant_acme")
        #expect(TenantSlug("acme")!.roleName == "otc_t_acme")
    }

    @Test func pagingClampsAndRoundTripsTokens() throws {
        #expect(try Paging(pageSize: 0, pageToken: "", kind: "orders").limit == 50)
        #expect(try Paging(pageSize: 9999, pageToken: "", kind: "orders").limit == 500)
        let first = try Paging(pageSize: 2, pageToken: "", kind: "orders")
        let token = first.nextToken(lastKey: "17", returned: 2, kind: "orders")
        #expect(try Paging(pageSize: 2, pageToken: token, kind: "orders").after == "17")
        #expect(first.nextToken(lastKey: "17", returned: 1, kind: "orders") == "")
        #expect(throws: OTCError.self) { try Paging(pageSize: 2, pageToken: token, kind: "customers") }
    }

    @Test func jsonTextEscapesAndSortsLikeJSONSerializationReadsIt() throws {
        let fields = ["b": "quote \" backslash \\ newline \n tab \t bell \u{07}", "a": "Zürich €"]
        let text = JSONText.object(fields)
        #expect(text.hasPrefix("{\"a\":"))
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(parsed == fields)
        #expect(JSONText.object([:]) == "{}")
    }

    @Test func writeScopeImpliesRead() {
        #expect(Scope.ordersRead.isSatisfied(by: [.ordersWrite]))
        #expect(!Scope.ordersWrite.isSatisfied(by: [.ordersRead]))
        #expect(!Scope.customersRead.isSatisfied(by: [.ordersWrite]))
    }

    @Test func paymentTermsParseNetAndDiscount() {
        #expect(PaymentTerms("NET30") == PaymentTerms(netDays: 30, discountBasisPoints: 0, discountDays: 0))
        #expect(PaymentTerms("2/10NET30") == PaymentTerms(netDays: 30, discountBasisPoints: 200, discountDays: 10))
        for bad in ["30", "NET", "2/40NET30", "x/10NET30"] { #expect(PaymentTerms(bad) == nil, "\(bad)") }
    }
}

@Suite("Order validation")
struct OrderValidationTests {
    let eur = Currency("EUR")!

    func customer(blocked: Bool = false, currency: String = "EUR") -> Customer {
        Customer(number: "C-1", name: "Acme", currency: Currency(currency)!, country: "DE", taxID: "", email: "",
                 blocked: blocked, blockReason: blocked ? "insolvency" : "", paymentTerms: "NET30", invoiceChannel: "email",
                 createdAt: Date(), updatedAt: Date(), version: 1)
    }

    func draft(po: String = "", lines: [OrderLine]? = nil, currency: String = "EUR") throws -> OrderDraft {
        try OrderDraft(orderRef: "SO-1", customerNumber: "C-1", customerPO: po, currency: currency,
                       lines: lines ?? [OrderLine(lineNo: 1, sku: "A", description: "", quantity: 2, unitOfMeasure: "EA",
                                                  unitPrice: Money(units: 100, currency: Currency(currency) ?? eur), taxCode: "STD")],
                       requestedDate: nil, maxLines: 10)
    }

    @Test func cleanOrderHasNoDiscrepancies() throws {
        let found = OrderValidation.discrepancies(of: try draft(), facts: .init(customer: customer(), ordersWithSamePO: []), rules: .defaults)
        #expect(found.isEmpty)
    }

    @Test func findsEveryProblemAtOnce() throws {
        let lines = [
            OrderLine(lineNo: 1, sku: "A", description: "", quantity: 0, unitOfMeasure: "EA", unitPrice: Money(units: 100, currency: eur), taxCode: "STD"),
            OrderLine(lineNo: 2, sku: "B", description: "", quantity: 1, unitOfMeasure: "EA", unitPrice: Money(units: -1, currency: eur), taxCode: "XX"),
            OrderLine(lineNo: 3, sku: "C", description: "", quantity: 1, unitOfMeasure: "EA", unitPrice: Money(units: 5, currency: Currency("USD")!), taxCode: "STD"),
        ]
        let found = OrderValidation.discrepancies(
            of: try draft(po: "PO-1", lines: lines),
            facts: .init(customer: customer(blocked: true, currency: "USD"), ordersWithSamePO: ["SO-0"]), rules: .defaults)
        #expect(found.map(\.code) == ["customer_blocked", "currency_mismatch", "duplicate_customer_po", "quantity_not_positive",
                                      "price_not_positive", "tax_code_unknown", "line_currency_mismatch"])
        #expect(found.first { $0.code == "tax_code_unknown" }?.lineNo == 2)
    }

    @Test func unknownCustomerIsADiscrepancyNotAnError() throws {
        let found = OrderValidation.discrepancies(of: try draft(), facts: .init(customer: nil, ordersWithSamePO: []), rules: .defaults)
        #expect(found.map(\.code) == ["customer_unknown"])
    }

    @Test func rulesCanSwitchChecksOff() throws {
        var rules = TenantRules.defaults
        rules.validation.duplicateCustomerPOCheck = false
        let found = OrderValidation.discrepancies(of: try draft(po: "PO-1"), facts: .init(customer: customer(), ordersWithSamePO: ["SO-0"]), rules: rules)
        #expect(found.isEmpty)
    }

    @Test func structurallyBrokenOrdersAreRefusedOutright() {
        #expect(throws: OTCError.self) { try OrderDraft(orderRef: "", customerNumber: "C", customerPO: "", currency: "EUR", lines: [], requestedDate: nil, maxLines: 5) }
        #expect(throws: OTCError.self) { try draft(lines: []) }
        #expect(throws: OTCError.self) { try draft(currency: "EURO") }
        let dup = OrderLine(lineNo: 1, sku: "A", description: "", quantity: 1, unitOfMeasure: "EA", unitPrice: Money(units: 1, currency: eur), taxCode: "STD")
        #expect(throws: OTCError.self) { try draft(lines: [dup, dup]) }
        #expect(throws: OTCError.self) {
            try OrderDraft(orderRef: "SO", customerNumber: "C", customerPO: "", currency: "EUR", lines: [dup], requestedDate: "2026-02-30", maxLines: 5)
        }
    }

    @Test func storedRulesWithMissingSectionsTakeDefaults() throws {
        let rules = try JSONDecoder().decode(TenantRules.self, from: Data(#"{"tax_codes":{"V":1900}}"#.utf8))
        #expect(rules.taxCodes == ["V": 1900])
        #expect(rules.validation == TenantRules.Validation())
        #expect(rules.slaHours(for: "order_validation_hold") == 4)
    }
}
