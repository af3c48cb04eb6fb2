public import OTCCore
import OTCProto
import Foundation
import SwiftProtobuf

/// `otc.system.v1.SystemService`: ping through the whole call path, and who-am-I.
public struct SystemService: RPCService {
    public init() {}

    public func registerMethods(with table: inout MethodTable) {
        table.register("/otc.system.v1.SystemService/Ping", access: .anyPrincipal, mutating: false, ping)
        table.register("/otc.system.v1.SystemService/WhoAmI", access: .anyPrincipal, mutating: false, whoAmI)
    }

    @Sendable func ping(_ request: Otc_System_V1_PingRequest, _: CallContext) async throws -> Otc_System_V1_PingResponse {
        var response = Otc_System_V1_PingResponse()
        response.payload = request.payload
        response.serverTime = Timestamp.string(Date())
        return response
    }

    @Sendable func whoAmI(_: Otc_System_V1_WhoAmIRequest, _ context: CallContext) async throws -> Otc_System_V1_WhoAmIResponse {
        var response = Otc_System_V1_WhoAmIResponse()
        response.principal = Connection.principalMessage(context.principal)
        switch context.principal {
        case .erp(_, let tenant, _):
            response.tenants = [.with { $0.tenant = tenant.rawValue; $0.role = "erp" }]
        case .operatorAccount(_, let grants, _):
            response.tenants = grants.sorted { $0.key < $1.key }.map { grant in
                var g = Otc_System_V1_TenantGrant()
                g.tenant = grant.key.rawValue
                g.role = grant.value.rawValue
                return g
            }
        }
        return response
    }
}
