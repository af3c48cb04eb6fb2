public import Foundation

extension UUID {
    /// An id from a request, or INVALID_ARGUMENT that names what the id was for.
    public static func parse(_ text: String, what: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw OTCError.invalidArgument("\(what) id '\(text)' is not a UUID") }
        return id
    }
}
