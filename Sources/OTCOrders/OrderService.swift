public import OTCCore
public import OTCStore
import OTCReceivables
import OTCProto
import Foundation
import SwiftProtobuf

/// `otc.orders.v1.OrderService`: order entry, validation, holds, amendment, cancellation, shipments.
public struct OrderService: RPCService {
    let store: TenantStore
    let orders = OrderStore()
    let customers = CustomerStore()
    let creditGate: (any CreditGate)?
    let shipmentObserver: (any ShipmentObserver)?

    /// `creditGate` and `shipmentObserver` are the seams of credit management and billing; pass
    /// `nil` until those processes are enabled.
    public init(store: TenantStore, creditGate: (any CreditGate)? = nil, shipmentObserver: (any ShipmentObserver)? = nil) {
        self.store = store
        self.creditGate = creditGate
        self.shipmentObserver = shipmentObserver
    }

    static let prefix = "/otc.orders.v1.OrderService/"
    static let holdTask = "order_validation_hold"
    static let creditTask = "order_credit_hold"

    public func registerMethods(with table: inout MethodTable) {
        let write = MethodAccess.tenant(scope: .ordersWrite, role: .analyst)
        let read = MethodAccess.tenant(scope: .ordersRead, role: .viewer)
        table.register(Self.prefix + "CreateOrder", access: write, mutating: true, create)
        table.register(Self.prefix + "GetOrder", access: read, mutating: false, get)
        table.register(Self.prefix + "ListOrders", access: read, mutating: false, list)
        table.register(Self.prefix + "AmendOrder", access: write, mutating: true, amend)
        table.register(Self.prefix + "CancelOrder", access: write, mutating: true, cancel)
        table.register(Self.prefix + "ReleaseHold", access: .tenant(scope: .ordersWrite, role: .analyst, erpAllowed: false),
                       mutating: true, releaseHold)
        table.register(Self.prefix + "RejectCreditHold", access: .tenant(scope: .ordersWrite, role: .analyst, erpAllowed: false),
                       mutating: true, rejectCreditHold)
        table.register(Self.prefix + "RecordShipment", access: write, mutating: true, recordShipment)
    }

    // MARK: Create

