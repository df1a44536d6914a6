import Astra
import CQLMock
import Foundation
import Testing

/// The client side against the Astra emulator (CQLMock): token → bundle → metadata, as the proxy will do it.
@Suite("Astra client against the emulator")
struct EmulatorTests {
    @Test("DevOps API bundle for a region, then the metadata service with that bundle")
    func tokenToMetadata() async throws {
        let emulator = try AstraEmulator(nodes: 3, extraRegions: ["eu-west-1"])
        defer { emulator.stop() }
        let (api, token, id, ca) = (emulator.devOpsURL, emulator.token, emulator.databaseID.uuidString.lowercased(),
                                    emulator.caPEM)
        let result = await offLoop { () throws(AstraError) -> (SecureConnectBundle, AstraMetadata) in
            let zip = try DevOpsClient.downloadBundle(apiURL: api, token: token, databaseID: id, region: "eu-west-1",
                                                      timeout: .seconds(10), trust: .certificates(.pem(ca)))
            let bundle = try SecureConnectBundle(zipData: zip)
            return (bundle, try MetadataClient.fetch(bundle: bundle, timeout: .seconds(10)))
        }
        let (bundle, metadata) = try result.get()
        #expect(bundle.config.localDC == "eu-west-1")
        #expect(bundle.host == emulator.host && bundle.port == emulator.metadataPort)
        #expect(metadata.region == emulator.region)
        #expect(metadata.contactPoints.count == 3)
        #expect(metadata.sniProxy.port == emulator.sniPort)
    }

    @Test("the emulator's refusals map onto our errors: bad token, unknown database, metadata down")
    func refusals() async throws {
        let emulator = try AstraEmulator(nodes: 1)
        defer { emulator.stop() }
        let (api, id, ca) = (emulator.devOpsURL, emulator.databaseID.uuidString.lowercased(), emulator.caPEM)
        let badToken = await offLoop { () throws(AstraError) in
            try DevOpsClient.downloadBundle(apiURL: api, token: "AstraCS:nope", databaseID: id, region: nil,
                                            timeout: .seconds(10), trust: .certificates(.pem(ca)))
        }
        #expect(badToken.error == .invalidToken(status: 401))
        let token = emulator.token
        let unknown = await offLoop { () throws(AstraError) in
            try DevOpsClient.downloadBundle(apiURL: api, token: token, databaseID: UUID().uuidString.lowercased(),
                                            region: nil, timeout: .seconds(10), trust: .certificates(.pem(ca)))
        }
        guard case .unknownDatabase? = unknown.error else { Issue.record("\(unknown)"); return }

        emulator.setMetadataAvailable(false)
        let bundle = try SecureConnectBundle(zipData: emulator.bundleData())
        let down = await offLoop { () throws(AstraError) in try MetadataClient.fetch(bundle: bundle, timeout: .seconds(10)) }
        guard case .metadataUnreachable(_, let why)? = down.error else { Issue.record("\(down)"); return }
        #expect(why.hasPrefix("HTTP 503"))
    }
}
