import TestSupport
import Testing
@testable import CQLProtocol

/// Valid frames, mutated at random (seeded, so every failure replays), fed to every decoder: nothing may
/// trap, and every failure must come back as a `CQLProtocolError` value.
@Suite struct RandomizedTests {
    static let iterations = 3_000

    static func seeds() -> [[UInt8]] {
        var frames: [[UInt8]] = []
        for version in [ProtocolVersion.v3, .v4] {
            for (i, m) in Samples.requests(version).enumerated() {
                frames.append(Frame(request: m, version: version, stream: StreamID(Int16(i))).encode())
            }
            for (i, m) in Samples.responses(version).enumerated() {
                frames.append(Frame(response: m, version: version, stream: StreamID(Int16(i))).encode())
            }
        }
        return frames
    }

    static func mutate(_ frame: [UInt8], _ rng: inout SeededRNG) -> [UInt8] {
        var f = frame
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where !f.isEmpty:   // flip bits
                let i = Int.random(in: 0..<f.count, using: &rng)
                f[i] ^= UInt8.random(in: 1...255, using: &rng)
            case 1 where !f.isEmpty:   // truncate
                f.removeLast(Int.random(in: 0...f.count, using: &rng))
            case 2:                    // extend with noise
                f += (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 3 where f.count >= 4: // plant an extreme length or count (0xFFFF, 0x7FFFFFFF, -1, -2...)
                let i = Int.random(in: 0...(f.count - 4), using: &rng)
                let patterns: [[UInt8]] = [[0xFF, 0xFF, 0xFF, 0xFF], [0x7F, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0xFE],
                                           [0x80, 0, 0, 0], [0, 0, 0xFF, 0xFF], [0, 0, 0, 0]]
                let p = patterns.randomElement(using: &rng)!
                for j in 0..<4 { f[i + j] = p[j] }
            case 4 where f.count >= 9: // random header length
                let len = UInt32.random(in: 0...UInt32.max, using: &rng)
                f[5] = UInt8(len >> 24); f[6] = UInt8(len >> 16 & 0xFF); f[7] = UInt8(len >> 8 & 0xFF); f[8] = UInt8(len & 0xFF)
            case 5 where f.count >= 5: // another opcode
                f[4] = UInt8.random(in: 0...0x11, using: &rng)
            default:                   // random version / flags byte
                if f.count >= 2 { f[Int.random(in: 0...1, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            }
        }
        return f
    }

    /// Runs every decoder on `bytes`; returns how many threw (the rest decoded).
    @discardableResult
    static func feed(_ bytes: [UInt8]) -> Int {
        var errors = 0
        func attempt<T>(_ body: () throws(CQLProtocolError) -> T) {
            do { _ = try body() } catch { errors += 1 }
        }
        _ = FrameHeader.parse(bytes, maxBodyLength: 1 << 20)
        _ = FrameHeader.legacyStreamID(bytes)
        attempt { () throws(CQLProtocolError) in try Frame.decode(bytes) }
        let body = Array(bytes.dropFirst(min(bytes.count, FrameHeader.size)))
        if case .header(let h) = FrameHeader.parse(bytes) {
            let frame = Frame(header: h, body: body)
            attempt { () throws(CQLProtocolError) in try frame.envelope() }
            attempt { () throws(CQLProtocolError) in try frame.requestMessage() }
            attempt { () throws(CQLProtocolError) in try frame.responseMessage() }
        }
        for version in [ProtocolVersion.v3, .v4, .v5] {
            for op in Opcode.allCases {
                if op.isRequest {
                    attempt { () throws(CQLProtocolError) in try RequestMessage.decode(opcode: op, body: body, version: version) }
                } else {
                    attempt { () throws(CQLProtocolError) in try ResponseMessage.decode(opcode: op, body: body, version: version) }
                }
            }
            attempt { () throws(CQLProtocolError) in try QueryView(body: body, version: version) }
            attempt { () throws(CQLProtocolError) in try ExecuteView(body: body, version: version) }
            attempt { () throws(CQLProtocolError) in try BatchView(body: body, version: version) }
            attempt { () throws(CQLProtocolError) in try PrepareView(body: body, version: version) }
        }
        return errors
    }

    @Test func mutatedFramesNeverTrap() {
        var rng = SeededRNG(seed: 0xC0FFEE)
        let seeds = Self.seeds()
        var errors = 0
        for _ in 0..<Self.iterations {
            let frame = seeds.randomElement(using: &rng)!
            errors += Self.feed(Self.mutate(frame, &rng))
        }
        #expect(errors > 0)   // the mutations do produce errors, and they came back as values
    }

    @Test func randomBytesNeverTrap() {
        var rng = SeededRNG(seed: 42)
        for _ in 0..<500 {
            let n = Int.random(in: 0...64, using: &rng)
            Self.feed((0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
    }

    @Test func mutatedValuesNeverTrap() throws {
        var rng = SeededRNG(seed: 7)
        let samples: [(CQLValue, DataType)] = [
            (.list([.map([(.text("k"), .int(1))])]), .list(.map(.varchar, .int))),
            (.tuple([.int(1), .null, .text("x")]), .tuple([.bigint, .int, .ascii])),
            (.tuple([.text("Main"), .int(1), .list([.text("a")])]), ValueCodecTests.address),
            (.duration(months: 1, days: 2, nanoseconds: 3), .duration),
            (.decimal(scale: 2, unscaled: [0x80]), .decimal),
            (.text("héllo"), .varchar),
            (.int(5), .time),
        ]
        let types = NotationTests.allTypes + samples.map(\.1)
        for _ in 0..<2_000 {
            let (value, type) = samples.randomElement(using: &rng)!
            let bytes = Self.mutate(try #require(try value.encode(as: type)), &rng)
            _ = try? CQLValue.decode(bytes, as: type)
            _ = try? CQLValue.decode(bytes, as: types.randomElement(using: &rng)!)
        }
    }
}
