import OTCCore
public import OTCStore

/// Establishes the principal of a connection from its Hello (or its client certificate).
public struct Authenticator: Sendable {
    let control: ControlPlane

    public init(control: ControlPlane) {
        self.control = control
    }

    func authenticate(token: String) async throws -> Principal {
        try await control.authenticate(token: token)
    }

    func authenticate(certificateFingerprint: String) async throws -> Principal {
        try await control.authenticate(certificateFingerprint: certificateFingerprint)
    }
}
