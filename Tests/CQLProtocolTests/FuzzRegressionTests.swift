import Testing
@testable import CQLProtocol

/// Inputs found by the fuzz targets in Fuzz/ (see Fuzz/README.md), kept so what they showed stays true.
@Suite struct FuzzRegressionTests {
    /// frame target: a v3 EXECUTE body whose flags byte (0x41) has both values and names_for_values, with
    /// zero values. It decodes as `names: []`; encoding drops the names flag because there are no values, so
    /// the first re-decode differs (`names: nil`) and only the second round is a fixed point. Harmless (no
    /// names either way), but a proxy must not rely on byte-exact re-encoding of decoded requests.
    @Test func namesFlagWithNoValuesNormalisesOnce() throws {
        let body = hex("0000 0000 41 0000 0026")   // id "", consistency ANY, flags values|names, 0 values
        let decoded = try RequestMessage.decode(opcode: Opcode.execute.rawValue, body: body, version: .v3)
        guard case .execute(let e) = decoded else { Issue.record("not an EXECUTE: \(decoded)"); return }
        #expect(e.parameters.values.isEmpty && e.parameters.names == [])

        let once = try RequestMessage.decode(opcode: .execute, body: decoded.encodeBody(version: .v3), version: .v3)
        guard case .execute(let normal) = once else { Issue.record("not an EXECUTE: \(once)"); return }
        #expect(normal.parameters.names == nil)
        let twice = try RequestMessage.decode(opcode: .execute, body: once.encodeBody(version: .v3), version: .v3)
        #expect(twice == once)
    }
}
