import Foundation
import NIOCore
import OTCProto
import Synchronization

/// Calls waiting for replies, keyed by call id, plus the Welcome and Pong waiters.
final class PendingCalls: Sendable {
    private struct State {
        var replies: [UInt64: CheckedContinuation<Otc_Wire_V1_Reply, any Error>] = [:]
        var pongs: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var welcome: CheckedContinuation<Otc_Wire_V1_Welcome, any Error>?
        var goAway: Otc_Wire_V1_GoAway?
        var closedError: RPCStatusError?
    }
    private let state = Mutex(State())

    func awaitWelcome(send: () -> Void) async throws -> Otc_Wire_V1_Welcome {
        try await withCheckedThrowingContinuation { continuation in
            let failed = state.withLock { state -> RPCStatusError? in
                if let error = state.closedError { return error }
                state.welcome = continuation
                return nil
            }
            if let failed { continuation.resume(throwing: failed) } else { send() }
        }
    }

    func awaitReply(_ id: UInt64, send: () -> Void) async throws -> Otc_Wire_V1_Reply {
        try await withCheckedThrowingContinuation { continuation in
            let failed = state.withLock { state -> RPCStatusError? in
                if let error = state.closedError { return error }
                if state.goAway != nil {
                    return RPCStatusError(code: .unavailable, message: "the server sent GoAway; reconnect and retry")
                }
                state.replies[id] = continuation
                return nil
            }
            if let failed { continuation.resume(throwing: failed) } else { send() }
        }
    }

    func awaitPong(_ nonce: UInt64, send: () -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let failed = state.withLock { state -> RPCStatusError? in
                if let error = state.closedError { return error }
                state.pongs[nonce] = continuation
                return nil
            }
            if let failed { continuation.resume(throwing: failed) } else { send() }
        }
    }

    var receivedGoAway: Otc_Wire_V1_GoAway? { state.withLock { $0.goAway } }

    func deliver(_ frame: Otc_Wire_V1_ServerFrame) {
        switch frame.kind {
        case .reply(let reply):
            state.withLock { $0.replies.removeValue(forKey: reply.callID) }?.resume(returning: reply)
        case .welcome(let welcome):
            state.withLock { state in defer { state.welcome = nil }; return state.welcome }?.resume(returning: welcome)
        case .pong(let pong):
            state.withLock { $0.pongs.removeValue(forKey: pong.nonce) }?.resume()
        case .goaway(let goAway):
            let error = RPCStatusError(code: .init(rawValue: goAway.status.code.rawValue), message: goAway.reason)
            let (welcome, dropped) = state.withLock { state in
                state.goAway = goAway
                // Calls above last_call_id were not taken by the server: fail them so they can be retried elsewhere.
                let dropped = state.replies.filter { $0.key > goAway.lastCallID }
                for key in dropped.keys { state.replies[key] = nil }
                defer { state.welcome = nil }
                return (state.welcome, Array(dropped.values))
            }
            welcome?.resume(throwing: error)
            for call in dropped {
                call.resume(throwing: RPCStatusError(code: .unavailable, message: "not processed: \(goAway.reason)"))
            }
        case nil:
            break
        }
    }

    func fail(_ error: RPCStatusError) {
        let (welcome, replies, pongs) = state.withLock { state in
            if state.closedError == nil { state.closedError = error }
            defer {
                state.welcome = nil
                state.replies = [:]
                state.pongs = [:]
            }
            return (state.welcome, Array(state.replies.values), Array(state.pongs.values))
        }
        let goAwayError = state.withLock { $0.goAway }.map {
            RPCStatusError(code: .init(rawValue: $0.status.code.rawValue), message: $0.reason)
        }
        welcome?.resume(throwing: goAwayError ?? error)
        for reply in replies { reply.resume(throwing: error) }
        for pong in pongs { pong.resume(throwing: error) }
    }
}

/// Hands every server frame to the waiting call; fails all waiters when the connection ends.
final class ReplyDispatcher: ChannelInboundHandler, Sendable {
    typealias InboundIn = Otc_Wire_V1_ServerFrame
    let pending: PendingCalls

    init(pending: PendingCalls) {
        self.pending = pending
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.deliver(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending.fail(RPCStatusError(code: .unavailable, message: "the connection was closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pending.fail(RPCStatusError(code: .unavailable, message: "connection error: \(error)"))
        context.close(promise: nil)
    }
}
