import Compression

/// lz4 and snappy bodies: the first byte picks the algorithm (bit 0) and the limit (bits 1-3), the rest is
/// decompressed. Nothing may trap or allocate past the limit, and compressing the rest must round-trip.
@_cdecl("LLVMFuzzerTestOneInput")
public func compressionFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    CompressionFuzz.run(fuzzInput(data, size))
    return 0
}

enum CompressionFuzz {
    static let limits = [0, 1, 16, 255, 4096, 65_536, 1 << 20, 256 << 20]

    static func run(_ input: [UInt8]) {
        guard let first = input.first else { return }
        let codec = FrameBodyCodec(first & 1 == 0 ? .lz4 : .snappy)
        let limit = limits[Int(first >> 1) & 7]
        let body = Array(input.dropFirst())
        let out = body.withUnsafeBytes { raw in try? codec.decompress(raw, maxLength: limit) }
        if let out { fuzzRequire(out.count <= limit, "\(codec.algorithm) gave \(out.count) bytes over \(limit)") }

        var compressed: [UInt8] = []
        body.withUnsafeBytes { codec.compress($0, into: &compressed) }
        let back = compressed.withUnsafeBytes { raw in
            Result { () throws(CompressionError) in try codec.decompress(raw, maxLength: body.count) }
        }
        fuzzRequire(back == .success(body), "\(codec.algorithm) round trip of \(body.count) bytes: \(back)")
    }
}
