import Astra
import Foundation
import Logging
import Transport
import Upstream

/// Turns Astra settings into the upstream configuration: loads (or downloads) the bundle and reads the
/// metadata once, so a wrong token, an unknown database, a bad bundle or a CA that does not match is one
/// clear line at startup rather than an endless reconnect loop.
enum AstraSetup {
    static func configure(_ astra: Settings.AstraSettings, upstream: UpstreamConfig, log: Logger) throws -> UpstreamConfig {
        let bundle: SecureConnectBundle
        if let path = astra.bundlePath {
            bundle = try SecureConnectBundle.load(path: path)
            if SecureConnectBundle.isReadableByOthers(path: path) {
                log.warning("\(path) is readable by other users; it holds a private key: chmod 600 it")
            }
        } else if let token = astra.token, let databaseID = astra.databaseID {
            log.info("downloading the secure-connect bundle of database \(databaseID) from \(astra.apiURL)")
            let zip = try DevOpsClient.downloadBundle(apiURL: astra.apiURL, token: token, databaseID: databaseID,
                                                      region: astra.region, timeout: astra.timeout)
            bundle = try SecureConnectBundle(zipData: zip)
        } else {
            throw Settings.Invalid(description: "Astra needs --astra-bundle, or --astra-token with --astra-database-id")
        }
        let metadata = try MetadataClient.fetch(bundle: bundle, timeout: astra.timeout)
        log.info("Astra region \(metadata.region): \(metadata.contactPoints.count) node(s) behind \(metadata.sniProxy)")
        let context: TLSContext
        do {
            context = try TLSContext(configuration: bundle.tlsConfiguration(expectedHostName: bundle.host))
        } catch {
            throw Settings.Invalid(description: "the bundle's certificates: \(error)")
        }
        var config = upstream
        config.resolver = AstraResolver(bundle: bundle, timeout: astra.timeout, metadata: metadata)
        config.tls = UpstreamTLS(context: context, expectedHostName: bundle.host)
        config.port = metadata.sniProxy.port
        return config
    }
}
