import Foundation
import Logging
import Metrics
import NIOCore
import NIOSSL
import OTCCore
import OTCProto
import OTCStore
import OTCWire
import ServiceLifecycle
import Synchronization
import SwiftProtobuf

/// One client connection: Hello/Welcome, then multiplexed calls until the client leaves, the
/// server drains (GoAway), or the client breaks the protocol (GoAway with the reason).
///
/// Channel handlers only turn bytes into frames; everything here is async/await. Each call runs
/// in its own task so a slow or failing handler affects only its call; Cancel and the deadline
/// cancel that task.
struct Connection {
    let channel: NIOAsyncChannel<Otc_Wire_V1_ClientFrame, Otc_Wire_V1_ServerFrame>
    let router: Router
    let authenticator: Authenticator
    let configuration: ServerConfiguration
    let logger: Logger

    typealias Outbound = NIOAsyncChannelOutboundWriter<Otc_Wire_V1_ServerFrame>

    func run() async {
        let id = String(UUID().uuidString.prefix(8)).lowercased()
        var logger = logger
        logger[metadataKey: "connection"] = "\(id)"
        if let remote = channel.channel.remoteAddress { logger[metadataKey: "peer"] = "\(remote)" }
        let log = logger
        // The idle handler shares the registry: a connection waiting on its own calls is not idle.
        let calls = (try? await channel.channel.pipeline.handler(type: IdleTimeoutHandler.self).get())?.calls ?? CallRegistry()
        do {
            try await channel.executeThenClose { inbound, outbound in
                let helloTimer = Self.armHelloTimeout(channel.channel, after: configuration.limits.helloTimeout)
                var frames = inbound.cancelOnGracefulShutdown().makeAsyncIterator()
                var goAway: Otc_Wire_V1_Status?
                do {
                    guard let first = try await frames.next() else { helloTimer.cancel(); return }
                    helloTimer.cancel()
                    let principal: Principal
                    switch try await hello(first, connectionID: id) {
                    case .success(let (welcome, authenticated)):
                        principal = authenticated
                        try await outbound.write(.with { $0.welcome = welcome })
                    case .failure(let refused):
                        let status = refused.status
                        try await channel.channel.writeAndFlush(Self.goAway(lastCallID: 0, status: status)).get()
                        log.info("hello refused", metadata: ["reason": "\(status.message)"])
                        return
                    }
                    var callLogger = log
                    callLogger[metadataKey: "principal"] = "\(principal.auditID)"
                    goAway = try await serve(&frames, principal: principal, outbound: outbound, calls: calls, logger: callLogger)
                } catch let error as WireError {
                    goAway = error.status
                    log.info("protocol violation", metadata: ["error": "\(error)"])
                } catch is IdleTimeout {
                    goAway = Otc_Wire_V1_Status(code: .unavailable, message: "connection idle for \(configuration.limits.idleTimeout); reconnect when needed")
                } catch {
                    log.debug("connection ended", metadata: ["error": "\(error)"])
                }
                if goAway == nil, Task.isShuttingDownGracefully {
                    goAway = Otc_Wire_V1_Status(code: .unavailable, message: "server is shutting down; reconnect to another instance")
                }
                if let goAway {
                    calls.stopAccepting()
                    try? await channel.channel.writeAndFlush(Self.goAway(lastCallID: calls.lastCallID, status: goAway)).get()
                }
                // Drain: every call received finishes and replies before the connection closes.
                await calls.waitForAll()
            }
        } catch {
            logger.debug("connection closed with error", metadata: ["error": "\(error)"])
        }
    }

    /// Reads frames after Welcome. Returns the GoAway status to send, or nil when the client left.
    private func serve(
        _ frames: inout some AsyncIteratorProtocol<Otc_Wire_V1_ClientFrame, any Error>,
        principal: Principal, outbound: Outbound, calls: CallRegistry, logger: Logger
    ) async throws -> Otc_Wire_V1_Status? {
        let replies = ReplyWriter(channel: channel.channel)
        while let frame = try await frames.next() {
            switch frame.kind {
            case .call(let call):
                try await accept(call, principal: principal, outbound: outbound, calls: calls, replies: replies, logger: logger)
            case .cancel(let cancel):
                calls.cancel(cancel.callID, reason: .cancelled)
            case .ping(let ping):
                try await outbound.write(.with { $0.pong = .with { $0.nonce = ping.nonce } })
            case .hello:
                return Otc_Wire_V1_Status(code: .invalidArgument, message: "Hello was already received on this connection")
            case nil:
                return Otc_Wire_V1_Status(code: .invalidArgument,
                                          message: "unknown frame kind (a ClientFrame with no known field set); this server speaks otc/1")
            }
        }
        return nil
    }

