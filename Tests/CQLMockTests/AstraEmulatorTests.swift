import CQLProtocol
import Foundation
import Testing
import TestSupport
import Transport
import ZIPFoundation
@testable import CQLMock

/// The Astra emulator as clients see it: the real Python driver's cloud path end to end, then each service's
/// refusals (SNI front, metadata service, DevOps API) one by one.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct AstraEmulatorTests {
    // MARK: The real driver

    @Test func pythonDriverCloudPathConnectsThroughBundleMetadataAndSNI() async throws {
        let astra = try AstraEmulator(nodes: 3)
        defer { astra.stop() }
        let bundle = try temporaryBundle(astra)
        defer { try? FileManager.default.removeItem(at: bundle) }
        let out = try await runPython(script: "Tests/e2e/cloud_check.py",
                                      arguments: ["--bundle", bundle.path, "--token", astra.token],
                                      timeout: .seconds(45))
        #expect(out.exitCode == 0, "cloud_check.py exited \(out.exitCode)\n\(out.stdout)\n\(out.stderr)")
        // Default settings: the driver offered v5 (and DSE versions), was refused, settled on v4.
        #expect(out.stdout.hasPrefix("OK v4 hosts=3 dc=us-east1"), "\(out.stdout)\n\(out.stderr)")
        for node in astra.cluster.allNodes {
            // Every node was reached by its host id through the one SNI port.
            #expect(out.stdout.contains("\(astra.host):\(astra.sniPort):\(node.hostID.uuidString.lowercased())"))
            #expect(astra.cluster.requestCount(node: node.index, opcode: .query) > 0, "node \(node.index) served nothing")
        }
    }

    @Test func pythonDriverWithAWrongTokenFailsAuthentication() async throws {
        let astra = try AstraEmulator(nodes: 1)
        defer { astra.stop() }
        let bundle = try temporaryBundle(astra)
        defer { try? FileManager.default.removeItem(at: bundle) }
        let out = try await runPython(script: "Tests/e2e/cloud_check.py",
                                      arguments: ["--bundle", bundle.path, "--token", AstraEmulator.makeToken()],
                                      timeout: .seconds(30))
        #expect(out.exitCode == 3, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains("AUTH_FAILED"))
    }

    // MARK: Bundle

    @Test func bundleHasTheRealLayoutAndPointsAtTheServices() throws {
        let astra = try AstraEmulator(nodes: 1, region: "europe-west1", keyspace: "app")
        defer { astra.stop() }
        let entries = try unzip(astra.bundleData())
        #expect(Set(entries.keys) == ["config.json", "ca.crt", "cert", "key"])
        let config = try JSONDecoder().decode(AstraBundleConfig.self, from: try #require(entries["config.json"]))
        #expect(config.host == astra.host)
        #expect(config.port == astra.metadataPort)
        #expect(config.cql_port == astra.sniPort)
        #expect(config.localDC == "europe-west1")
        #expect(config.keyspace == "app")
        #expect(config.caCertLocation == "./ca.crt" && config.certLocation == "./cert" && config.keyLocation == "./key")
        #expect(String(decoding: entries["ca.crt"]!, as: UTF8.self) == astra.caPEM)
        // The host name resolves to the emulator's address, so drivers and the proxy land on it.
        #expect(["localhost", "127.0.0.1"].contains(astra.host))
    }

    // MARK: SNI front

    @Test func sniFrontRelaysEachHostIDToItsNode() async throws {
        let astra = try AstraEmulator(nodes: 3)
        defer { astra.stop() }
        for node in astra.cluster.allNodes {
            let before = node.requestCount(opcode: .options)
            let driver = cqlOptionsDriver()
            // Verified as the drivers do: chain against ca.crt, name against config.json's host, not the SNI.
            let outcome = try await tlsExchange(port: astra.sniPort, configuration: bundleClient(astra),
                                                serverName: node.hostID.uuidString.lowercased(), driver: driver)
            #expect(outcome.completed, "no answer from node \(node.index): \(outcome)")
            #expect(driver.bytes.count >= 9 && driver.bytes[4] == 0x06, "expected SUPPORTED, got \(driver.bytes.prefix(9))")
            #expect(node.requestCount(opcode: .options) == before + 1, "the OPTIONS did not reach node \(node.index)")
        }
    }

    @Test func sniFrontRefusesAnUnknownHostID() async throws {
        let astra = try AstraEmulator(nodes: 1)
        defer { astra.stop() }
        let outcome = try await tlsExchange(port: astra.sniPort, configuration: bundleClient(astra),
                                            serverName: UUID().uuidString.lowercased(), driver: cqlOptionsDriver())
        let error = try #require(outcome.handshakeError, "the handshake should fail: \(outcome)")
        #expect("\(error)".contains("unrecognized name"), "\(error)")
        #expect(astra.cluster.requestCount(node: 0) == 0)
    }

    @Test func sniFrontRefusesAClientWithoutCertificate() async throws {
        let astra = try AstraEmulator(nodes: 1)
        defer { astra.stop() }
        var config = bundleClient(astra)
        config.certificateChain = nil
        config.privateKey = nil
        let driver = cqlOptionsDriver()
        let outcome = try await tlsExchange(port: astra.sniPort, configuration: config,
                                            serverName: astra.cluster.node(0).hostID.uuidString.lowercased(),
                                            driver: driver)
        // TLS 1.3: the client may finish its half before the server rejects it; either way no CQL comes back.
        #expect(!outcome.completed && !outcome.timedOut, "\(outcome)")
        #expect(driver.bytes.isEmpty)
        #expect(astra.cluster.requestCount(node: 0) == 0)
    }

    @Test func sniFrontClosesTheClientWhenItsNodeIsDown() async throws {
        let astra = try AstraEmulator(nodes: 2)
        defer { astra.stop() }
        astra.cluster.stop(node: 1)
        let driver = cqlOptionsDriver()
        let outcome = try await tlsExchange(port: astra.sniPort, configuration: bundleClient(astra),
                                            serverName: astra.cluster.node(1).hostID.uuidString.lowercased(),
                                            driver: driver)
        #expect(outcome.handshakeSucceeded && !outcome.completed && !outcome.timedOut, "\(outcome)")
        #expect(driver.bytes.isEmpty)
        // The other node is still reachable.
        let alive = try await tlsExchange(port: astra.sniPort, configuration: bundleClient(astra),
                                          serverName: astra.cluster.node(0).hostID.uuidString.lowercased(),
                                          driver: cqlOptionsDriver())
        #expect(alive.completed)
        try await eventually("relay sessions released", timeout: .seconds(5)) { astra.sniConnectionCount == 0 }
    }

    // MARK: Metadata service

    @Test func metadataServiceNeedsTheBundleCertificateAndListsTheNodes() async throws {
        let astra = try AstraEmulator(nodes: 3, region: "us-west2")
        defer { astra.stop() }
        var anonymous = bundleClient(astra)
        anonymous.certificateChain = nil
        anonymous.privateKey = nil
        let refused = http1Driver(method: "GET", path: "/metadata")
        let refusedOutcome = try await tlsExchange(port: astra.metadataPort, configuration: anonymous,
                                                   serverName: astra.host, driver: refused)
        #expect(!refusedOutcome.timedOut)
        #expect(parseHTTP1(refused.bytes) == nil, "answered without a client certificate")

        let driver = http1Driver(method: "GET", path: "/metadata")
        _ = try await tlsExchange(port: astra.metadataPort, configuration: bundleClient(astra),
                                  serverName: astra.host, driver: driver)
        let response = try #require(parseHTTP1(driver.bytes))
        #expect(response.status == 200)
        let metadata = try JSONDecoder().decode(AstraMetadata.self, from: Data(response.body))
        #expect(metadata.version == 1 && metadata.region == "us-west2")
        #expect(metadata.contact_info.type == "sni_proxy" && metadata.contact_info.local_dc == "us-west2")
        #expect(metadata.contact_info.sni_proxy_address == "\(astra.host):\(astra.sniPort)")
        #expect(metadata.contact_info.contact_points == astra.cluster.allNodes.map { $0.hostID.uuidString.lowercased() })
    }

    @Test func metadataServiceCanBeMadeUnavailable() async throws {
        let astra = try AstraEmulator(nodes: 1)
        defer { astra.stop() }
        astra.setMetadataAvailable(false)
        let down = http1Driver(method: "GET", path: "/metadata")
        _ = try await tlsExchange(port: astra.metadataPort, configuration: bundleClient(astra), driver: down)
        #expect(parseHTTP1(down.bytes)?.status == 503)
        astra.setMetadataAvailable(true)
        let up = http1Driver(method: "GET", path: "/metadata")
        _ = try await tlsExchange(port: astra.metadataPort, configuration: bundleClient(astra), driver: up)
        #expect(parseHTTP1(up.bytes)?.status == 200)
    }

    // MARK: DevOps API

    @Test func devOpsAPIRefusesAWrongTokenAndAnUnknownDatabase() async throws {
        let astra = try AstraEmulator(nodes: 1)
        defer { astra.stop() }
        let id = astra.databaseID.uuidString.lowercased()
        let wrongToken = http1Driver(method: "POST", path: "/v2/databases/\(id)/secureBundleURL?all=true",
                                     headers: [("Authorization", "Bearer AstraCS:nope")])
        _ = try await tlsExchange(port: astra.devOpsPort, configuration: devOpsClient(astra), driver: wrongToken)
        #expect(parseHTTP1(wrongToken.bytes)?.status == 401)

        let noToken = http1Driver(method: "POST", path: "/v2/databases/\(id)/secureBundleURL?all=true")
        _ = try await tlsExchange(port: astra.devOpsPort, configuration: devOpsClient(astra), driver: noToken)
        #expect(parseHTTP1(noToken.bytes)?.status == 401)

        let unknown = http1Driver(method: "POST", path: "/v2/databases/\(UUID().uuidString.lowercased())/secureBundleURL?all=true",
                                  headers: [("Authorization", "Bearer \(astra.token)")])
        _ = try await tlsExchange(port: astra.devOpsPort, configuration: devOpsClient(astra), driver: unknown)
        #expect(parseHTTP1(unknown.bytes)?.status == 404)
    }

    @Test func devOpsAPIListsEveryRegionAndServesTheBundlesOverHTTP2() async throws {
        let astra = try AstraEmulator(nodes: 1, region: "us-east1", extraRegions: ["eu-west1"])
        defer { astra.stop() }
        let id = astra.databaseID.uuidString.lowercased()
        let links = H2Driver(method: "POST", path: "/v2/databases/\(id)/secureBundleURL?all=true",
                             headers: [("authorization", "Bearer \(astra.token)")])
        let outcome = try await tlsExchange(port: astra.devOpsPort, configuration: devOpsClient(astra), driver: links)
        #expect(outcome.alpn == .some("h2"), "ALPN: \(String(describing: outcome.alpn))")
        let response = try #require(links.response, "no HTTP/2 answer: \(outcome)")
        #expect(response.status == 200)
        let list = try JSONDecoder().decode([AstraBundleLink].self, from: Data(response.body))
        #expect(list.map(\.region) == ["us-east1", "eu-west1"])
        #expect(list.map(\.datacenterID) == ["\(id)-1", "\(id)-2"])

        for link in list {
            let url = try #require(URLComponents(string: link.downloadURL))
            #expect(url.scheme == "https" && url.host == "127.0.0.1" && url.port == astra.devOpsPort)
            let download = H2Driver(method: "GET", path: url.path)
            _ = try await tlsExchange(port: astra.devOpsPort, configuration: devOpsClient(astra), driver: download)
            let zip = try #require(download.response)
            #expect(zip.status == 200)
            let entries = try unzip(Data(zip.body))
            #expect(Set(entries.keys) == ["config.json", "ca.crt", "cert", "key"])
            let config = try JSONDecoder().decode(AstraBundleConfig.self, from: entries["config.json"]!)
            #expect(config.localDC == link.region)
            if link.region == astra.region { #expect(Data(zip.body) == astra.bundleData()) }
        }

        // Without all=true, the primary datacenter's link alone.
        let single = H2Driver(method: "POST", path: "/v2/databases/\(id)/secureBundleURL",
                              headers: [("authorization", "Bearer \(astra.token)")])
        _ = try await tlsExchange(port: astra.devOpsPort, configuration: devOpsClient(astra), driver: single)
        let primary = try JSONDecoder().decode(AstraBundleLink.self, from: Data(try #require(single.response).body))
        #expect(primary.region == "us-east1")
    }

    @Test func devOpsAPIAlsoSpeaksHTTP1() async throws {
        let astra = try AstraEmulator(nodes: 1)
        defer { astra.stop() }
        let id = astra.databaseID.uuidString.lowercased()
        let driver = http1Driver(method: "GET", path: "/bundles/\(id)/\(astra.region).zip")
        var config = devOpsClient(astra)
        config.alpnProtocols = ["http/1.1"]
        let outcome = try await tlsExchange(port: astra.devOpsPort, configuration: config, driver: driver)
        #expect(outcome.alpn == .some("http/1.1"))
        let response = try #require(parseHTTP1(driver.bytes))
        #expect(response.status == 200 && response.headers["content-type"] == "application/zip")
        #expect(Data(response.body) == astra.bundleData())
    }

    // MARK: Helpers

    /// What a driver builds from the bundle: trust ca.crt, present cert/key, check config.json's host.
    private func bundleClient(_ astra: AstraEmulator) -> TLSConfiguration {
        var config = TLSConfiguration.client(trustRoots: .certificates(.pem(astra.caPEM)), expectedHostName: astra.host)
        let entries = try! unzip(astra.bundleData())
        config.certificateChain = .pem(String(decoding: entries["cert"]!, as: UTF8.self))
        config.privateKey = .pem(String(decoding: entries["key"]!, as: UTF8.self))
        return config
    }

    /// A DevOps API client trusting the emulator's CA (the file `SSL_CERT_FILE` would name), offering h2.
    private func devOpsClient(_ astra: AstraEmulator) -> TLSConfiguration {
        .client(trustRoots: .certificates(.file(astra.caFileURL.path)), expectedHostName: "127.0.0.1",
                alpnProtocols: ["h2", "http/1.1"])
    }

    private func temporaryBundle(_ astra: AstraEmulator) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scb-\(UUID().uuidString).zip")
        try astra.writeBundle(to: url)
        return url
    }

    private func unzip(_ data: Data) throws -> [String: Data] {
        let archive = try Archive(data: data, accessMode: .read)
        var entries: [String: Data] = [:]
        for entry in archive {
            var content = Data()
            _ = try archive.extract(entry) { content.append($0) }
            entries[entry.path] = content
        }
        return entries
    }
}
