import Foundation
import OTCClient
import OTCCore
import OTCProto
import OTCStore
import SwiftProtobuf
import Testing

extension Method {
    static let credit = "/otc.credit.v1.CreditService/"
    static let getProfile = credit + "GetProfile"
    static let updateProfile = credit + "UpdateProfile"
    static let profileHistory = credit + "ListProfileHistory"
    static let requestLimit = credit + "RequestLimit"
    static let approveLimit = credit + "ApproveLimit"
    static let rejectLimit = credit + "RejectLimit"
    static let listLimitRequests = credit + "ListLimitRequests"
    static let scoreCustomer = credit + "ScoreCustomer"
    static let reviewsDue = credit + "ListReviewsDue"
    static let rejectCreditHold = "/otc.orders.v1.OrderService/RejectCreditHold"
    static let collections = "/otc.collections.v1.CollectionsService/"
    static let aging = collections + "GetAging"
    static let runDunning = collections + "RunDunning"
    static let listNotices = collections + "ListDunningNotices"
    static let exportNotice = collections + "ExportDunningNotice"
    static let dunningHold = collections + "SetDunningHold"
    static let itemHold = collections + "SetItemHold"
    static let worklist = collections + "GetWorklist"
    static let assignCollector = collections + "AssignCollector"
    static let addActivity = collections + "AddActivity"
    static let addPromise = collections + "AddPromise"
    static let listPromises = collections + "ListPromises"
    static let detectPromises = collections + "DetectBrokenPromises"
    static let provision = collections + "GetProvision"
    static let requestWriteOff = collections + "RequestWriteOff"
    static let approveWriteOff = collections + "ApproveWriteOff"
    static let rejectWriteOff = collections + "RejectWriteOff"
}

extension TestServer {
    /// A new operator with `role` on `tenant`, connected; returns the connection and the login.
    func op(_ role: String, on tenant: String, admin: OTCConnection) async throws -> (connection: OTCConnection, login: String) {
        let login = "\(role.prefix(2))-" + UUID().uuidString.prefix(8).lowercased()
        let created: Otc_Admin_V1_CreatedOperator = try await admin.call(
            Method.admin + "CreateOperator", request: Otc_Admin_V1_CreateOperatorRequest.with { $0.login = login })
        let _: Otc_Admin_V1_Operator = try await admin.call(Method.admin + "GrantRole", request: Otc_Admin_V1_GrantRoleRequest.with {
            $0.login = login; $0.tenant = tenant; $0.role = role
        })
        return (try await connect(.operatorToken(created.token)), login)
    }

    /// Runs `body` in a tenant transaction as a platform-admin principal (in-process, for ledger
    /// steps the API does not offer yet, such as a cash payment).
    func inTenant<T: Sendable>(_ tenant: String, _ body: (TenantTransaction) async throws -> T) async throws -> T {
        let context = CallContext(requestID: UUID().uuidString, method: "test/in-process", principal: .operatorAccount(
                                      login: "test-bank", grants: [:], platformAdmin: true),
                                  tenant: TenantSlug(tenant), deadline: .now + .seconds(30), logger: TestEnvironment.logger)
        return try await TenantStore(client: client).transaction(context, body)
    }
}

extension Fixtures {
    /// A date `days` from today in UTC (tests' tenants run in Europe/Berlin; no test runs at midnight).
    static func day(_ days: Int) -> Otc_Common_V1_Date {
        let date = BusinessDate(utc: Date()).adding(days: days)
        return date.message
    }

    static func money(_ units: Int64, _ currency: String = "EUR") -> Otc_Common_V1_Money {
        .with { $0.units = units; $0.currency = currency }
    }
}

/// Asks for `limit` as `maker` and has `checker` approve it.
@discardableResult
func grantLimit(_ limit: Int64, customer: String, tenant: String, maker: OTCConnection, checker: OTCConnection) async throws
    -> Otc_Credit_V1_LimitRequest
{
    let request: Otc_Credit_V1_LimitRequest = try await maker.call(Method.requestLimit, tenant: tenant, request: Otc_Credit_V1_RequestLimitRequest.with {
        $0.customerNumber = customer
        $0.requestedLimit = Fixtures.money(limit)
        $0.justification = "annual review"
    })
    return try await checker.call(Method.approveLimit, tenant: tenant, request: Otc_Credit_V1_DecideLimitRequest.with { $0.id = request.id })
}