    @Sendable func create(_ request: Otc_Orders_V1_CreateOrderRequest, _ context: CallContext) async throws -> Otc_Orders_V1_Order {
        try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            let draft = try OrderDraft(
                orderRef: request.orderRef, customerNumber: request.customerNumber, customerPO: request.customerPo,
                currency: request.currency, lines: try request.lines.map { try Self.line($0, orderCurrency: request.currency) },
                requestedDate: request.hasRequestedDate ? Self.dateString(request.requestedDate) : nil,
                maxLines: rules.rules.validation.maxLines)
            let discrepancies = try await validate(draft, excluding: nil, rules: rules, in: tx)
            // A valid order is stored as released and then asked about credit in the same
            // transaction: approved (the common case) needs no second write; a hold updates it
            // before anyone else can see it.
            let status: OrderStatus = discrepancies.isEmpty ? .released : .validationHold
            guard var order = try await orders.insert(
                draft, status: status, discrepancies: discrepancies,
                holdReason: discrepancies.isEmpty ? "" : Self.summary(discrepancies), rulesVersion: rules.version,
                digest: context.requestDigest, in: tx)
            else {
                // The order_ref exists: a retry of the same order, or a conflicting one.
                let (id, digest) = try await orders.createDigest(orderRef: draft.orderRef, in: tx)!
                return try await replayOrConflict(id: id, digest: digest, orderRef: draft.orderRef, context: context, tx: tx)
            }
            var creditCheck = creditGate == nil ? "not enabled" : "not run (validation hold)"
            if !discrepancies.isEmpty {
                try await openHoldTask(order, rules: rules, in: tx)
            } else if let creditGate {
                switch try await creditGate.check(order, rules: rules, in: tx) {
                case .approved:
                    creditCheck = "approved"
                case .hold(let reason):
                    creditCheck = reason
                    order = try await hold(order, reason: reason, rules: rules, in: tx)
                }
            }
            try await tx.audit(action: "order.create", entityType: "order", entityID: order.id.uuidString.lowercased(), details: [
                "order_ref": draft.orderRef, "customer": draft.customerNumber, "status": order.status.rawValue,
                "net_total": order.netTotal.description, "rules_version": "\(rules.version)", "credit_check": creditCheck,
            ])
            return Self.message(order)
        }
    }

    /// Same order_ref: an identical request is a retry (returns the stored order); a different one is a conflict.
    private func replayOrConflict(id: UUID, digest: [UInt8], orderRef: String, context: CallContext,
                                  tx: TenantTransaction) async throws -> Otc_Orders_V1_Order {
        guard digest == context.requestDigest else {
            throw OTCError.alreadyExists(
                "order_ref \(orderRef) already exists as order \(id.uuidString.lowercased()) with different content; use AmendOrder to change it")
        }
        context.replay.set()
        return Self.message(try await orders.find(id: id, in: tx)!)
    }

    private func validate(_ draft: OrderDraft, excluding id: UUID?, rules: VersionedRules,
                          in tx: TenantTransaction) async throws -> [Discrepancy] {
        let facts = OrderValidation.Facts(
            customer: try await customers.find(draft.customerNumber, in: tx),
            ordersWithSamePO: try await orders.ordersWithSamePO(
                customer: draft.customerNumber, po: draft.customerPO, excluding: id, in: tx))
        return OrderValidation.discrepancies(of: draft, facts: facts, rules: rules.rules)
    }

    /// A valid order goes to the credit gate; without one it is released (no credit check ran).
    private func decideCredit(_ order: Order, rules: VersionedRules, in tx: TenantTransaction) async throws -> Order {
        var order = order
        let decision = try await creditGate?.check(order, rules: rules, in: tx) ?? .approved
        switch decision {
        case .approved:
            order.status = .released
            order.holdReason = ""
            order.rulesVersion = rules.version
            order = try await orders.updateHeader(order, in: tx)
        case .hold(let reason):
            order = try await hold(order, reason: reason, rules: rules, in: tx)
        }
        try await tx.audit(action: "order.credit_decision", entityType: "order", entityID: order.id.uuidString.lowercased(),
                           details: ["status": order.status.rawValue, "rules_version": "\(rules.version)",
                                     "credit_check": creditGate == nil ? "not enabled" : order.holdReason.isEmpty ? "approved" : order.holdReason])
        return order
    }

    /// Puts an order on credit hold with a task for the credit analysts (replacing an older one).
    private func hold(_ order: Order, reason: String, rules: VersionedRules, in tx: TenantTransaction) async throws -> Order {
        var order = order
        order.status = .creditHold
        order.holdReason = reason
        order.rulesVersion = rules.version
        try await tx.closeTasks(subjectType: "order", subjectID: order.id.uuidString.lowercased(), kind: Self.creditTask,
                                status: "cancelled", resolution: "superseded by a new credit check")
        try await tx.openTask(kind: Self.creditTask, subjectType: "order", subjectID: order.id.uuidString.lowercased(),
                              title: "Credit hold on order \(order.orderRef): \(reason)", rules: rules)
        return try await orders.updateHeader(order, in: tx)
    }

    private func openHoldTask(_ order: Order, rules: VersionedRules, in tx: TenantTransaction) async throws {
        try await tx.closeTasks(subjectType: "order", subjectID: order.id.uuidString.lowercased(), kind: Self.holdTask,
                                status: "cancelled", resolution: "superseded by a new validation")
        try await tx.openTask(
            kind: Self.holdTask, subjectType: "order", subjectID: order.id.uuidString.lowercased(),
            title: "Validation hold on order \(order.orderRef): \(Self.summary(order.discrepancies))", rules: rules,
            details: Dictionary(uniqueKeysWithValues: order.discrepancies.enumerated().map { ("\($0.offset + 1)", $0.element.message) }))
    }

    // MARK: Read

    @Sendable func get(_ request: Otc_Orders_V1_GetOrderRequest, _ context: CallContext) async throws -> Otc_Orders_V1_Order {
        try await store.transaction(context) { tx in
            let order: Order?
            if !request.id.isEmpty {
                order = try await orders.find(id: Self.orderID(request.id), in: tx)
            } else if !request.orderRef.isEmpty {
                order = try await orders.find(orderRef: request.orderRef, in: tx)
            } else {
                throw OTCError.invalidArgument("give the order's id or its order_ref")
            }
            guard let order else {
                throw OTCError.notFound("order \(request.id.isEmpty ? request.orderRef : request.id) does not exist")
            }
            return Self.message(order)
        }
    }

    @Sendable func list(_ request: Otc_Orders_V1_ListOrdersRequest, _ context: CallContext) async throws
        -> Otc_Orders_V1_ListOrdersResponse
    {
        let paging = try Paging(pageSize: request.pageSize, pageToken: request.pageToken, kind: "orders")
        let statuses = try request.statuses.map { status -> OrderStatus in
            guard let mapped = Self.status(status) else { throw OTCError.invalidArgument("status filter \(status) is unknown") }
            return mapped
        }
        let after = try paging.afterNumber()
        return try await store.transaction(context) { tx in
            let page = try await orders.list(
                statuses: statuses, customer: request.customerNumber.isEmpty ? nil : request.customerNumber,
                afterSeq: after, limit: paging.limit, in: tx)
            var response = Otc_Orders_V1_ListOrdersResponse()
            response.orders = page.map { Self.message($0.order) }
            response.nextPageToken = paging.nextToken(lastKey: page.last.map { "\($0.seq)" }, returned: page.count, kind: "orders")
            return response
        }
    }

    // MARK: Change

    @Sendable func amend(_ request: Otc_Orders_V1_AmendOrderRequest, _ context: CallContext) async throws -> Otc_Orders_V1_Order {
        let id = try Self.orderID(request.id)
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            var order = try await lockedOrder(id, in: tx)
            if request.expectedVersion != 0, request.expectedVersion != order.version {
                throw OTCError(.aborted, "order \(order.orderRef) changed since version \(request.expectedVersion) (now \(order.version)); reload it and amend again")
            }
            guard order.status.isAmendable else {
                throw OTCError.failedPrecondition("order \(order.orderRef) is \(order.status.rawValue); only orders that have not shipped can be amended")
            }
            let before = order
            var lines = order.lines
            if !request.lines.isEmpty {
                lines = try request.lines.map { try Self.line($0, orderCurrency: order.currency.code) }
            }
            let draft = try OrderDraft(
                orderRef: order.orderRef, customerNumber: order.customerNumber,
                customerPO: request.customerPo.isEmpty ? order.customerPO : request.customerPo, currency: order.currency.code,
                lines: lines, requestedDate: request.hasRequestedDate ? Self.dateString(request.requestedDate) : order.requestedDate,
                maxLines: rules.rules.validation.maxLines)
            if !request.lines.isEmpty { try await orders.replaceLines(draft.lines, orderID: id, in: tx) }
            order.customerPO = draft.customerPO
            order.requestedDate = draft.requestedDate
            order.lines = draft.lines
            try await tx.audit(action: "order.amend", entityType: "order", entityID: id.uuidString.lowercased(), details: [
                "reason": request.reason, "from_version": "\(before.version)",
                "customer_po": before.customerPO == order.customerPO ? "unchanged" : "\(before.customerPO) → \(order.customerPO)",
                "requested_date": before.requestedDate == order.requestedDate ? "unchanged" : "\(before.requestedDate ?? "-") → \(order.requestedDate ?? "-")",
                "lines": request.lines.isEmpty ? "unchanged" : "\(before.lines.count) lines, \(before.netTotal) → \(order.lines.count) lines, \(order.netTotal)",
            ])
            return Self.message(try await revalidate(order, previousValue: before.netTotal.units, rules: rules, in: tx))
        }
    }

    /// Validation runs again after an amendment: a clean order leaves its validation hold. Credit
    /// is decided again for held and new orders, and for a released order whose value grew (the
    /// analyst's earlier yes covered less); otherwise its reservation just follows the new lines.
    private func revalidate(_ order: Order, previousValue: Int64, rules: VersionedRules, in tx: TenantTransaction) async throws -> Order {
        var order = order
        order.discrepancies = try await validate(try Self.draft(of: order, rules: rules), excluding: order.id, rules: rules, in: tx)
        order.rulesVersion = rules.version
        if !order.discrepancies.isEmpty {
            order.status = .validationHold
            order.holdReason = Self.summary(order.discrepancies)
            try await orders.updateHeader(order, in: tx)
            try await openHoldTask(order, rules: rules, in: tx)
            try await creditGate?.orderChanged(order, rules: rules, in: tx)
            return try await orders.find(id: order.id, in: tx)!
        }
        try await tx.closeTasks(subjectType: "order", subjectID: order.id.uuidString.lowercased(), kind: Self.holdTask,
                                resolution: "validation passed")
        if order.status.isAmendable && !(order.status == .released && order.netTotal.units <= previousValue) {
            return try await decideCredit(order, rules: rules, in: tx)
        }
        try await orders.updateHeader(order, in: tx)
        try await creditGate?.orderChanged(order, rules: rules, in: tx)
        return try await orders.find(id: order.id, in: tx)!
    }

    @Sendable func cancel(_ request: Otc_Orders_V1_CancelOrderRequest, _ context: CallContext) async throws -> Otc_Orders_V1_Order {
        let id = try Self.orderID(request.id)
        guard !request.reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw OTCError.invalidArgument("say why the order is cancelled (reason); it is kept in the audit log")
        }
        return try await store.idempotentTransaction(context) { tx in
            var order = try await lockedOrder(id, in: tx)
            if order.status == .cancelled { return Self.message(order) }
            guard order.status.isCancellable else {
                throw OTCError.failedPrecondition(
                    "order \(order.orderRef) is \(order.status.rawValue); an invoiced order is corrected with a credit memo, not cancelled")
            }
            let from = order.status
            order.status = .cancelled
            order.cancelReason = request.reason
            if let creditGate { try await creditGate.orderChanged(order, rules: try await tx.currentRules(), in: tx) }
            try await orders.updateHeader(order, in: tx)
            try await tx.closeTasks(subjectType: "order", subjectID: id.uuidString.lowercased(), status: "cancelled",
                                    resolution: "order cancelled")
            try await tx.audit(action: "order.cancel", entityType: "order", entityID: id.uuidString.lowercased(),
                               details: ["from": from.rawValue, "reason": request.reason])
            return Self.message(try await orders.find(id: id, in: tx)!)
        }
    }

    @Sendable func releaseHold(_ request: Otc_Orders_V1_ReleaseHoldRequest, _ context: CallContext) async throws -> Otc_Orders_V1_Order {
        let id = try Self.orderID(request.id)
        guard !request.reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw OTCError.invalidArgument("say why the hold is released (reason); it is kept in the audit log")
        }
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            var order = try await lockedOrder(id, in: tx)
            guard order.status.isHeld else {
                throw OTCError.failedPrecondition("order \(order.orderRef) is \(order.status.rawValue), not on hold")
            }
            let subject = id.uuidString.lowercased()
            if order.status == .validationHold {
                let remaining = try await validate(try Self.draft(of: order, rules: rules), excluding: id, rules: rules, in: tx)
                if !remaining.isEmpty && !request.override {
                    throw OTCError.failedPrecondition(
                        "order \(order.orderRef) still fails validation: \(Self.summary(remaining)); fix the cause or release with override",
                        details: Dictionary(uniqueKeysWithValues: remaining.enumerated().map { ("\($0.offset + 1):\($0.element.code)", $0.element.message) }))
                }
                order.discrepancies = remaining
                try await tx.closeTasks(subjectType: "order", subjectID: subject, kind: Self.holdTask,
                                        resolution: request.override && !remaining.isEmpty ? "overridden: \(request.reason)" : "released: \(request.reason)")
                try await tx.audit(action: "order.release_hold", entityType: "order", entityID: subject, details: [
                    "hold": "validation_hold", "reason": request.reason, "override": "\(request.override && !remaining.isEmpty)",
                    "remaining_discrepancies": Self.summary(remaining),
                ])
                return Self.message(try await decideCredit(order, rules: rules, in: tx))
            }
            // A credit hold is released by the analyst's decision, recorded with the reason.
            order.status = .released
            order.holdReason = ""
            order.rulesVersion = rules.version
            try await orders.updateHeader(order, in: tx)
            try await creditGate?.analystDecided(order, released: true, reason: request.reason, rules: rules, in: tx)
            try await tx.closeTasks(subjectType: "order", subjectID: subject, kind: Self.creditTask, resolution: "released: \(request.reason)")
            try await tx.audit(action: "order.release_hold", entityType: "order", entityID: subject,
                               details: ["hold": "credit_hold", "reason": request.reason])
            return Self.message(try await orders.find(id: id, in: tx)!)
        }
    }

    @Sendable func rejectCreditHold(_ request: Otc_Orders_V1_RejectCreditHoldRequest, _ context: CallContext) async throws
        -> Otc_Orders_V1_Order
    {
        let id = try Self.orderID(request.id)
        let reason = request.reason.trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty else {
            throw OTCError.invalidArgument("say why the credit is refused (reason); it is kept with the order and in the audit log")
        }
        return try await store.idempotentTransaction(context) { tx in
            let rules = try await tx.currentRules()
            var order = try await lockedOrder(id, in: tx)
            guard order.status == .creditHold else {
                throw OTCError.failedPrecondition("order \(order.orderRef) is \(order.status.rawValue), not on credit hold")
            }
            let subject = id.uuidString.lowercased()
            order.status = .cancelled
            order.cancelReason = "credit refused: \(reason)"
            order.rulesVersion = rules.version
            try await orders.updateHeader(order, in: tx)
            try await creditGate?.analystDecided(order, released: false, reason: reason, rules: rules, in: tx)
            try await tx.closeTasks(subjectType: "order", subjectID: subject, kind: Self.creditTask, resolution: "rejected: \(reason)")
            try await tx.audit(action: "order.credit_reject", entityType: "order", entityID: subject,
                               details: ["hold_reason": order.holdReason, "reason": reason, "rules_version": "\(rules.version)"])
            return Self.message(try await orders.find(id: id, in: tx)!)
        }
    }

    @Sendable func recordShipment(_ request: Otc_Orders_V1_RecordShipmentRequest, _ context: CallContext) async throws
        -> Otc_Orders_V1_RecordShipmentResponse
    {
        let id = try Self.orderID(request.orderID)
        let ref = request.shipmentRef.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(ref.count) else {
            throw OTCError.invalidArgument("shipment_ref is required (the ERP's delivery number, 1-64 characters)")
        }
        guard !request.lines.isEmpty else { throw OTCError.invalidArgument("shipment \(ref) has no lines") }
        return try await store.idempotentTransaction(context) { tx in
            var order = try await lockedOrder(id, in: tx)
            let lines = request.lines.map { ShipmentLine(lineNo: Int($0.lineNo), quantity: $0.quantity) }
            if let existing = order.shipments.first(where: { $0.shipmentRef == ref }) {
                guard existing.lines.sorted(by: { $0.lineNo < $1.lineNo }) == lines.sorted(by: { $0.lineNo < $1.lineNo }) else {
                    throw OTCError.alreadyExists("shipment \(ref) of order \(order.orderRef) was already recorded with other quantities")
                }
                context.replay.set()
                return Self.shipmentResponse(order, existing)
            }
            guard order.status.acceptsShipments else {
                throw OTCError.failedPrecondition(
                    "order \(order.orderRef) is \(order.status.rawValue); only released or partially shipped orders can ship")
            }
            var seen = Set<Int>()
            for line in lines {
                guard seen.insert(line.lineNo).inserted else {
                    throw OTCError.invalidArgument("shipment \(ref): line \(line.lineNo) appears twice")
                }
                guard let orderLine = order.lines.first(where: { $0.lineNo == line.lineNo }) else {
                    throw OTCError.invalidArgument("shipment \(ref): order \(order.orderRef) has no line \(line.lineNo)")
                }
                guard line.quantity > 0 else {
                    throw OTCError.invalidArgument("shipment \(ref): line \(line.lineNo) quantity must be positive")
                }
                guard line.quantity <= orderLine.openQuantity else {
                    throw OTCError.failedPrecondition(
                        "shipment \(ref): line \(line.lineNo) ships \(line.quantity) but only \(orderLine.openQuantity) of \(orderLine.quantity) are open")
                }
            }
            guard let (shipmentID, shippedAt) = try await orders.insertShipment(
                orderID: id, ref: ref, lines: lines, carrier: request.carrier, tracking: request.tracking, in: tx)
            else {
                throw OTCError(.aborted, "shipment \(ref) was recorded concurrently; retry to get its result")
            }
            // The order as it is now, without reading it back.
            for line in lines {
                if let i = order.lines.firstIndex(where: { $0.lineNo == line.lineNo }) { order.lines[i].shippedQuantity += line.quantity }
            }
            let shipment = Shipment(id: shipmentID, shipmentRef: ref, lines: lines, shippedAt: shippedAt, carrier: request.carrier,
                                    tracking: request.tracking)
            order.shipments.append(shipment)
            order.status = order.lines.allSatisfy({ $0.openQuantity == 0 }) ? .shipped : .partiallyShipped
            try await orders.updateHeader(order, in: tx)
            order.version += 1
            try await tx.audit(action: "order.ship", entityType: "order", entityID: id.uuidString.lowercased(), details: [
                "shipment_ref": ref, "status": order.status.rawValue,
                "lines": lines.map { "\($0.lineNo)×\($0.quantity)" }.joined(separator: " "),
            ])
            if shipmentObserver != nil || creditGate != nil {
                let rules = try await tx.currentRules()
                let shipped = order
                if let shipmentObserver {
                    // Invoice-on-shipment bills it in this transaction and hands back the order as it is then.
                    order = try await shipmentObserver.shipmentRecorded(shipment, of: order, rules: rules, in: tx)
                }
                // Invoicing moved the reservation already; otherwise the shipped value moves to
                // shipped-not-invoiced here.
                if order.lines.map(\.invoicedQuantity) == shipped.lines.map(\.invoicedQuantity) {
                    try await creditGate?.orderChanged(order, rules: rules, in: tx)
                }
            }
            return Self.shipmentResponse(order, order.shipments.first { $0.id == shipmentID }!)
        }
    }

    /// The stored order as a draft, to run validation again.
    static func draft(of order: Order, rules: VersionedRules) throws -> OrderDraft {
        try OrderDraft(orderRef: order.orderRef, customerNumber: order.customerNumber, customerPO: order.customerPO,
                       currency: order.currency.code, lines: order.lines, requestedDate: order.requestedDate,
                       maxLines: rules.rules.validation.maxLines)
    }

    private func lockedOrder(_ id: UUID, in tx: TenantTransaction) async throws -> Order {
        guard let order = try await orders.find(id: id, lock: true, in: tx) else {
            throw OTCError.notFound("order \(id.uuidString.lowercased()) does not exist")
        }
        return order
    }
}
