import Foundation

/// Keyset paging shared by every list method: a page size clamped to 1...500 (0 → 50) and an
/// opaque token that carries the last key of the previous page.
public struct Paging: Sendable {
    public let limit: Int
    public let after: String?

    public init(pageSize: UInt32, pageToken: String, kind: String) throws {
        limit = pageSize == 0 ? 50 : min(Int(pageSize), 500)
        if pageToken.isEmpty {
            after = nil
        } else {
            guard let data = Data(base64Encoded: pageToken), let text = String(data: data, encoding: .utf8),
                  text.hasPrefix(kind + ":")
            else {
                throw OTCError.invalidArgument("page_token is not one this list returned; start again without it")
            }
            after = String(text.dropFirst(kind.count + 1))
        }
    }

    /// The cursor as a number (a sequence number or an offset, never negative); nil on the first
    /// page. A token that is not one is INVALID_ARGUMENT, like any token this list did not return.
    public func afterNumber() throws -> Int64? {
        guard let after else { return nil }
        guard let number = Int64(after), number >= 0 else {
            throw OTCError.invalidArgument("page_token is not one this list returned; start again without it")
        }
        return number
    }

    /// Token for the page after one ending at `lastKey`; empty when the page was not full.
    public func nextToken(lastKey: String?, returned: Int, kind: String) -> String {
        guard returned == limit, let lastKey else { return "" }
        return Data("\(kind):\(lastKey)".utf8).base64EncodedString()
    }
}
