import Crypto
import Foundation
import SwiftASN1
import X509

/// Self-signed certificates for development, tests and `scripts/serve` (never for production).
public enum DevCertificates {
    /// Writes `cert.pem` and `key.pem` (ECDSA P-256, SANs localhost/127.0.0.1/::1) into `directory`.
    public static func write(to directory: String, commonName: String = "otcd-dev") throws -> (cert: String, key: String) {
        let (certPEM, keyPEM) = try make(commonName: commonName)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certPath = directory + "/cert.pem"
        let keyPath = directory + "/key.pem"
        try certPEM.write(toFile: certPath, atomically: true, encoding: .utf8)
        try keyPEM.write(toFile: keyPath, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
        return (certPath, keyPath)
    }

    /// A fresh self-signed certificate and key as PEM strings.
    public static func make(commonName: String) throws -> (certificate: String, privateKey: String) {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName); OrganizationName("OTC platform (development)") }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey), notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(365 * 24 * 3600), issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                                         .ipAddress(ASN1OctetString(contentBytes: ArraySlice([UInt8](repeating: 0, count: 15) + [1])))])
            },
            issuerPrivateKey: .init(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let pem = PEMDocument(type: "CERTIFICATE", derBytes: serializer.serializedBytes).pemString
        return (pem, key.pemRepresentation)
    }
}
