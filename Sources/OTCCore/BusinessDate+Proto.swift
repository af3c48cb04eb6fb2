public import OTCProto

extension BusinessDate {
    /// A date from the API; `field` names it in the error.
    public init(_ message: Otc_Common_V1_Date, field: String) throws {
        guard let date = BusinessDate(year: Int(message.year), month: Int(message.month), day: Int(message.day)) else {
            throw OTCError.invalidArgument("\(field) \(message.year)-\(message.month)-\(message.day) is not a calendar date")
        }
        self = date
    }

    /// nil when the field is unset.
    public static func optional(_ message: Otc_Common_V1_Date, isSet: Bool, field: String) throws -> BusinessDate? {
        isSet ? try BusinessDate(message, field: field) : nil
    }

    public var message: Otc_Common_V1_Date {
        var m = Otc_Common_V1_Date()
        let (y, mo, d) = components
        m.year = Int32(y)
        m.month = Int32(mo)
        m.day = Int32(d)
        return m
    }
}
