import Foundation
import OTCCore
import OTCProto
import SwiftProtobuf
import OTCStore
import PostgresNIO
import Synchronization

/// A probe service for deadline, cancellation and drain tests. With a tenant it writes an audit
/// record and then sleeps inside the tenant transaction (so a cancelled call must leave no record);
/// without one it sleeps in Swift.
struct SlowService: RPCService {
    /// The server's pool, set once the test server has started (each test has its own).
    let pool = PoolBox()

    static let method = "/otc.test.v1.SlowService/Sleep"

    static func request(milliseconds: Int, marker: String = "") -> Otc_System_V1_PingRequest {
        var request = Otc_System_V1_PingRequest()
        request.payload = Data("\(milliseconds)|\(marker)".utf8)
        return request
    }

    func registerMethods(with table: inout MethodTable) {
        let pool = self.pool
        table.register(Self.method, access: .anyPrincipal, mutating: true) {
            (request: Otc_System_V1_PingRequest, context: CallContext) async throws -> Otc_System_V1_PingResponse in
            let parts = String(decoding: request.payload, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false)
            let milliseconds = Int(parts.first ?? "0") ?? 0
            let marker = parts.count > 1 ? String(parts[1]) : ""
            if context.tenant != nil {
                try await TenantStore(client: pool.client!).transaction(context) { tx in
                    try await tx.audit(action: "test.slow", entityType: "probe", entityID: marker)
                    try await tx.query("SELECT pg_sleep(\(Double(milliseconds) / 1000))")
                }
            } else {
                try await Task.sleep(for: .milliseconds(milliseconds))
            }
            var response = Otc_System_V1_PingResponse()
            response.payload = request.payload
            return response
        }
    }
}

final class PoolBox: Sendable {
    private let value = Mutex<PostgresClient?>(nil)
    var client: PostgresClient? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
