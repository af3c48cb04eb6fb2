public import OTCWire

/// Everything `otcd` can be told, with documented defaults (docs/OPERATIONS.md).
public struct ServerConfiguration: Sendable {
    /// Address of the otc/1 TLS listener.
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); the bound port is reported by `OTCServer.boundPort`.
    public var port = 7443
    /// PEM files of the server certificate chain and its private key.
    public var certificatePath: String
    public var privateKeyPath: String
    /// Ask clients for a certificate; a registered fingerprint then stands in for an API key.
    public var clientCertificates = false
    /// Name reported in Welcome and logs.
    public var serverName = "otcd"
    public var limits = WireLimits()
    public var admission = AdmissionLimits()
    /// Deadline of calls that set no timeout_ms.
    public var defaultTimeout: Duration = .seconds(30)
    /// Longest timeout_ms a call may ask for.
    public var maximumTimeout: Duration = .seconds(300)
    /// A completed call slower than this is logged at info level even when it succeeded.
    public var slowCallThreshold: Duration = .seconds(1)

    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}

/// Fairness limits (ARCHITECTURE §6): one client's flood cannot starve another's order entry.
public struct AdmissionLimits: Sendable {
    /// Calls one tenant may have in flight across all connections of this server. Kept below the
    /// database pool (32) so one client's burst leaves connections for the others.
    public var tenantCallsInFlight = 16
    /// Sustained calls per second per tenant (token bucket); 0 = unlimited.
    public var tenantCallsPerSecond = 5000
    /// Burst above the sustained rate.
    public var tenantBurst = 10000
    /// Calls one service (e.g. OrderService) may have in flight across all tenants.
    public var serviceCallsInFlight = 256

    public init() {}
}
