import ArgumentParser
import Foundation
import Histogram
import OTCClient
import OTCProto
import SwiftProtobuf
import Synchronization

/// Load generator: closed-loop (or paced) calls over real TLS connections, reporting throughput
/// and latency percentiles. scripts/bench runs it next to pgbench for a same-run baseline.
@main
struct OTCBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "otc-bench", abstract: "Benchmark an otcd.", subcommands: [Ping.self, CreateOrder.self, InvoiceShipment.self, OnboardTenant.self, Aging.self, Worklist.self, CashAppFile.self, CashAppMatch.self, MatchQualityCommand.self])
}

struct LoadOptions: ParsableArguments {
    @Option(help: "otcd address host:port.") var server = "127.0.0.1:7443"
    @Option(help: "PEM certificate of the server to pin (dev certificates).") var caFile: String?
    @Option(help: "Operator token (ping) or platform-admin token (create-order, invoice-shipment: to onboard bench tenants).") var token: String
    @Option(help: "TLS connections.") var connections = 4
    @Option(help: "Calls in flight per connection.") var inFlight = 16
    @Option(help: "Seconds of measured load (after a 1 s warm-up).") var duration = 10
    @Option(help: "Total calls per second to pace at; 0 = as fast as possible.") var rate = 0
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func options(_ credential: ClientCredential) -> ClientOptions {
        let (host, port) = ClientOptions.endpoint(server)
        return ClientOptions(host: host, port: port, credential: credential,
                             trust: caFile.map { .pinned(certificatePath: $0) } ?? .insecure, clientName: "otc-bench")
    }
}

/// Latencies and outcomes gathered by all workers.
final class Recorder: Sendable {
    private let state = Mutex<(histogram: Histogram<UInt64>, errors: [String: Int], ok: Int)>(
        (Histogram(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three), [:], 0))

    func record(microseconds: UInt64) { state.withLock { _ = $0.histogram.record(microseconds); $0.ok += 1 } }
    func fail(_ code: String) { state.withLock { $0.errors[code, default: 0] += 1 } }
    private let measuring = Atomic<Bool>(false)

    /// Forgets the warm-up: the first worker past the warm-up clears what was recorded so far.
    func startMeasuring() {
        guard measuring.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        state.withLock {
            $0 = (Histogram(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three), [:], 0)
        }
    }

    func report(scenario: String, seconds: Double, load: LoadOptions, extra: [String: String] = [:]) -> String {
        state.withLock { s in
            let throughput = Double(s.ok) / seconds
            func ms(_ p: Double) -> Double { Double(s.histogram.valueAtPercentile(p)) / 1000 }
            if load.json {
                var object: [String: Any] = [
                    "scenario": scenario, "calls": s.ok, "seconds": seconds, "throughput": throughput,
                    "p50_ms": ms(50), "p99_ms": ms(99), "p999_ms": ms(99.9), "max_ms": Double(s.histogram.max) / 1000,
                    "errors": s.errors, "connections": load.connections, "in_flight": load.inFlight, "rate": load.rate,
                ]
                for (k, v) in extra { object[k] = v }
                let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                return String(decoding: data, as: UTF8.self)
            }
            let errors = s.errors.isEmpty ? "none" : s.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            return """
                scenario     \(scenario)\(extra.isEmpty ? "" : " (" + extra.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + ")")
                load         \(load.connections) connections × \(load.inFlight) in flight\(load.rate > 0 ? ", paced at \(load.rate)/s" : ", unpaced")
                calls        \(s.ok) in \(String(format: "%.1f", seconds)) s
                throughput   \(String(format: "%.0f", throughput)) calls/s
                latency      p50 \(String(format: "%.2f", ms(50))) ms   p99 \(String(format: "%.2f", ms(99))) ms   p99.9 \(String(format: "%.2f", ms(99.9))) ms   max \(String(format: "%.2f", Double(s.histogram.max) / 1000)) ms
                errors       \(errors)
                """
        }
    }
}

/// Thrown by a scenario's call when it has no work left (e.g. no unused order): the worker stops,
/// and nothing is recorded for that attempt.
struct LoadExhausted: Error {}

/// Runs `call` from connections × inFlight workers for the warm-up plus the duration, or until
/// every worker's call has thrown `LoadExhausted`; returns the measured seconds.
func runLoad(_ load: LoadOptions, connections: [OTCConnection], recorder: Recorder,
             call: @escaping @Sendable (OTCConnection, Int, Int) async throws -> Void) async -> Double {
    let workers = connections.count * load.inFlight
    let interval: Duration? = load.rate > 0 ? .nanoseconds(Int64(1_000_000_000) * Int64(workers) / Int64(load.rate)) : nil
    let start = ContinuousClock.now
    let measureFrom = start + .seconds(1)
    let end = measureFrom + .seconds(load.duration)
    await withTaskGroup(of: Void.self) { group in
        for worker in 0..<workers {
            let connection = connections[worker % connections.count]
            group.addTask {
                var next = ContinuousClock.now + (interval.map { $0 * Double(worker) / Double(workers) } ?? .zero)
                var sequence = 0
                while ContinuousClock.now < end {
                    if let interval {
                        try? await Task.sleep(until: next, clock: .continuous)
                        next += interval
                    }
                    if ContinuousClock.now >= measureFrom { recorder.startMeasuring() }
                    let began = ContinuousClock.now
                    do {
                        try await call(connection, worker, sequence)
                        let elapsed = ContinuousClock.now - began
                        recorder.record(microseconds: UInt64(max(0, elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)))
                    } catch is LoadExhausted {
                        break
                    } catch let error as RPCStatusError {
                        recorder.fail(error.code.name)
                    } catch {
                        recorder.fail("\(type(of: error))")
                    }
                    sequence += 1
                }
            }
        }
    }
    let measured = ContinuousClock.now - measureFrom
    return Double(measured.components.seconds) + Double(measured.components.attoseconds) / 1e18
}

