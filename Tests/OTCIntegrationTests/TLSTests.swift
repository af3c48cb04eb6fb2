import Foundation
import NIOSSL
import OTCClient
import OTCProto
import OTCServer
import OTCStore
import SwiftProtobuf
import Testing

@Suite("TLS: pinning and client certificates")
struct TLSTests {
    @Test func clientRefusesAServerWhoseCertificateIsNotThePinnedOne() async throws {
        try await withServer { server in
            let other = NSTemporaryDirectory() + "otc-other-\(UUID().uuidString)"
            let (otherCert, _) = try DevCertificates.write(to: other)
            var options = ClientOptions(host: "127.0.0.1", port: server.port, credential: .apiKey("otc_x_y"),
                                        trust: .pinned(certificatePath: otherCert))
            options.connectTimeout = .seconds(5)
            await #expect(throws: (any Error).self) { try await OTCConnection.connect(options) }
        }
    }

    @Test func registeredClientCertificateStandsInForTheAPIKey() async throws {
        try await withServer(configure: { $0.clientCertificates = true }) { server in
            let admin = try await server.admin()
            let (tenant, key) = try await server.onboard("mtls", admin: admin)
            let dir = NSTemporaryDirectory() + "otc-client-\(UUID().uuidString)"
            let (cert, privateKey) = try DevCertificates.write(to: dir, commonName: "erp-connector")
            let der = try NIOSSLCertificate.fromPEMFile(cert)[0].toDERBytes()
            var issue = Otc_Admin_V1_IssueCredentialRequest()
            issue.tenant = tenant
            issue.name = "sap-connector"
            issue.scopes = ["orders:read"]
            issue.certificateFingerprint = SecretKeeper.sha256Hex(der)
            let issued: Otc_Admin_V1_IssuedCredential = try await admin.call(Method.admin + "IssueCredential", request: issue)

            var options = ClientOptions(host: "127.0.0.1", port: server.port, credential: .clientCertificate,
                                        trust: .pinned(certificatePath: TestEnvironment.certificate.cert))
            options.clientCertificatePath = cert
            options.clientKeyPath = privateKey
            let erp = try await OTCConnection.connect(options)
            #expect(erp.welcome.principal.id == issued.credential.id)
            #expect(erp.welcome.tenants == [tenant])
            let _: Otc_Orders_V1_ListOrdersResponse = try await erp.call(Method.listOrders, tenant: tenant, request: Otc_Orders_V1_ListOrdersRequest())
            // Its scopes hold: read only.
            await expectStatus(.permissionDenied) {
                let _: Otc_Customers_V1_Customer = try await erp.call(Method.upsertCustomer, tenant: tenant, request: Fixtures.customer("C-1"))
            }
            // An unregistered certificate and no key: refused at Hello. API keys still work on an mTLS server.
            let (stranger, strangerKey) = try DevCertificates.write(to: dir + "-stranger")
            options.clientCertificatePath = stranger
            options.clientKeyPath = strangerKey
            await expectStatus(.unauthenticated) { try await OTCConnection.connect(options) }
            _ = try await server.connect(.apiKey(key))
        }
    }
}
