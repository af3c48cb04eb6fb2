import OTCCore
import OTCProto
import Foundation

/// Proto ↔ domain mapping of order management.
extension OrderService {
    static func orderID(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else {
            throw OTCError.invalidArgument("order id '\(text)' is not a UUID; use GetOrder with order_ref to look up by the ERP's number")
        }
        return id
    }

    static func line(_ m: Otc_Orders_V1_OrderLine, orderCurrency: String) throws -> OrderLine {
        let currencyCode = m.unitPrice.currency.isEmpty ? orderCurrency : m.unitPrice.currency
        guard let currency = Currency(currencyCode) else {
            throw OTCError.invalidArgument("line \(m.lineNo): currency '\(currencyCode)' is not an ISO 4217 code")
        }
        return OrderLine(lineNo: Int(m.lineNo), sku: m.sku, description: m.description_p, quantity: m.quantity,
                         unitOfMeasure: m.unitOfMeasure.isEmpty ? "EA" : m.unitOfMeasure,
                         unitPrice: Money(units: m.unitPrice.units, currency: currency), taxCode: m.taxCode)
    }

    static func dateString(_ d: Otc_Common_V1_Date) -> String {
        String(format: "%04d-%02d-%02d", d.year, d.month, d.day)
    }

    static func summary(_ discrepancies: [Discrepancy]) -> String {
        discrepancies.map(\.code).joined(separator: ", ")
    }

    static func status(_ s: Otc_Orders_V1_OrderStatus) -> OrderStatus? {
        switch s {
        case .received: .received
        case .validationHold: .validationHold
        case .creditHold: .creditHold
        case .released: .released
        case .partiallyShipped: .partiallyShipped
        case .shipped: .shipped
        case .invoiced: .invoiced
        case .closed: .closed
        case .cancelled: .cancelled
        default: nil
        }
    }

    static func status(_ s: OrderStatus) -> Otc_Orders_V1_OrderStatus {
        switch s {
        case .received: .received
        case .validationHold: .validationHold
        case .creditHold: .creditHold
        case .released: .released
        case .partiallyShipped: .partiallyShipped
        case .shipped: .shipped
        case .invoiced: .invoiced
        case .closed: .closed
        case .cancelled: .cancelled
        }
    }

    static func money(_ m: Money) -> Otc_Common_V1_Money {
        var out = Otc_Common_V1_Money()
        out.units = m.units
        out.currency = m.currency.code
        return out
    }

    static func message(_ o: Order) -> Otc_Orders_V1_Order {
        var m = Otc_Orders_V1_Order()
        m.id = o.id.uuidString.lowercased()
        m.orderRef = o.orderRef
        m.customerNumber = o.customerNumber
        m.customerPo = o.customerPO
        m.currency = o.currency.code
        m.status = status(o.status)
        m.lines = o.lines.map { l in
            var line = Otc_Orders_V1_OrderLine()
            line.lineNo = UInt32(l.lineNo)
            line.sku = l.sku
            line.description_p = l.description
            line.quantity = l.quantity
            line.unitOfMeasure = l.unitOfMeasure
            line.unitPrice = money(l.unitPrice)
            line.taxCode = l.taxCode
            line.shippedQuantity = l.shippedQuantity
            line.invoicedQuantity = l.invoicedQuantity
            line.netAmount = money(l.netAmount)
            return line
        }
        m.discrepancies = o.discrepancies.map { d in
            var out = Otc_Orders_V1_Discrepancy()
            out.code = d.code
            out.lineNo = UInt32(d.lineNo)
            out.message = d.message
            return out
        }
        m.netTotal = money(o.netTotal)
        if let requested = o.requestedDate {
            let parts = requested.split(separator: "-").compactMap { Int32($0) }
            if parts.count == 3 {
                var date = Otc_Common_V1_Date()
                date.year = parts[0]
                date.month = parts[1]
                date.day = parts[2]
                m.requestedDate = date
            }
        }
        m.createdAt = Timestamp.string(o.createdAt)
        m.updatedAt = Timestamp.string(o.updatedAt)
        m.version = o.version
        m.rulesVersion = Int32(o.rulesVersion)
        m.holdReason = o.holdReason
        m.cancelReason = o.cancelReason
        m.shipments = o.shipments.map(shipmentMessage)
        return m
    }

    static func shipmentMessage(_ s: Shipment) -> Otc_Orders_V1_Shipment {
        var m = Otc_Orders_V1_Shipment()
        m.id = s.id.uuidString.lowercased()
        m.shipmentRef = s.shipmentRef
        m.lines = s.lines.map { l in
            var line = Otc_Orders_V1_ShipmentLine()
            line.lineNo = UInt32(l.lineNo)
            line.quantity = l.quantity
            return line
        }
        m.shippedAt = Timestamp.string(s.shippedAt)
        m.carrier = s.carrier
        m.tracking = s.tracking
        m.invoiceNumber = s.invoiceNumber
        return m
    }

    static func shipmentResponse(_ order: Order, _ shipment: Shipment) -> Otc_Orders_V1_RecordShipmentResponse {
        var response = Otc_Orders_V1_RecordShipmentResponse()
        response.order = message(order)
        response.shipment = shipmentMessage(shipment)
        return response
    }
}
