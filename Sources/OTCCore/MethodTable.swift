public import SwiftProtobuf

/// Who may call a method.
public enum MethodAccess: Sendable, Hashable {
    /// Any authenticated principal, with or without a tenant (ping, whoami).
    case anyPrincipal
    /// Platform admins only (the control plane).
    case platformAdmin
    /// Acts for one tenant: an ERP key of that tenant holding `scope`, an operator with at least
    /// `role` on it, or a platform admin. `erpAllowed: false` keeps the method for operators.
    case tenant(scope: Scope, role: Role, erpAllowed: Bool = true)
}

/// One method of a service: its full name, who may call it, and a byte-level handler.
public struct RPCMethod: Sendable {
    public typealias Handler = @Sendable (_ request: [UInt8], _ context: CallContext) async throws -> [UInt8]

    /// "/otc.orders.v1.OrderService/CreateOrder"
    public let name: String
    public let access: MethodAccess
    /// Changes state: honours idempotency keys, and the service's bulkhead counts it as a write.
    public let mutating: Bool
    public let handler: Handler

    public init(name: String, access: MethodAccess, mutating: Bool, handler: @escaping Handler) {
        self.name = name
        self.access = access
        self.mutating = mutating
        self.handler = handler
    }

    /// The service part of the name ("otc.orders.v1.OrderService"), used for bulkheads and metrics.
    public var service: String {
        let trimmed = name.hasPrefix("/") ? name.dropFirst() : Substring(name)
        return String(trimmed.split(separator: "/").first ?? "")
    }
}

/// The table every domain service fills in and the router serves from.
public struct MethodTable: Sendable {
    public private(set) var methods: [String: RPCMethod] = [:]
    public init() {}

    /// Registers a typed unary method; request decoding errors become INVALID_ARGUMENT.
    public mutating func register<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ name: String,
        access: MethodAccess,
        mutating: Bool,
        _ body: @escaping @Sendable (Request, CallContext) async throws -> Response
    ) {
        precondition(methods[name] == nil, "method \(name) registered twice")
        methods[name] = RPCMethod(name: name, access: access, mutating: mutating) { bytes, context in
            let request: Request
            do {
                request = try Request(serializedBytes: bytes)
            } catch {
                throw OTCError.invalidArgument(
                    "the payload is not a valid \(Request.protoMessageName) message: \(error)")
            }
            let response = try await body(request, context)
            return try response.serializedBytes()
        }
    }

    public mutating func register(_ service: some RPCService) {
        service.registerMethods(with: &self)
    }
}

/// A domain service: registers its methods with the router (grpc-swift's `RegistrableRPCService`).
public protocol RPCService: Sendable {
    func registerMethods(with table: inout MethodTable)
}
