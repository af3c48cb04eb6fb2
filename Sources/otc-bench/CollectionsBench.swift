import ArgumentParser
import Foundation
import Histogram
import OTCClient
import OTCProto

/// Latency of the collections reads on a large tenant: GetAging and GetWorklist, one call at a
/// time (latency, not throughput), after warm-up calls. scripts/bench onboards a tenant with
/// `onboard-tenant`, fills it with scripts/bench-sql/seed_collections.sql (200 000 open items,
/// 20 000 customers) and runs pgbench with scripts/bench-sql/aging.sql and worklist.sql beside
/// these for the same-run baseline.

/// Connection and repetition options of the sequential (one call at a time) benchmarks.
struct SequentialOptions: ParsableArguments {
    @Option(help: "otcd address host:port.") var server = "127.0.0.1:7443"
    @Option(help: "PEM certificate of the server to pin (dev certificates).") var caFile: String?
    @Option(help: "Operator token with a role on the tenant (the platform-admin token will do).") var token: String
    @Option(help: "Tenant slug to call.") var tenant: String
    @Option(help: "Measured calls, one at a time.") var iterations = 20
    @Option(help: "Calls before the measured ones (not recorded).") var warmup = 2
    @Option(help: "page_size of each call.") var pageSize = 50
    @Option(help: "Deadline of each call in seconds.") var timeout = 60
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func validate() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
    }

    func connect() async throws -> OTCConnection {
        let (host, port) = ClientOptions.endpoint(server)
        return try await OTCConnection.connect(ClientOptions(
            host: host, port: port, credential: .operatorToken(token),
            trust: caFile.map { .pinned(certificatePath: $0) } ?? .insecure, clientName: "otc-bench"))
    }

    /// Runs `call` `warmup` times unrecorded, then `iterations` times recorded, one at a time.
    /// Errors are not retried: a failed call fails the benchmark.
    func measure<Reply>(_ call: () async throws -> Reply) async throws -> (latency: SequentialLatency, last: Reply) {
        for _ in 0..<warmup { _ = try await call() }
        var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        var total: UInt64 = 0
        var last: Reply?
        for _ in 0..<iterations {
            let began = ContinuousClock.now
            last = try await call()
            let elapsed = ContinuousClock.now - began
            let micros = UInt64(max(0, elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000))
            _ = histogram.record(micros)
            total += micros
        }
        func ms(_ p: Double) -> Double { Double(histogram.valueAtPercentile(p)) / 1000 }
        let latency = SequentialLatency(calls: iterations, p50: ms(50), p99: ms(99), max: Double(histogram.max) / 1000,
                                        min: Double(histogram.min) / 1000, mean: Double(total) / Double(iterations) / 1000)
        return (latency, last!)
    }

    /// One JSON object (or a few lines of text) with the latencies and what the reply said.
    func report(scenario: String, latency: SequentialLatency, reply: [String: Any]) -> String {
        if json {
            var object: [String: Any] = [
                "scenario": scenario, "tenant": tenant, "calls": latency.calls, "warmup": warmup, "page_size": pageSize,
                "p50_ms": latency.p50, "p99_ms": latency.p99, "max_ms": latency.max, "min_ms": latency.min, "mean_ms": latency.mean,
            ]
            for (key, value) in reply { object[key] = value }
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        return """
            scenario     \(scenario) (tenant \(tenant), page_size \(pageSize))
            calls        \(latency.calls) one at a time, after \(warmup) warm-up calls
            latency      p50 \(String(format: "%.2f", latency.p50)) ms   p99 \(String(format: "%.2f", latency.p99)) ms   max \(String(format: "%.2f", latency.max)) ms   mean \(String(format: "%.2f", latency.mean)) ms
            reply        \(reply.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
            """
    }
}

struct SequentialLatency {
    var calls: Int
    var p50: Double
    var p99: Double
    var max: Double
    var min: Double
    var mean: Double
}

/// A date `daysAgo` days before today in UTC (the bench tenants' time zone).
func benchDate(daysAgo: Int) -> Otc_Common_V1_Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = .gmt
    let day = calendar.date(byAdding: .day, value: -daysAgo, to: Date())!
    let parts = calendar.dateComponents([.year, .month, .day], from: day)
    var date = Otc_Common_V1_Date()
    date.year = Int32(parts.year!)
    date.month = Int32(parts.month!)
    date.day = Int32(parts.day!)
    return date
}

