import ArgumentParser
import Foundation
import OTCClient
import OTCProto
import SwiftProtobuf

/// Separates "the network is slow" (Ping frames, answered by the connection) from "the call path is
/// slow" (SystemService/Ping goes through router and admission).
struct PingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ping", abstract: "Measure round trips to otcd.")

    @Option(help: "Number of Ping frames.") var count = 3
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be between 1 and 10000") }
    }

    func run() async throws {
        let started = ContinuousClock.now
        let (name, entry) = try global.resolveContext()
        let session = try await Session.open(contextName: name, context: entry, tenantOverride: global.tenant, output: global.output)
        let connectTime = ContinuousClock.now - started
        do {
            var frames: [Double] = []
            if !global.json {
                print("connected to \(entry.server) (\(session.connection.welcome.serverName)) in \(ms(connectTime)) ms, " +
                      "connection \(session.connection.welcome.connectionID)")
            }
            for i in 1...count {
                let rtt = milliseconds(try await session.connection.ping())
                frames.append(rtt)
                if !global.json { print("pong \(i): time=\(format(rtt)) ms") }
            }
            let callStart = ContinuousClock.now
            let response = try await session.read(SystemMethods.ping, Otc_System_V1_PingRequest(),
                                                  as: Otc_System_V1_PingResponse.self, tenant: session.tenant)
            let callTime = milliseconds(ContinuousClock.now - callStart)
            let avg = frames.reduce(0, +) / Double(frames.count)
            if global.json {
                try printJSONObject([
                    "server": entry.server, "connect_ms": milliseconds(connectTime), "frame_rtt_ms": frames,
                    "call_rtt_ms": callTime, "server_time": response.serverTime,
                ])
            } else {
                print("SystemService/Ping: time=\(format(callTime)) ms, server time \(response.serverTime)")
                print("frames: \(count), min/avg/max = \(format(frames.min()!))/\(format(avg))/\(format(frames.max()!)) ms")
            }
            await session.close()
        } catch {
            await session.close()
            throw error
        }
    }

    private func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
    private func ms(_ d: Duration) -> String { format(milliseconds(d)) }
    private func format(_ value: Double) -> String { String(format: "%.2f", value) }
}

struct WhoAmICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show who the server thinks you are.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withSession { session in
            let response = try await session.read(SystemMethods.whoAmI, Otc_System_V1_WhoAmIRequest(),
                                                  as: Otc_System_V1_WhoAmIResponse.self, tenant: nil)
            if session.json { return try JSONOutput.print(response) }
            let principal = response.principal
            var details = Details()
            details.add("context", session.contextName)
            details.add("server", "\(session.context.server) (\(session.connection.welcome.serverName))")
            details.add("kind", principalKind(principal.kind))
            details.add("id", principal.id)
            if principal.displayName != principal.id { details.addIfPresent("display name", principal.displayName) }
            if !principal.scopes.isEmpty { details.add("scopes", principal.scopes.joined(separator: " ")) }
            details.add("acting for", session.tenant ?? "(no tenant)")
            details.print()
            if !response.tenants.isEmpty {
                print("")
                var table = Table("tenant", "role")
                for grant in response.tenants { table.add(grant.tenant, grant.role) }
                table.print()
            } else if principal.kind == .platformAdmin {
                print("\nplatform admin: may act for every tenant")
            }
        }
    }
}

func principalKind(_ kind: Otc_Wire_V1_Principal.Kind) -> String {
    switch kind {
    case .erp: "erp"
    case .operator: "operator"
    case .platformAdmin: "platform_admin"
    default: "unknown"
    }
}
