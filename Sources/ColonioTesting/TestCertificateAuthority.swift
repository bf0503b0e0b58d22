import Foundation

/// A throwaway certificate authority for TLS tests, made with the `openssl` command in a temporary
/// folder: a self-signed CA and server certificates it issues (P-256 keys, valid for a day).
package struct TestCertificateAuthority: Sendable {
    /// A server certificate and its key.
    package struct Issued: Sendable {
        /// PEM of the certificate (the chain: it is signed by the CA directly).
        package let certificateChainPath: String
        /// PEM of its unencrypted private key.
        package let privateKeyPath: String

        /// Names files made elsewhere (a copy the test swaps, say).
        package init(certificateChainPath: String, privateKeyPath: String) {
            self.certificateChainPath = certificateChainPath
            self.privateKeyPath = privateKeyPath
        }
    }

    /// Why a step failed.
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    /// The temporary folder holding every file; ``remove()`` deletes it.
    package let directory: String
    /// PEM of the CA's certificate: what clients trust.
    package let certificatePath: String
    private let keyPath: String

    /// Makes a new CA called `name` in a fresh temporary folder.
    package init(name: String = "Colonio Test CA") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("colonio-ca-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        certificatePath = directory + "/ca.pem"
        keyPath = directory + "/ca.key"
        try Self.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", keyPath, "-out", certificatePath, "-days", "2", "-subj", "/CN=\(name)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
    }

    /// Issues a server certificate for `dnsNames` and `ipAddresses`, written as `<file>.pem` and `<file>.key`.
    package func issue(
        file: String, commonName: String = "localhost", dnsNames: [String] = ["localhost"],
        ipAddresses: [String] = ["127.0.0.1"]
    ) throws -> Issued {
        let base = directory + "/" + file
        let names = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
        let extensions = base + ".ext"
        try Data(
            """
            subjectAltName=\(names.joined(separator: ","))
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth

            """.utf8
        ).write(to: URL(fileURLWithPath: extensions))
        try Self.openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=\(commonName)",
        ])
        try Self.openssl([
            "x509", "-req", "-in", base + ".csr", "-CA", certificatePath, "-CAkey", keyPath,
            "-set_serial", "0x" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16),
            "-days", "1", "-extfile", extensions, "-out", base + ".pem",
        ])
        return Issued(certificateChainPath: base + ".pem", privateKeyPath: base + ".key")
    }

    /// base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo, as Chromium's
    /// `--ignore-certificate-errors-spki-list` takes it.
    package static func spkiSHA256Base64(ofCertificate path: String) throws -> String {
        let script =
            "openssl x509 -in \"$1\" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"
        return try run("/bin/sh", ["-c", script, "sh", path]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Deletes the folder and every file in it.
    package func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func openssl(_ arguments: [String]) throws {
        _ = try run("/usr/bin/env", ["openssl"] + arguments)
    }

    @discardableResult
    private static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "\(arguments.prefix(2).joined(separator: " ")) failed (\(process.terminationStatus)): "
                    + String(decoding: errorText, as: UTF8.self))
        }
        return String(decoding: text, as: UTF8.self)
    }
}