/// A bench order for customer C-1 in EUR: line n has quantity n at 19.99, standard tax.
func benchOrder(ref: String, po: String, lines: Int) -> Otc_Orders_V1_CreateOrderRequest {
    var request = Otc_Orders_V1_CreateOrderRequest()
    request.orderRef = ref
    request.customerNumber = "C-1"
    request.customerPo = po
    request.currency = "EUR"
    request.lines = (1...lines).map { n in
        var line = Otc_Orders_V1_OrderLine()
        line.lineNo = UInt32(n)
        line.sku = "SKU-\(n)"
        line.quantity = Int64(n)
        line.unitPrice.units = 1999
        line.unitPrice.currency = "EUR"
        line.taxCode = "STD"
        return line
    }
    return request
}

struct Ping: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "SystemService/Ping through router and admission (no database).")
    @OptionGroup var load: LoadOptions

    func run() async throws {
        var connections: [OTCConnection] = []
        for _ in 0..<load.connections { connections.append(try await OTCConnection.connect(load.options(.operatorToken(load.token)))) }
        let recorder = Recorder()
        let payload = Data(repeating: 0x61, count: 32)
        let seconds = await runLoad(load, connections: connections, recorder: recorder) { connection, _, _ in
            var request = Otc_System_V1_PingRequest()
            request.payload = payload
            let _: Otc_System_V1_PingResponse = try await connection.call("/otc.system.v1.SystemService/Ping", request: request)
        }
        print(recorder.report(scenario: "ping", seconds: seconds, load: load))
        for connection in connections { await connection.close() }
    }
}

struct CreateOrder: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-order",
        abstract: "OrderService/CreateOrder (3 lines) from ERP keys of freshly onboarded bench tenants.")
    @OptionGroup var load: LoadOptions
    @Option(help: "Bench tenants to onboard; calls spread over them.") var tenants = 2

    func run() async throws {
        let admin = try await OTCConnection.connect(load.options(.operatorToken(load.token)))
        let run = String(UUID().uuidString.prefix(6)).lowercased()
        var keys: [(slug: String, key: String)] = []
        for index in 0..<tenants {
            var onboard = Otc_Admin_V1_OnboardTenantRequest()
            onboard.slug = "bench_\(run)_\(index)"
            onboard.name = "Bench tenant \(index)"
            onboard.baseCurrency = "EUR"
            onboard.timeZone = "UTC"
            let response: Otc_Admin_V1_OnboardTenantResponse = try await admin.call(
                "/otc.admin.v1.AdminService/OnboardTenant", request: onboard, timeout: .seconds(120))
            keys.append((onboard.slug, response.erpCredential.apiKey))
        }
        var connections: [OTCConnection] = []
        var tenantOf: [ObjectIdentifier: String] = [:]
        for index in 0..<load.connections {
            let (slug, key) = keys[index % keys.count]
            let connection = try await OTCConnection.connect(load.options(.apiKey(key)))
            var customer = Otc_Customers_V1_UpsertCustomerRequest()
            customer.customer.number = "C-1"
            customer.customer.name = "Bench customer"
            customer.customer.currency = "EUR"
            let _: Otc_Customers_V1_Customer = try await connection.call(
                "/otc.customers.v1.CustomerService/UpsertCustomer", tenant: slug, request: customer)
            connections.append(connection)
            tenantOf[ObjectIdentifier(connection)] = slug
        }
        let tenantMap = tenantOf
        let recorder = Recorder()
        let seconds = await runLoad(load, connections: connections, recorder: recorder) { connection, worker, sequence in
            let request = benchOrder(ref: "B-\(run)-\(worker)-\(sequence)", po: "PO-\(worker)-\(sequence)", lines: 3)
            let _: Otc_Orders_V1_Order = try await connection.call(
                "/otc.orders.v1.OrderService/CreateOrder", tenant: tenantMap[ObjectIdentifier(connection)]!, request: request,
                idempotencyKey: request.orderRef)
        }
        print(recorder.report(scenario: "create-order", seconds: seconds, load: load,
                              extra: ["tenants": keys.map(\.slug).joined(separator: " ")]))
        for connection in connections { await connection.close() }
        await admin.close()
    }
}
