public import OTCCore
import OTCProto
import OTCStore
import OTCWire
import Logging
import Metrics
import Foundation

/// Routes a Call to its method: lookup, access, admission, context, handler, status mapping.
/// Knows no domain: services arrive as a `MethodTable` filled in by the composition root.
public final class Router: Sendable {
    let table: MethodTable
    let admission: Admission
    let configuration: ServerConfiguration

    public init(table: MethodTable, configuration: ServerConfiguration) {
        self.table = table
        self.configuration = configuration
        self.admission = Admission(limits: configuration.admission)
    }

    /// Runs one call to completion and returns its Reply. Never throws: every failure is a status.
    /// `settle` runs after the handler and before the call is counted and logged, so metrics and
    /// logs show the status the client receives (the connection turns a stopped call into
    /// CANCELLED or DEADLINE_EXCEEDED there).
    func dispatch(_ call: Otc_Wire_V1_Call, principal: Principal, logger connectionLogger: Logger,
                  started: ContinuousClock.Instant,
                  settle: (inout Otc_Wire_V1_Reply) -> Void = { _ in }) async -> Otc_Wire_V1_Reply {
        let requestID = UUID().uuidString.lowercased()
        var logger = connectionLogger
        logger[metadataKey: "request_id"] = "\(requestID)"
        logger[metadataKey: "method"] = "\(call.method)"
        if !call.tenant.isEmpty { logger[metadataKey: "tenant"] = "\(call.tenant)" }

        var reply = Otc_Wire_V1_Reply()
        reply.callID = call.callID
        reply.endOfStream = true
        // Labels only ever hold a registered method and a tenant the principal was allowed to name,
        // so a client cannot mint label values.
        var tenantLabel = "-"
        var methodLabel = "unknown"
        do {
            guard let method = table.methods[call.method] else {
                throw OTCError(.unimplemented, "method '\(call.method)' does not exist on this server; names look like /otc.orders.v1.OrderService/CreateOrder")
            }
            methodLabel = method.name
            let tenant = call.tenant.isEmpty ? nil : try TenantSlug.parse(call.tenant)
            let minimumRole = try Admission.authorize(principal, tenant: tenant, method: method)
            let timeout = try timeout(call.timeoutMs)
            if !call.idempotencyKey.isEmpty, call.idempotencyKey.count > 200 {
                throw OTCError.invalidArgument("idempotency_key is longer than 200 characters")
            }
            tenantLabel = tenant?.rawValue ?? "-"
            try admission.acquire(tenant: tenant, service: method.service)
            defer { admission.release(tenant: tenant, service: method.service) }

            let context = CallContext(
                requestID: requestID, method: method.name, principal: principal, tenant: tenant,
                deadline: started + timeout,
                idempotencyKey: call.idempotencyKey.isEmpty ? nil : call.idempotencyKey,
                requestDigest: method.mutating ? SecretKeeper.sha256(Array(method.name.utf8) + [0] + Array(call.payload)) : [],
                minimumRole: minimumRole, logger: logger)
            reply.payload = Data(try await method.handler(Array(call.payload), context))
            reply.replayed = context.replay.isSet
            if Task.isCancelled { throw CancellationError() }
            reply.status = Otc_Wire_V1_Status(code: .ok, message: "")
        } catch {
            reply.payload = Data()
            reply.status = Self.status(for: error, logger: logger)
            // Quoting it lets support find the server's log lines of exactly this call.
            reply.status.details["request_id"] = requestID
        }
        settle(&reply)
        let elapsed = ContinuousClock.now - started
        record(reply: reply, method: methodLabel, tenant: tenantLabel, elapsed: elapsed, logger: logger)
        return reply
    }

    /// The call's deadline from now: timeout_ms, or the default when 0. Above the maximum is
    /// refused by `dispatch`; the connection's deadline timer uses the clamped value.
    func timeout(_ milliseconds: UInt32) throws -> Duration {
        guard milliseconds > 0 else { return configuration.defaultTimeout }
        let requested = Duration.milliseconds(Int64(milliseconds))
        guard requested <= configuration.maximumTimeout else {
            throw OTCError.invalidArgument(
                "timeout_ms \(milliseconds) is above the server's maximum of \(configuration.maximumTimeout.wholeMilliseconds) ms")
        }
        return requested
    }

    /// Maps any error to a wire status. Internal causes are logged with the request id, never sent.
    static func status(for error: any Error, logger: Logger) -> Otc_Wire_V1_Status {
        let otc: OTCError
        switch error {
        case let convertible as any OTCErrorConvertible: otc = convertible.otcError
        case is CancellationError: otc = OTCError(.cancelled, "the call was cancelled")
        default: otc = .internal(error)
        }
        if otc.code == .internalError {
            logger.error("call failed", metadata: ["error": "\(String(reflecting: otc.cause ?? error))"])
        }
        let code = Otc_Wire_V1_StatusCode(rawValue: otc.code.rawValue) ?? .unknown
        return Otc_Wire_V1_Status(code: code, message: otc.message, details: otc.details)
    }

    /// Counts a call the connection refused before routing (bad call id, too many in flight,
    /// draining), so the metrics hold every call a client sent. Unknown names count as "unknown".
    func countRefused(method: String, status: Otc_Wire_V1_StatusCode) {
        let label = table.methods[method] == nil ? "unknown" : method
        let code = OTCError.Code(rawValue: status.rawValue)?.description ?? "\(status.rawValue)"
        Counter(label: "otc_calls_total", dimensions: [("method", label), ("tenant", "-"), ("status", code)]).increment()
    }

    private func record(reply: Otc_Wire_V1_Reply, method: String, tenant: String, elapsed: Duration, logger: Logger) {
        let status = OTCError.Code(rawValue: reply.status.code.rawValue)?.description ?? "\(reply.status.code.rawValue)"
        Counter(label: "otc_calls_total", dimensions: [("method", method), ("tenant", tenant), ("status", status)]).increment()
        Timer(label: "otc_call_duration_seconds", dimensions: [("method", method)]).recordNanoseconds(
            elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        let level: Logger.Level = reply.status.code == .ok
            ? (elapsed > configuration.slowCallThreshold ? .info : .debug)
            : (reply.status.code == .internal ? .error : .info)
        logger.log(level: level, "call completed", metadata: [
            "status": "\(status)", "latency_ms": "\(elapsed.wholeMilliseconds)",
            "status_message": "\(reply.status.message)", "replayed": "\(reply.replayed)",
        ])
    }
}