/// Onboards one empty bench tenant (UTC, EUR) and prints its slug; scripts/bench fills it with SQL.
struct OnboardTenant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onboard-tenant", abstract: "AdminService/OnboardTenant of one empty bench tenant; prints its slug.")
    @Option(help: "otcd address host:port.") var server = "127.0.0.1:7443"
    @Option(help: "PEM certificate of the server to pin (dev certificates).") var caFile: String?
    @Option(help: "Platform-admin token.") var token: String
    @Option(help: "Slug prefix; a random suffix is added.") var prefix = "bench_coll"

    func run() async throws {
        let (host, port) = ClientOptions.endpoint(server)
        let admin = try await OTCConnection.connect(ClientOptions(
            host: host, port: port, credential: .operatorToken(token),
            trust: caFile.map { .pinned(certificatePath: $0) } ?? .insecure, clientName: "otc-bench"))
        var onboard = Otc_Admin_V1_OnboardTenantRequest()
        onboard.slug = "\(prefix)_\(String(UUID().uuidString.prefix(6)).lowercased())"
        onboard.name = "Bench collections tenant"
        onboard.baseCurrency = "EUR"
        onboard.timeZone = "UTC"
        let _: Otc_Admin_V1_OnboardTenantResponse = try await admin.call(
            "/otc.admin.v1.AdminService/OnboardTenant", request: onboard, timeout: .seconds(120))
        await admin.close()
        print(onboard.slug)
    }
}

struct Aging: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "CollectionsService/GetAging (first page), one call at a time.",
        discussion: """
            As of today (the server reads open amounts) or, with --as-of-days-ago, as of a past date \
            (the server subtracts the applications made after it from every item issued by then).
            """)
    @OptionGroup var options: SequentialOptions
    @Option(help: "Age as of this many days before today (UTC); 0 = today, as_of left unset.") var asOfDaysAgo = 0

    func run() async throws {
        let connection = try await options.connect()
        var request = Otc_Collections_V1_GetAgingRequest()
        request.pageSize = UInt32(options.pageSize)
        if asOfDaysAgo > 0 { request.asOf = benchDate(daysAgo: asOfDaysAgo) }
        let (latency, reply) = try await options.measure {
            let aging: Otc_Collections_V1_Aging = try await connection.call(
                "/otc.collections.v1.CollectionsService/GetAging", tenant: options.tenant, request: request,
                timeout: .seconds(options.timeout))
            return aging
        }
        await connection.close()
        let asOf = String(format: "%04d-%02d-%02d", reply.asOf.year, reply.asOf.month, reply.asOf.day)
        let totals = reply.totals.map { "\($0.currency) \($0.items) items, total \($0.total), overdue \($0.overdue)" }
        print(options.report(scenario: asOfDaysAgo > 0 ? "aging-\(asOfDaysAgo)-days-ago" : "aging-today", latency: latency, reply: [
            "as_of": asOf, "customer_count": Int(reply.customerCount), "rows": reply.customers.count,
            "items": reply.totals.reduce(0) { $0 + Int($1.items) }, "totals": totals.joined(separator: "; "),
            "first_customer": reply.customers.first.map { "\($0.customerNumber) \($0.currency) overdue \($0.overdue)" } ?? "",
        ]))
        guard reply.customerCount > 0 else { throw ValidationError("GetAging found no open items in tenant \(options.tenant)") }
    }
}

struct Worklist: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "CollectionsService/GetWorklist (first page, all collectors), one call at a time.",
        discussion: "Each call also settles due promises first (detectPromises), as the server always does.")
    @OptionGroup var options: SequentialOptions

    func run() async throws {
        let connection = try await options.connect()
        var request = Otc_Collections_V1_GetWorklistRequest()
        request.pageSize = UInt32(options.pageSize)
        var broken = 0
        let (latency, reply) = try await options.measure {
            let worklist: Otc_Collections_V1_Worklist = try await connection.call(
                "/otc.collections.v1.CollectionsService/GetWorklist", tenant: options.tenant, request: request,
                timeout: .seconds(options.timeout))
            broken += Int(worklist.promisesBroken)
            return worklist
        }
        await connection.close()
        let states = Dictionary(reply.entries.map { ($0.state, 1) }, uniquingKeysWith: +)
        print(options.report(scenario: "worklist", latency: latency, reply: [
            "accounts": Int(reply.accounts), "entries": reply.entries.count,
            "promises_broken_during_run": broken,
            "page_states": states.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
            "first_entry": reply.entries.first.map {
                "\($0.customerNumber) \($0.currency) score \($0.score) overdue \($0.overdue) state \($0.state)"
            } ?? "",
        ]))
        guard reply.accounts > 0 else { throw ValidationError("GetWorklist found no accounts in tenant \(options.tenant)") }
    }
}