    private func accept(_ call: Otc_Wire_V1_Call, principal: Principal, outbound: Outbound, calls: CallRegistry,
                        replies: ReplyWriter, logger: Logger) async throws {
        let started = ContinuousClock.now
        func refuse(_ code: Otc_Wire_V1_StatusCode, _ message: String, details: [String: String] = [:]) async throws {
            var reply = Otc_Wire_V1_Reply()
            reply.callID = call.callID
            reply.endOfStream = true
            reply.status = Otc_Wire_V1_Status(code: code, message: message, details: details)
            self.router.countRefused(method: call.method, status: code)
            try await outbound.write(.with { $0.reply = reply })
        }
        guard call.callID != 0 else { return try await refuse(.invalidArgument, "call_id must be non-zero") }
        switch calls.register(call.callID, limit: configuration.limits.maxCallsInFlight) {
        case .accepted: break
        case .duplicate:
            return try await refuse(.invalidArgument, "call_id \(call.callID) is already in flight on this connection; use a new id")
        case .full:
            return try await refuse(.resourceExhausted,
                                    "this connection already has \(configuration.limits.maxCallsInFlight) calls in flight; wait for replies or open another connection",
                                    details: ["retry_after_ms": "10"])
        case .draining:
            return try await refuse(.unavailable, "the server is draining this connection; reconnect and retry")
        }
        let router = router
        let channel = self.channel.channel
        let maxFrame = configuration.limits.maxFrameBytes
        let task = Task {
            var reply = await router.dispatch(call, principal: principal, logger: logger, started: started) { reply in
                switch calls.finish(call.callID) {
                case .deadline:
                    reply.payload = Data()
                    reply.replayed = false
                    reply.status = Otc_Wire_V1_Status(code: .deadlineExceeded, message: "the call's deadline passed; its work was cancelled")
                case .cancelled:
                    reply.payload = Data()
                    reply.replayed = false
                    reply.status = Otc_Wire_V1_Status(code: .cancelled, message: "the call was cancelled by the client")
                case nil:
                    break
                }
            }
            if reply.payload.count > maxFrame - 1024 {
                reply.payload = Data()
                reply.status = Otc_Wire_V1_Status(code: .resourceExhausted,
                                                  message: "the response is larger than the frame limit; ask for a smaller page")
            }
            replies.send(Otc_Wire_V1_ServerFrame.with { $0.reply = reply })
            calls.done(call.callID)
        }
        let deadline = (try? router.timeout(call.timeoutMs)) ?? configuration.maximumTimeout
        let timer = channel.eventLoop.scheduleTask(in: .milliseconds(deadline.wholeMilliseconds)) {
            calls.cancel(call.callID, reason: .deadline)
        }
        calls.attach(call.callID, task: task, timer: timer)
    }

    private func hello(_ frame: Otc_Wire_V1_ClientFrame, connectionID: String) async throws
        -> Result<(Otc_Wire_V1_Welcome, Principal), HelloRefused>
    {
        guard case .hello(let hello) = frame.kind else {
            return .failure(HelloRefused(code: .unauthenticated, message: "the first frame must be Hello"))
        }
        guard hello.protocolVersion == WireProtocol.version else {
            return .failure(HelloRefused(code: .unauthenticated,
                                  message: "protocol version \(hello.protocolVersion) is not supported; this server speaks \(WireProtocol.version)"))
        }
        let principal: Principal
        do {
            switch hello.credential {
            case .apiKey(let key): principal = try await authenticator.authenticate(token: key)
            case .operatorToken(let token): principal = try await authenticator.authenticate(token: token)
            case nil:
                guard let certificate = try? await channel.channel.nioSSL_peerCertificate().get() else {
                    return .failure(HelloRefused(code: .unauthenticated,
                                          message: "Hello carries no credential and no client certificate was presented"))
                }
                let fingerprint = SecretKeeper.sha256Hex(try certificate.toDERBytes())
                principal = try await authenticator.authenticate(certificateFingerprint: fingerprint)
            }
        } catch {
            let status = Router.status(for: error, logger: logger)
            return .failure(status.code == .internal
                            ? HelloRefused(code: .unavailable, message: "authentication is unavailable right now; retry shortly")
                            : HelloRefused(status: status))
        }
        var welcome = Otc_Wire_V1_Welcome()
        welcome.principal = Self.principalMessage(principal)
        welcome.tenants = Self.tenants(of: principal)
        welcome.serverName = configuration.serverName
        welcome.connectionID = connectionID
        welcome.limits = .with {
            $0.maxFrameBytes = UInt32(configuration.limits.maxFrameBytes)
            $0.maxCallsInFlight = UInt32(configuration.limits.maxCallsInFlight)
            $0.idleTimeoutMs = UInt32(configuration.limits.idleTimeout.wholeMilliseconds)
        }
        return .success((welcome, principal))
    }

    static func principalMessage(_ principal: Principal) -> Otc_Wire_V1_Principal {
        var m = Otc_Wire_V1_Principal()
        switch principal {
        case .erp(let id, let tenant, let scopes):
            m.kind = .erp
            m.id = id
            m.displayName = "ERP key of \(tenant)"
            m.scopes = scopes.map(\.rawValue).sorted()
        case .operatorAccount(let login, _, let admin):
            m.kind = admin ? .platformAdmin : .operator
            m.id = login
            m.displayName = login
        }
        return m
    }

