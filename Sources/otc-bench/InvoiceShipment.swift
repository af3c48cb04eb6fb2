import ArgumentParser
import Foundation
import OTCClient
import OTCProto
import Synchronization

/// OrderService/RecordShipment with invoice-on-shipment: every call ships all 5 lines of a released
/// order, which issues one invoice in the same transaction. One tenant = one number series, so all
/// calls contend on the gapless numbering. scripts/bench runs pgbench with
/// scripts/bench-sql/invoice_shipment.sql next to it.
struct InvoiceShipment: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoice-shipment",
        abstract: "OrderService/RecordShipment of 5-line orders, each issuing one invoice, in one bench tenant.",
        discussion: """
            Onboards one tenant, creates --orders released 5-line orders (not measured), then ships one \
            order per call. A tenant admits 16 calls in flight by default (tenant_calls_in_flight), so \
            keep connections × in-flight at or below that. Afterwards the invoice numbers are checked \
            to be gapless 1…n without duplicates, and the tenant's ledger check to be clean.
            """)
    @OptionGroup var load: LoadOptions
    @Option(help: "Released 5-line orders to create before the measured load; one is shipped per call.") var orders = 4000

    static let lineCount = 5
    static let ship = "/otc.orders.v1.OrderService/RecordShipment"

    func run() async throws {
        guard orders > 0 else { throw ValidationError("--orders must be positive") }
        let admin = try await OTCConnection.connect(load.options(.operatorToken(load.token)))
        let run = String(UUID().uuidString.prefix(6)).lowercased()
        var onboard = Otc_Admin_V1_OnboardTenantRequest()
        onboard.slug = "bench_inv_\(run)"
        onboard.name = "Bench invoicing tenant"
        onboard.baseCurrency = "EUR"
        onboard.timeZone = "UTC"
        let onboarded: Otc_Admin_V1_OnboardTenantResponse = try await admin.call(
            "/otc.admin.v1.AdminService/OnboardTenant", request: onboard, timeout: .seconds(120))
        await admin.close()
        let slug = onboard.slug
        let key = onboarded.erpCredential.apiKey

        var connections: [OTCConnection] = []
        for _ in 0..<load.connections { connections.append(try await OTCConnection.connect(load.options(.apiKey(key)))) }
        var customer = Otc_Customers_V1_UpsertCustomerRequest()
        customer.customer.number = "C-1"
        customer.customer.name = "Bench customer"
        customer.customer.currency = "EUR"
        customer.customer.email = "ap@customer.example"
        let _: Otc_Customers_V1_Customer = try await connections[0].call(
            "/otc.customers.v1.CustomerService/UpsertCustomer", tenant: slug, request: customer)

        let ids = try await createOrders(run: run, slug: slug, connections: connections)

        // The measured load: each call takes the next unused order.
        let next = Counter()
        let ranOut = Shared<ContinuousClock.Instant?>(nil)
        let issued = Shared<[String]>([])
        let recorder = Recorder()
        let started = ContinuousClock.now
        let seconds = await runLoad(load, connections: connections, recorder: recorder) { connection, _, _ in
            let index = next.take()
            guard index < ids.count else {
                ranOut.withLock { if $0 == nil { $0 = .now } }
                throw LoadExhausted()
            }
            var request = Otc_Orders_V1_RecordShipmentRequest()
            request.orderID = ids[index]
            request.shipmentRef = "S-\(index)"
            request.carrier = "BenchCarrier"
            request.tracking = "T\(run)\(index)"
            request.lines = (1...Self.lineCount).map { n in
                var line = Otc_Orders_V1_ShipmentLine()
                line.lineNo = UInt32(n)
                line.quantity = Int64(n)
                return line
            }
            let response: Otc_Orders_V1_RecordShipmentResponse = try await connection.call(
                Self.ship, tenant: slug, request: request, idempotencyKey: "ship-\(run)-\(index)")
            guard !response.shipment.invoiceNumber.isEmpty else { throw NotInvoiced() }
            issued.withLock { $0.append(response.shipment.invoiceNumber) }
        }
        let used = min(next.value, ids.count)
        var extra = ["tenant": slug, "orders_used": "\(used) of \(ids.count)"]
        if let ranOut = ranOut.withLock({ $0 }) {
            let into = ranOut - (started + .seconds(1))
            let at = Double(into.components.seconds) + Double(into.components.attoseconds) / 1e18
            guard at > 0 else {
                for connection in connections { await connection.close() }
                throw ValidationError("the \(ids.count) orders ran out during the 1 s warm-up; pass a larger --orders")
            }
            extra["note"] = String(format: "orders ran out %.1f s into the %d s measured window; measured until the last call finished",
                                   at, load.duration)
        }

        // Gapless 1…n without duplicates, as the callers saw it and as the API lists it.
        let verdict = try await verify(issued: issued.withLock { $0 }, slug: slug, connection: connections[0])
        if load.json {
            extra["numbering"] = verdict.numbering
            extra["ledger"] = verdict.ledger
        }
        print(recorder.report(scenario: "invoice-shipment", seconds: seconds, load: load, extra: extra))
        if !load.json {
            print("numbering    \(verdict.numbering)")
            print("ledger       \(verdict.ledger)")
        }
        for connection in connections { await connection.close() }
        guard verdict.ok else {
            throw ValidationError("invoice numbering or ledger check failed: \(verdict.numbering); \(verdict.ledger)")
        }
    }

    /// Creates the released orders concurrently over the connections (at most 16 in flight: one
    /// tenant's admission limit). Returns their ids in creation order.
    func createOrders(run: String, slug: String, connections: [OTCConnection]) async throws -> [String] {
        let total = orders
        let next = Counter()
        let done = Counter()
        let ids = Shared<[String]>(Array(repeating: "", count: total))
        let workers = min(connections.count * load.inFlight, 16)
        let step = max(1, total / 10)
        let began = ContinuousClock.now
        stderr("invoice-shipment: creating \(total) released \(Self.lineCount)-line orders in tenant \(slug) (\(workers) in flight)")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                let connection = connections[worker % connections.count]
                group.addTask {
                    while true {
                        let index = next.take()
                        guard index < total else { return }
                        let request = benchOrder(ref: "I-\(run)-\(index)", po: "PO-\(run)-\(index)", lines: Self.lineCount)
                        let order: Otc_Orders_V1_Order = try await connection.callWithRetry(
                            "/otc.orders.v1.OrderService/CreateOrder", tenant: slug, request: request,
                            idempotencyKey: "create-\(run)-\(index)")
                        guard order.status == .released else {
                            throw ValidationError("order \(order.orderRef) is \(order.status), not released: \(order.holdReason)")
                        }
                        ids.withLock { $0[index] = order.id }
                        let count = done.take() + 1
                        if count % step == 0 || count == total { stderr("invoice-shipment: created \(count)/\(total) orders") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - began
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        stderr(String(format: "invoice-shipment: orders ready in %.1f s (%.0f orders/s, not measured)", secs, Double(total) / secs))
        return ids.withLock { $0 }
    }

    struct Verdict {
        var ok: Bool
        var numbering: String
        var ledger: String
    }

    /// Lists every invoice of the tenant (paging through ListDocuments), checks that the running
    /// numbers of the one series are exactly 1…n and match what the calls returned, then runs the
    /// ledger check.
    func verify(issued: [String], slug: String, connection: OTCConnection) async throws -> Verdict {
        var listed: [String] = []
        var request = Otc_Billing_V1_ListDocumentsRequest()
        request.kinds = ["invoice"]
        request.page.pageSize = 500
        repeat {
            let page: Otc_Billing_V1_ListDocumentsResponse = try await connection.call(
                "/otc.billing.v1.BillingService/ListDocuments", tenant: slug, request: request, timeout: .seconds(60))
            listed += page.documents.map(\.number)
            request.page.pageToken = page.nextPageToken
        } while !request.page.pageToken.isEmpty

        var problems: [String] = []
        // "INV-2026-000042" → series "INV-2026-", value 42.
        var series = Set<String>()
        var values: [Int] = []
        for number in listed {
            let digits = number.reversed().prefix { $0.isNumber }.reversed()
            guard let value = Int(String(digits)) else { problems.append("\(number) has no running number"); continue }
            series.insert(String(number.dropLast(digits.count)))
            values.append(value)
        }
        if series.count > 1 { problems.append("\(series.count) series: \(series.sorted().joined(separator: ", "))") }
        let counts = Dictionary(values.map { ($0, 1) }, uniquingKeysWith: +)
        let duplicates = counts.filter { $0.value > 1 }.keys.sorted()
        if !duplicates.isEmpty { problems.append("\(duplicates.count) duplicate numbers (first \(duplicates[0]))") }
        let n = values.count
        let missing = n == 0 ? [] : (1...n).filter { counts[$0] == nil }
        if !missing.isEmpty { problems.append("\(missing.count) gaps in 1…\(n) (first \(missing[0]))") }
        if Set(issued) != Set(listed) || issued.count != listed.count {
            problems.append("the calls returned \(issued.count) numbers (\(Set(issued).count) distinct), the API lists \(listed.count)")
        }
        let numbering = problems.isEmpty
            ? "gapless \(series.first ?? "")1…\(n), no duplicates, \(n) invoices = \(issued.count) successful calls"
            : "NOT gapless: " + problems.joined(separator: "; ")

        let check: Otc_Receivables_V1_CheckLedgerResponse = try await connection.call(
            "/otc.receivables.v1.LedgerService/CheckLedger", tenant: slug, request: Otc_Receivables_V1_CheckLedgerRequest(),
            timeout: .seconds(60))
        let ledger = check.clean
            ? "clean (\(check.itemsChecked) items, \(check.postingsChecked) postings checked)"
            : "NOT clean: " + check.violations.prefix(5).map { "\($0.rule) \($0.subject): \($0.detail)" }.joined(separator: "; ")
        return Verdict(ok: problems.isEmpty && check.clean && n > 0, numbering: numbering, ledger: ledger)
    }
}

/// Hands out 0, 1, 2, … to concurrent workers.
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)
    func take() -> Int { atomic.wrappingAdd(1, ordering: .relaxed).oldValue }
    var value: Int { atomic.load(ordering: .relaxed) }
}

/// A value shared by concurrent workers.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout sending Value) -> sending R) -> R { mutex.withLock(body) }
}

/// A shipment that came back without an invoice number (the tenant does not invoice on shipment).
struct NotInvoiced: Error {}

func stderr(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
