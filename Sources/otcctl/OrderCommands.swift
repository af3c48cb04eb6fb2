import ArgumentParser
import Foundation
import OTCClient
import OTCProto
import SwiftProtobuf

/// Orders of the current tenant: entry (normally the ERP's job), and the shift team's fixes —
/// amend, cancel, release holds, record shipments.
struct OrderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "order",
        abstract: "Create, inspect and work orders of the current tenant.",
        subcommands: [Create.self, Get.self, List.self, Amend.self, Cancel.self, Ship.self, Release.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an order from a JSON file (proto JSON of CreateOrderRequest; '-' reads stdin).",
            discussion: """
                Example: {"order_ref": "SO-1001", "customer_number": "C-1", "currency": "EUR",
                          "lines": [{"line_no": 1, "sku": "A-1", "quantity": "2", "unit_of_measure": "EA",
                                     "unit_price": {"units": "1250", "currency": "EUR"}, "tax_code": "STD"}]}
                """)
        @Argument(help: "JSON file, or '-' for stdin.") var file: String
        @Option(name: .customLong("idempotency-key"), help: "Key for safe retries (default: a new UUID).")
        var idempotencyKey: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let text = try readInput(file)
            let request: Otc_Orders_V1_CreateOrderRequest
            do {
                request = try Otc_Orders_V1_CreateOrderRequest(jsonString: text)
            } catch {
                throw CLIError("\(file) is not a CreateOrderRequest in proto JSON: \(error)")
            }
            try await global.withSession { session in
                let (order, replayed) = try await session.invoke(
                    OrderMethods.create, request, as: Otc_Orders_V1_Order.self, tenant: try session.requireTenant(),
                    idempotencyKey: idempotencyKey ?? UUID().uuidString.lowercased())
                if session.json {
                    try JSONOutput.print(order)
                    if replayed { printError("(replayed)") }
                    return
                }
                print("order \(order.orderRef) created" + (replayed ? " (replayed)" : "") + ": \(OrderStatusName.name(order.status))")
                print("")
                printOrder(order)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an order by id or by the ERP's order ref.")
        @Argument(help: "Order id (UUID) or order ref.") var idOrRef: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let order = try await fetchOrder(idOrRef, session: session)
                if session.json { return try JSONOutput.print(order) }
                printOrder(order)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List orders.")
        @Option(name: .customLong("status"),
                help: "Only this status (repeatable): \(OrderStatusName.all.map(\.0).joined(separator: ", ")).")
        var statuses: [String] = []
        @Option(help: "Only orders of this customer number.") var customer: String?
        @Option(help: "Page size (1-500; default 50).") var limit: UInt32?
        @Flag(help: "Follow next_page_token until every order is listed.") var all = false
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            for status in statuses where OrderStatusName.parse(status) == nil {
                throw ValidationError("unknown status '\(status)'; one of \(OrderStatusName.all.map(\.0).joined(separator: ", "))")
            }
            if let limit, !(1...500).contains(limit) { throw ValidationError("--limit must be between 1 and 500") }
        }

        func run() async throws {
            try await global.withSession { session in
                let tenant = try session.requireTenant()
                let request = Otc_Orders_V1_ListOrdersRequest.with {
                    $0.statuses = statuses.compactMap(OrderStatusName.parse)
                    $0.customerNumber = customer ?? ""
                    $0.pageSize = limit ?? (all ? 500 : 0)
                }
                let combined = try await session.readPages(
                    OrderMethods.list, request, as: Otc_Orders_V1_ListOrdersResponse.self, tenant: tenant, all: all, pageToken: \.pageToken)
                if session.json { return try JSONOutput.print(combined) }
                var table = Table("id", "ref", "customer", "status", "net total>", "lines>", "updated")
                for o in combined.orders {
                    table.add(o.id, o.orderRef, o.customerNumber, OrderStatusName.name(o.status),
                              o.hasNetTotal ? Money.format(o.netTotal) : "", "\(o.lines.count)", shortTime(o.updatedAt))
                }
                table.print()
                if !combined.nextPageToken.isEmpty { printError("(more orders: use --all, or a larger --limit)") }
            }
        }
    }

    struct Amend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Amend an order before its first shipment; validation runs again.",
            discussion: "--lines takes a JSON file with an array of OrderLine (or {\"lines\": [...]}); it replaces all lines.")
        @Argument(help: "Order id or order ref.") var idOrRef: String
        @Option(help: "New customer PO number.") var po: String?
        @Option(name: .customLong("requested-date"), help: "New requested date, YYYY-MM-DD.") var requestedDate: String?
        @Option(help: "JSON file with the new lines.") var lines: String?
        @Option(name: .customLong("expected-version"), help: "Fail with ABORTED if the order changed since this version.")
        var expectedVersion: Int64?
        @Option(help: "Why (kept in the audit log).") var reason: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            var request = Otc_Orders_V1_AmendOrderRequest()
            request.reason = reason
            request.expectedVersion = expectedVersion ?? 0
            request.customerPo = po ?? ""
            if let requestedDate { request.requestedDate = try parseDate(requestedDate) }
            if let lines {
                let text = try readInput(lines).trimmingCharacters(in: .whitespacesAndNewlines)
                let wrapped = text.hasPrefix("[") ? "{\"lines\": \(text)}" : text
                do {
                    request.lines = try Otc_Orders_V1_AmendOrderRequest(jsonString: wrapped).lines
                } catch {
                    throw CLIError("\(lines) is not a JSON array of OrderLine: \(error)")
                }
                guard !request.lines.isEmpty else { throw CLIError("\(lines) holds no lines") }
            }
            guard po != nil || requestedDate != nil || lines != nil else {
                throw ValidationError("nothing to amend: give --po, --requested-date or --lines")
            }
            let request_ = request
            try await global.withSession { session in
                var request = request_
                request.id = try await resolveOrderID(idOrRef, session: session)
                // A stale --expected-version is ABORTED too, and retrying cannot fix that.
                let order = try await session.write(OrderMethods.amend, request, as: Otc_Orders_V1_Order.self,
                                                    tenant: try session.requireTenant(), attempts: expectedVersion == nil ? 4 : 1)
                if session.json { return try JSONOutput.print(order) }
                print("order \(order.orderRef) amended (version \(order.version)): \(OrderStatusName.name(order.status))\n")
                printOrder(order)
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel an order.")
        @Argument(help: "Order id or order ref.") var idOrRef: String
        @Option(help: "Why (kept in the audit log).") var reason: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let id = try await resolveOrderID(idOrRef, session: session)
                let order = try await session.write(OrderMethods.cancel, Otc_Orders_V1_CancelOrderRequest.with { $0.id = id; $0.reason = reason },
                                                    as: Otc_Orders_V1_Order.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(order) }
                print("order \(order.orderRef) is \(OrderStatusName.name(order.status))" +
                      (order.cancelReason.isEmpty ? "" : " (\(order.cancelReason))"))
            }
        }
    }

    struct Ship: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a shipment (idempotent by --ref within the order).")
        @Argument(help: "Order id or order ref.") var idOrRef: String
        @Option(help: "The ERP's delivery number.") var ref: String
        @Option(name: .customLong("line"), help: "LINE:QTY shipped (repeatable).") var lineSpecs: [String]
        @Option(help: "Carrier.") var carrier: String?
        @Option(help: "Tracking number.") var tracking: String?
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard !lineSpecs.isEmpty else { throw ValidationError("give at least one --line LINE:QTY") }
            _ = try shipmentLines()
        }

        func shipmentLines() throws -> [Otc_Orders_V1_ShipmentLine] {
            try lineSpecs.map { spec in
                let parts = spec.split(separator: ":")
                guard parts.count == 2, let line = UInt32(parts[0]), let quantity = Int64(parts[1]) else {
                    throw ValidationError("--line '\(spec)' is not LINE:QTY (e.g. 1:5)")
                }
                return Otc_Orders_V1_ShipmentLine.with { $0.lineNo = line; $0.quantity = quantity }
            }
        }

        func run() async throws {
            let lines = try shipmentLines()
            try await global.withSession { session in
                let id = try await resolveOrderID(idOrRef, session: session)
                let request = Otc_Orders_V1_RecordShipmentRequest.with {
                    $0.orderID = id
                    $0.shipmentRef = ref
                    $0.lines = lines
                    $0.carrier = carrier ?? ""
                    $0.tracking = tracking ?? ""
                }
                let (response, replayed) = try await session.invoke(
                    OrderMethods.ship, request, as: Otc_Orders_V1_RecordShipmentResponse.self,
                    tenant: try session.requireTenant(), idempotencyKey: UUID().uuidString.lowercased())
                if session.json { return try JSONOutput.print(response) }
                print("shipment \(response.shipment.shipmentRef) recorded" + (replayed ? " (replayed)" : "") +
                      "; order \(response.order.orderRef) is \(OrderStatusName.name(response.order.status))\n")
                printOrder(response.order)
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Release a validation or credit hold.")
        @Argument(help: "Order id or order ref.") var idOrRef: String
        @Option(help: "Why (kept in the audit log).") var reason: String
        @Flag(help: "Release even though validation still finds discrepancies.") var override = false
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let id = try await resolveOrderID(idOrRef, session: session)
                let order = try await session.write(
                    OrderMethods.release,
                    Otc_Orders_V1_ReleaseHoldRequest.with { $0.id = id; $0.reason = reason; $0.override = override },
                    as: Otc_Orders_V1_Order.self, tenant: try session.requireTenant())
                if session.json { return try JSONOutput.print(order) }
                print("order \(order.orderRef) is \(OrderStatusName.name(order.status))")
            }
        }
    }
}