    static func tenants(of principal: Principal) -> [String] {
        switch principal {
        case .erp(_, let tenant, _): [tenant.rawValue]
        case .operatorAccount(_, let grants, _): grants.keys.map(\.rawValue).sorted()
        }
    }

    static func goAway(lastCallID: UInt64, status: Otc_Wire_V1_Status) -> Otc_Wire_V1_ServerFrame {
        .with {
            $0.goaway = .with {
                $0.lastCallID = lastCallID
                $0.reason = status.message
                $0.status = status
            }
        }
    }

    /// Closes a connection that sends no Hello in time, with a GoAway saying so.
    static func armHelloTimeout(_ channel: any Channel, after timeout: Duration) -> Scheduled<Void> {
        channel.eventLoop.scheduleTask(in: .milliseconds(timeout.wholeMilliseconds)) {
            let frame = goAway(lastCallID: 0, status: .init(code: .unauthenticated, message: "no Hello within \(timeout)"))
            channel.writeAndFlush(frame).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

/// Calls in flight on one connection: their tasks, deadline timers and why they were stopped.
final class CallRegistry: Sendable {
    enum StopReason: Sendable { case cancelled, deadline }
    enum Registration { case accepted, duplicate, full, draining }

    private struct Entry {
        var task: Task<Void, Never>?
        var timer: Scheduled<Void>?
        var stopReason: StopReason?
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var accepting = true
        var lastCallID: UInt64 = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// When the last reply went out: idleness counts from the later of it and the last read.
        var lastReply = NIODeadline.now()
    }

    private let state = Mutex(State())

    func register(_ id: UInt64, limit: Int) -> Registration {
        state.withLock { state in
            guard state.accepting else { return .draining }
            guard state.entries[id] == nil else { return .duplicate }
            guard state.entries.count < limit else { return .full }
            state.entries[id] = Entry()
            state.lastCallID = max(state.lastCallID, id)
            return .accepted
        }
    }

    func attach(_ id: UInt64, task: Task<Void, Never>, timer: Scheduled<Void>) {
        let cancelNow = state.withLock { state -> Bool in
            guard state.entries[id] != nil else { timer.cancel(); return false }
            state.entries[id]!.task = task
            state.entries[id]!.timer = timer
            return state.entries[id]!.stopReason != nil
        }
        if cancelNow { task.cancel() }
    }

    /// Stops a call; the first reason wins. Unknown ids (already replied) are ignored.
    func cancel(_ id: UInt64, reason: StopReason) {
        let task = state.withLock { state -> Task<Void, Never>? in
            guard state.entries[id] != nil, state.entries[id]!.stopReason == nil else { return nil }
            state.entries[id]!.stopReason = reason
            return state.entries[id]!.task
        }
        task?.cancel()
    }

    /// The handler finished: stop its timer and tell why it was stopped, if it was.
    func finish(_ id: UInt64) -> StopReason? {
        state.withLock { state in
            state.entries[id]?.timer?.cancel()
            return state.entries[id]?.stopReason
        }
    }

    /// The reply is written: forget the call and wake drainers when none are left.
    func done(_ id: UInt64) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.entries[id] = nil
            state.lastReply = .now()
            guard state.entries.isEmpty else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func stopAccepting() { state.withLock { $0.accepting = false } }

    var lastCallID: UInt64 { state.withLock { $0.lastCallID } }

    /// Calls received and not yet replied to.
    var isBusy: Bool { state.withLock { !$0.entries.isEmpty } }

    /// Busy, or a reply went out less than `period` ago (the client is about to send its next call).
    func isActive(within period: TimeAmount) -> Bool {
        state.withLock { !$0.entries.isEmpty || NIODeadline.now() - $0.lastReply < period }
    }

    func waitForAll() async {
        stopAccepting()
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.entries.isEmpty { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

/// Why a Hello was refused; sent in the GoAway that closes the connection.
struct HelloRefused: Error {
    let status: Otc_Wire_V1_Status
    init(status: Otc_Wire_V1_Status) { self.status = status }
    init(code: Otc_Wire_V1_StatusCode, message: String) { self.status = Otc_Wire_V1_Status(code: code, message: message) }
}

/// Raised into the pipeline when no frame arrived for the idle timeout.
struct IdleTimeout: Error {}

/// Turns NIO's idle event into an error the connection loop sees, unless calls are in flight: a
/// client waiting for a slow reply (an onboarding, a billing run) sends nothing and is not idle.
/// Idleness counts from the last read or the last reply, whichever is later: a read timer that
/// fires just as a long call replies must not close the connection before the client's next
/// call. The timer fires again each period, so an idle connection closes within two periods.
final class IdleTimeoutHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Otc_Wire_V1_ClientFrame
    typealias InboundOut = Otc_Wire_V1_ClientFrame

    let calls = CallRegistry()
    let period: TimeAmount

    init(period: TimeAmount) { self.period = period }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            guard !calls.isActive(within: period) else { return }
            context.fireErrorCaught(IdleTimeout())
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
