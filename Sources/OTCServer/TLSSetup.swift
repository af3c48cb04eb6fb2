import NIOSSL
import OTCWire

/// TLS for the otc/1 listener: 1.2 minimum (NIOSSL defaults to 1.0), ALPN otc/1.
enum TLSSetup {
    static func serverContext(_ configuration: ServerConfiguration) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(configuration.certificatePath)
        let key = try NIOSSLPrivateKey(file: configuration.privateKeyPath, format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        tls.applicationProtocols = [WireProtocol.alpn]
        if configuration.clientCertificates {
            tls.certificateVerification = .optionalVerification
        }
        return try NIOSSLContext(configuration: tls)
    }
}
