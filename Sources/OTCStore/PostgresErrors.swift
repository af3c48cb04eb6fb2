import OTCCore
public import PostgresNIO

/// Turns what postgres-nio throws into the error a caller should see.
///
/// `withTransaction` wraps everything in `PostgresTransactionError`: unwrap it so domain errors
/// (`OTCError`) pass through unchanged; a statement timeout becomes DEADLINE_EXCEEDED, a
/// serialization failure or deadlock ABORTED (safe to retry); anything else INTERNAL, whose cause
/// is logged, never sent.
enum PostgresErrors {
    static func unwrap(_ error: any Error) -> any Error {
        if let tx = error as? PostgresTransactionError {
            if let closure = tx.closureError { return unwrap(closure) }
            if let begin = tx.beginError { return unwrap(begin) }
            if let commit = tx.commitError { return unwrap(commit) }
        }
        return error
    }

    static func sqlState(_ error: any Error) -> String? {
        (unwrap(error) as? PSQLError)?.serverInfo?[.sqlState]
    }

    static func map(_ error: any Error) -> any Error {
        let error = unwrap(error)
        if error is OTCError || error is any OTCErrorConvertible || error is CancellationError { return error }
        if let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState] {
            switch state {
            case "57014":
                return OTCError(.deadlineExceeded, "the call's deadline passed while the database was working; nothing was changed", cause: psql)
            case "40001", "40P01":
                return OTCError(.aborted, "the change conflicted with a concurrent one and was rolled back; retry the call", cause: psql)
            case "23505":
                // Two calls created the same thing at once (an order_ref, an external_ref); the
                // loser's retry finds the winner's result, or a clear ALREADY_EXISTS.
                return OTCError(.aborted, "a concurrent call created the same record first; retry the call to get its result", cause: psql)
            default:
                break
            }
        }
        return OTCError.internal(error)
    }
}

extension PSQLError {
    /// The SQLSTATE code, e.g. "23505" for a unique violation.
    public var sqlState: String? { serverInfo?[.sqlState] }
}
