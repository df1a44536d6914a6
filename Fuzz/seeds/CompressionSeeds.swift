import Foundation

/// Writes the compression target's seeds (run by Fuzz/seeds/generate.sh inside the Compression module):
/// each frame seed's body compressed with lz4 and with snappy, behind the target's selector byte.
@main
enum CompressionSeeds {
    static func main() throws {
        let frames = URL(fileURLWithPath: CommandLine.arguments[1])
        let dir = URL(fileURLWithPath: CommandLine.arguments[2])
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: frames.path).sorted()
        var bodies = try names.map { try [UInt8](Data(contentsOf: frames.appendingPathComponent($0))).dropFirst(9) }
            .filter { !$0.isEmpty }.prefix(40).map(Array.init)
        bodies.append(Array(repeating: 0x61, count: 5000))
        var n = 0
        for body in bodies {
            for (selector, codec) in [(UInt8(0x0C), FrameBodyCodec(.lz4)), (0x0D, FrameBodyCodec(.snappy))] {
                var out: [UInt8] = [selector]   // bits 1-3 = 6: a 1 MiB limit
                body.withUnsafeBytes { codec.compress($0, into: &out) }
                try Data(out).write(to: dir.appendingPathComponent(String(format: "seed-%03d", n)))
                n += 1
            }
        }
        print("compression: \(n) seeds")
    }
}
