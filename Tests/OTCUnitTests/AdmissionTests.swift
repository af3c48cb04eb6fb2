import OTCCore
@testable import OTCServer
import Testing

@Suite("Admission")
struct AdmissionTests {
    let acme = TenantSlug("acme")!
    let globex = TenantSlug("globex")!

    func method(_ access: MethodAccess) -> RPCMethod {
        RPCMethod(name: "/otc.orders.v1.OrderService/CreateOrder", access: access, mutating: true) { _, _ in [] }
    }

    @Test func erpKeyActsOnlyForItsTenantWithItsScopes() throws {
        let erp = Principal.erp(credentialID: "k", tenant: acme, scopes: [.ordersWrite])
        let create = method(.tenant(scope: .ordersWrite, role: .analyst))
        #expect(throws: Never.self) { try Admission.authorize(erp, tenant: acme, method: create) }
        #expect(throws: OTCError.self) { try Admission.authorize(erp, tenant: globex, method: create) }
        #expect(throws: OTCError.self) { try Admission.authorize(erp, tenant: acme, method: method(.tenant(scope: .customersWrite, role: .analyst))) }
        #expect(throws: OTCError.self) { try Admission.authorize(erp, tenant: acme, method: method(.tenant(scope: .ordersWrite, role: .analyst, erpAllowed: false))) }
        #expect(throws: OTCError.self) { try Admission.authorize(erp, tenant: nil, method: create) }
        #expect(throws: OTCError.self) { try Admission.authorize(erp, tenant: acme, method: method(.platformAdmin)) }
    }

    @Test func operatorRoleIsLeftToTheTenantTransactionButAdminOnlyMethodsAreNot() throws {
        let analyst = Principal.operatorAccount(login: "ann", grants: [acme: .analyst], platformAdmin: false)
        // The grant check itself runs in TenantStore.enter against live grants (integration tests).
        #expect(try Admission.authorize(analyst, tenant: acme, method: method(.tenant(scope: .ordersWrite, role: .teamLead))) == .teamLead)
        #expect(throws: OTCError.self) { try Admission.authorize(analyst, tenant: acme, method: method(.platformAdmin)) }
        #expect(throws: OTCError.self) { try Admission.authorize(analyst, tenant: nil, method: method(.tenant(scope: .ordersRead, role: .viewer))) }
        let admin = Principal.operatorAccount(login: "root", grants: [:], platformAdmin: true)
        #expect(throws: Never.self) { try Admission.authorize(admin, tenant: nil, method: method(.platformAdmin)) }
    }

    @Test func tenantInFlightLimitAndBulkheadRefuseWithRetryHint() throws {
        var limits = AdmissionLimits()
        limits.tenantCallsInFlight = 2
        limits.serviceCallsInFlight = 3
        let admission = Admission(limits: limits)
        try admission.acquire(tenant: acme, service: "S")
        try admission.acquire(tenant: acme, service: "S")
        do {
            try admission.acquire(tenant: acme, service: "S")
            Issue.record("third call of acme admitted")
        } catch let error as OTCError {
            #expect(error.code == .resourceExhausted)
            #expect(error.details["retry_after_ms"] != nil)
        }
        try admission.acquire(tenant: globex, service: "S")
        #expect(throws: OTCError.self) { try admission.acquire(tenant: globex, service: "S") }
        admission.release(tenant: acme, service: "S")
        try admission.acquire(tenant: globex, service: "S")
    }

    @Test func tokenBucketRefillsAtTheRate() {
        let start = ContinuousClock.now
        var bucket = TokenBucket(rate: 10, burst: 10, now: start)
        var taken = 0
        for _ in 0..<10 where bucket.take(now: start) { taken += 1 }
        #expect(taken == 10)
        let eleventh = bucket.take(now: start)
        #expect(!eleventh)
        #expect(bucket.millisecondsUntilToken() == 100)
        let refilled = bucket.take(now: start + .milliseconds(100))
        let again = bucket.take(now: start + .milliseconds(100))
        #expect(refilled && !again)
    }
}
