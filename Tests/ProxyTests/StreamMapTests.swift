import Testing
@testable import Proxy
import TestSupport

@Suite struct StreamMapTests {
    final class Box { let n: Int; init(_ n: Int) { self.n = n } }

    @Test("agrees with a Dictionary over random inserts, replacements and removals", arguments: [1, 2, 3])
    func matchesDictionary(seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        var map = StreamMap<Box>()
        var reference: [Int16: Box] = [:]
        // Keys mostly dense and small (as drivers allocate them), some anywhere, negative ones included, so
        // probe runs wrap around the table and collide.
        func key() -> Int16 {
            Bool.random(using: &rng) ? Int16.random(in: 0..<64, using: &rng) : Int16.random(in: .min ... .max, using: &rng)
        }
        for step in 0..<20_000 {
            let k = key()
            switch Int.random(in: 0..<3, using: &rng) {
            case 0, 1:
                let box = Box(step)
                map[k] = box
                reference[k] = box
            default:
                map[k] = nil
                reference[k] = nil
            }
            #expect(map.count == reference.count)
            if step % 97 == 0 {
                for (k, v) in reference { #expect(map[k] === v) }
                #expect(Set(map.allValues.map(\.n)) == Set(reference.values.map(\.n)))
            }
        }
        for (k, v) in reference { #expect(map[k] === v) }
        for k in reference.keys { map[k] = nil }
        #expect(map.isEmpty)
        #expect(map[0] == nil)
    }

    @Test("dense ids, as drivers use them, removed from the middle and re-added in any order")
    func denseIDs() {
        var map = StreamMap<Box>()
        for k in Int16(0)..<128 { map[k] = Box(Int(k)) }
        for k in stride(from: Int16(1), to: 128, by: 2) { map[k] = nil }
        for k in Int16(0)..<128 { #expect(map[k]?.n == (k % 2 == 0 ? Int(k) : nil)) }
        for k in stride(from: Int16(127), to: 0, by: -2) { map[k] = Box(-Int(k)) }
        for k in Int16(0)..<128 { #expect(map[k]?.n == (k % 2 == 0 ? Int(k) : -Int(k))) }
        #expect(map.count == 128)
    }

    @Test("insertIfAbsent and removeValue agree with a Dictionary, dense and hashed ids alike", arguments: [4, 5])
    func singleProbeOperations(seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        var map = StreamMap<Box>()
        var reference: [Int16: Box] = [:]
        func key() -> Int16 {
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: return Int16.random(in: 0..<200, using: &rng)                       // dense
            case 1: return Int16.random(in: 1000..<1100, using: &rng)                   // around the dense limit
            default: return Int16.random(in: .min ... .max, using: &rng)                // anywhere, negative too
            }
        }
        for step in 0..<20_000 {
            let k = key()
            if Bool.random(using: &rng) {
                let box = Box(step)
                let inserted = map.insertIfAbsent(k, box)
                #expect(inserted == (reference[k] == nil))
                if inserted { reference[k] = box }
            } else {
                #expect(map.removeValue(forKey: k) === reference.removeValue(forKey: k))
            }
            #expect(map.count == reference.count)
        }
        for (k, v) in reference { #expect(map[k] === v) }
        #expect(Set(map.allValues.map(\.n)) == Set(reference.values.map(\.n)))
    }

    @Test("remove(_:ifIdenticalTo:) takes out only that very value, dense and hashed ids alike",
          arguments: [Int16(7), 1050, -3])
    func removeIfIdentical(key: Int16) {
        var map = StreamMap<Box>()
        let first = Box(1), reused = Box(2)
        let inserted = map.insertIfAbsent(key, reused)
        #expect(inserted)
        // An answer for an earlier request under the same id leaves the one now there alone.
        let stale = map.remove(key, ifIdenticalTo: first)
        #expect(stale == nil)
        #expect(map[key] === reused && map.count == 1)
        let removed = map.remove(key, ifIdenticalTo: reused)
        #expect(removed === reused)
        #expect(map[key] == nil && map.isEmpty)
        let again = map.remove(key, ifIdenticalTo: reused)
        #expect(again == nil)
    }
}