/// Operators think in the ERP's order numbers; the API's write methods take the id.
private func fetchOrder(_ idOrRef: String, session: Session) async throws -> Otc_Orders_V1_Order {
    let request = Otc_Orders_V1_GetOrderRequest.with {
        if UUID(uuidString: idOrRef) != nil { $0.id = idOrRef.lowercased() } else { $0.orderRef = idOrRef }
    }
    return try await session.read(OrderMethods.get, request, as: Otc_Orders_V1_Order.self, tenant: try session.requireTenant())
}

private func resolveOrderID(_ idOrRef: String, session: Session) async throws -> String {
    if UUID(uuidString: idOrRef) != nil { return idOrRef.lowercased() }
    return try await fetchOrder(idOrRef, session: session).id
}

private func readInput(_ path: String) throws -> String {
    if path == "-" {
        return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
    }
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
    return String(decoding: data, as: UTF8.self)
}

private func parseDate(_ text: String) throws -> Otc_Common_V1_Date {
    let parts = text.split(separator: "-").compactMap { Int32($0) }
    guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else {
        throw ValidationError("'\(text)' is not a date YYYY-MM-DD")
    }
    return .with { $0.year = parts[0]; $0.month = parts[1]; $0.day = parts[2] }
}

/// Header, then lines, discrepancies and shipments: the order as a shift team reads it.
func printOrder(_ o: Otc_Orders_V1_Order) {
    var details = Details()
    details.add("id", o.id)
    details.add("order ref", o.orderRef)
    details.add("customer", o.customerNumber)
    details.addIfPresent("customer po", o.customerPo)
    details.add("status", OrderStatusName.name(o.status))
    details.addIfPresent("hold reason", o.holdReason)
    details.addIfPresent("cancel reason", o.cancelReason)
    details.add("currency", o.currency)
    if o.hasNetTotal { details.add("net total", Money.format(o.netTotal)) }
    if o.hasRequestedDate { details.addIfPresent("requested date", formatDate(o.requestedDate)) }
    details.add("version", "\(o.version) (rules v\(o.rulesVersion))")
    details.add("created", o.createdAt)
    details.add("updated", o.updatedAt)
    details.print()

    print("\nLINES")
    var lines = Table("line>", "sku", "description", "qty>", "shipped>", "uom", "unit price>", "net>", "tax")
    for l in o.lines {
        lines.add("\(l.lineNo)", l.sku, l.description_p, "\(l.quantity)", "\(l.shippedQuantity)", l.unitOfMeasure,
                  l.hasUnitPrice ? Money.format(l.unitPrice) : "", l.hasNetAmount ? Money.format(l.netAmount) : "", l.taxCode)
    }
    lines.print()

    if !o.discrepancies.isEmpty {
        print("\nDISCREPANCIES")
        var table = Table("line>", "code", "message")
        for d in o.discrepancies { table.add(d.lineNo == 0 ? "-" : "\(d.lineNo)", d.code, d.message) }
        table.print()
    }
    if !o.shipments.isEmpty {
        print("\nSHIPMENTS")
        var table = Table("ref", "shipped at", "lines", "carrier", "tracking")
        for s in o.shipments {
            table.add(s.shipmentRef, shortTime(s.shippedAt), s.lines.map { "\($0.lineNo):\($0.quantity)" }.joined(separator: " "),
                      s.carrier, s.tracking)
        }
        table.print()
    }
}
