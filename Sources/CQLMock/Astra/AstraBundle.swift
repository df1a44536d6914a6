import Foundation
import ZIPFoundation

/// config.json of a secure-connect bundle, with the fields real bundles carry. The JKS/PFX locations name
/// files real bundles hold for Java tools; ours leaves them out (only the four PEM/JSON entries matter to
/// drivers and proxies), so those fields are there for shape only.
struct AstraBundleConfig: Codable, Equatable, Sendable {
    var host: String
    /// The metadata service port.
    var port: Int
    /// The SNI front's port (29042 on Astra).
    var cql_port: Int
    var keyspace: String
    var localDC: String
    var caCertLocation = "./ca.crt"
    var keyLocation = "./key"
    var certLocation = "./cert"
    var keyStoreLocation = "./identity.jks"
    var keyStorePassword: String
    var trustStoreLocation = "./trustStore.jks"
    var trustStorePassword: String
    var csvLocation = "./data"
    var pfxCertPassword: String
}

public struct AstraBundleError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

enum AstraBundle {
    /// The entry names, in the order real bundles list them.
    static let entryNames = ["config.json", "ca.crt", "cert", "key"]

    /// A zip holding config.json, ca.crt, cert and key (deflated, as Astra's are).
    static func make(config: AstraBundleConfig, certificates: AstraCertificates) throws(AstraBundleError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]   // as Astra's look
        let entries: [(String, Data)]
        do {
            entries = [
                ("config.json", try encoder.encode(config)),
                ("ca.crt", Data(certificates.caPEM.utf8)),
                ("cert", Data(certificates.client.certificatePEM.utf8)),
                ("key", Data(certificates.client.privateKeyPEM.utf8)),
            ]
        } catch {
            throw AstraBundleError(description: "config.json: \(error)")
        }
        do {
            let archive = try Archive(data: Data(), accessMode: .create)
            for (name, data) in entries {
                try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count),
                                     compressionMethod: .deflate) { position, size in
                    data.subdata(in: Int(position)..<Int(position) + size)
                }
            }
            guard let zip = archive.data else { throw AstraBundleError(description: "zip: no data") }
            return zip
        } catch let error as AstraBundleError {
            throw error
        } catch {
            throw AstraBundleError(description: "zip: \(error)")
        }
    }
}

/// Compact, stable key order, URLs left readable (no `\/`).
let jsonEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}()
